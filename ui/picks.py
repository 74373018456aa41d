"""The planner's picked validation points, kept per study area, and the one picking map.

Picking works click by click, with nothing drawn on hover: :func:`picking_map` draws the deck
in single-object selection mode and, after each click it handles, draws a fresh map widget
(a new key), so the map never holds a selection. Every click on a point therefore reaches the
server as that point alone: it is added, or dropped when already picked; a click on empty
ground changes nothing (measurements and reasons: docs/picking-and-session-state.md).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pydeck as pdk
import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.viz.aggregate import BIG_MAP_POINTS, held_selection
from subsidence.viz.maps import TILE_LAYER, selected_ids, selected_tile
from subsidence.viz.picking import (
    PICK_MAX_POINTS,
    PICKS_FILE,
    parse_ids,
    picking_tiles,
    random_ids,
    tile_boxes,
    toggle,
)
from ui import keys
from ui.area import per_area, set_per_area
from ui.text import escape_markdown, shorten


def picked(store: str = keys.PICKED) -> list[str]:
    """The picks of the study area now loaded (never those of another area)."""
    value = st.session_state.get(store)
    if isinstance(value, list):  # set directly (tests, older sessions): the current area's picks
        set_per_area(store, [str(v) for v in value])
    return list(per_area(store, []) or [])


def set_picked(ids: Sequence[str], store: str = keys.PICKED) -> None:
    set_per_area(store, list(dict.fromkeys(map(str, ids))))


def _map_key(base: str) -> str:
    clicks = st.session_state.setdefault(keys.MAP_CLICKS, {})
    return f"{base}-{clicks.get(base, 0)}"


def on_click(base: str, widget: str, store: str = keys.PICKED) -> None:
    """Map callback: the clicked point is added, or dropped when already picked; a click on a
    tile (large areas) zooms to it and makes its points clickable."""
    event = st.session_state.get(widget)
    clicked = selected_ids(event)
    tile = selected_tile(event)
    if clicked:
        set_picked(toggle(picked(store), clicked[:1]), store)
    elif tile is not None:
        _set_tile(base, tile)
    else:  # a click on empty ground: nothing changes
        return
    clicks = st.session_state.setdefault(keys.MAP_CLICKS, {})
    clicks[base] = clicks.get(base, 0) + 1  # the next run draws a fresh map with no selection


def _tile_key(base: str) -> str:
    return f"{st.session_state.get(keys.AREA_KEY)}|{base}"


def _set_tile(base: str, tile: int | None) -> None:
    st.session_state.setdefault(keys.PICK_TILE, {})[_tile_key(base)] = tile
    clicks = st.session_state.setdefault(keys.MAP_CLICKS, {})
    clicks[base] = clicks.get(base, 0) + 1


@st.cache_data(max_entries=8, show_spinner=False)
def _tiles(
    key: str, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    tile = picking_tiles(lon, lat)
    return tile, tile_boxes(lon, lat, tile)


def pick_layers(area: StudyArea, base_key: str) -> dict[str, Any]:
    """Arguments for :func:`subsidence.viz.maps.ps_deck` that make its points clickable.

    An area of more than :data:`subsidence.viz.picking.PICK_MAX_POINTS` points is cut into tiles:
    the map first shows them as rectangles; a click on one zooms to it and makes its points
    clickable (each click then stays fast in a browser without a GPU).
    """
    if area.n_points > BIG_MAP_POINTS:  # cells drawn on the server, points near a clicked one
        from ui.bigmap import big_layers

        return big_layers(area, base_key, st.session_state.get(keys.PICK_TILE, {}).get(_tile_key(base_key)))
    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    if area.n_points <= PICK_MAX_POINTS:
        return {}
    tile, boxes = _tiles(str(st.session_state.get(keys.AREA_KEY)), lon, lat)
    active = st.session_state.get(keys.PICK_TILE, {}).get(_tile_key(base_key))
    if active is None or active >= len(boxes):
        return {"pickable": np.zeros(area.n_points, bool), "tiles": boxes}
    return {"pickable": tile == active, "tiles": boxes, "view": boxes[active]}


def picking_map(deck: pdk.Deck, base_key: str, height: int = 520, store: str = keys.PICKED) -> None:
    """Draw ``deck`` (from :func:`subsidence.viz.maps.ps_deck`) as the map that picks points.

    ``base_key`` names the map of one page (``keys.RESULTS_MAP``, ``keys.COMPARE_MAP``, …);
    clicks toggle ids in ``store`` (per study area; the validation picks by default).
    """
    widget = _map_key(base_key)
    from ui.reference import on_deck

    deck = on_deck(deck)  # the reference point, on every picking map
    from ui import bigmap  # a large area's map keeps its widget across point clicks (ui.bigmap)

    handler = bigmap.on_click if held_selection(deck) else on_click
    st.pydeck_chart(
        deck,
        on_select=functools.partial(handler, base_key, widget, store),
        selection_mode="single-object",
        key=widget,
        height=height,
    )
    tiled = any(getattr(layer, "id", "") == TILE_LAYER for layer in deck.layers)
    if tiled:
        active = st.session_state.get(keys.PICK_TILE, {}).get(_tile_key(base_key))
        if active is None:
            st.caption("This area has too many points to click at once: click a rectangle to zoom in to it.")
        else:
            left, right = st.columns([3, 1])
            left.caption(
                "Click a point to pick it, click it again to drop it; click another rectangle to move."
            )
            right.button("Whole area", on_click=_set_tile, args=(base_key, None), key=f"{base_key}-whole")


def picks_caption(ids: Sequence[str]) -> str:
    """ "Picked N: id, id, …" with the ids escaped (shown as typed, never as Markdown)."""
    return f"Picked {len(ids)}: " + ", ".join(escape_markdown(shorten(i, 60)) for i in ids)


def add_typed(known: Sequence[str]) -> None:
    """Button callback: add the ids typed in the box (an unknown id is reported, nothing added)."""
    try:
        wanted = parse_ids(st.session_state.get(keys.PICK_TEXT, ""), known)
    except SubsidenceError as exc:
        st.session_state[keys.PICK_ERROR] = escape_markdown(shorten(str(exc), 300))
        return
    st.session_state.pop(keys.PICK_ERROR, None)
    set_picked(picked() + wanted)
    st.session_state[keys.PICK_TEXT] = ""


def add_random(test_ids: Sequence[str], seed: int = 0) -> None:
    """Button callback: the paper's 12 random validation points, from the test points."""
    set_picked(picked() + random_ids(test_ids, 12, seed))


def clear() -> None:
    set_picked([])


def on_box_select() -> None:
    """Box/lasso callback: add every selected point."""
    state = st.session_state.get(keys.PICK_MANY) or {}
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError):
        return
    chosen = [str(p["customdata"]) for p in points if p.get("customdata") is not None]
    set_picked(picked() + chosen)


def save_with_model(folder: str) -> None:
    """Button callback: keep the picks beside the saved model they were made with."""
    from subsidence.viz.picking import save_picks

    save_picks(folder, picked())
    st.toast(f"Saved {len(picked())} picked points with the model")


def restore_from_model(folder: str) -> None:
    """Button callback: replace the picks with those saved beside the model."""
    from subsidence.viz.picking import load_picks

    set_picked(load_picks(folder))


def known_only(ids: Sequence[str], known: np.ndarray | Sequence[Any]) -> list[str]:
    """``ids`` that are points of the area (picks restored from a model may name others)."""
    have = set(map(str, known))
    return [i for i in ids if i in have]


def pick_controls(ids: np.ndarray, test_ids: np.ndarray, model_source: str) -> None:
    """Pick by typed id, the paper's 12 random test points, clear, and picks saved beside a model."""
    st.text_input("Pick by id", key=keys.PICK_TEXT, placeholder="e.g. PS000123, PS000456")
    st.button("Add", on_click=add_typed, args=(list(map(str, ids)),), key="pick_add")
    st.button(
        "12 random test points", on_click=add_random, args=(list(map(str, test_ids)),), key="pick_random"
    )
    st.button("Clear picks", on_click=clear, key="pick_clear")
    folder = Path(model_source)
    if folder.is_dir():
        st.button(
            "Save picks with the model", on_click=save_with_model, args=(model_source,), key="pick_save"
        )
        if (folder / PICKS_FILE).is_file():
            st.button(
                "Restore the model's picks",
                on_click=restore_from_model,
                args=(model_source,),
                key="pick_restore",
            )
    if st.session_state.get(keys.PICK_ERROR):
        st.error(st.session_state[keys.PICK_ERROR])


def box_picker(area: StudyArea, values: np.ndarray, label: str) -> None:
    """Behind a toggle: a scatter of the points on which a box or lasso picks many at once."""
    from subsidence.viz.figures import pick_scatter

    if st.toggle("Pick many with box or lasso", key=keys.PICK_MANY_ON):
        st.plotly_chart(
            pick_scatter(area, values, label, picked()),
            key=keys.PICK_MANY,
            on_select=on_box_select,
            selection_mode=("box", "lasso"),
        )
