"""Cached heavy steps of the library, with a progress bar the first time they run.

Results are frozen and never mutated, so one object serves every session. They live in a
small least-recently-used store held by ``st.cache_resource``; computing outside Streamlit's
function cache lets the first run report progress (Streamlit cannot replay a progress bar
that a cached function updated). Keys name the bundle (path and fingerprint) and settings.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

from subsidence.studyarea import StudyArea
from ui.errors import show_error

MAX_ENTRIES = 12


class _Store:
    def __init__(self) -> None:
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()


@st.cache_resource
def _store() -> _Store:
    return _Store()


def area_key(area: StudyArea) -> str:
    """What identifies a loaded study area in the caches."""
    return f"{area.source}#{area.fingerprint}"


def cached(key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per key (kept while among the last ``MAX_ENTRIES`` used).

    Bad input (a :class:`SubsidenceError`, e.g. wells too few to krige at a date) is shown as
    an error naming the problem and stops the page: never a traceback.
    """
    store = _store()
    with store.lock:
        if key in store.items:
            store.items.move_to_end(key)
            return store.items[key]
    try:
        value = compute()
    except Exception as exc:  # noqa: BLE001 - one line for the user (an apology + id for a bug), never a traceback
        show_error(exc, where=str(key)[:200], prefix="This study area cannot be processed:")
        st.stop()
    with store.lock:
        store.items[key] = value
        while len(store.items) > MAX_ENTRIES:
            store.items.popitem(last=False)
    return value


def progress_bar(label: str) -> tuple[Callable[[float, str], None], Callable[[], None]]:
    """A progress callback ``(fraction, message)`` drawing a bar, and a function that removes it."""
    holder = st.empty()

    def report(fraction: float, message: str = "") -> None:
        holder.progress(min(max(float(fraction), 0.0), 1.0), text=f"{label} {message}".strip())

    return report, holder.empty


def screen_kriging(**settings: Any) -> Any:
    """Kriging settings for the browser: the grid kept to a size a map can draw quickly."""
    from subsidence.kriging import SCREEN_MAX_CELLS, KrigingConfig

    return KrigingConfig(max_cells=SCREEN_MAX_CELLS, **settings)


def kriged(area: StudyArea, config: Any = None) -> Any:
    """Kriging of the study area (heads per epoch, layers, variograms, cross-validation)."""
    from subsidence.kriging import krige_study_area

    config = config if config is not None else screen_kriging()

    def compute() -> Any:
        report, done = progress_bar("Kriging groundwater levels and layers…")
        try:
            return krige_study_area(area, config, progress=report)
        finally:
            done()

    return cached(("kriged", area_key(area), config), compute)


def series_for(area: StudyArea) -> Any:
    """What every model sees: the PS series with the kriged head and layers at each point."""
    from subsidence.features import series_data

    return cached(("series", area_key(area)), lambda: series_data(area, kriged(area).factors))


def results(model: Any, data: Any, test_idx: Any, key: str) -> Any:
    """A model's results over every point, scored on its test points."""
    from subsidence.results import model_results

    def compute() -> Any:
        with st.spinner("Running the model over every point…"):
            return model_results(model, data, test_idx)

    return cached(("results", key), compute)


def noise_floor(data: Any, key: str) -> float:
    """InSAR scatter per interval at the most stable points (mm)."""
    from subsidence.crossval import noise_floor as floor

    return cached(("noise", key), lambda: floor(data))


def baseline_changes(name: str, data: Any, test_idx: Any, key: str) -> Any:
    """One-step changes of a quick baseline fitted on the points outside ``test_idx``."""
    import numpy as np

    from subsidence.models import model_class

    def compute() -> Any:
        train = np.setdiff1d(np.arange(data.n_points), test_idx)
        return model_class(name)().fit(data, train if train.size else np.arange(data.n_points)).predict(data)

    return cached(("baseline", name, key), compute)


def ensemble(area: StudyArea, data: Any) -> Any:
    """The consolidation physics refitted on each spatial-block fold (for forecast bands)."""
    from subsidence.scenarios import fit_ensemble

    def compute() -> Any:
        report, done = progress_bar("Fitting the consolidation physics…")
        try:
            return fit_ensemble(data, progress=report)
        finally:
            done()

    return cached(("ensemble", area_key(area)), compute)


def physics_band(area: StudyArea, data: Any) -> Any:
    """The physics' calibrated 90 % band on this record (one per area, shared by every scenario)."""
    from subsidence.scenarios import physics_band as compute_band

    def compute() -> Any:
        with st.spinner("Calibrating the 90 % band on past forecasts…"):
            return compute_band(data)

    return cached(("physics_band", area_key(area)), compute)


def forecast(area: StudyArea, data: Any, scenario: Any, horizon_years: float) -> Any:
    """A scenario forecast at every point (cached per scenario and horizon)."""
    from subsidence.scenarios import forecast as run

    def compute() -> Any:
        with st.spinner(f"Forecasting: {scenario.name}…"):
            return run(ensemble(area, data), data, scenario, horizon_years, band=physics_band(area, data))

    return cached(("forecast", area_key(area), scenario, horizon_years), compute)


def kriging_warning(area: StudyArea) -> None:
    """Say in plain words when the kriged groundwater level carries no information."""
    result = kriged(area)
    if not getattr(result, "head_informative", True):
        from ui.text import escape_markdown

        st.warning(
            escape_markdown(
                getattr(result, "head_warning", None) or "The groundwater-level map carries no information."
            )
            + " Models that learn from the groundwater level (the paper's LSTM, the physics) learn little here."
        )
