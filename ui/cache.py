"""Cached heavy steps: one Streamlit cache function per step, keyed by identity.

Each step is an ``st.cache_resource`` function (results are frozen and never mutated, so one
object serves every session; Streamlit computes each key once, under its lock, even when two
sessions ask at the same time). Keys are deterministic identities, never object ids or random
tokens:

* the study area: :func:`area_identity` (bundle path, data fingerprint, wells and layers);
* the settings: frozen dataclasses (:class:`ui.inputs.KrigingSettings`, ``KrigingConfig``);
* the model: ``CurrentModel.token`` (a saved model: its path and weights' sha256; a model
  trained in this session: its job id).

Unhashable inputs (the area, the series) travel as ``_``-prefixed arguments, which Streamlit
does not hash: the identity beside them stands for them. The first computation draws a
progress bar or a spinner; a cached answer draws nothing. Steps that bad input can break
(kriging, the model inputs, a model's results) show one ``st.error`` line and return None;
the page decides to stop.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st

from subsidence import pipeline
from subsidence.geostat.kriging import KrigingConfig, KrigingResult, krige_study_area
from subsidence.io.studyarea import StudyArea
from subsidence.series import SeriesData
from subsidence.validation.results import ModelResults
from subsidence.viz import maps
from ui.errors import show_error
from ui.inputs import KrigingSettings, kriging_settings

if TYPE_CHECKING:
    from subsidence.planning.scenarios import Forecast, Scenario
    from ui.models import CurrentModel

T = TypeVar("T")
_IDS: dict[tuple[int, str], tuple[weakref.ref[StudyArea], str]] = {}
_IDS_LOCK = threading.RLock()  # re-entrant: a weakref callback may run inside a locked block


# --- identities -------------------------------------------------------------------------------


def _inputs_digest(area: StudyArea) -> str:
    """sha256 of what the fingerprint leaves out: the wells and their readings, the layers."""
    digest = hashlib.sha256()
    wells = area.wells
    for array in (wells.ids.astype(str), wells.x, wells.y):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(pd.util.hash_pandas_object(wells.readings, index=False).to_numpy().tobytes())
    for name, layer in sorted(area.layers.items()):
        digest.update(name.encode())
        for array in (layer.x, layer.y, layer.values):
            digest.update(np.ascontiguousarray(array, dtype=float).tobytes())
        if layer.raster is not None:
            digest.update(np.ascontiguousarray(layer.raster.values).tobytes())
    return digest.hexdigest()[:16]


def causes_identity(area: StudyArea) -> str:
    """What kriging depends on: the points' positions, the dates, the wells and the layers.

    Not the displacements: a new reference point (or any other change of the InSAR values
    alone) keeps the kriging of groundwater levels and layers (docs/reference-point.md).
    """
    return _memo(area, "causes", lambda: _causes_digest(area))


def _causes_digest(area: StudyArea) -> str:
    digest = hashlib.sha256(f"{area.source}#{_inputs_digest(area)}".encode())
    digest.update(area.points["ps_id"].astype(str).str.cat(sep="\n").encode())
    for column in ("x", "y"):
        digest.update(np.ascontiguousarray(area.points[column].to_numpy(), dtype=float).tobytes())
    digest.update(area.dates.asi8.tobytes())
    return digest.hexdigest()[:24]


def area_identity(area: StudyArea) -> str:
    """What identifies a study area in every cache: bundle path, data fingerprint, wells and layers.

    A study area derived from another (the model period, a reference point) must carry a new
    ``fingerprint``, as :func:`subsidence.coverage.apply_period` does; anything else that
    changes what the steps compute belongs here. Computed once per area object.
    """
    return _memo(area, "area", lambda: f"{area.source}#{area.fingerprint}#{_inputs_digest(area)}")


def _memo(area: StudyArea, kind: str, compute: Callable[[], str]) -> str:
    """``compute()`` once per area object and kind (the areas are frozen: ids stay true while alive)."""
    key = (id(area), kind)
    with _IDS_LOCK:
        found = _IDS.get(key)
        if found is not None and found[0]() is area:
            return found[1]
    identity = compute()

    def forget(_ref: weakref.ref[StudyArea]) -> None:  # the area is gone: its id may be reused
        with _IDS_LOCK:
            if _IDS.get(key, (None,))[0] is _ref:
                del _IDS[key]

    with _IDS_LOCK:
        _IDS[key] = (weakref.ref(area, forget), identity)
    return identity


area_key = area_identity  # the name the pages and ui/ modules used first


def inputs_identity(area: StudyArea) -> str:
    """The identity of the model inputs: the area and the kriging settings that reach the models."""
    return f"{area_identity(area)}|{kriging_settings().model_config()!r}"  # every field of the frozen config


# --- progress on the first computation ----------------------------------------------------------


@contextmanager
def _progress(label: str, steps: int = 20) -> Iterator[Callable[[float, str], None]]:
    """A progress bar drawn inside a cached step (so Streamlit can replay it), at most ``steps`` updates."""
    bar = st.progress(0.0, text=label)
    shown = [0.0]

    def report(fraction: float, message: str = "") -> None:
        value = min(max(float(fraction), 0.0), 1.0)
        if value - shown[0] >= 1.0 / steps:
            shown[0] = value
            bar.progress(value, text=f"{label} {message}".strip())

    try:
        yield report
    finally:
        bar.empty()


def _shown(where: str, compute: Callable[[], T]) -> T | None:
    """``compute()``, or None after one ``st.error`` line naming the problem (never a traceback)."""
    try:
        return compute()
    except Exception as exc:  # noqa: BLE001 - one line for the user (an apology + id for a bug)
        show_error(exc, where=where[:200], prefix="This study area cannot be processed:")
        return None


# --- the steps --------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=6)
def _map_kriging(identity: str, config: KrigingConfig, _area: StudyArea) -> KrigingResult:
    with _progress("Kriging groundwater levels and layers for the maps…") as report:
        return krige_study_area(_area, config, progress=report)


@st.cache_resource(show_spinner=False, max_entries=8)
def _model_kriging(identity: str, config: KrigingConfig, _area: StudyArea) -> KrigingResult:
    with _progress("Kriging the groundwater level and layers at the points…") as report:
        return pipeline.model_kriging(_area, config, report)


@st.cache_resource(show_spinner=False, max_entries=8)
def _series(identity: str, config: KrigingConfig, _area: StudyArea) -> SeriesData:
    return pipeline.prepare(_area, config, kriged=_model_kriging(causes_identity(_area), config, _area))


def kriged(area: StudyArea, settings: KrigingSettings | None = None) -> KrigingResult | None:
    """Kriging for the maps (heads per epoch on a grid, layers, variograms, cross-validation)."""
    config = (settings or kriging_settings()).map_config()
    return _shown("map kriging", lambda: _map_kriging(causes_identity(area), config, area))


def inputs_kriging(area: StudyArea) -> KrigingResult | None:
    """Kriging at the PS points with the settings that reach the models (what they learn from)."""
    config = kriging_settings().model_config()
    return _shown("kriging", lambda: _model_kriging(causes_identity(area), config, area))


def series_for(area: StudyArea) -> SeriesData | None:
    """What every model sees (:func:`subsidence.pipeline.prepare`, as the CLI), with this area's settings."""
    config = kriging_settings().model_config()
    return _shown("model inputs", lambda: _series(area_identity(area), config, area))


@st.cache_resource(show_spinner="Running the model over every point…", max_entries=8)
def _results(inputs: str, model: str, _current: CurrentModel, _data: SeriesData) -> ModelResults:
    from subsidence.validation.results import model_results

    return model_results(_current.model, _data, _current.test_idx)


def results(area: StudyArea, data: SeriesData, current: CurrentModel) -> ModelResults | None:
    """A model's results over every point, scored on its test points."""
    return _shown("model results", lambda: _results(inputs_identity(area), current.token, current, data))


@st.cache_data(show_spinner=False, max_entries=8)
def _noise_floor(inputs: str, _data: SeriesData) -> float:
    from subsidence.validation.crossval import noise_floor

    return float(noise_floor(_data))


def noise_floor(area: StudyArea, data: SeriesData) -> float:
    """InSAR scatter per interval at the most stable points (mm)."""
    return _noise_floor(inputs_identity(area), data)


@st.cache_resource(show_spinner="Fitting the baseline…", max_entries=8)
def _baseline(inputs: str, model: str, name: str, _data: SeriesData, _test_idx: np.ndarray) -> np.ndarray:
    from subsidence.models import model_class

    train = np.setdiff1d(np.arange(_data.n_points), _test_idx)
    fitted = model_class(name)().fit(_data, train if train.size else np.arange(_data.n_points))
    return np.asarray(fitted.predict(_data))


def baseline_changes(area: StudyArea, data: SeriesData, name: str, current: CurrentModel) -> np.ndarray:
    """One-step changes (mm) of a quick baseline fitted on the points outside the model's test points."""
    return _baseline(inputs_identity(area), current.token, name, data, current.test_idx)


@st.cache_resource(show_spinner=False, max_entries=4)
def _ensemble(inputs: str, _data: SeriesData) -> list[object]:
    from subsidence.planning.scenarios import fit_ensemble

    with _progress("Fitting the consolidation physics…") as report:
        return list(fit_ensemble(_data, progress=report))


def ensemble(area: StudyArea, data: SeriesData) -> list[object]:
    """The consolidation physics refitted on each spatial-block fold (for forecast bands)."""
    return _ensemble(inputs_identity(area), data)


@st.cache_resource(show_spinner="Calibrating the 90 % band on past forecasts…", max_entries=4)
def _physics_band(inputs: str, _data: SeriesData) -> object:
    from subsidence.planning.scenarios import physics_band as compute_band

    return compute_band(_data)


def physics_band(area: StudyArea, data: SeriesData) -> object:
    """The physics' calibrated 90 % band on this record (one per area, shared by every scenario)."""
    return _physics_band(inputs_identity(area), data)


@st.cache_resource(show_spinner="Forecasting…", max_entries=24)
def _forecast(
    inputs: str,
    scenario: Scenario,
    horizon_years: float,
    _models: Sequence[object],
    _data: SeriesData,
    _band: object,
) -> Forecast:
    from subsidence.planning.scenarios import forecast as run

    return run(_models, _data, scenario, horizon_years, band=_band)


def forecast(area: StudyArea, data: SeriesData, scenario: Scenario, horizon_years: float) -> Forecast | None:
    """A scenario forecast at every point (cached per scenario and horizon), or None after one
    ``st.error`` line when the record cannot carry it."""
    inputs = inputs_identity(area)
    return _shown(
        "forecast",
        lambda: _forecast(
            inputs, scenario, horizon_years, ensemble(area, data), data, physics_band(area, data)
        ),
    )


def kriging_warning(area: StudyArea) -> None:
    """Say in plain words when the kriged groundwater level carries no information."""
    result = inputs_kriging(area)
    if result is not None and not result.head_informative:
        from ui.text import escape_markdown

        st.warning(
            escape_markdown(result.head_warning or "The groundwater-level map carries no information.")
            + " Models that learn from the groundwater level (the paper's LSTM, the physics) learn little here."
        )


# --- maps: built and serialised once per content -------------------------------------------------


class SerialisedDeck(pdk.Deck):  # type: ignore[misc]  # pydeck has no type hints
    """A pydeck map serialised once: ``st.pydeck_chart`` reads its JSON, tooltip and layer ids.

    Serialising a map of every point is most of a rerun (seconds at 100,000 points); a map
    whose content has not changed is served from :func:`ps_deck`'s cache as this object.
    """

    def __init__(self, deck: pdk.Deck) -> None:  # pydeck's __init__ is not run: nothing is rebuilt
        for layer in deck.layers:  # pydeck cannot serialise a pandas 3 frame (Streamlit does the same)
            data = layer.data() if isinstance(layer.data, weakref.ref) else layer.data
            if isinstance(data, pd.DataFrame):
                layer.data = data.to_dict(orient="records")
        self._json: str = deck.to_json()
        self._tooltip = getattr(deck, "_tooltip", None)
        self.mapbox_key = getattr(deck, "mapbox_key", None)
        self.layers = [pdk.Layer(layer.type, id=layer.id) for layer in deck.layers]  # ids, no data

    def to_json(self) -> str:
        return self._json

    def plus(self, layer: pdk.Layer) -> SerialisedDeck:
        """A copy with ``layer`` drawn on top (the cached map itself is never changed)."""
        spec = json.loads(self._json)
        spec["layers"].append(json.loads(pdk.Deck(layers=[layer], map_style=None).to_json())["layers"][0])
        copy = object.__new__(SerialisedDeck)
        copy._json, copy._tooltip, copy.mapbox_key = json.dumps(spec), self._tooltip, self.mapbox_key
        copy.layers = [*self.layers, pdk.Layer(layer.type, id=layer.id)]
        return copy


def with_layer(deck: pdk.Deck, layer: pdk.Layer) -> pdk.Deck:
    """``deck`` with ``layer`` on top, unless a layer of that id is there; cached maps are copied."""
    if any(getattr(x, "id", "") == layer.id for x in deck.layers):
        return deck
    if isinstance(deck, SerialisedDeck):
        return deck.plus(layer)
    deck.layers.append(layer)  # a map built for this run only
    return deck


def _digest(value: Any, into: Any) -> None:
    """Feed ``value`` (arrays, mappings, sequences, plain scalars) into the hash ``into``."""
    if isinstance(value, np.ndarray):
        into.update(f"{value.dtype}{value.shape}".encode())
        flat = value.ravel()
        into.update(pd.util.hash_array(flat).tobytes() if flat.dtype == object else flat.tobytes())
    elif isinstance(value, dict):
        for key in sorted(value):
            _digest(key, into)
            _digest(value[key], into)
    elif isinstance(value, list | tuple):
        into.update(b"(")
        for item in value:
            _digest(item, into)
        into.update(b")")
    elif hasattr(value, "cache_key"):  # e.g. subsidence.viz.aggregate.BigView: the map's view of a large area
        into.update(type(value).__name__.encode())
        _digest(value.cache_key(), into)
    elif value is None or isinstance(value, str | int | float | bool | np.generic):
        into.update(f"{type(value).__name__}:{value!r};".encode())
    else:
        raise TypeError(f"ui.cache.ps_deck: no identity for an argument of type {type(value).__name__}")


@st.cache_resource(show_spinner=False, max_entries=16)
def _deck(key: str, _build: Callable[[], pdk.Deck]) -> SerialisedDeck:
    return SerialisedDeck(_build())


def ps_deck(area: StudyArea, values: np.ndarray, **options: Any) -> SerialisedDeck:
    """:func:`subsidence.viz.maps.ps_deck`, built and serialised once per content of its arguments.

    The key is the area's identity and a hash of ``values`` and every option (arrays by their
    bytes), so a rerun that changes nothing on the map reuses the serialised map.
    """
    digest = hashlib.sha256(area_identity(area).encode())
    _digest([values, options], digest)
    return _deck(digest.hexdigest(), lambda: maps.ps_deck(area, values, **options))
