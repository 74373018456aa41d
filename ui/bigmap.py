"""The Streamlit side of maps of large areas: the cell statistic, the point index, the clicks.

Areas of more than :data:`subsidence.viz.aggregate.BIG_MAP_POINTS` points are drawn as cells; a
click on a cell zooms to the points around it, which are then clicked one by one
(docs/big-maps.md). :func:`ui.picks.pick_layers` calls :func:`big_layers` for such areas and
:func:`ui.picks.picking_map` hands their clicks to :func:`on_click`.

A click on a point keeps the same map widget (no fresh key, unlike small maps): a fresh widget
makes the browser build the whole deck.gl map again, about a second without a GPU. So the map
keeps Streamlit's selection (the point last clicked bright, the others faded) and the server
remembers it: an empty selection then means the selected point was clicked again (a click beside the points
selects the transparent ground, :data:`subsidence.viz.aggregate.GROUND_SELECTION`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from subsidence.io.studyarea import StudyArea
from subsidence.viz.aggregate import BIG_MAP_POINTS, STATS, BigView, PointIndex
from subsidence.viz.maps import selected_ids, selected_tile
from subsidence.viz.picking import toggle
from subsidence.viz.series_chart import series_chart
from ui import keys
from ui.text import escape_markdown, shorten

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
    index = point_index(f"{st.session_state.get(keys.AREA_KEY)}|{area.n_points}", *_columns(area))
    return {"big": BigView(index, str(stat), active)}


def static_layers(area: StudyArea, base_key: str) -> dict[str, Any]:
    """``ps_deck`` options for a map that does not pick: cells for a large area, else nothing."""
    return big_layers(area, base_key, None) if area.n_points > BIG_MAP_POINTS else {}


HELD = "bigmap_held"  # session state: {area|widget: the PS id the map's selection holds}


def on_click(base: str, widget: str, store: str = keys.PICKED) -> None:
    """Map callback of a large area's map: each click on a point adds it, or drops it when it is
    picked (the point stays selected on the map, and a second click on it is an empty selection);
    a click on the ground changes nothing; a click on a cell zooms to it (a fresh map,
    :func:`ui.picks.on_click`)."""
    from ui import picks

    event = st.session_state.get(widget)
    held = st.session_state.setdefault(HELD, {})
    where = f"{st.session_state.get(keys.AREA_KEY)}|{widget}"
    clicked = selected_ids(event)
    if clicked:
        picks.set_picked(toggle(picks.picked(store), clicked[:1]), store)
        held[where] = clicked[0]
        return
    was = held.pop(where, None)
    if selected_tile(event) is not None:
        picks.on_click(base, widget, store)
    elif was is not None and not _selection(event):  # the selected point was clicked again
        picks.set_picked(toggle(picks.picked(store), [was]), store)


def _selection(event: Any) -> dict[str, Any]:
    try:
        return dict(event["selection"]["indices"])
    except (KeyError, TypeError):
        return {}


def clear_chart(base: str, store: str) -> None:
    """Button callback: no point on the chart, and a fresh map (it drops the point it holds)."""
    from ui import picks

    picks.set_picked([], store)
    clicks = st.session_state.setdefault(keys.MAP_CLICKS, {})
    clicks[base] = clicks.get(base, 0) + 1


def series_panel(area: StudyArea, base: str, store: str) -> None:
    """Under a large area's map: the InSAR time series of the picked points (a Vega-Lite chart,
    :mod:`subsidence.viz.series_chart`), or how to get one."""
    from ui import picks

    index = point_index(f"{st.session_state.get(keys.AREA_KEY)}|{area.n_points}", *_columns(area))
    rows = index.rows_of(picks.picked(store), area.points["ps_id"])
    if not len(rows):
        st.caption("Click a point on the map to see its InSAR time series.")
        return
    frame, spec = series_chart(area, rows)
    st.vega_lite_chart(frame, spec, key="study_series", width="stretch")
    names = ", ".join(escape_markdown(shorten(area.points["ps_id"].iloc[i], 60)) for i in rows[:12])
    more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
    st.caption(
        f"On the chart: {names}{more}; the point last clicked stays bright on the map. "
        "Click a point again to take it off the chart."
    )
    st.button("Clear the chart", on_click=clear_chart, args=(base, store), key="study_clear")


def _columns(area: StudyArea) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pts = area.points
    return pts["lon"].to_numpy(float), pts["lat"].to_numpy(float), pts["ps_id"].to_numpy()


def is_big(area: StudyArea) -> bool:
    """Whether ``area``'s maps are drawn as cells (more than ``BIG_MAP_POINTS`` points)."""
    return area.n_points > BIG_MAP_POINTS
