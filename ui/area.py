"""The study-area picker in the sidebar, the uploads kept for the session, and the model period.

The area a session works with lives in plain session-state keys (never only in a widget's
state: Streamlit drops a widget's state when the page changes), and the sidebar widgets are
seeded from them on every run. Uploaded bundles are kept on the server, one folder per
session, so choosing them again needs no re-upload; they are deleted when replaced, and
every session folder unused for :data:`MAX_AGE_H` hours is deleted at the next upload.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from subsidence import coverage
from subsidence.errors import SubsidenceError
from subsidence.io.atomic import atomic_write
from subsidence.io.reader import list_bundles, load_study_area
from subsidence.io.studyarea import StudyArea
from ui import keys, links, reference
from ui.errors import error_line
from ui.text import escape_markdown, shorten

DATA_DIR = Path(os.environ.get("SUBSIDENCE_DATA_DIR", Path(__file__).parents[1] / "data"))
DEFAULT_BUNDLE = os.environ.get("SUBSIDENCE_BUNDLE", "demo_beijing")
UPLOAD = "Upload a bundle (.zip)…"
MAX_UPLOAD_MB = 200
MAX_UPLOADS = 5  # kept per session; the oldest is dropped beyond this
MAX_AGE_H = 24.0  # a session's uploads unused this long are deleted
UPLOAD_ROOT = Path(
    os.environ.get("SUBSIDENCE_UPLOAD_DIR", Path(tempfile.gettempdir()) / "subsidence-uploads")
)


@st.cache_resource(show_spinner="Loading the study area…", max_entries=4)
def load_area(path: str, mtime: float) -> StudyArea:
    """Load a bundle once per path and modification time (StudyArea is frozen: never mutated)."""
    return load_study_area(path)


def _mtime(path: str) -> float:
    return Path(path).stat().st_mtime


def _default_path(bundles: list[Path]) -> str:
    named = [b for b in bundles if b.name == DEFAULT_BUNDLE]
    return str((named or bundles)[0]) if bundles else ""


# --- uploads kept per session ---------------------------------------------------------------


def session_id() -> str:
    """This browser session's id (Streamlit's, so that clean-up can tell when it has ended)."""
    if keys.SESSION_ID not in st.session_state:
        try:
            from streamlit.runtime.scriptrunner import get_script_run_ctx

            ctx = get_script_run_ctx()
            sid = ctx.session_id if ctx is not None else ""
        except ImportError:  # pragma: no cover
            sid = ""
        st.session_state[keys.SESSION_ID] = sid if sid.replace("-", "").isalnum() else uuid.uuid4().hex
    return str(st.session_state[keys.SESSION_ID])


def active_sessions() -> set[str] | None:
    """Ids of the browser sessions connected now (None outside a Streamlit server)."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        return {s.session.id for s in Runtime.instance()._session_mgr.list_active_sessions()}
    except Exception:  # noqa: BLE001 - no clean-up by session is better than a failed upload
        return None


def session_folder() -> Path:
    return UPLOAD_ROOT / session_id()


def clean_stale_uploads(
    root: Path = UPLOAD_ROOT,
    max_age_h: float = MAX_AGE_H,
    now: float | None = None,
    active: set[str] | None = None,
    ended_after_s: float = 600.0,
) -> list[Path]:
    """Delete upload folders of ended sessions and those unused for ``max_age_h`` hours.

    A folder is deleted when it has not been used for ``max_age_h`` hours, or when ``active``
    (the ids of connected sessions) is given, its session is not among them and it has not
    been used for ``ended_after_s`` seconds (a closed or reloaded tab). Returns what was deleted.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        try:
            idle = now - folder.stat().st_mtime
            ended = active is not None and folder.name not in active and idle > ended_after_s
            if idle > max_age_h * 3600 or ended:
                if folder.is_dir():
                    shutil.rmtree(folder, ignore_errors=True)
                else:
                    folder.unlink(missing_ok=True)
                removed.append(folder)
        except OSError:
            continue
    return removed


def _uploads() -> dict[str, str]:
    """This session's uploads: label shown in the picker -> archive path (oldest first)."""
    kept = st.session_state.setdefault(keys.AREA_UPLOADS, {})
    gone = [label for label, path in kept.items() if not Path(path).is_file()]
    for label in gone:  # deleted by the clean-up of another session after MAX_AGE_H
        del kept[label]
    return kept


def _label(name: str) -> str:
    return f"{shorten(name, 60)} (uploaded)"


def _keep_upload(name: str, data: bytes) -> str:
    """Write an accepted upload into the session folder; an upload of the same area replaces it."""
    folder = session_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.zip"
    if not path.exists():
        atomic_write(path, data)
    return str(path)


def on_upload() -> None:
    """File-uploader callback: check, keep and choose an uploaded bundle (a rejected one is deleted)."""
    upload = st.session_state.get(keys.AREA_UPLOAD)
    if upload is None:
        return
    clean_stale_uploads(active=active_sessions())
    data = upload.getvalue()
    shown = escape_markdown(shorten(upload.name, 80))
    if len(data) > MAX_UPLOAD_MB * 1_000_000:
        st.session_state[keys.AREA_ERROR] = (
            f"{shown}: {len(data) / 1e6:.0f} MB is over the {MAX_UPLOAD_MB} MB limit"
        )
        return
    try:
        path = _keep_upload(upload.name, data)
    except OSError as exc:
        st.session_state[keys.AREA_ERROR] = f"{shown} could not be stored on the server: {exc.strerror}"
        return
    try:
        area = load_area(path, _mtime(path))
    except Exception as exc:  # noqa: BLE001 - one line for the user; an unexpected failure is logged
        Path(path).unlink(missing_ok=True)
        line = error_line(exc, "sidebar upload")
        st.session_state[keys.AREA_ERROR] = f"{shown} was not loaded: {escape_markdown(shorten(line, 400))}"
        return
    kept = _uploads()
    label = _label(area.name)
    old = kept.pop(label, None)
    if old and old != path:
        Path(old).unlink(missing_ok=True)  # replaced by a new version of the same area
    kept[label] = path
    while len(kept) > MAX_UPLOADS:
        oldest = next(iter(kept))
        if kept[oldest] == st.session_state.get(keys.AREA_PATH):
            break
        Path(kept.pop(oldest)).unlink(missing_ok=True)
    st.session_state[keys.AREA_PATH] = path
    st.session_state[keys.AREA_SELECTED] = label
    st.session_state.pop(keys.AREA_ERROR, None)


def on_choose() -> None:
    """Selectbox callback: remember the choice outside the widget and switch area."""
    choice = st.session_state.get(keys.AREA_CHOICE)
    st.session_state[keys.AREA_SELECTED] = choice
    if choice == UPLOAD:
        return
    path = _uploads().get(choice) or str(DATA_DIR / str(choice))
    if path != st.session_state.get(keys.AREA_PATH):
        st.session_state[keys.AREA_PATH] = path
        st.session_state.pop(keys.AREA_ERROR, None)


# --- model period -----------------------------------------------------------------------------


@st.cache_resource(show_spinner="Restricting to the model period…", max_entries=8)
def _in_period(
    path: str, mtime: float, start: Any, end: Any, extend: bool, _area: StudyArea
) -> tuple[StudyArea, Any]:
    """The area restricted to its model period (the wells' period, or the user's choice)."""
    if start is None and end is None and not extend:
        period = coverage.default_period(_area)
    else:
        period = coverage.period_for(_area, start=start, end=end, extend_heads=extend)
    return coverage.apply_period(_area, period), period


def _period_controls(area: StudyArea, path: str, period: Any) -> None:
    """Sidebar date range and 'extend heads' toggle (seeded from the period now applied)."""
    store = st.session_state.setdefault(keys.PERIOD_BY_AREA, {})
    first, last = area.dates[0].date(), area.dates[-1].date()
    fp = hashlib.sha1(path.encode()).hexdigest()[:8]
    range_key, extend_key = f"{keys.PERIOD_RANGE}-{fp}", f"{keys.PERIOD_EXTEND}-{fp}"
    shown = (period.first.date(), period.last.date()) if period is not None else (first, last)
    st.session_state[range_key] = shown  # re-seeded every run: the choice lives in the store
    st.session_state[extend_key] = bool(store.get(path, (None, None, False))[2])

    def changed() -> None:
        chosen = tuple(st.session_state.get(range_key) or ())
        if len(chosen) < 2:  # the second date is not picked yet
            return
        store[path] = (chosen[0], chosen[1], bool(st.session_state.get(extend_key)))

    def reset() -> None:
        store.pop(path, None)

    with st.sidebar.expander("Model period", expanded=period is not None and not period.is_full):
        st.date_input("Dates modelled", min_value=first, max_value=last, key=range_key, on_change=changed)
        st.toggle(
            "Extend heads by trend and season",
            key=extend_key,
            on_change=changed,
            help="Acquisitions outside the wells' readings are kept, with each well's head extended by its "
            "trend and seasonal cycle (marked as extrapolated).",
        )
        if path in store:
            st.button("Back to the wells' period", on_click=reset, key=f"period_reset-{fp}")
        if period is not None and period.left_out:
            st.caption(
                "Left out: "
                + "; ".join(f"{d} ({r})" for d, r in period.left_out[:12])
                + (" …" if len(period.left_out) > 12 else "")
            )


def _apply_period(area: StudyArea, path: str) -> StudyArea:
    """The area restricted to its model period, with the sidebar's period controls."""
    start, end, extend = st.session_state.get(keys.PERIOD_BY_AREA, {}).get(path, (None, None, False))
    ts = [None if v is None else pd.Timestamp(v) for v in (start, end)]
    try:
        restricted, period = _in_period(path, _mtime(path), ts[0], ts[1], bool(extend), area)
    except SubsidenceError as exc:
        _period_controls(area, path, None)
        st.sidebar.error(f"The model period cannot be used: {escape_markdown(shorten(str(exc), 400))}")
        st.session_state[keys.AREA_PERIOD] = None
        return area
    _period_controls(area, path, period)
    if not period.is_full:
        st.sidebar.info(escape_markdown(period.sentence()))
    st.session_state[keys.AREA_PERIOD] = period
    return restricted


# --- the sidebar ------------------------------------------------------------------------------


def study_area_sidebar() -> StudyArea | None:
    """Draw the study-area picker in the sidebar and return the study area now loaded.

    A rejected upload shows an error and keeps the previous study area. Returns None only
    when no bundle can be loaded at all (an error is shown). The area returned is restricted
    to its model period (see ``subsidence.coverage``), made relative to the chosen reference point
    (``ui.reference``), and the view is kept in the address (``ui.links``).
    """
    bundles = list_bundles(DATA_DIR)
    names = [b.name for b in bundles]
    uploads = _uploads()
    links.restore_area(links.incoming(), names, DATA_DIR)
    gone = st.session_state.get(keys.AREA_PATH, "")
    if gone and gone.startswith(str(UPLOAD_ROOT)) and not Path(gone).is_file():
        st.session_state[keys.AREA_ERROR] = (
            "Your uploaded study area was removed from the server after a long pause; upload it again."
        )
        st.session_state[keys.AREA_PATH] = ""
        st.session_state.pop(keys.AREA_SELECTED, None)
    if not st.session_state.get(keys.AREA_PATH):
        st.session_state[keys.AREA_PATH] = _default_path(bundles)
    path = st.session_state[keys.AREA_PATH]
    options = [*names, *uploads, UPLOAD]
    selected = st.session_state.get(keys.AREA_SELECTED)
    if selected not in options:
        by_path = {str(DATA_DIR / n): n for n in names} | {p: label for label, p in uploads.items()}
        selected = by_path.get(path, UPLOAD)
    st.session_state[keys.AREA_SELECTED] = selected
    st.session_state[keys.AREA_CHOICE] = selected  # re-seeded every run: survives page changes
    st.sidebar.selectbox("Study area", options, key=keys.AREA_CHOICE, on_change=on_choose)
    if selected == UPLOAD:
        st.sidebar.file_uploader(
            f"Study-area bundle (.zip, at most {MAX_UPLOAD_MB} MB)",
            type=["zip"],
            key=keys.AREA_UPLOAD,
            on_change=on_upload,
            help="A .zip of a bundle folder: study_area.toml, ps.csv, wells.csv and optional layers.",
        )
    st.session_state[keys.BASEMAP] = bool(st.session_state.get(keys.BASEMAP_ON, False))
    st.sidebar.toggle(
        "Web basemap (needs internet)",
        key=keys.BASEMAP,
        on_change=lambda: st.session_state.__setitem__(keys.BASEMAP_ON, st.session_state[keys.BASEMAP]),
    )
    if st.session_state.get(keys.AREA_ERROR):
        st.error(st.session_state[keys.AREA_ERROR])
    if not path:
        st.error(
            f"No study-area bundle found in {DATA_DIR}. Run `python -m subsidence make-demo --out data/demo_beijing`."
        )
        return None
    if path.startswith(str(UPLOAD_ROOT)):
        try:
            os.utime(Path(path).parent)  # the session folder is in use: not stale
        except OSError:
            pass
    try:
        area = load_area(path, _mtime(path))
    except (SubsidenceError, OSError) as exc:
        st.error(
            f"The study area {escape_markdown(Path(path).name)} cannot be loaded: {escape_markdown(shorten(str(exc), 400))}"
        )
        return None
    st.session_state[keys.AREA_KEY] = f"{path}#{area.fingerprint}"  # per-area state survives a new period
    links.restore_state(area)
    area = reference.apply(_apply_period(area, path), _picks())
    reference.caption(area)
    links.restore_model(area)
    links.write(area, DATA_DIR)
    st.sidebar.caption(
        f"**{escape_markdown(shorten(area.name, 120))}** · {area.n_points:,} PS points · {area.n_epochs} epochs · "
        f"{area.wells.n_wells} wells"
    )
    return area


def _picks() -> list[str]:
    """The validation picks (else the Study area page's) of the area now loaded, last one last."""
    for store in (keys.PICKED, keys.STUDY_PICKED):
        value = st.session_state.get(store)
        found = value if isinstance(value, list) else per_area(store, [])
        if found:
            return [str(v) for v in found]
    return []


def is_demo(area: StudyArea) -> bool:
    """True for the shipped synthetic demo (where the paper's figures are a fair yardstick)."""
    return "synthetic" in str(area.name).lower()


def per_area(store_key: str, default: Any = None) -> Any:
    """The value kept under ``store_key`` for the study area now loaded (a dict keyed by area)."""
    store = st.session_state.get(store_key)
    if not isinstance(store, dict):
        return default
    return store.get(st.session_state.get(keys.AREA_KEY), default)


def set_per_area(store_key: str, value: Any) -> None:
    """Keep ``value`` under ``store_key`` for the study area now loaded only."""
    store = st.session_state.get(store_key)
    if not isinstance(store, dict):
        store = {}
    store[st.session_state.get(keys.AREA_KEY)] = value
    st.session_state[store_key] = store
