"""Links that restore the view: the address's query parameters follow the session's state.

Every run of every page writes the view (study area, saved model, reference, picks, epoch,
scenarios; the page is the address's path) into ``st.query_params`` from the session's plain
state, so the address bar always holds a link to what is on screen. The parameters are read
back (and the view restored) when a session starts on a link, and when they change under the
app: Streamlit clears them when the page changes, and the browser's back button brings back
older ones, which are then restored. Pure encoding: :mod:`subsidence.planning.viewlink`.

Only bundles in the server's data folder and saved models in its models folder can be named
in a link; an uploaded area or a model trained in the session exists only in the session that
made it, so a link opened elsewhere falls back to the default area or model (said on screen).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.planning.viewlink import MAX_LINK_PICKS, PARAMS, View, decode, encode
from subsidence.reference import parse_reference
from ui import keys
from ui.text import escape_markdown, shorten

LAST = "link_last"  # the parameters this session wrote last
STARTED = "link_started"  # the session has read its start-up link
PENDING = "link_pending"  # the view being restored in this run
NOTE = "link_note"  # what a link could not restore, in words
EPOCH_KEYS = (keys.STUDY_EPOCH, keys.RESULTS_EPOCH, keys.INTERP_EPOCH)
EPOCH_SEEN = "link_epoch_seen"  # last value seen per epoch widget
KEPT = "link_kept"  # epoch / scenarios / shown, kept outside the widgets (they leave with their page)


def _params_now() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in PARAMS if k in st.query_params}


def incoming() -> View | None:
    """The view to restore in this run: the link a session starts on, or older parameters the
    back button brought back; None when the address holds what this session wrote."""
    params = _params_now()
    first = not st.session_state.get(STARTED)
    st.session_state[STARTED] = True
    if not params or (not first and params == st.session_state.get(LAST)):
        st.session_state.pop(PENDING, None)
        return None
    view = decode(params)
    st.session_state[PENDING] = view
    return view


def restore_area(view: View | None, names: list[str], data_dir: Path) -> None:
    """Choose the link's bundle (by folder name among the server's bundles)."""
    if view is None or not view.area:
        return
    if view.area in names:
        st.session_state[keys.AREA_PATH] = str(data_dir / view.area)
        st.session_state[keys.AREA_SELECTED] = view.area
    else:
        st.session_state[NOTE] = (
            f"The link names the study area {view.area!r}, which is not on this server (an uploaded area "
            "exists only in the session that uploaded it): the default area is shown."
        )


def restore_state(area: StudyArea) -> None:
    """Restore the link's reference, picks, epoch and scenarios on the area now loaded."""
    view = st.session_state.get(PENDING)
    if not isinstance(view, View):
        return
    from ui import reference

    try:
        reference.set_current(parse_reference(view.reference))
    except SubsidenceError as exc:
        st.session_state[NOTE] = f"The link's reference cannot be used: {exc}"
    known = set(area.points["ps_id"].astype(str))
    store = st.session_state.get(keys.PICKED)
    store = dict(store) if isinstance(store, dict) else {}
    store[st.session_state.get(keys.AREA_KEY)] = [p for p in view.picks if p in known]
    st.session_state[keys.PICKED] = store
    kept = st.session_state.setdefault(KEPT, {})
    dates = {d.date().isoformat(): d.date() for d in area.dates}
    if view.epoch in dates:
        for k in EPOCH_KEYS:
            st.session_state[k] = dates[view.epoch]
        st.session_state[EPOCH_SEEN] = {k: dates[view.epoch] for k in EPOCH_KEYS}
        kept["epoch"] = view.epoch
    if view.scenarios:
        from subsidence.planning.scenarios import PRESETS

        options = {s.name for s in PRESETS} | {"custom rate", "zone of wells", "heads from a CSV"}
        chosen = [s for s in view.scenarios if s in options]
        if chosen:
            st.session_state[keys.SCENARIOS] = chosen
            kept["scenarios"] = chosen
            if view.shown in chosen and view.shown in {s.name for s in PRESETS}:
                st.session_state[keys.SCENARIO_SHOWN] = view.shown
                kept["shown"] = view.shown


def restore_model(area: StudyArea) -> None:
    """Load the link's saved model (by folder name among the server's saved models)."""
    view = st.session_state.pop(PENDING, None)
    if not isinstance(view, View) or not view.model:
        return
    from ui import cache
    from ui.models import MODELS_DIR, load_saved, set_current

    path = MODELS_DIR / view.model
    try:
        if not path.exists():
            raise SubsidenceError(f"no saved model {view.model!r} on this server")
        set_current(load_saved(path, area, cache.series_for(area)))
    except SubsidenceError as exc:
        st.session_state[NOTE] = f"The link's model cannot be loaded: {exc}"


def _model_name(area: StudyArea) -> str:
    from ui.cache import area_key
    from ui.models import MODELS_DIR, SHIPPED

    store = st.session_state.get(keys.CURRENT_MODEL)
    model = store.get(area_key(area)) if isinstance(store, dict) else None
    source = Path(str(getattr(model, "source", "")))
    if model is None or source.parent != MODELS_DIR or source.name == SHIPPED:
        return ""
    return source.name


def _track() -> dict[str, Any]:
    """Epoch and scenarios kept outside their widgets (a widget's state goes with its page)."""
    kept = st.session_state.setdefault(KEPT, {})
    seen = st.session_state.setdefault(EPOCH_SEEN, {})
    for k in EPOCH_KEYS:
        value = st.session_state.get(k)
        if isinstance(value, dt.date) and seen.get(k) != value:
            seen[k] = value
            kept["epoch"] = value.isoformat()
    if isinstance(st.session_state.get(keys.SCENARIOS), list):
        kept["scenarios"] = [str(s) for s in st.session_state[keys.SCENARIOS]]
    if st.session_state.get(keys.SCENARIO_SHOWN):
        kept["shown"] = str(st.session_state[keys.SCENARIO_SHOWN])
    return dict(kept)


def current_view(area: StudyArea, data_dir: Path) -> View:
    """The view on screen, from the session's plain state."""
    from ui import reference

    path = Path(str(st.session_state.get(keys.AREA_PATH, "")))
    store = st.session_state.get(keys.PICKED)
    picks = store.get(st.session_state.get(keys.AREA_KEY), []) if isinstance(store, dict) else []
    kept = _track()
    ref = reference.current()
    return View(
        area=path.name if path.parent == data_dir else "",
        model=_model_name(area),
        reference="" if ref.kind == "none" else ref.key,
        picks=tuple(map(str, picks or ())),
        epoch=str(kept.get("epoch", "")),
        scenarios=tuple(kept.get("scenarios", ())),
        shown=str(kept.get("shown", "")),
    )


def write(area: StudyArea, data_dir: Path) -> None:
    """Put the view in the address bar, and the "Link to this view" box in the sidebar."""
    view = current_view(area, data_dir)
    params, now = encode(view), _params_now()
    # After a page change the address has no parameters: they are written again only when the view
    # changes, so a page change stays one history entry and the back button goes back a page.
    if params != now and (now or params != st.session_state.get(LAST)):
        st.query_params.from_dict(params)
    st.session_state[LAST] = params
    base = (st.context.url or "").split("?")[0]
    url = f"{base}?{urlencode(params, doseq=True)}" if params else base
    with st.sidebar.expander("Link to this view"):
        st.code(url or "(open the app in a browser for its address)", language=None, wrap_lines=True)
        st.caption(
            "Copy it with the button at the box's corner. It opens this page with the same study area, model, "
            "reference, picks, date and scenarios on this server."
            + (
                f" Only the first {MAX_LINK_PICKS} picks are in it."
                if len(view.picks) > MAX_LINK_PICKS
                else ""
            )
            + ("" if view.area else " An uploaded area is not in it: it exists only in this session.")
        )
    if st.session_state.get(NOTE):
        st.warning(escape_markdown(shorten(str(st.session_state.pop(NOTE)), 400)))
