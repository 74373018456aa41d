"""Study area: every PS point on a map, the wells, a summary and a data-quality report."""

from __future__ import annotations

import streamlit as st

from subsidence.figures import insar_series_figure
from subsidence.maps import colour_range, legend_html, ps_deck, selected_ids
from subsidence.report import area_summary, quality_table
from ui import keys
from ui.area import study_area_sidebar

st.set_page_config(page_title="Study area", page_icon="🗺️", layout="wide")
area = study_area_sidebar()
if area is None:
    st.stop()

st.title(f"Study area · {area.name}")
facts = area_summary(area)
cols = st.columns(5)
cols[0].metric("PS points", f"{facts['n_points']:,}")
cols[1].metric("Acquisitions", facts["n_epochs"])
cols[2].metric("Wells", facts["n_wells"])
cols[3].metric("Extent", f"{facts['extent_km'][0]} × {facts['extent_km'][1]} km")
cols[4].metric("Max cumulative", f"{facts['max_cumulative_mm']:.0f} mm")

dates = [d.date() for d in area.dates]
when = st.select_slider("Cumulative subsidence at", options=dates, value=dates[-1], key=keys.STUDY_EPOCH)
k = dates.index(when)
values = area.subsidence_mm[:, k]
vmin, vmax = colour_range(area.subsidence_mm[:, -1])
deck = ps_deck(
    area,
    values,
    label=f"cumulative subsidence on {when}",
    value_range=(vmin, vmax),
    picked=st.session_state.get(keys.STUDY_PICKED, []),
    basemap=st.session_state.get(keys.BASEMAP, False),
)
event = st.pydeck_chart(
    deck, on_select="rerun", selection_mode="single-object", key=keys.STUDY_MAP, height=520
)
st.markdown(
    legend_html(
        vmin, vmax, f"cumulative subsidence since {dates[0]} (mm, down positive) · black dots: wells"
    ),
    unsafe_allow_html=True,
)

picked = selected_ids(event)
if picked:
    st.session_state[keys.STUDY_PICKED] = picked
picked = st.session_state.get(keys.STUDY_PICKED, [])
if picked:
    st.plotly_chart(insar_series_figure(area, picked), key="study_series")
else:
    st.caption("Click a point on the map to see its InSAR time series.")

left, right = st.columns(2)
with left:
    st.subheader("Data quality")
    st.dataframe(quality_table(area), hide_index=True, width="stretch")
with right:
    st.subheader("Notes from loading")
    for note in facts["notes"] or ["No remarks."]:
        st.markdown(f"- {note}")
    st.caption(f"Source: {area.source} · CRS {area.crs} (distances in {area.work_crs})")
