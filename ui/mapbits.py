"""Small parts every point map shares: the basemap note and the scale bar / north arrow line."""

from __future__ import annotations

from typing import Any

import streamlit as st

from subsidence.viz.maps import scale_bar_html
from ui import keys

BASEMAP_NOTE = (
    "The street basemap is loaded from the internet (CARTO tiles): without a connection it stays blank, "
    "and the points, wells and picks still draw."
)


def basemap_on() -> bool:
    """Whether the sidebar's web basemap is on; when it is, say that it needs the internet."""
    on = bool(st.session_state.get(keys.BASEMAP, False))
    if on:
        st.caption(BASEMAP_NOTE)
    return on


def scale_bar(area: Any) -> None:
    """North arrow, scale bar and the extent's coordinates under a point map (offline HTML)."""
    pts = area.points
    st.markdown(
        scale_bar_html(pts["lon"].to_numpy(float), pts["lat"].to_numpy(float)),
        unsafe_allow_html=True,
    )
