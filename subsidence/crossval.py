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

Which one fits a study area, with which blocks and buffer, is decided by
:func:`subsidence.protocols.default_protocol` (rules in ``docs/protocols.md``).

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
from subsidence.models.base import (
    FREE_RUNNING,
    ONE_STEP,
    ProgressCallback,
    SeriesData,
    StopFlag,
    TrainingProgress,
)
from subsidence.models.baselines import linear_velocity_mm_per_day
from subsidence.protocols import LEAVE_ONE_OUT, RANDOM, SPATIAL, TEMPORAL
from subsidence.splits import block_ids, random_split
from subsidence.threads import torch_threads


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
    kind: str | None = None,
    n_folds: int | None = None,
    seed: int = 0,
    *,
    block_size_m: float | None = None,
    buffer_m: float | None = None,
    n_test_epochs: int | None = None,
) -> list[Fold]:
    """Folds of ``kind`` (see the module docstring), with defaults from the data.

    ``kind`` None and every option None give the protocol the data allow
    (:func:`subsidence.protocols.default_protocol`: spatial blocks sized to the area,
    leave-one-out for tiny networks, random when no spatial split is honest).

    Parameters
    ----------
    n_folds : int, optional
        Spatial folds; default from the occupied blocks (2..5).
    block_size_m, buffer_m : float, optional
        Default: the variogram range of last-epoch subsidence (:func:`subsidence_range_m`),
        shrunk for small areas, and a buffer from it (``docs/protocols.md``).
    n_test_epochs : int, optional
        Changes held out at the end for ``temporal`` (default about 15 % of the epochs).

    Raises
    ------
    ProtocolError
        When an explicitly requested split cannot be made; the message offers the others.
    """
    from subsidence.protocols import default_protocol

    protocol = default_protocol(
        data, kind, n_folds, seed, block_m=block_size_m, buffer_m=buffer_m, n_test_epochs=n_test_epochs
    )
    return protocol_folds(data, protocol, seed)


def protocol_folds(data: SeriesData, protocol: Any, seed: int = 0) -> list[Fold]:
    """The folds of a :class:`subsidence.protocols.Protocol`."""
    if protocol.kind == RANDOM:
        train, test = random_split(data.n_points, 0.3, seed)
        return [Fold(train, test)]
    if protocol.kind == TEMPORAL:
        everyone = np.arange(data.n_points, dtype=np.int64)
        fit_epochs = data.n_epochs - protocol.n_test_epochs
        return [Fold(everyone, everyone, fit_epochs=fit_epochs, score_from_column=fit_epochs - 1)]
    if protocol.kind == LEAVE_ONE_OUT:
        every = np.arange(data.n_points, dtype=np.int64)
        return [Fold(np.delete(every, i), every[i : i + 1]) for i in range(data.n_points)]
    return spatial_block_folds(data.xy_m, protocol.block_m, protocol.n_folds, seed, protocol.buffer_m)


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
