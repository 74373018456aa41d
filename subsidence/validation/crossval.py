"""Honest comparison of models: spatial block cross-validation, the noise floor, the leaderboard.

Three ways to split (``kind``):

``spatial-block`` (the default for comparing models)
    Square blocks about the variogram range of subsidence wide are dealt into ``folds`` folds
    of whole blocks; each fold is the test set once. Training points within ``buffer_m`` of any
    test point are dropped for that fold, so no test point has a training neighbour from the
    same bowl closer than the buffer. Every point is a test point exactly once.
``random``
    The paper's random 70/30 split of points (one fold), for comparison with its numbers: it
    measures interpolation between neighbours of the same bowl.
``temporal``
    Fit on the first epochs of every point, score one-step predictions of the last
    ``n_test_epochs`` changes only: the protocol for any forecasting claim.
``leave-one-out``
    Each point is the test set once (tiny networks such as ~20 levelling benchmarks).

The folds themselves are made in :mod:`subsidence.validation.splits`; which kind fits a study area, with
which blocks and buffer, is decided by :func:`subsidence.validation.protocols.default_protocol` (rules in
``docs/protocols.md``).

Out-of-fold predictions are pooled and scored with :mod:`subsidence.validation.evaluation` (the paper's
metrics, by severity class). :func:`noise_floor` gives the scatter of epoch-to-epoch changes at
stable points, the level below which no model can be expected to go.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.models import model_class
from subsidence.models.base import FREE_RUNNING, ONE_STEP, ProgressCallback, StopFlag, TrainingProgress
from subsidence.models.baselines import linear_velocity_mm_per_day
from subsidence.series import SeriesData
from subsidence.threads import torch_threads
from subsidence.validation.evaluation import metrics, point_table, severity_table
from subsidence.validation.protocols import make_folds
from subsidence.validation.splits import LEAVE_ONE_OUT, RANDOM, SPATIAL, TEMPORAL, Fold


def noise_floor(data: SeriesData, stable_fraction: float = 0.1) -> float:
    """Scatter (std, mm) of epoch-to-epoch changes at the most stable points.

    Stable points are the ``stable_fraction`` of points with the smallest absolute linear
    velocity; the std of their changes after removing each point's own mean change is what
    InSAR noise alone produces per interval. A model whose change RMSE is near it has little
    left to explain.
    """
    if not 0 < stable_fraction <= 1:
        raise SubsidenceError(f"stable_fraction must be in (0, 1], found {stable_fraction}")
    speed = np.abs(linear_velocity_mm_per_day(data.subsidence_mm, data.days))
    n = max(2, int(round(stable_fraction * data.n_points)))
    stable = np.argsort(speed)[:n]
    change = data.change_mm[stable]
    return float(np.std(change - change.mean(axis=1, keepdims=True)))


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold predictions of several models under one split.

    ``predictions[name]`` is (n, E - 1), mm, NaN where a point was never scored or before
    ``score_from_column``; ``free_predictions[name]`` the same in free-running mode (the model
    fed its own predicted changes from the first epoch on; spatial and random splits only);
    ``scored_idx`` the points scored; ``seconds[name]`` fit + predict time.
    """

    kind: str
    folds: tuple[Fold, ...]
    predictions: dict[str, np.ndarray]
    scored_idx: np.ndarray
    seconds: dict[str, float]
    free_predictions: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class FitProgress(TrainingProgress):
    """A progress report of a cross-validation: ``epoch`` fits done of ``max_epochs``.

    ``fraction`` (0..1) also counts the epochs of the fit under way; ``message`` reads
    "fit 3 of 12: spatial-lstm, fold 2 of 4 · epoch 5 of 20".
    """

    fraction: float = 0.0


class Stopped(SubsidenceError):
    """The user stopped a cross-validation; nothing it computed is kept."""


def cross_validate(
    data: SeriesData,
    model_names: Sequence[str],
    folds: int | Sequence[Fold] | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    *,
    kind: str | None = None,
    configs: dict[str, Any] | None = None,
    stop: StopFlag | None = None,
    **fold_options: Any,
) -> CrossValidation:
    """Fit every model on every fold and collect the out-of-fold one-step predictions.

    Parameters
    ----------
    folds : int, sequence of Fold, or None
        Number of folds for :func:`make_folds` (with ``kind`` and ``fold_options``; None: from
        the data), or the folds.
    configs : dict, optional
        Model name -> config object passed to the model's constructor (default settings otherwise).
    progress : callable, optional
        Called with a :class:`FitProgress` when each fit starts, after each training epoch
        and after each fit: ``epoch`` counts the fits done, ``max_epochs`` the fits in all,
        ``fraction`` the share done, ``message`` names the fit, model, fold and epoch.
    stop : callable, optional
        Checked inside training (every batch) and between fits; when it returns True the
        work ends with :class:`Stopped`.
    """
    fold_list = tuple(
        make_folds(data, kind, folds, seed, **fold_options)
        if folds is None or isinstance(folds, int)
        else folds
    )
    kind = kind if kind is not None else _kind_of(fold_list)
    configs = configs or {}
    scored = np.unique(np.concatenate([f.test_idx for f in fold_list]))
    predictions, free_predictions, seconds = {}, {}, {}
    done, total = 0, len(model_names) * len(fold_list)

    def report(message: str, within: float = 0.0) -> None:
        if progress is not None:
            progress(FitProgress(done, total, 0.0, message=message, fraction=(done + within) / total))

    with torch_threads():
        for name in model_names:
            cls = model_class(name)
            out = np.full((data.n_points, data.n_epochs - 1), np.nan)
            free = np.full_like(out, np.nan) if kind != TEMPORAL else None
            start = time.perf_counter()
            for i, fold in enumerate(fold_list):
                if stop is not None and stop():
                    raise Stopped(f"stopped by you after {done} of {total} fits")
                label = f"fit {done + 1} of {total}: {name}, fold {i + 1} of {len(fold_list)}"
                report(label)

                def epoch_report(p: TrainingProgress, label: str = label) -> None:
                    report(f"{label} · epoch {p.epoch} of {p.max_epochs}", p.epoch / max(p.max_epochs, 1))

                fit_data = data if fold.fit_epochs is None else _first_epochs(data, fold.fit_epochs)
                model = cls(configs.get(name)) if name in configs else cls()
                fitted = model.fit(fit_data, fold.train_idx, seed=seed + i, progress=epoch_report, stop=stop)
                if stop is not None and stop():
                    raise Stopped(f"stopped by you during fit {done + 1} of {total}")
                pred = fitted.predict(data, ONE_STEP)
                rows = fold.test_idx
                out[rows, fold.score_from_column :] = pred[rows, fold.score_from_column :]
                if free is not None:
                    try:
                        free[rows] = fitted.predict(data, FREE_RUNNING)[rows]
                    except SubsidenceError:
                        free = None
                done += 1
                report(f"{name}: fold {i + 1} of {len(fold_list)} done ({done} of {total} fits)")
            seconds[name] = time.perf_counter() - start
            predictions[name] = out
            if free is not None:
                free_predictions[name] = free
    return CrossValidation(kind, fold_list, predictions, scored, seconds, free_predictions)


def _kind_of(folds: Sequence[Fold]) -> str:
    """The split kind that made ``folds`` (for folds passed in ready-made)."""
    if any(f.fit_epochs is not None for f in folds):
        return TEMPORAL
    if len(folds) > 1 and all(f.test_idx.size == 1 for f in folds):
        return LEAVE_ONE_OUT
    return RANDOM if len(folds) == 1 else SPATIAL


def _first_epochs(data: SeriesData, n_epochs: int) -> SeriesData:
    return replace(
        data,
        dates=data.dates[:n_epochs],
        subsidence_mm=data.subsidence_mm[:, :n_epochs],
        head_m=data.head_m[:, :n_epochs],
        observed=None if data.observed is None else data.observed[:, :n_epochs],
    )


def leaderboard(
    data: SeriesData,
    model_names: Sequence[str],
    folds: int | Sequence[Fold] | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    *,
    kind: str | None = None,
    configs: dict[str, Any] | None = None,
    cv: CrossValidation | None = None,
    **fold_options: Any,
) -> pd.DataFrame:
    """Models ranked by cumulative RMSE on pooled out-of-fold predictions.

    Returns
    -------
    DataFrame
        One row per model, best first: ``model``, ``split``, ``rmse_change_mm``,
        ``mae_change_mm``, ``rmse_cumulative_mm``, ``rmse_cumulative_last_mm``,
        ``n_test_points``, ``change_vs_noise`` (change RMSE / :func:`noise_floor`),
        ``seconds``, then ``rmse_cumulative_mm <class>`` for each severity class of
        :func:`subsidence.validation.evaluation.severity_table`; with free-running predictions also
        ``rmse_cumulative_free_mm``, ``rmse_cumulative_free_last_mm`` and
        ``rmse_cumulative_free_mm <class>`` (the model run on its own predictions from the
        first epoch: what a forecast from the causes alone achieves).
    """
    cv = cv or cross_validate(
        data, model_names, folds, seed, progress, kind=kind, configs=configs, **fold_options
    )
    floor = noise_floor(data)
    scored = data.subset(cv.scored_idx)
    rows = []
    for name, pred in cv.predictions.items():
        row: dict[str, Any] = {"model": name, "split": cv.kind}
        row.update(metrics(scored, pred[cv.scored_idx]))
        row["change_vs_noise"] = row["rmse_change_mm"] / floor
        if name in cv.free_predictions:
            free = metrics(scored, cv.free_predictions[name][cv.scored_idx])
            row["rmse_cumulative_free_mm"] = free["rmse_cumulative_mm"]
            row["rmse_cumulative_free_last_mm"] = free["rmse_cumulative_last_mm"]
            for _, r in severity_table(scored, cv.free_predictions[name][cv.scored_idx]).iterrows():
                row[f"rmse_cumulative_free_mm {r['class']}"] = r["rmse_cumulative_mm"]
        row["seconds"] = cv.seconds[name]
        for _, r in severity_table(scored, pred[cv.scored_idx]).iterrows():
            row[f"rmse_cumulative_mm {r['class']}"] = r["rmse_cumulative_mm"]
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("rmse_cumulative_mm", kind="stable").reset_index(drop=True)
    table.attrs["noise_floor_mm"] = floor
    return table


def best_model_per_point(data: SeriesData, cv: CrossValidation) -> pd.DataFrame:
    """For each scored point, the model with the lowest RMSE of change.

    Returns
    -------
    DataFrame
        ``ps_id``, ``x``, ``y``, ``best_model``, ``best_rmse_change_mm`` and one
        ``rmse_change_mm <model>`` column per model.
    """
    scored = data.subset(cv.scored_idx)
    tables = {name: point_table(scored, pred[cv.scored_idx]) for name, pred in cv.predictions.items()}
    first = next(iter(tables.values()))
    out = first[["ps_id", "x", "y"]].copy()
    errors = np.column_stack([t["rmse_change_mm"].to_numpy() for t in tables.values()])
    names = np.array(list(tables))
    for name, col in zip(names, errors.T, strict=True):
        out[f"rmse_change_mm {name}"] = col
    out["best_model"] = names[np.argmin(errors, axis=1)]
    out["best_rmse_change_mm"] = errors.min(axis=1)
    return out
