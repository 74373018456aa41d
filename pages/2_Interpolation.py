"""Interpolation: kriged groundwater-level maps per acquisition, layers, variograms, cross-validation."""

from __future__ import annotations

import streamlit as st

from subsidence.geostat.variogram import MODELS
from subsidence.viz.kriging_animation import head_animation_figure
from subsidence.viz.kriging_figures import (
    cv_table,
    head_change_figure,
    head_map_figure,
    head_variance_figure,
    layer_map_figure,
    variogram_figure,
    well_series_figure,
)
from ui import cache, keys, tables
from ui.area import study_area_sidebar
from ui.inputs import keep_kriging_widgets, seed_kriging_widgets
from ui.text import escape_markdown

st.set_page_config(page_title="Interpolation", page_icon="💧", layout="wide")
area = study_area_sidebar()
if area is None:
    st.stop()

st.title("Interpolation")
seed_kriging_widgets()  # this area's settings, kept outside the widgets
with st.form("kriging_form"):
    a, b, c = st.columns(3)
    c.selectbox(
        "Map cell size",
        [None, 1000.0, 500.0, 250.0, 100.0, 50.0],
        key=keys.INTERP_CELL,
        format_func=lambda v: "auto (about 60,000 cells)" if v is None else f"{v:,.0f} m",
        help="Finer grids take longer the first time; maps are thinned for drawing. "
        "The CLI's krige writes the paper's 20 m grid when it fits.",
    )
    a.selectbox(
        "Variogram model",
        ["auto", *MODELS],
        key=keys.VARIOGRAM_MODEL,
        help="auto: the model with the smallest leave-one-out error",
    )
    b.toggle(
        "One variogram for all epochs (pooled)",
        key=keys.VARIOGRAM_POOLED,
        help="Off: a variogram fitted per acquisition date",
    )
    st.form_submit_button("Apply", on_click=keep_kriging_widgets, key="kriging_apply")
st.caption(
    "The variogram model and pooling also set the groundwater level and layers the models learn from (Model, "
    "Results, Compare, Scenarios and Hazard pages, for this study area). The map cell size changes the maps only: "
    "the models use the values kriged at the PS points themselves."
)
if (result := cache.kriged(area)) is None:
    st.stop()
grid = result.grid
st.caption(
    f"Groundwater level: {result.head_variogram.describe()} · leave-one-out RMSE {result.head_cv.rmse:.2f} m over "
    f"{result.head_cv.n:,} readings · map grid {grid.cell_size_m:,.0f} m ({grid.head_m.shape[2]} × {grid.head_m.shape[1]} cells)"
)

if result.n_filled_wells:
    st.caption(
        f"{result.n_filled_wells} of {len(area.wells.ids)} wells are silent at some dates (they start late, stop early "
        "or pause). There the map estimates them from the change at the other wells plus their own offset, so that a "
        "well going quiet makes no step in the levels; their curves show their own readings only."
    )
if not getattr(result, "head_informative", True):
    st.warning(
        escape_markdown(
            getattr(result, "head_warning", None) or "The groundwater-level map carries no information here."
        )
    )

layers = [
    "Groundwater level",
    "Change in level since the first date",
    "Kriging standard deviation of the level",
]
layers += [f"{name.capitalize()} layer" for name in area.layers]
shown = st.radio("Map", layers, key=keys.INTERP_LAYER, horizontal=True)
dates = [d.date() for d in area.dates]
epoch = len(dates) - 1
if shown in layers[:3]:  # the geology layers do not change with time: no acquisition slider for them
    epoch = dates.index(
        st.select_slider("Acquisition date", options=dates, value=dates[-1], key=keys.INTERP_EPOCH)
    )
if shown == layers[0]:
    fig = head_map_figure(result, area, epoch)
elif shown == layers[1]:
    fig = head_change_figure(result, area, epoch)
elif shown == layers[2]:
    fig = head_variance_figure(result, area, epoch)
else:
    fig = layer_map_figure(result, area, shown.split()[0].lower())
event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key=keys.INTERP_MAP)
clicked = [p.get("customdata") for p in (event.selection.points if event else []) if p.get("customdata")]
if clicked:
    st.session_state[keys.INTERP_WELL] = str(clicked[0])
well = st.session_state.get(keys.INTERP_WELL)
if well in set(area.wells.ids.astype(str)):
    st.plotly_chart(well_series_figure(result, area, well), key="well_series")
else:
    st.caption(
        "Click a well (triangle) to see its readings and the levels interpolated at each acquisition date."
    )
if st.toggle("Play the groundwater level through time (animation)", key=keys.INTERP_PLAY):
    st.plotly_chart(head_animation_figure(result, area), key="head_animation")

st.subheader("Variograms")
cols = st.columns(1 + len(result.layer_variograms))
head_model = result.head_variograms[epoch] if len(result.head_variograms) > epoch else result.head_variogram
title = "Groundwater level" + ("" if st.session_state[keys.VARIOGRAM_POOLED] else f" on {dates[epoch]}")
cols[0].plotly_chart(variogram_figure(result.head_experimental, head_model, "m", title), key="head_variogram")
for col, (name, model) in zip(cols[1:], result.layer_variograms.items(), strict=True):
    unit = "m" if name == "thickness" else "log10(m/day)"
    col.plotly_chart(
        variogram_figure(result.layer_experimental[name], model, unit, name.capitalize()),
        key=f"{name}_variogram",
    )

st.subheader("Leave-one-out cross-validation")
tables.show(cv_table(result), decimals=3)
left, right = st.columns(2)
left.markdown("**Per acquisition date**")
with left:
    tables.show(result.head_cv.per_epoch, decimals=3, height=260)
right.markdown("**Worst wells**")
with right:
    tables.show(result.head_cv.worst(8), decimals=3)
tables.next_step("3 · Model — train or load the LSTM on these groundwater levels.")
