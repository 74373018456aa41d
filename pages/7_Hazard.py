"""Hazard: when points reach a settlement threshold, uneven settlement, where to trust the numbers."""

from __future__ import annotations

import numpy as np
import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.planning import hazard
from subsidence.planning.confidence import EXPLANATION, class_counts, confidence
from subsidence.planning.scenarios import PRESETS
from subsidence.viz import hazard_figures as hf
from ui import cache, pack_ui, reference, tables
from ui.area import study_area_sidebar
from ui.models import current_model

st.set_page_config(page_title="Hazard", page_icon="⚠️", layout="wide")
area = study_area_sidebar()
data = cache.series_for(area) if area is not None else None
if area is None or data is None:
    st.stop()
xy, crs = data.xy_m, area.work_crs

st.title("Hazard: when, where, and how sure")
st.markdown(
    "Set a settlement threshold and a groundwater scenario: the maps show **when** each point reaches it, where the "
    "ground settles **unevenly** enough to harm buildings, and **where the numbers can be trusted**. Then download "
    "the decision pack to hand on."
)
with st.form("hazard_form"):
    a, b, c = st.columns(3)
    a.selectbox("Scenario", [s.name for s in PRESETS], key="hazard_scenario")
    a.slider("Horizon (years after the last acquisition)", 1, 15, 5, key="hazard_horizon")
    b.radio("Threshold is", ["more than today", "cumulative since the first acquisition"], key="hazard_kind")
    b.number_input("Threshold (mm)", min_value=1.0, max_value=5000.0, value=100.0, step=10.0, key="hazard_mm")
    c.number_input(
        "Neighbours within (m), for uneven settlement", 20.0, 5000.0, 200.0, step=20.0, key="hazard_dist"
    )
    st.form_submit_button("Show the hazard", type="primary", key="hazard_submit")

scenario = next(s for s in PRESETS if s.name == st.session_state["hazard_scenario"])
forecast = cache.forecast(area, data, scenario, float(st.session_state["hazard_horizon"]))
if forecast is None:  # the error is on the page
    st.stop()
paths = hazard.paths_from(forecast, data)
kind = hazard.ADDED if st.session_state["hazard_kind"] == "more than today" else hazard.ABSOLUTE
threshold = float(st.session_state["hazard_mm"])
try:
    ttt = hazard.time_to_threshold(paths, threshold, kind)
    dist = hazard.distortion_table(data, paths, float(st.session_state["hazard_dist"]))
except SubsidenceError as exc:
    st.error(f"These settings cannot be used: {exc}")
    st.stop()
horizon = paths.dates[-1].date()

st.header("When is the threshold reached?")
reached = int(ttt["within_horizon"].sum())
st.markdown(
    f"Under **{scenario.name}**, {reached:,} of {len(ttt):,} points reach {threshold:g} mm "
    f"({st.session_state['hazard_kind']}) by {horizon}. Earliest and latest dates come from the forecast band."
)
st.plotly_chart(
    reference.on_figure(
        hf.time_to_threshold_map(xy, ttt, title=f"Years until {threshold:g} mm ({scenario.name})", crs=crs),
        area,
    ),
    key="hazard_ttt_map",
)
tables.show(hazard.crossing_table(ttt, xy), key="hazard_ttt_table")

st.header("Uneven settlement between neighbours")
st.markdown(
    "Angular distortion: the difference in settlement between two neighbouring points divided by the distance "
    "between them. Limits after Bjerrum (1963): 1 in 750 sensitive machinery, 1 in 500 safe limit where cracking "
    "is not allowed, 1 in 300 first cracks in panel walls, 1 in 150 structural damage. Points far apart "
    "understate what one building feels."
)
when = st.radio("When", ["today", "horizon"], horizontal=True, key="hazard_when")
st.plotly_chart(
    reference.on_figure(hf.distortion_map(xy, dist, when, crs=crs), area), key="hazard_distortion_map"
)
counts = hazard.class_counts(dist["class_today"]).rename(columns={"class": "class", "points": "points today"})
counts[f"points on {horizon}"] = hazard.class_counts(dist["class_horizon"])["points"]
tables.show(counts, key="hazard_distortion_counts")

st.header("Where can the numbers be trusted?")
st.markdown(EXPLANATION)
model = current_model(area, data)
results = cache.results(area, data, model) if model is not None else None
cv = None
if results is not None:
    modelled = results.cumulative["one-step"]
    cv = np.where(results.test_mask, np.abs(modelled[:, -1] - data.subsidence_mm[:, -1]), np.nan)
band = paths.high_mm[:, -1] - paths.low_mm[:, -1]
if (kriged := cache.inputs_kriging(area)) is None:
    st.stop()
head_sd = kriged.factors.head_sd_m
conf = confidence(xy, head_sd, np.column_stack([area.wells.x, area.wells.y]), cv, band)
st.plotly_chart(
    reference.on_figure(hf.confidence_map(xy, data.ps_ids, conf, crs=crs), area), key="hazard_confidence_map"
)
tables.show(class_counts(conf["confidence"]), key="hazard_confidence_counts")
if model is None:
    st.caption("No model yet: the model-error check is left out. Train one on the Model page.")

st.header("The decision pack")
if model is None:
    st.info("Train or load a model on the Model page first: the pack reports how it was validated.")
    tables.next_step("3 · Model — train or load a model, then come back for the decision pack.")
    st.stop()
pack_ui.pack_panel(
    area,
    data,
    model,
    results,
    forecast,
    {
        "horizon": st.session_state["hazard_horizon"],
        "head_sd": head_sd,
        "threshold": threshold,
        "kind": kind,
        "distance": st.session_state["hazard_dist"],
    },
)
tables.next_step("hand the decision pack on, or go back to 6 · Scenarios to try another groundwater future.")
