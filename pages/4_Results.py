"""Results: pick validation points on the map, modelled-versus-InSAR curves, deviation maps, severity."""

from __future__ import annotations

import streamlit as st

from subsidence.io.exports import csv_bytes, figure_html
from subsidence.validation.evaluation import PAPER_METRICS
from subsidence.validation.quality import METRIC_LABELS
from subsidence.validation.results import export_table, picked_table, plain_summary
from subsidence.viz.figures import model_curves_figure
from subsidence.viz.maps import colour_range, is_degenerate, legend_html
from ui import cache, keys, mapbits, picks, reference, results_view, tables, trust
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
reference.model_line(current, area)
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
    measure = results_view.measure_radio(keys.RESULTS_MEASURE)
    if measure in ("deviation", "insar"):  # the epoch slider only for layers that change with time
        when = st.select_slider("Epoch", options=dates, value=dates[-1], key=keys.RESULTS_EPOCH)
    else:
        when = dates[-1]
    shown_conf = trust.control("results_confidence")
    picks.pick_controls(data.ps_ids, data.ps_ids[res.test_mask], current.source)
values, ramp, label, unit = results_view.values_for(res, measure, dates.index(when), mode)
conf = (
    trust.point_confidence(area, data, trust.cv_errors(res), tag=current.token)
    if shown_conf != trust.OFF
    else None
)
with left:
    vmin, vmax = colour_range(values, symmetric=ramp == "diverging")
    flat = is_degenerate(vmin, vmax) if ramp != "diverging" else max(abs(vmin), abs(vmax)) < 1e-6
    rgba, conf_legend = trust.map_colours(shown_conf, conf, values, ramp, (vmin, vmax))
    extra = {"set": res.tables[mode]["set"].to_numpy()}
    if conf is not None:
        extra["confidence"] = conf["confidence"].to_numpy()
    deck = cache.ps_deck(
        area,
        values,
        label=label,
        unit=unit,
        ramp=ramp,
        value_range=(vmin, vmax),
        picked=picks.picked(),
        dim=~res.test_mask,
        extra=extra,
        rgba=rgba,
        basemap=mapbits.basemap_on(),
        degenerate=flat,
        **picks.pick_layers(area, keys.RESULTS_MAP),
    )
    picks.picking_map(deck, keys.RESULTS_MAP)
    mapbits.scale_bar(area)
    title = f"{label[0].upper()}{label[1:]} · faint: training points · rings: picked"
    st.markdown(
        conf_legend or legend_html(vmin, vmax, title, ramp=ramp, unit=unit, degenerate=flat),
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
    st.caption(
        "One panel per picked point (at most 12), same axes: its RMSE of the change per acquisition interval "
        "(model against InSAR) and InSAR's total subsidence over the record."
    )
    table = picked_table(res, chosen, mode)
    st.caption(picks.picks_caption(chosen))
    tables.show(table, key="picked_table")
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

results_view.severity_section(res, mode)
st.subheader("Export every point")
if st.toggle("Prepare the per-point files (CSV, GeoPackage)", key="make_gpkg"):
    results_view.export_section(area, export_table(res))
tables.next_step("5 · Compare — score this model against the physics and the baselines, or 6 · Scenarios.")
