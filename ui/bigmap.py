"""The Streamlit side of maps of large areas: the cell statistic chosen, the point index cached.

Areas of more than :data:`subsidence.viz.aggregate.BIG_MAP_POINTS` points are drawn as cells; a
click on a cell zooms to the points around it, which are then clicked one by one
(docs/big-maps.md). :func:`ui.picks.pick_layers` calls :func:`big_layers` for such areas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from subsidence.io.studyarea import StudyArea
from subsidence.viz.aggregate import STATS, BigView, PointIndex
from ui import keys

STAT_LABELS = {"mean": "mean", "max": "largest", "count": "number of points"}


@st.cache_resource(max_entries=4, show_spinner=False)
def point_index(key: str, _lon: np.ndarray, _lat: np.ndarray, _ids: np.ndarray) -> PointIndex:
    """The area's cell grid, k-d tree and id index, built once per area (``key``: path#fingerprint)."""
    return PointIndex(_lon, _lat, _ids)


def big_layers(area: StudyArea, base_key: str, active: int | None) -> dict[str, Any]:
    """``big=`` for :func:`subsidence.viz.maps.ps_deck`, with the statistic the user picks for the cells."""
    stat = st.radio(
        "Cells show the",
        STATS,
        format_func=lambda s: STAT_LABELS[s],
        horizontal=True,
        key=f"{base_key}-cell-stat",
        help=f"This area has {area.n_points:,} points: the whole-area map shows cells, "
        "each coloured by the statistic of the points in it (of the quantity the map shows).",
    )
    key = f"{st.session_state.get(keys.AREA_KEY)}|{area.n_points}"
    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    index = point_index(key, lon, lat, area.points["ps_id"].to_numpy())
    return {"big": BigView(index, str(stat), active)}


def static_layers(area: StudyArea, base_key: str) -> dict[str, Any]:
    """``ps_deck`` options for a map that does not pick: cells for a large area, else nothing."""
    from subsidence.viz.aggregate import BIG_MAP_POINTS

    return big_layers(area, base_key, None) if area.n_points > BIG_MAP_POINTS else {}
