"""The model a session works with: trained here, loaded from models/, or the shipped demo model."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.atomic import atomic_write
from subsidence.io.studyarea import StudyArea
from subsidence.series import SeriesData
from ui import keys
from ui.cache import area_key

MODELS_DIR = Path(os.environ.get("SUBSIDENCE_MODELS_DIR", Path(__file__).parents[1] / "models"))
SHIPPED = "paper-lstm-demo"


@dataclass(frozen=True)
class CurrentModel:
    """A fitted model and the points it is scored on, for one study area.

    ``token`` identifies the model in the caches and is deterministic: a saved model's path and
    weights' sha256 (:func:`load_saved`), a model trained here its job's id
    (:func:`ui.training.current_from_training`). The same model keeps its token over reruns, so
    its results are computed once.
    """

    name: str
    model: Any
    test_idx: np.ndarray
    source: str  # "trained in this session" or the folder it was loaded from
    area: str  # area_key of the study area it belongs to
    metrics: dict[str, Any] = field(default_factory=dict)
    points: str = "test points"  # which points are scored, in words
    token: str = field(kw_only=True)  # identifies this model in the caches (see above)

    @property
    def shown_source(self) -> str:
        """Where the model comes from, in words (never a server path)."""
        if self.source.startswith("trained") or self.source.startswith("stopped"):
            return self.source
        if (
            Path(self.source).suffix.lower() == ".zip"
            and Path(self.source).parent.name == "subsidence-models"
        ):
            return "uploaded archive"
        return f"saved model {Path(self.source).name}"


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _load_saved(path: str, mtime: float, area: str, _area: StudyArea, _data: SeriesData) -> CurrentModel:
    from subsidence.models.modelio import load_model
    from subsidence.pipeline import saved_test_points

    model, meta = load_model(path, _area)
    test_idx, points = saved_test_points(meta, _area, _data)
    return CurrentModel(
        meta.get("model", "?"),
        model,
        test_idx,
        path,
        area,
        meta.get("metrics", {}),
        points,
        token=f"saved:{path}#{meta.get('weights_sha256', '')}",
    )


def load_saved(path: Path, area: StudyArea, data: SeriesData) -> CurrentModel:
    """Load a saved model for this study area (refused with a message when it does not fit).

    Loaded and checked once per folder, modification time and study area (in every session).
    """
    return _load_saved(str(path), path.stat().st_mtime, area_key(area), area, data)


MAX_MODEL_MB = 50


def load_uploaded(name: str, data: bytes, area: StudyArea, series: SeriesData) -> CurrentModel:
    """Load a model archive a user uploaded (checked like any saved model; never unpickled)."""
    if len(data) > MAX_MODEL_MB * 1_000_000:
        raise SubsidenceError(
            f"{name}: {len(data) / 1e6:.0f} MB is over the {MAX_MODEL_MB} MB limit for a model"
        )
    folder = Path(tempfile.gettempdir()) / "subsidence-models"
    folder.mkdir(exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.zip"
    if not path.exists():  # atomic: another session may read the same file meanwhile
        atomic_write(path, data)
    return load_saved(path, area, series)


def current_model(area: StudyArea, data: SeriesData) -> CurrentModel | None:
    """The session's model for this study area, else the shipped demo model when it fits.

    Models are kept per study area: the model of one area is never shown on another.
    """
    chosen = st.session_state.get(keys.CURRENT_MODEL)
    if isinstance(chosen, CurrentModel):  # set directly (older sessions, tests)
        set_current(chosen)
        chosen = st.session_state.get(keys.CURRENT_MODEL)
    found = chosen.get(area_key(area)) if isinstance(chosen, dict) else None
    if isinstance(found, CurrentModel):
        return found
    shipped = MODELS_DIR / SHIPPED
    if not shipped.exists():
        return None
    try:
        return load_saved(shipped, area, data)
    except SubsidenceError:
        return None


def set_current(model: CurrentModel) -> None:
    """Make ``model`` the current one of its study area (other areas keep theirs)."""
    store = st.session_state.get(keys.CURRENT_MODEL)
    store = dict(store) if isinstance(store, dict) else {}
    store[model.area] = model
    st.session_state[keys.CURRENT_MODEL] = store
