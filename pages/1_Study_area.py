"""Study area: every PS point on a map, the wells, a summary and a data-quality report."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from subsidence.figures import insar_series_figure
from subsidence.maps import colour_range, is_degenerate, legend_html
from subsidence.report import area_summary, quality_table
from ui import cache, keys, picks
from ui.area import study_area_sidebar
from ui.text import escape_markdown, shorten

st.set_page_config(page_title="Study area", page_icon="🗺️", layout="wide")
area = study_area_sidebar()
if area is None:
    st.stop()

st.title(f"Study area · {escape_markdown(shorten(area.name, 120))}")
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
flat = is_degenerate(vmin, vmax)
deck = cache.ps_deck(
    area,
    values,
    label=f"cumulative subsidence on {when}",
    value_range=(vmin, vmax),
    picked=picks.picked(keys.STUDY_PICKED),
    basemap=st.session_state.get(keys.BASEMAP, False),
    degenerate=flat,
    **picks.pick_layers(area, keys.STUDY_MAP),
)
picks.picking_map(deck, keys.STUDY_MAP, store=keys.STUDY_PICKED)
st.markdown(
    legend_html(
        vmin,
        vmax,
        f"Cumulative subsidence since {dates[0]}, down positive · black dots: wells",
        unit="mm",
        degenerate=flat,
    ),
    unsafe_allow_html=True,
)

shown = [p for p in picks.picked(keys.STUDY_PICKED) if p in set(area.points["ps_id"].astype(str))]
if shown:
    st.plotly_chart(insar_series_figure(area, shown), key="study_series")
    st.caption("Click a point again to take it off the chart.")
    st.button("Clear the chart", on_click=picks.set_picked, args=([], keys.STUDY_PICKED), key="study_clear")
else:
    st.caption("Click a point on the map to see its InSAR time series.")

left, right = st.columns(2)
with left:
    st.subheader("Data quality")
    st.dataframe(quality_table(area), hide_index=True, width="stretch")
with right:
    st.subheader("Notes from loading")
    for note in facts["notes"] or ["No remarks."]:
        st.markdown(f"- {escape_markdown(shorten(note, 400))}")
    st.caption(
        f"Source: {escape_markdown(shorten(Path(str(area.source)).name, 120))} · CRS {area.crs} "
        f"(distances in {area.work_crs})"
    )
