"""The model comparison the dashboard shows and ``bench/bench_leaderboard.py`` prints: one recipe.

The validation protocol the data allow (:func:`subsidence.validation.protocols.default_protocol`:
spatial blocks sized to the area, leave-one-out for tiny networks), pooled out-of-fold
one-step predictions, the LSTMs capped at ``lstm_epochs`` epochs (the paper's settings
otherwise), the paper's numbers beside.

Before a run, :func:`estimate_seconds` times one short fit of each model on a sample of the
points (one epoch for the networks) and scales it to the points, epochs and folds of the run;
:func:`default_settings` picks the models and the epoch cap that fit in
:data:`DEFAULT_BUDGET_S` on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from subsidence.models import model_class, model_names
from subsidence.models.base import ProgressCallback, StopFlag
from subsidence.series import SeriesData
from subsidence.threads import torch_threads
from subsidence.validation.crossval import (
    CrossValidation,
    FitProgress,
    best_model_per_point,
    cross_validate,
    leaderboard,
)
from subsidence.validation.evaluation import PAPER_METRICS
from subsidence.validation.protocols import SPATIAL, Protocol, default_protocol

PAPER_ROW = "paper (Li et al. 2020, random split, Beijing)"
LSTM_MODELS = ("paper-lstm", "spatial-lstm", "physics-lstm")
DEFAULT_LSTM_EPOCHS = 20
MIN_LSTM_EPOCHS = 5
DEFAULT_BUDGET_S = 180.0
"""Default settings aim to finish within this many seconds (estimated before the run)."""
DROP_ORDER = ("physics-lstm", "spatial-lstm", "consolidation", "gm11")
"""Models that may be left out of the default choice (slowest first) when the estimate exceeds the budget."""
CALIBRATION_POINTS = 300
PHYSICS_CALIBRATION_POINTS = 40
EPOCH_CHOICES = (DEFAULT_LSTM_EPOCHS, 10, MIN_LSTM_EPOCHS)


@dataclass(frozen=True)
class Comparison:
    """A leaderboard, the cross-validation behind it, and which model is best where."""

    table: pd.DataFrame
    cv: CrossValidation
    best: pd.DataFrame
    block_size_m: float
    noise_floor_mm: float
    protocol: Protocol | None = None


def lstm_configs(lstm_epochs: int) -> dict[str, Any]:
    """The LSTMs' default configs capped at ``lstm_epochs`` epochs."""
    from subsidence.models.hybrid import HybridConfig
    from subsidence.models.lstm import LSTMConfig

    return {
        "paper-lstm": replace(LSTMConfig(), max_epochs=lstm_epochs),
        "spatial-lstm": replace(HybridConfig(), max_epochs=lstm_epochs),
        "physics-lstm": replace(HybridConfig(), max_epochs=lstm_epochs),
    }


def compare(
    data: SeriesData,
    names: Sequence[str] | None = None,
    *,
    folds: int | None = None,
    seed: int = 0,
    kind: str | None = None,
    lstm_epochs: int = DEFAULT_LSTM_EPOCHS,
    progress: ProgressCallback | None = None,
    stop: StopFlag | None = None,
    protocol: Protocol | None = None,
) -> Comparison:
    """Cross-validate ``names`` (default: every registered model) and rank them.

    Parameters
    ----------
    folds, kind : optional
        Passed to :func:`subsidence.validation.protocols.default_protocol` (None: what the data allow);
        ignored when ``protocol`` is given.
    stop : callable, optional
        Checked inside training; when it returns True :class:`subsidence.validation.crossval.Stopped`
        is raised within a batch.

    Returns
    -------
    Comparison
        ``table`` is :func:`subsidence.validation.crossval.leaderboard` with the paper's row appended;
        ``protocol`` says what was held out and why.
    """
    names = list(names or model_names())
    protocol = protocol or default_protocol(data, kind, folds, seed)
    if progress is not None:  # the first report comes before the folds are dealt (seconds on big areas)
        fits = len(names) * protocol.n_folds
        progress(
            FitProgress(
                0, fits, 0.0, message=f"dealing the points into {protocol.n_folds} fold(s) for {fits} fits"
            )
        )
    fold_list = protocol.folds(data, seed)
    configs = {k: v for k, v in lstm_configs(lstm_epochs).items() if k in names}
    cv = cross_validate(
        data, names, fold_list, seed, progress, kind=protocol.kind, configs=configs, stop=stop
    )
    table = leaderboard(data, names, cv=cv)
    floor = float(table.attrs["noise_floor_mm"])
    paper = pd.DataFrame([{"model": PAPER_ROW, "split": "random", **PAPER_METRICS}])
    table = pd.concat([table, paper], ignore_index=True)
    table.attrs.update(noise_floor_mm=floor, protocol_note=protocol.note, protocol=protocol.to_json())
    block = protocol.block_m if protocol.kind == SPATIAL and protocol.block_m else float("nan")
    return Comparison(table, cv, best_model_per_point(data, cv), block, floor, protocol)


@dataclass(frozen=True)
class Calibration:
    """Measured cost of each model on this machine and these data (see :func:`calibrate`).

    ``fixed_s[name]``: seconds per training point of a fit apart from the network's epochs;
    ``epoch_s[name]``: seconds per training point of one network epoch (0 for other models);
    ``predict_s[name]``: seconds per point of the two predictions (one-step and free).
    """

    fixed_s: dict[str, float]
    epoch_s: dict[str, float]
    predict_s: dict[str, float]


def _timed_fit(name: str, data: SeriesData, seed: int) -> tuple[float, float]:
    cls = model_class(name)
    configs = lstm_configs(1)
    model = cls(configs[name]) if name in configs else cls()
    start = time.perf_counter()
    fitted = model.fit(data, np.arange(data.n_points), seed=seed)
    middle = time.perf_counter()
    fitted.predict(data)
    return (middle - start) / data.n_points, 2 * (time.perf_counter() - middle) / data.n_points


def calibrate(data: SeriesData, names: Sequence[str] | None = None, seed: int = 0) -> Calibration:
    """Time one short fit and one prediction of each model on a sample of points.

    Up to :data:`CALIBRATION_POINTS` points (seeded), :data:`PHYSICS_CALIBRATION_POINTS` for
    the physics fit (``consolidation``; ``physics-lstm`` is that fit plus a network epoch as
    costly as ``spatial-lstm``'s and is not run); networks train one epoch. A few seconds.
    """
    names = list(names or model_names())
    rng = np.random.default_rng(seed)
    order = rng.permutation(data.n_points)
    sample = data.subset(np.sort(order[: min(CALIBRATION_POINTS, data.n_points)]))
    small = data.subset(np.sort(order[: min(PHYSICS_CALIBRATION_POINTS, data.n_points)]))
    measured: dict[str, tuple[float, float]] = {}
    needed = set(names)
    if "physics-lstm" in needed:
        needed |= {"consolidation", "spatial-lstm"}
    with torch_threads():
        if needed & set(LSTM_MODELS):  # the first network fit pays torch's one-time set-up: not timed
            _timed_fit("paper-lstm", data.subset(np.sort(order[: min(10, data.n_points)])), seed)
        for name in model_names():
            if name in needed and name != "physics-lstm":
                measured[name] = _timed_fit(name, small if name == "consolidation" else sample, seed)
    fixed, epoch, predict = {}, {}, {}
    for name in names:
        if name == "physics-lstm":
            fixed[name] = measured["consolidation"][0]
            epoch[name] = measured["spatial-lstm"][0]
            predict[name] = measured["consolidation"][1] + measured["spatial-lstm"][1]
        elif name in LSTM_MODELS:
            fixed[name], epoch[name], predict[name] = 0.0, *measured[name]
        else:
            fixed[name], epoch[name], predict[name] = measured[name][0], 0.0, measured[name][1]
    return Calibration(fixed, epoch, predict)


def estimate_seconds(
    data: SeriesData,
    names: Sequence[str],
    protocol: Protocol,
    lstm_epochs: int = DEFAULT_LSTM_EPOCHS,
    calibration: Calibration | None = None,
) -> dict[str, float]:
    """Seconds each model will take under ``protocol`` (an upper bound for early-stopped nets).

    Per fold: (fixed cost + epoch cost x epochs) per training point x training points +
    prediction cost per point x points; times the folds. Measured by :func:`calibrate`
    unless given.
    """
    cal = calibration or calibrate(data, names)
    n = data.n_points
    if protocol.kind == "random":
        train = 0.7 * n
    elif protocol.kind == "temporal":
        train = float(n)
    else:
        train = n - n / max(protocol.n_folds, 1)
    return {
        name: protocol.n_folds
        * ((cal.fixed_s[name] + cal.epoch_s[name] * lstm_epochs) * train + cal.predict_s[name] * n)
        for name in names
    }


@dataclass(frozen=True)
class Settings:
    """Default choices of the Compare page for an area: models, epoch cap, protocol, estimate."""

    models: tuple[str, ...]
    lstm_epochs: int
    protocol: Protocol
    seconds: dict[str, float]
    note: str

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds[m] for m in self.models))


def default_settings(
    data: SeriesData,
    calibration: Calibration | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
    protocol: Protocol | None = None,
) -> Settings:
    """Models and epoch cap whose estimated time fits ``budget_s`` under the data's protocol.

    The most models, then the most network epochs (20, 10 or 5), whose estimate fits: models
    of :data:`DROP_ORDER` are left out slowest first. The note says what was left out.
    """
    protocol = protocol or default_protocol(data)
    names = model_names()
    cal = calibration or calibrate(data, names)
    table = {e: estimate_seconds(data, names, protocol, e, cal) for e in EPOCH_CHOICES}
    costly = sorted(DROP_ORDER, key=lambda m: -table[MIN_LSTM_EPOCHS][m])  # the slowest go first
    for n_dropped in range(len(costly) + 1):
        chosen = [m for m in names if m not in costly[:n_dropped]]
        fits = [e for e in EPOCH_CHOICES if sum(table[e][m] for m in chosen) <= budget_s]
        if fits:
            epochs = fits[0]
            break
    else:
        epochs = MIN_LSTM_EPOCHS
    dropped = [m for m in names if m not in chosen]
    note = f"{len(chosen)} models, networks capped at {epochs} epochs"
    if dropped:
        note += (
            f"; {', '.join(dropped)} left out by default to finish in about {budget_s / 60:.0f} min "
            "(add them back if you can wait)"
        )
    return Settings(tuple(chosen), epochs, protocol, table[epochs], note)


def gain_over(
    table: pd.DataFrame, reference: str = "paper-lstm", column: str = "rmse_cumulative_mm"
) -> pd.Series:
    """Relative cut of ``column`` against ``reference`` (0.3 = 30 % lower), per model."""
    ref = table.loc[table["model"] == reference, column]
    if ref.empty or column not in table:
        return pd.Series(np.nan, index=table["model"])
    return pd.Series(1 - table[column].to_numpy() / float(ref.iloc[0]), index=table["model"])
