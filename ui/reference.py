"""The reference point in the sidebar: chosen per study area, kept across pages, shown on every page.

The choice lives in a plain session-state store keyed by the bundle (``keys.AREA_KEY``), never
only in a widget (Streamlit drops a widget's state when the page changes); the widgets are
seeded from it on every run, like the model period (``ui.area._apply_period``). The area the
pages get has every displacement made relative to the reference
(:func:`subsidence.reference.apply_reference`); kriged heads and the layers do not depend on it.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.reference import (
    BOX,
    NONE,
    POINT,
    Reference,
    apply_reference,
    in_box,
    marker_layer,
    reference_label,
)
from ui import keys
from ui.text import escape_markdown, shorten

BY_AREA = "reference_by_area"  # per area: the Reference applied
MODE_BY_AREA = "reference_mode_by_area"  # per area: the mode chosen in the radio
MODE = "reference_mode"  # widget: radio
POINT_ID = "reference_point_id"  # widget: selectbox (or text box on large areas)
BOX_KEYS = ("reference_lon_min", "reference_lat_min", "reference_lon_max", "reference_lat_max")
MODES = {NONE: "None (as delivered)", POINT: "A PS point", BOX: "Median of the points in a box"}
MARKER = "reference_marker"  # this run's pydeck marker layer (ui.picks adds it to the picking maps)
MAX_LISTED = 5000  # above this many points the id is typed, not chosen from a list


def _store(name: str) -> dict[str, Any]:
    store = st.session_state.get(name)
    if not isinstance(store, dict):
        store = {}
        st.session_state[name] = store
    return store


def current() -> Reference:
    """The reference chosen for the study area now loaded (``none`` until one is chosen)."""
    found = _store(BY_AREA).get(st.session_state.get(keys.AREA_KEY))
    return found if isinstance(found, Reference) else Reference()


def set_current(ref: Reference) -> None:
    """Choose ``ref`` for the study area now loaded (other areas keep theirs)."""
    _store(BY_AREA)[st.session_state.get(keys.AREA_KEY)] = ref
    _store(MODE_BY_AREA)[st.session_state.get(keys.AREA_KEY)] = ref.kind


def _mode() -> str:
    found = _store(MODE_BY_AREA).get(st.session_state.get(keys.AREA_KEY))
    return str(found) if found in MODES else current().kind


def _on_mode() -> None:
    chosen = next((k for k, v in MODES.items() if v == st.session_state.get(MODE)), NONE)
    _store(MODE_BY_AREA)[st.session_state.get(keys.AREA_KEY)] = chosen
    if chosen == NONE:
        set_current(Reference())


def _on_point() -> None:
    chosen = str(st.session_state.get(POINT_ID) or "").strip()
    if chosen:
        set_current(Reference(POINT, ps_id=chosen))


def _use_last_pick(ps_id: str) -> None:
    set_current(Reference(POINT, ps_id=ps_id))


def _use_box() -> None:
    try:
        box = tuple(float(st.session_state[k]) for k in BOX_KEYS)
        set_current(Reference(BOX, box=(box[0], box[1], box[2], box[3])))
    except (SubsidenceError, KeyError, TypeError, ValueError) as exc:
        st.session_state["reference_error"] = str(exc)


def _default_box(area: StudyArea) -> tuple[float, float, float, float]:
    """The middle tenth of the area (a start for the user to edit)."""
    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    cx, cy = (lon.min() + lon.max()) / 2, (lat.min() + lat.max()) / 2
    dx, dy = (lon.max() - lon.min()) / 20, (lat.max() - lat.min()) / 20
    return (round(cx - dx, 5), round(cy - dy, 5), round(cx + dx, 5), round(cy + dy, 5))


def controls(area: StudyArea, picked: list[str]) -> None:
    """Sidebar controls: none, a PS point (listed, typed, or the last picked) or a box median."""
    ref, mode = current(), _mode()
    st.session_state[MODE] = MODES[mode]  # re-seeded every run: the choice lives in the store
    with st.sidebar.expander(
        f"Reference point: {escape_markdown(shorten(ref.label, 40))}", expanded=ref.kind != NONE
    ):
        st.radio("Displacements relative to", list(MODES.values()), key=MODE, on_change=_on_mode)
        if mode == POINT:
            ids = area.points["ps_id"].astype(str).tolist()
            if ref.kind == POINT:
                st.session_state[POINT_ID] = ref.ps_id
            if len(ids) <= MAX_LISTED:
                if st.session_state.get(POINT_ID) not in ids:
                    st.session_state[POINT_ID] = None
                st.selectbox("PS point (type to search)", ids, key=POINT_ID, on_change=_on_point, index=None)
            else:
                st.text_input("PS id", key=POINT_ID, on_change=_on_point)
            if picked:
                st.button(
                    f"Use the last picked point ({escape_markdown(shorten(picked[-1], 30))})",
                    on_click=_use_last_pick,
                    args=(picked[-1],),
                    key="reference_last_pick",
                )
        elif mode == BOX:
            box = ref.box if ref.kind == BOX and ref.box is not None else _default_box(area)
            left, right = st.columns(2)
            for col, k, label, v in zip(
                (left, left, right, right),
                BOX_KEYS,
                ("Lon min (°)", "Lat min (°)", "Lon max (°)", "Lat max (°)"),
                box,
                strict=True,
            ):
                st.session_state.setdefault(k, float(v))
                col.number_input(label, key=k, format="%.5f", step=0.001)
            st.button("Use this box", on_click=_use_box, key="reference_use_box")
            if st.session_state.get("reference_error"):
                st.error(escape_markdown(shorten(str(st.session_state.pop("reference_error")), 300)))
        st.caption(
            "Every map, curve, table, model input, export and forecast follows the reference. Kriged heads and "
            "the geology layers do not depend on it; a model trained with another reference says so."
        )


@st.cache_resource(show_spinner="Applying the reference point…", max_entries=8)
def _referenced(area_key: str, ref: Reference, _area: StudyArea) -> StudyArea:
    return apply_reference(_area, ref)


def apply(area: StudyArea, picked: list[str]) -> StudyArea:
    """The sidebar's reference controls, and ``area`` made relative to the chosen reference.

    A reference that cannot be used (an id not in the area, an empty box) is reported in the
    sidebar and the area is returned as delivered.
    """
    controls(area, picked)
    ref = current()
    st.session_state[MARKER] = None
    if ref.kind == NONE:
        return area
    try:
        referenced = _referenced(f"{area.source}#{area.fingerprint}", ref, area)
    except SubsidenceError as exc:
        st.sidebar.error(f"The reference cannot be used: {escape_markdown(shorten(str(exc), 300))}")
        return area
    st.session_state[MARKER] = marker_layer(area, ref)
    return referenced


def caption(area: StudyArea) -> None:
    """The line at the top of every page naming the reference (none: the sidebar says so)."""
    if reference_label(area) == Reference().label:
        return
    st.caption(
        f"Reference: {escape_markdown(shorten(reference_label(area), 160))} (all displacements relative to it)"
    )


def marker() -> Any:
    """The pydeck layer marking the reference on this run's maps (None for "none")."""
    return st.session_state.get(MARKER)


def model_line(model: Any, area: StudyArea) -> None:
    """One plain line where the model was trained with another reference than the one now chosen."""
    from pathlib import Path

    source = getattr(model, "source", "")
    if model is None or not source or not Path(source).exists():
        return  # trained in this session: kept per area and reference, so it always matches
    from subsidence.models.model_checks import read_meta

    try:
        trained = str(read_meta(source).get("reference") or Reference().label)
    except (SubsidenceError, OSError):
        return
    now = reference_label(area)
    if trained != now:
        st.info(
            f"The model was trained with reference {escape_markdown(shorten(trained, 120))}; "
            f"retrain to use {escape_markdown(shorten(now, 120))}."
        )


@st.cache_resource(show_spinner=False, max_entries=8)
def _position_km(identity: str, ref: Reference, _area: StudyArea) -> tuple[float, float] | None:
    """Where the reference sits on the area's metric maps (km), once per area and reference."""
    if ref.kind == POINT:
        inside = _area.points["ps_id"].astype(str).to_numpy() == ref.ps_id
    elif ref.box is not None:
        inside = in_box(_area, ref.box)
    else:
        return None
    if not inside.any():
        return None
    x, y = (float(np.median(_area.points[c].to_numpy()[inside])) / 1000 for c in ("x", "y"))
    return x, y


def on_figure(fig: Any, area: StudyArea) -> Any:
    """``fig`` (a plotly map in km of the area's metric CRS) with the reference marked, if any."""
    import plotly.graph_objects as go

    from ui.cache import area_identity

    ref = current()
    where = _position_km(area_identity(area), ref, area)
    if where is None:
        return fig
    fig.add_trace(
        go.Scatter(
            x=[where[0]],
            y=[where[1]],
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": "white", "line": {"color": "black", "width": 2}},
            name="reference",
            hovertemplate=f"reference: {html.escape(shorten(ref.label, 80))}<extra></extra>",
        )
    )
    return fig


def on_deck(deck: Any) -> Any:
    """``deck`` with the reference marker on top (a copy when the map is a cached one)."""
    from ui.cache import with_layer

    layer = marker()
    return deck if layer is None else with_layer(deck, layer)
