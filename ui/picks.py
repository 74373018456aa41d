"""The planner's picked validation points: callbacks that keep them in session state."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.maps import selected_ids
from subsidence.picking import newly_clicked, parse_ids, random_ids, toggle
from ui import keys


def picked() -> list[str]:
    return list(st.session_state.get(keys.PICKED, []))


def sync_map_state() -> None:
    """Call before drawing a picking map: a map drawn afresh (after visiting another page) has
    an empty selection, so the next click must be compared with nothing."""
    if keys.RESULTS_MAP not in st.session_state:
        st.session_state[keys.MAP_SELECTION] = []


def on_map_select() -> None:
    """Map callback: a click adds the point under the cursor, a second click removes it."""
    now = selected_ids(st.session_state.get(keys.RESULTS_MAP))
    clicks = newly_clicked(st.session_state.get(keys.MAP_SELECTION, []), now)
    st.session_state[keys.MAP_SELECTION] = now
    st.session_state[keys.PICKED] = toggle(picked(), clicks)


def add_typed(known: Sequence[str]) -> None:
    """Button callback: add the ids typed in the box (an unknown id is reported, nothing added)."""
    try:
        wanted = parse_ids(st.session_state.get(keys.PICK_TEXT, ""), known)
    except SubsidenceError as exc:
        st.session_state[keys.PICK_ERROR] = str(exc)
        return
    st.session_state.pop(keys.PICK_ERROR, None)
    st.session_state[keys.PICKED] = list(dict.fromkeys(picked() + wanted))
    st.session_state[keys.PICK_TEXT] = ""


def add_random(test_ids: Sequence[str], seed: int = 0) -> None:
    """Button callback: the paper's 12 random validation points, from the test points."""
    st.session_state[keys.PICKED] = list(dict.fromkeys(picked() + random_ids(test_ids, 12, seed)))


def clear() -> None:
    st.session_state[keys.PICKED] = []


def on_box_select() -> None:
    """Box/lasso callback: add every selected point."""
    state = st.session_state.get(keys.PICK_MANY) or {}
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError):
        return
    chosen = [str(p["customdata"]) for p in points if p.get("customdata") is not None]
    st.session_state[keys.PICKED] = list(dict.fromkeys(picked() + chosen))


def save_with_model(folder: str) -> None:
    """Button callback: keep the picks beside the saved model they were made with."""
    from subsidence.picking import save_picks

    save_picks(folder, picked())
    st.toast(f"Saved {len(picked())} picked points with {folder}")


def restore_from_model(folder: str) -> None:
    """Button callback: replace the picks with those saved beside the model."""
    from subsidence.picking import load_picks

    st.session_state[keys.PICKED] = load_picks(folder)
