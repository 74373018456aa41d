"""Study area: every PS point on a map, the wells, a summary and a data-quality report."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from subsidence.viz.figures import insar_series_figure
from subsidence.viz.maps import colour_range, is_degenerate, legend_html
from ui import bigmap, cache, keys, mapbits, picks, summaries, tables
from ui.area import study_area_sidebar
from ui.text import escape_markdown, shorten

st.set_page_config(page_title="Study area", page_icon="🗺️", layout="wide")
area = study_area_sidebar()
if area is None:
    st.stop()

st.title(f"Study area · {escape_markdown(shorten(area.name, 120))}")
facts = summaries.area_summary(area)
cols = st.columns(5)
cols[0].metric("PS points", f"{facts['n_points']:,}")
cols[1].metric("Acquisitions", facts["n_epochs"])
cols[2].metric("Wells", facts["n_wells"])
cols[3].metric("Extent", f"{facts['extent_km'][0]} × {facts['extent_km'][1]} km")
cols[4].metric("Max cumulative", f"{facts['max_cumulative_mm']:.0f} mm")

dates = [d.date() for d in area.dates]
layer = st.radio(
    "Colour by", ["cumulative subsidence (mm)", "velocity (mm/yr)"], horizontal=True, key="study_layer"
)
if layer.startswith("velocity"):  # a static layer: no acquisition slider
    values, unit, label = summaries.velocity(area), "mm/yr", "velocity (linear rate)"
    vmin, vmax = colour_range(values)
    title = f"Velocity {dates[0]} to {dates[-1]}, down positive · black dots: wells"
else:
    when = st.select_slider("Cumulative subsidence at", options=dates, value=dates[-1], key=keys.STUDY_EPOCH)
    values, unit, label = area.subsidence_mm[:, dates.index(when)], "mm", f"cumulative subsidence on {when}"
    vmin, vmax = colour_range(area.subsidence_mm[:, -1])
    title = f"Cumulative subsidence since {dates[0]}, down positive · black dots: wells"
flat = is_degenerate(vmin, vmax)
big = bigmap.is_big(area)  # cells; the map shows the point last clicked, the chart every shown one
deck = cache.ps_deck(
    area,
    values,
    label=label,
    unit=unit,
    value_range=(vmin, vmax),
    picked=[] if big else picks.picked(keys.STUDY_PICKED),
    basemap=mapbits.basemap_on(),
    degenerate=flat,
    **picks.pick_layers(area, keys.STUDY_MAP),
)
picks.picking_map(deck, keys.STUDY_MAP, store=keys.STUDY_PICKED)
mapbits.scale_bar(area)
st.markdown(legend_html(vmin, vmax, title, unit=unit, degenerate=flat), unsafe_allow_html=True)

if big:  # a Vega-Lite chart: drawn within a second of the click in a browser without a GPU
    bigmap.series_panel(area, keys.STUDY_MAP, keys.STUDY_PICKED)
else:
    known = area.points["ps_id"].astype(str).to_numpy()  # compared, not put in a set
    shown = [p for p in picks.picked(keys.STUDY_PICKED) if (known == p).any()]
    if shown:
        st.plotly_chart(insar_series_figure(area, shown), key="study_series")
        st.caption("Click a point again to take it off the chart.")
        st.button(
            "Clear the chart", on_click=picks.set_picked, args=([], keys.STUDY_PICKED), key="study_clear"
        )
    else:
        st.caption("Click a point on the map to see its InSAR time series.")

left, right = st.columns(2)
with left:
    st.subheader("Data quality")
    tables.show(summaries.quality_table(area), width="stretch")
with right:
    st.subheader("Notes from loading")
    for note in facts["notes"] or ["No remarks."]:
        st.markdown(f"- {escape_markdown(shorten(note, 400))}")
    st.caption(
        f"Source: {escape_markdown(shorten(Path(str(area.source)).name, 120))} · CRS {area.crs} "
        f"(distances in {area.work_crs})"
    )
tables.next_step(
    "2 · Interpolation — check how the wells' groundwater levels are interpolated to every point."
)
