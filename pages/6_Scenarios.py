"""Scenarios: forecasts under groundwater scenarios (area-wide, per zone, from a CSV), compared, and checked by hindcasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.exports import csv_bytes, figure_html, geopackage_bytes, results_geodataframe
from subsidence.figures import forecast_figure
from subsidence.hindcast import hindcast
from subsidence.hindcast_figures import hindcast_figure
from subsidence.maps import colour_range, legend_html, ps_deck
from subsidence.models import model_names
from subsidence.scenarios import (
    PRESETS,
    Scenario,
    csv_scenario,
    forecast_table,
    heads_outside_training,
    scenario_table,
    threshold_table,
    zone_scenario,
)
from ui import cache, jobs, keys, picks
from ui.area import study_area_sidebar

st.set_page_config(page_title="Scenarios", page_icon="🔮", layout="wide")
area = study_area_sidebar()
if area is None:
    st.stop()
data = cache.series_for(area)

st.title("Groundwater scenarios")
st.markdown(
    "What if confined heads keep falling, are held, or recover? Each scenario continues every point's kriged head from "
    f"the last acquisition ({area.dates[-1].date()}), keeping its seasonal cycle; the **consolidation** model (fitted on "
    "this study area, see the Compare page) turns heads into compaction, added to what InSAR measured last. The shaded "
    "band is the wider of two: the spread of the physics refitted on three spatial folds (parameter uncertainty) and "
    "the 90 % band learnt from the physics' own forecast errors inside the record (see *Check the forecast* below). "
    "Neither includes the uncertainty of the scenario itself."
)
with st.form("scenario_form"):
    a, b, c = st.columns(3)
    a.multiselect(
        "Scenarios",
        [s.name for s in PRESETS] + ["custom rate", "zone of wells", "heads from a CSV"],
        default=[PRESETS[0].name, PRESETS[2].name],
        key=keys.SCENARIOS,
    )
    b.number_input(
        "Custom head change (m/yr, + = recovery)",
        min_value=-10.0,
        max_value=10.0,
        value=2.0,
        step=0.5,
        key=keys.SCENARIO_RATE,
    )
    c.slider(
        "Horizon (years after the last acquisition)", min_value=1, max_value=15, value=5, key=keys.HORIZON
    )
    z1, z2, z3 = st.columns(3)
    z1.multiselect("Zone: wells whose rate changes", list(map(str, area.wells.ids)), key="zone_wells")
    z2.number_input(
        "Zone head change (m/yr, + = recovery)",
        min_value=-10.0,
        max_value=10.0,
        value=2.0,
        step=0.5,
        key="zone_rate",
    )
    z3.file_uploader("Future heads per well (CSV: well_id,date,head_m)", type=["csv"], key="heads_csv")
    st.form_submit_button("Forecast", type="primary")

chosen = [s for s in PRESETS if s.name in st.session_state[keys.SCENARIOS]]
if "custom rate" in st.session_state[keys.SCENARIOS]:
    chosen.append(
        Scenario(
            f"head {st.session_state[keys.SCENARIO_RATE]:+g} m/yr",
            float(st.session_state[keys.SCENARIO_RATE]),
        )
    )
try:
    if "zone of wells" in st.session_state[keys.SCENARIOS]:
        if not st.session_state.get("zone_wells"):
            st.info("Choose the wells of the zone (below the scenarios) to forecast a zone scenario.")
        else:
            chosen.append(
                zone_scenario(
                    area, data, st.session_state["zone_wells"], float(st.session_state["zone_rate"])
                )
            )
    if "heads from a CSV" in st.session_state[keys.SCENARIOS]:
        upload = st.session_state.get("heads_csv")
        if upload is None:
            st.info(
                "Upload a CSV of future heads per well (columns well_id, date, head_m; see docs/forecasts.md)."
            )
        else:
            chosen.append(csv_scenario(area, data, upload.getvalue(), f"heads from {upload.name}"))
except SubsidenceError as exc:
    st.error(str(exc))
if not chosen:
    st.info("Choose at least one scenario.")
    st.stop()
forecasts = [cache.forecast(area, data, s, float(st.session_state[keys.HORIZON])) for s in chosen]

st.subheader("What each scenario adds by the horizon")
st.dataframe(scenario_table(forecasts).round(3), hide_index=True, key="scenario_table")
st.caption("Share of points adding more than each amount by the horizon (points sample the built-up area):")
st.dataframe(threshold_table(forecasts), hide_index=True, key="threshold_table")
for fc in forecasts:
    outside = heads_outside_training(fc, data)
    if outside is not None:
        st.info(
            f"{fc.scenario.name}: heads reach {outside[0]:.1f} to {outside[1]:.1f} m, outside the {float(data.head_m.min()):.1f} "
            f"to {float(data.head_m.max()):.1f} m the models were fitted on. The physics extrapolates by design; the "
            "networks (paper-lstm, spatial-lstm, physics-lstm) have never seen such heads and are not reliable there."
        )
shown = st.radio(
    "Map the scenario", [f.scenario.name for f in forecasts], key=keys.SCENARIO_SHOWN, horizontal=True
)
f = next(x for x in forecasts if x.scenario.name == shown)
vmin, vmax = colour_range(f.added_mm)
uniform = float(np.ptp(f.added_mm)) < 0.5 or vmax - vmin < 0.5
if uniform:
    st.warning(
        f"Every point gets about the same forecast here (+{float(np.median(f.added_mm)):.0f} mm by "
        f"{f.dates[-1].date()}, band {float(np.median(f.high_mm[:, -1] - f.low_mm[:, -1])):.0f} mm): the map "
        "cannot tell places apart, so it is drawn in one neutral colour. Treat this as one number for the area."
    )
deck = ps_deck(
    area,
    f.added_mm,
    label=f"subsidence added by {f.dates[-1].date()} ({shown})",
    ramp="magnitude",
    value_range=(vmin, vmax),
    picked=picks.picked(),
    basemap=st.session_state.get(keys.BASEMAP, False),
    extra={"low_mm": f.low_mm[:, -1] - f.low_mm[:, 0], "high_mm": f.high_mm[:, -1] - f.high_mm[:, 0]},
    rgba=np.tile(np.array([150, 150, 150, 200], dtype=np.uint8), (len(f.added_mm), 1)) if uniform else None,
)
picks.sync_map_state()
st.pydeck_chart(
    deck, on_select=picks.on_map_select, selection_mode="multi-object", key=keys.RESULTS_MAP, height=480
)
st.markdown(
    legend_html(vmin, vmax, "subsidence added after the last acquisition (mm)", "magnitude"),
    unsafe_allow_html=True,
)

if len(forecasts) >= 2:
    st.subheader("Difference between two scenarios")
    d1, d2 = st.columns(2)
    names_shown = [x.scenario.name for x in forecasts]
    first = d1.selectbox("Scenario", names_shown, index=0, key="diff_a")
    second = d2.selectbox("minus scenario", names_shown, index=1, key="diff_b")
    fa = next(x for x in forecasts if x.scenario.name == first)
    fb = next(x for x in forecasts if x.scenario.name == second)
    diff = fa.added_mm - fb.added_mm
    dlo, dhi = colour_range(diff, symmetric=True)
    flat = float(np.ptp(diff)) < 0.5
    if flat:
        st.warning(
            f"The two scenarios differ by about the same amount everywhere ({float(np.median(diff)):+.0f} mm): the map is "
            "drawn in one neutral colour."
        )
    st.pydeck_chart(
        ps_deck(
            area,
            diff,
            label=f"{first} minus {second} by {fa.dates[-1].date()} (mm)",
            ramp="diverging",
            value_range=(dlo, dhi),
            picked=picks.picked(),
            basemap=st.session_state.get(keys.BASEMAP, False),
            rgba=np.tile(np.array([150, 150, 150, 200], dtype=np.uint8), (len(diff), 1)) if flat else None,
        ),
        key="diff_map",
        height=420,
    )
    st.markdown(
        legend_html(dlo, dhi, f"{first} minus {second}: subsidence added (mm)", "diverging"),
        unsafe_allow_html=True,
    )

picked = picks.picked()
if picked:
    curves = forecast_figure(data, forecasts, picked)
    st.plotly_chart(curves, key="forecast_curves")
    st.download_button(
        "Forecast curves (HTML)", figure_html(curves), "forecast.html", "text/html", key="dl_forecast_html"
    )
else:
    st.caption(
        "Pick points on the map (or on the Results page) to see their forecast curves and scenario heads."
    )

table = forecast_table(f, data)
left, right = st.columns(2)
left.download_button(
    f"Forecast per point, {shown} (CSV)", csv_bytes(table), "forecast.csv", "text/csv", key="dl_forecast_csv"
)
if right.toggle("Prepare a GeoPackage", key="forecast_gpkg"):
    right.download_button(
        "Forecast per point (GeoPackage)",
        geopackage_bytes(results_geodataframe(area, table)),
        "forecast.gpkg",
        "application/geopackage+sqlite3",
        key="dl_forecast_gpkg",
    )

st.header("Check the forecast")
st.markdown(
    "Would this forecast have been right before? Choose a **cut date**: the model learns only from what InSAR saw "
    "up to it, then forecasts the rest of the record from the groundwater levels alone, and the result is compared "
    "with what InSAR saw later. Beside it, two simple forecasts any model should beat: **it stops** (no more "
    "subsidence after the cut) and **velocity** (each point's own trend and yearly swing carried on). The 90 % band "
    "is learnt from the model's own errors at earlier cuts; the share of InSAR values inside it is shown."
)
middle = data.dates[len(data.dates) // 2].date()
with st.form("hindcast_form"):
    left, right = st.columns(2)
    left.date_input(
        "Cut date",
        value=middle,
        min_value=data.dates[0].date(),
        max_value=data.dates[-1].date(),
        key="hindcast_cut",
    )
    names = model_names()
    right.selectbox("Model", names, index=names.index("consolidation"), key="hindcast_model")
    run_hindcast = st.form_submit_button("Run the hindcast")
if run_hindcast:
    job = jobs.start(
        "hindcast",
        hindcast,
        data=data,
        model_name=st.session_state["hindcast_model"],
        cut=pd.Timestamp(st.session_state["hindcast_cut"]),
    )
    job.meta["area"] = area.fingerprint
    st.session_state["hindcast_job"] = job


@st.fragment(run_every=1.0)
def hindcast_progress() -> None:
    job = st.session_state.get("hindcast_job")
    if job is None or job.meta.get("shown"):
        return
    last = job.reports[-1] if job.reports else None
    done = 0.0 if last is None else last.epoch / max(last.max_epochs, 1)
    st.progress(min(done, 1.0), text=f"{last.message if last else 'starting'} · {job.seconds:.0f} s")
    if job.running:
        st.button("Stop", on_click=job.stop, key="stop_hindcast")
    else:
        job.meta["shown"] = True
        st.rerun()


job = st.session_state.get("hindcast_job")
if job is not None and not job.meta.get("shown"):  # poll only while a hindcast is under way
    hindcast_progress()
if job is not None and job.finished is not None:
    if job.error:
        st.error(f"The hindcast did not finish: {job.error}")
    elif job.result is not None and job.meta.get("area") == area.fingerprint:
        h = job.result
        s = h.scores()
        st.markdown(
            f"Cut at **{s['cut']}**, {s['n_forecast_epochs']} later acquisitions at {s['n_points']} points. "
            f"InSAR inside the 90 % band: **{s['coverage_90']:.0%}** of values (mean band width "
            f"{s['mean_band_width_mm']:.0f} mm)."
        )
        st.dataframe(h.table().round(1), hide_index=True, key="hindcast_table")
        errors = h.point_errors()
        lo, hi = colour_range(errors["error_last_mm"].to_numpy(), symmetric=True)
        st.pydeck_chart(
            ps_deck(
                area,
                errors["error_last_mm"].to_numpy(),
                label=f"{h.model} minus InSAR at {h.dates[-1].date()} (mm)",
                ramp="diverging",
                value_range=(lo, hi),
                picked=picks.picked(),
                basemap=st.session_state.get(keys.BASEMAP, False),
            ),
            key="hindcast_map",
            height=420,
        )
        st.markdown(
            legend_html(
                lo,
                hi,
                "forecast minus InSAR at the last acquisition (mm; + = too much subsidence)",
                "diverging",
            ),
            unsafe_allow_html=True,
        )
        if picked:
            st.plotly_chart(hindcast_figure(h, picked), key="hindcast_curves")
        else:
            st.caption("Pick points on the map above to see their hindcast curves with the band.")
        st.download_button(
            "Hindcast per point and date (CSV)",
            csv_bytes(h.frame()),
            "hindcast.csv",
            "text/csv",
            key="dl_hindcast",
        )
