"""The study-area picker in the sidebar, and the cached loader behind it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.reader import list_bundles, load_study_area
from subsidence.studyarea import StudyArea
from ui import keys

DATA_DIR = Path(os.environ.get("SUBSIDENCE_DATA_DIR", Path(__file__).parents[1] / "data"))
DEFAULT_BUNDLE = os.environ.get("SUBSIDENCE_BUNDLE", "demo_beijing")
UPLOAD = "Upload a bundle (.zip)…"
MAX_UPLOAD_MB = 200


@st.cache_resource(show_spinner="Loading the study area…", max_entries=4)
def load_area(path: str, mtime: float) -> StudyArea:
    """Load a bundle once per path and modification time (StudyArea is frozen: never mutated)."""
    return load_study_area(path)


def _mtime(path: str) -> float:
    return Path(path).stat().st_mtime


def _default_path(bundles: list[Path]) -> str:
    named = [b for b in bundles if b.name == DEFAULT_BUNDLE]
    return str((named or bundles)[0]) if bundles else ""


def _save_upload(data: bytes) -> Path:
    """Keep an uploaded archive on disk under its content hash (so reloading is cached)."""
    folder = Path(tempfile.gettempdir()) / "subsidence-uploads"
    folder.mkdir(exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.zip"
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def _try_upload() -> None:
    upload = st.sidebar.file_uploader(
        f"Study-area bundle (.zip, at most {MAX_UPLOAD_MB} MB)",
        type=["zip"],
        key=keys.AREA_UPLOAD,
        help="A .zip of a bundle folder: study_area.toml, ps.csv, wells.csv and optional layers.",
    )
    if upload is None:
        return
    data = upload.getvalue()
    if len(data) > MAX_UPLOAD_MB * 1_000_000:
        st.session_state[keys.AREA_ERROR] = (
            f"{upload.name}: {len(data) / 1e6:.0f} MB is over the {MAX_UPLOAD_MB} MB limit"
        )
        return
    path = str(_save_upload(data))
    if path == st.session_state.get(keys.AREA_PATH):
        return
    try:
        load_area(path, _mtime(path))
    except SubsidenceError as exc:
        st.session_state[keys.AREA_ERROR] = f"{upload.name} was not loaded: {exc}"
        return
    st.session_state[keys.AREA_PATH] = path
    st.session_state.pop(keys.AREA_ERROR, None)


def study_area_sidebar() -> StudyArea | None:
    """Draw the study-area picker in the sidebar and return the study area now loaded.

    A rejected upload shows an error and keeps the previous study area. Returns None only
    when no bundle can be loaded at all (an error is shown).
    """
    bundles = list_bundles(DATA_DIR)
    names = [b.name for b in bundles]
    current = st.session_state.get(keys.AREA_PATH) or _default_path(bundles)
    st.session_state.setdefault(keys.AREA_PATH, current)
    options = [*names, UPLOAD]
    if keys.AREA_CHOICE not in st.session_state:
        st.session_state[keys.AREA_CHOICE] = Path(current).name if Path(current).name in names else UPLOAD
    choice = st.sidebar.selectbox("Study area", options, key=keys.AREA_CHOICE)
    if choice == UPLOAD:
        _try_upload()
    elif str(DATA_DIR / choice) != st.session_state[keys.AREA_PATH]:
        st.session_state[keys.AREA_PATH] = str(DATA_DIR / choice)
        st.session_state.pop(keys.AREA_ERROR, None)
    st.sidebar.toggle("Web basemap (needs internet)", value=False, key=keys.BASEMAP)
    if st.session_state.get(keys.AREA_ERROR):
        st.error(st.session_state[keys.AREA_ERROR])
    path = st.session_state[keys.AREA_PATH]
    if not path:
        st.error(
            f"No study-area bundle found in {DATA_DIR}. Run `python -m subsidence make-demo --out data/demo_beijing`."
        )
        return None
    try:
        area = load_area(path, _mtime(path))
    except (SubsidenceError, OSError) as exc:
        st.error(f"The study area at {path} cannot be loaded: {exc}")
        return None
    st.sidebar.caption(
        f"**{area.name}** · {area.n_points:,} PS points · {area.n_epochs} epochs · {area.wells.n_wells} wells"
    )
    return area
