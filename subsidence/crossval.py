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

Out-of-fold predictions are pooled and scored with :mod:`subsidence.evaluation` (the paper's
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
from scipy.optimize import curve_fit
from scipy.spatial import cKDTree

from subsidence.errors import SubsidenceError
from subsidence.evaluation import metrics, point_table, severity_table
from subsidence.models import model_class
from subsidence.models.base import FREE_RUNNING, ONE_STEP, ProgressCallback, SeriesData, TrainingProgress
from subsidence.models.baselines import linear_velocity_mm_per_day
from subsidence.splits import block_ids, random_split

SPATIAL = "spatial-block"
RANDOM = "random"
TEMPORAL = "temporal"
KINDS = (SPATIAL, RANDOM, TEMPORAL)


@dataclass(frozen=True)
class Fold:
    """One train/test division.

    Attributes
    ----------
    train_idx, test_idx : ndarray of int64
        Row positions of the training and the scored points.
    fit_epochs : int or None
        The model is fitted on the first ``fit_epochs`` epochs only (None: all).
    score_from_column : int
        First change column scored (1 for one-step models; later for the temporal hold-out).
    """

    train_idx: np.ndarray
    test_idx: np.ndarray
    fit_epochs: int | None = None
    score_from_column: int = 1


def subsidence_range_m(data: SeriesData, max_points: int = 2000, seed: int = 0) -> float:
    """Practical range (m) of an exponential variogram fitted to last-epoch cumulative subsidence.

    The experimental semivariance of up to ``max_points`` points (seeded subsample) is binned
    in 20 distance classes up to half the extent's diagonal, and ``nugget + sill (1 - exp(-3 h /
    a))`` is fitted by weighted least squares (weights = pairs per bin); ``a`` is returned.
    """
    rng = np.random.default_rng(seed)
    idx = rng.choice(data.n_points, min(max_points, data.n_points), replace=False)
    xy, z = data.xy_m[idx], data.subsidence_mm[idx, -1]
    if len(idx) < 10:
        raise SubsidenceError(f"need at least 10 points to fit a variogram, found {len(idx)}")
    i, j = np.triu_indices(len(idx), k=1)
    h = np.hypot(*(xy[i] - xy[j]).T)
    g = 0.5 * (z[i] - z[j]) ** 2
    h_max = 0.5 * float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
    edges = np.linspace(0.0, h_max, 21)
    which = np.digitize(h, edges) - 1
    ok = (which >= 0) & (which < 20)
    n = np.bincount(which[ok], minlength=20)
    gamma = np.bincount(which[ok], weights=g[ok], minlength=20) / np.maximum(n, 1)
    centres = np.bincount(which[ok], weights=h[ok], minlength=20) / np.maximum(n, 1)
    use = n > 0

    def model(hh: np.ndarray, nugget: float, sill: float, a: float) -> np.ndarray:
        return nugget + sill * (1.0 - np.exp(-3.0 * hh / a))

    top = float(gamma[use].max())
    p, _ = curve_fit(
        model,
        centres[use],
        gamma[use],
        p0=(0.1 * top, top, h_max / 3),
        sigma=1.0 / np.sqrt(n[use]),
        bounds=([0.0, 0.0, h_max / 100], [top * 2, top * 4, h_max * 2]),
        maxfev=5000,
    )
    return float(p[2])


def spatial_block_folds(
    xy_m: np.ndarray, block_size_m: float, n_folds: int = 5, seed: int = 0, buffer_m: float = 0.0
) -> list[Fold]:
    """K folds of whole square blocks, each fold the test set once.

    Blocks (:func:`subsidence.splits.block_ids`) are shuffled (seeded) and dealt, largest first,
    to the fold with the fewest points so far, so folds hold similar numbers of points. For each
    fold, training points closer than ``buffer_m`` to any of its test points are dropped.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        Point coordinates, metric CRS.
    block_size_m, buffer_m : float
        Block side and buffer width, metres.
    n_folds : int
        At least 2, at most the number of occupied blocks.
    """
    ids = block_ids(xy_m, block_size_m)
    blocks, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    if not 2 <= n_folds <= len(blocks):
        raise SubsidenceError(
            f"n_folds must be in 2..{len(blocks)} (occupied blocks of {block_size_m:g} m), found {n_folds}"
        )
    order = np.random.default_rng(seed).permutation(len(blocks))
    order = order[np.argsort(-counts[order], kind="stable")]
    fold_of_block = np.empty(len(blocks), dtype=np.int64)
    load = np.zeros(n_folds)
    for b in order:
        f = int(np.argmin(load))
        fold_of_block[b] = f
        load[f] += counts[b]
    fold = fold_of_block[inverse]
    tree = cKDTree(np.asarray(xy_m, float))
    out = []
    for f in range(n_folds):
        test = np.flatnonzero(fold == f)
        keep = fold != f
        if buffer_m > 0:
            near = np.unique(np.concatenate(tree.query_ball_point(xy_m[test], r=buffer_m)).astype(np.int64))
            keep[near] = False
        if not keep.any():
            raise SubsidenceError(f"buffer_m = {buffer_m:g} m leaves fold {f} no training point")
        out.append(Fold(np.flatnonzero(keep).astype(np.int64), test.astype(np.int64)))
    return out


def make_folds(
    data: SeriesData,
    kind: str = SPATIAL,
    n_folds: int = 5,
    seed: int = 0,
    *,
    block_size_m: float | None = None,
    buffer_m: float | None = None,
    n_test_epochs: int = 6,
) -> list[Fold]:
    """Folds of ``kind`` (see the module docstring).

    Parameters
    ----------
    block_size_m : float, optional
        Default: the variogram range of last-epoch subsidence (:func:`subsidence_range_m`).
    buffer_m : float, optional
        Default: a quarter of the block size.
    n_test_epochs : int
        Changes held out at the end for ``temporal``.
    """
    if kind not in KINDS:
        raise SubsidenceError(f"unknown split kind {kind!r}: expected one of {', '.join(KINDS)}")
    if kind == RANDOM:
        train, test = random_split(data.n_points, 0.3, seed)
        return [Fold(train, test)]
    if kind == TEMPORAL:
        if not 1 <= n_test_epochs <= data.n_epochs - 4:
            raise SubsidenceError(
                f"n_test_epochs must be in 1..{data.n_epochs - 4} for {data.n_epochs} epochs, found {n_test_epochs}"
            )
        everyone = np.arange(data.n_points, dtype=np.int64)
        fit_epochs = data.n_epochs - n_test_epochs
        return [Fold(everyone, everyone, fit_epochs=fit_epochs, score_from_column=fit_epochs - 1)]
    size = block_size_m if block_size_m is not None else subsidence_range_m(data, seed=seed)
    buffer = buffer_m if buffer_m is not None else size / 4
    return spatial_block_folds(data.xy_m, size, n_folds, seed, buffer)


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


def cross_validate(
    data: SeriesData,
    model_names: Sequence[str],
    folds: int | Sequence[Fold] = 5,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    *,
    kind: str = SPATIAL,
    configs: dict[str, Any] | None = None,
    **fold_options: Any,
) -> CrossValidation:
    """Fit every model on every fold and collect the out-of-fold one-step predictions.

    Parameters
    ----------
    folds : int or sequence of Fold
        Number of folds for :func:`make_folds` (with ``kind`` and ``fold_options``), or the folds.
    configs : dict, optional
        Model name -> config object passed to the model's constructor (default settings otherwise).
    progress : callable, optional
        Called after each (model, fold) with a :class:`TrainingProgress` whose ``epoch`` counts
        the fits done, ``max_epochs`` the fits in all, ``message`` names the model and fold.
    """
    fold_list = tuple(
        make_folds(data, kind, folds, seed, **fold_options) if isinstance(folds, int) else folds
    )
    configs = configs or {}
    scored = np.unique(np.concatenate([f.test_idx for f in fold_list]))
    predictions, free_predictions, seconds = {}, {}, {}
    done, total = 0, len(model_names) * len(fold_list)
    for name in model_names:
        cls = model_class(name)
        out = np.full((data.n_points, data.n_epochs - 1), np.nan)
        free = np.full_like(out, np.nan) if kind != TEMPORAL else None
        start = time.perf_counter()
        for i, fold in enumerate(fold_list):
            fit_data = data if fold.fit_epochs is None else _first_epochs(data, fold.fit_epochs)
            model = cls(configs.get(name)) if name in configs else cls()
            fitted = model.fit(fit_data, fold.train_idx, seed=seed + i)
            pred = fitted.predict(data, ONE_STEP)
            rows = fold.test_idx
            out[rows, fold.score_from_column :] = pred[rows, fold.score_from_column :]
            if free is not None:
                try:
                    free[rows] = fitted.predict(data, FREE_RUNNING)[rows]
                except SubsidenceError:
                    free = None
            done += 1
            if progress is not None:
                progress(
                    TrainingProgress(done, total, 0.0, message=f"{name}: fold {i + 1} of {len(fold_list)}")
                )
        seconds[name] = time.perf_counter() - start
        predictions[name] = out
        if free is not None:
            free_predictions[name] = free
    return CrossValidation(kind, fold_list, predictions, scored, seconds, free_predictions)


def _first_epochs(data: SeriesData, n_epochs: int) -> SeriesData:
    return replace(
        data,
        dates=data.dates[:n_epochs],
        subsidence_mm=data.subsidence_mm[:, :n_epochs],
        head_m=data.head_m[:, :n_epochs],
    )


def leaderboard(
    data: SeriesData,
    model_names: Sequence[str],
    folds: int | Sequence[Fold] = 5,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    *,
    kind: str = SPATIAL,
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
        :func:`subsidence.evaluation.severity_table`; with free-running predictions also
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
