"""The steps the command line and the pages share: prepare, split, train, save, evaluate.

``prepare(area) -> SeriesData`` (through ``model_kriging``), ``split(data, kind, seed) -> Split``,
``train(name, data, split, ...) -> TrainedModel``, ``save_trained(trained, folder, area)``
and ``evaluate_saved(path, area, data) -> dict``. Each returns a new value; heavy steps take a
``progress`` callback and a ``stop`` flag.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from subsidence.errors import SubsidenceError
from subsidence.features import series_data
from subsidence.io.studyarea import StudyArea
from subsidence.models import make_model
from subsidence.models.base import FREE_RUNNING, ONE_STEP, ProgressCallback, StopFlag
from subsidence.models.modelio import ids_digest, load_model, save_model
from subsidence.reference import reference_label
from subsidence.series import SeriesData
from subsidence.threads import step_threads
from subsidence.validation import evaluation
from subsidence.validation.splits import random_split, spatial_block_split

if TYPE_CHECKING:
    from subsidence.geostat.kriging import KrigingConfig, KrigingResult
    from subsidence.geostat.kriging_solver import ProgressCallback as KrigingProgress

RANDOM = "random"
SPATIAL = "spatial"
SPLIT_KINDS = (RANDOM, SPATIAL)
DEFAULT_BLOCK_SIZE_M = 5000.0
DEFAULT_TEST_FRACTION = 0.3


def model_kriging(
    area: StudyArea, kriging_config: KrigingConfig | None = None, progress: KrigingProgress | None = None
) -> KrigingResult:
    """Krige the causes at the PS points only: what the models see, with ``kriging_config``'s settings.

    The map grid is left out (``grid=False``): grid settings (cell size, size limits, margin)
    change the maps only, never the values kriged at the PS points themselves, so the models
    see the same inputs whatever map the Interpolation page draws.

    Parameters
    ----------
    area : StudyArea
    kriging_config : KrigingConfig, optional
        Variogram family, pooling, detrending, ...; default :class:`KrigingConfig`'s defaults.
    progress : callable, optional
        Kriging's ``progress(fraction, message)``.
    """
    from subsidence.geostat.kriging import KrigingConfig, krige_study_area

    config = replace(kriging_config if kriging_config is not None else KrigingConfig(), grid=False)
    with step_threads("krige"):
        return krige_study_area(area, config, progress)


def prepare(
    area: StudyArea,
    kriging_config: KrigingConfig | None = None,
    progress: KrigingProgress | None = None,
    *,
    kriged: KrigingResult | None = None,
) -> SeriesData:
    """The series every model sees: the one route from a study area to the model inputs.

    The command line and the pages both come here (the pages through ``ui/cache.py``, which
    caches :func:`model_kriging` and this step by identity), so a model sees the same inputs
    for the same settings wherever it runs.

    Parameters
    ----------
    area : StudyArea
    kriging_config : KrigingConfig, optional
        Settings of :func:`model_kriging` (default its defaults).
    progress : callable, optional
        Kriging's ``progress(fraction, message)``.
    kriged : KrigingResult, optional
        :func:`model_kriging` of ``area`` already run with ``kriging_config`` (the pages keep it
        for the groundwater-level warning); kriged here when not given.
    """
    result = kriged if kriged is not None else model_kriging(area, kriging_config, progress)
    return series_data(area, result.factors)


@dataclass(frozen=True)
class Split:
    """A train/test split of the points and the recipe that rebuilds it.

    Attributes
    ----------
    kind : {"random", "spatial"}
    seed : int
    train_idx, test_idx : ndarray of int64
        Sorted row positions.
    test_fraction : float
    block_size_m, buffer_m : float
        Block side and buffer (metres) of a spatial split; unused by a random split.
    """

    kind: str
    seed: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    test_fraction: float = DEFAULT_TEST_FRACTION
    block_size_m: float = DEFAULT_BLOCK_SIZE_M
    buffer_m: float = 0.0

    def to_json(self, ps_ids: np.ndarray) -> dict[str, Any]:
        """The recipe and digests of the train/test ids (not the ids: a saved model stays small)."""
        return {
            "kind": self.kind,
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "block_size_m": self.block_size_m,
            "buffer_m": self.buffer_m,
            "n_train": int(self.train_idx.size),
            "n_test": int(self.test_idx.size),
            "train_ids_sha256": ids_digest(ps_ids[self.train_idx]),
            "test_ids_sha256": ids_digest(ps_ids[self.test_idx]),
        }


def split(
    data: SeriesData,
    kind: str = RANDOM,
    seed: int = 0,
    *,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    block_size_m: float = DEFAULT_BLOCK_SIZE_M,
    buffer_m: float = 0.0,
) -> Split:
    """Split the points: ``"random"`` (the paper's 70/30) or ``"spatial"`` (square blocks)."""
    if kind == RANDOM:
        train_idx, test_idx = random_split(data.n_points, test_fraction, seed)
    elif kind == SPATIAL:
        try:
            train_idx, test_idx = spatial_block_split(data.xy_m, block_size_m, test_fraction, seed, buffer_m)
        except SubsidenceError:
            if block_size_m != DEFAULT_BLOCK_SIZE_M:
                raise
            # the default blocks do not fit this area: blocks and buffer from its data, or a
            # ProtocolError saying why no spatial split is honest and what can be done
            from subsidence.validation.protocols import SPATIAL as SPATIAL_BLOCK
            from subsidence.validation.protocols import default_protocol

            chosen = default_protocol(data, SPATIAL_BLOCK, seed=seed)
            block_size_m, buffer_m = float(chosen.block_m or 0.0), float(chosen.buffer_m or 0.0)
            train_idx, test_idx = spatial_block_split(data.xy_m, block_size_m, test_fraction, seed, buffer_m)
    else:
        raise SubsidenceError(f"split {kind!r}: expected one of {', '.join(SPLIT_KINDS)}")
    return Split(kind, seed, train_idx, test_idx, test_fraction, block_size_m, buffer_m)


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model with its split and its scores on the test points.

    Attributes
    ----------
    name : registry name
    model : the fitted model
    split : Split
    seed : int
    metrics : dict
        :func:`subsidence.validation.evaluation.metrics` of the one-step changes on the test points,
        plus ``rmse_cumulative_free_mm`` (free-running, when the model offers it).
    modelled_mm : ndarray, shape (n, E - 1)
        One-step modelled changes at every point, mm per interval.
    seconds : float
        Training time.
    epochs_trained : int or None
    """

    name: str
    model: Any
    split: Split
    seed: int
    metrics: dict[str, float]
    modelled_mm: np.ndarray
    seconds: float
    epochs_trained: int | None


def train(
    name: str,
    data: SeriesData,
    split: Split,
    seed: int = 0,
    config: Any = None,
    progress: ProgressCallback | None = None,
    stop: StopFlag | None = None,
    *,
    max_epochs: int | None = None,
) -> TrainedModel:
    """Fit the model ``name`` on the split's training points and score it on its test points."""
    model = make_model(name, config, max_epochs=max_epochs)
    start = time.perf_counter()
    with step_threads("train"):
        fitted = model.fit(data, split.train_idx, seed=seed, progress=progress, stop=stop)
    seconds = time.perf_counter() - start
    with step_threads("evaluate"):
        modelled = fitted.predict(data, ONE_STEP)
    scores = evaluation.metrics(data, modelled, split.test_idx)
    try:
        with step_threads("evaluate"):
            free = fitted.predict(data, FREE_RUNNING)
        scores["rmse_cumulative_free_mm"] = evaluation.metrics(data, free, split.test_idx)[
            "rmse_cumulative_mm"
        ]
    except SubsidenceError:
        pass
    epochs = getattr(fitted, "epochs_trained", None)
    return TrainedModel(name, fitted, split, seed, scores, modelled, seconds, epochs)


def save_trained(
    trained: TrainedModel, folder: str | Path, area: StudyArea, data: SeriesData, *, overwrite: bool = False
) -> Path:
    """Save a trained model with its split, seed, data fingerprint and test metrics.

    A saved model already at ``folder`` is replaced only with ``overwrite`` (see ``save_model``).
    """
    meta = {
        "study_area": area.name,
        "fingerprint": area.fingerprint,
        "reference": reference_label(area),
        "n_points": data.n_points,
        "n_epochs": data.n_epochs,
        "split": trained.split.to_json(data.ps_ids),
        "seed": trained.seed,
        "epochs_trained": trained.epochs_trained,
        "seconds": round(trained.seconds, 3),
        "metrics": {k: v if isinstance(v, int) else _round(v, 4) for k, v in trained.metrics.items()},
    }
    return save_model(trained.model, folder, meta=meta, overwrite=overwrite)


def saved_test_points(meta: dict[str, Any], area: StudyArea, data: SeriesData) -> tuple[np.ndarray, str]:
    """Test points of a saved model's split on ``data``, or all points when that cannot be.

    Returns
    -------
    idx : ndarray of int64
    points : str
        ``"test points of the saved split"`` or why all points are scored.
    """
    everything = np.arange(data.n_points)
    recipe = meta.get("split")
    if meta.get("fingerprint") != area.fingerprint or not isinstance(recipe, dict):
        return everything, "all points (not the study area the model was trained on)"
    rebuilt = split(
        data,
        recipe.get("kind", RANDOM),
        int(recipe.get("seed", 0)),
        test_fraction=float(recipe.get("test_fraction", DEFAULT_TEST_FRACTION)),
        block_size_m=float(recipe.get("block_size_m", DEFAULT_BLOCK_SIZE_M)),
        buffer_m=float(recipe.get("buffer_m", 0.0)),
    )
    if ids_digest(data.ps_ids[rebuilt.test_idx]) != recipe.get("test_ids_sha256"):
        return everything, "all points (the saved split could not be rebuilt)"
    return rebuilt.test_idx, "test points of the saved split"


def evaluate_saved(
    path: str | Path,
    area: StudyArea,
    data: SeriesData,
    *,
    split_kind: str | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """Score a saved model on a study area (the CLI's ``evaluate``).

    Test points: with ``split_kind``, that split of ``data`` (seed: ``seed``, else the
    model's); otherwise the saved split's test points when ``area`` is the data the model was
    trained on (same fingerprint), all points when it is not.

    Returns
    -------
    dict
        ``model``, ``points`` (which points were scored), ``n_test_points``,
        ``rmse_change_mm``, ``mae_change_mm``, ``rmse_cumulative_mm``,
        ``rmse_cumulative_last_mm`` and ``by_severity`` (list of ``{class, n,
        rmse_cumulative_mm}``), lengths in mm.
    """
    model, meta = load_model(path, area)
    if split_kind is not None:
        saved_seed = meta.get("seed")
        chosen = seed if seed is not None else int(saved_seed) if saved_seed is not None else 0
        test_idx, points = (
            split(data, split_kind, chosen).test_idx,
            f"test points of a {split_kind} split, seed {chosen}",
        )
    else:
        test_idx, points = saved_test_points(meta, area, data)
    with step_threads("evaluate"):
        modelled = model.predict(data, ONE_STEP)
    scores = evaluation.metrics(data, modelled, test_idx)
    severity = evaluation.severity_table(data, modelled, test_idx)
    return {
        "model": meta.get("model"),
        "points": points,
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in scores.items()},
        "by_severity": [
            {"class": r["class"], "n": int(r["n"]), "rmse_cumulative_mm": _round(r["rmse_cumulative_mm"])}
            for r in severity.to_dict("records")
        ],
    }


def _round(value: float, digits: int = 3) -> float | None:
    """Rounded for JSON; None for NaN (JSON has no NaN)."""
    return None if not np.isfinite(value) else round(float(value), digits)
