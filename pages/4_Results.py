"""Results: pick validation points on the map, modelled-versus-InSAR curves, deviation maps, severity."""

from __future__ import annotations

import streamlit as st

from subsidence.evaluation import PAPER_METRICS
from subsidence.exports import csv_bytes, figure_html, geopackage_bytes, results_geodataframe
from subsidence.figures import model_curves_figure, severity_figure
from subsidence.maps import colour_range, is_degenerate, legend_html
from subsidence.report import METRIC_LABELS
from subsidence.results import MEASURE_LABELS, export_table, map_values, picked_table, plain_summary
from ui import cache, keys, picks
from ui.area import is_demo, study_area_sidebar
from ui.models import current_model
from ui.nav import page_link
from ui.text import escape_markdown, shorten

st.set_page_config(page_title="Results", page_icon="📍", layout="wide")
area = study_area_sidebar()
data = cache.series_for(area) if area is not None else None
if area is None or data is None:
    st.stop()
current = current_model(area, data)
if current is None:
    st.warning("No model for this study area yet: train or load one on the Model page.")
    page_link("pages/3_Model.py", "Go to the Model page", "🧠")
    st.stop()
res = cache.results(area, data, current)
if res is None:
    st.stop()

st.title("Results")
cache.kriging_warning(area)
st.caption(
    f"Model **{escape_markdown(shorten(current.name, 80))}** ({escape_markdown(current.shown_source)}), "
    f"scored on {int(res.test_mask.sum()):,} points: {current.points}."
)
modes = list(res.modes)
mode = st.radio(
    "Mode",
    modes,
    key=keys.RESULTS_MODE,
    horizontal=True,
    help="one-step: each change predicted from observed inputs (the paper); free-running: from the model's own predictions, as a forecast would",
)
scores = res.metrics[mode]
paper = is_demo(area) or st.toggle(
    "Compare with the paper's figures",
    key=keys.RESULTS_PAPER,
    help="The paper's scores are for the Beijing Plain; on another basin they are no yardstick.",
)
cols = st.columns(4)
for col, (key, label) in zip(cols, METRIC_LABELS.items(), strict=False):
    col.metric(
        label,
        f"{scores[key]:.2f}",
        delta=f"{scores[key] - PAPER_METRICS[key]:+.2f} vs paper {PAPER_METRICS[key]}" if paper else None,
        delta_color="inverse",
    )
cols[3].metric("Cumulative RMSE at the last date (mm)", f"{scores['rmse_cumulative_last_mm']:.1f}")

st.markdown("\n".join(f"- {line}" for line in plain_summary(res, cache.noise_floor(area, data))))

left, right = st.columns([3, 1])
dates = [d.date() for d in area.dates]
with right:
    measure = st.radio(
        "Colour the map by", list(MEASURE_LABELS), format_func=MEASURE_LABELS.get, key=keys.RESULTS_MEASURE
    )
    when = st.select_slider("Epoch", options=dates, value=dates[-1], key=keys.RESULTS_EPOCH)
    picks.pick_controls(data.ps_ids, data.ps_ids[res.test_mask], current.source)
values, ramp, label = map_values(res, measure, dates.index(when), mode)
with left:
    vmin, vmax = colour_range(values, symmetric=ramp == "diverging")
    flat = is_degenerate(vmin, vmax) if ramp != "diverging" else max(abs(vmin), abs(vmax)) < 1e-6
    deck = cache.ps_deck(
        area,
        values,
        label=label,
        ramp=ramp,
        value_range=(vmin, vmax),
        picked=picks.picked(),
        dim=~res.test_mask,
        extra={"set": res.tables[mode]["set"].to_numpy()},
        basemap=st.session_state.get(keys.BASEMAP, False),
        degenerate=flat,
        **picks.pick_layers(area, keys.RESULTS_MAP),
    )
    picks.picking_map(deck, keys.RESULTS_MAP)
    st.markdown(
        legend_html(
            vmin,
            vmax,
            f"{label[0].upper()}{label[1:]} · faint: training points · rings: picked",
            ramp=ramp,
            unit="mm",
            degenerate=flat,
        ),
        unsafe_allow_html=True,
    )
    st.caption("Click a point to pick it, click again to drop it.")
    picks.box_picker(area, values, label)

chosen = picks.known_only(picks.picked(), data.ps_ids)
if chosen:
    others = st.multiselect(
        "Draw baselines too", ["persistence", "linear-trend", "gm11"], key=keys.RESULTS_BASELINES
    )
    modelled = {f"{current.name} ({mode})": res.changes[mode]}
    modelled |= {name: cache.baseline_changes(area, data, name, current) for name in others}
    curves = model_curves_figure(res.data, chosen, modelled)
    st.plotly_chart(curves, key="results_curves")
    table = picked_table(res, chosen, mode)
    st.caption(picks.picks_caption(chosen))
    st.dataframe(table, hide_index=True, key="picked_table")
    st.download_button(
        "Picked points (CSV)", csv_bytes(table), "picked_points.csv", "text/csv", key="dl_picked"
    )
    st.download_button(
        "Curves (HTML)", lambda: figure_html(curves), "curves.html", "text/html", key="dl_curves"
    )
else:
    st.info(
        "Pick points on the map, by id, or take the paper's 12 random test points to see their curves and errors."
    )

st.subheader("Error against severity")
sev_left, sev_right = st.columns([3, 2])
severity = severity_figure(res, mode)
sev_left.plotly_chart(severity, key="severity_figure")
sev_right.dataframe(res.severity[mode].round(2), hide_index=True, key="severity_table")
sev_right.download_button(
    "Severity figure (HTML)", lambda: figure_html(severity), "severity.html", "text/html", key="dl_severity"
)

st.subheader("Export every point")
if st.toggle("Prepare the per-point files (CSV, GeoPackage)", key="make_gpkg"):
    export = export_table(res)
    a, b = st.columns(2)
    a.download_button("Per-point results (CSV)", csv_bytes(export), "results.csv", "text/csv", key="dl_csv")
    b.download_button(
        "Per-point results (GeoPackage)",
        geopackage_bytes(results_geodataframe(area, export)),
        "results.gpkg",
        "application/geopackage+sqlite3",
        key="dl_gpkg",
    )
