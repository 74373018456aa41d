"""The model comparison the dashboard shows and ``bench/bench_leaderboard.py`` prints: one recipe.

Spatial-block cross-validation with blocks the size of the variogram range of last-epoch
subsidence, pooled out-of-fold one-step predictions, the LSTMs capped at ``lstm_epochs``
epochs (the paper's settings otherwise), the paper's numbers beside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from subsidence.crossval import (
    SPATIAL,
    CrossValidation,
    best_model_per_point,
    cross_validate,
    leaderboard,
    make_folds,
    subsidence_range_m,
)
from subsidence.evaluation import PAPER_METRICS
from subsidence.models import model_names
from subsidence.models.base import ProgressCallback, SeriesData

PAPER_ROW = "paper (Li et al. 2020, random split, Beijing)"
LSTM_MODELS = ("paper-lstm", "spatial-lstm", "physics-lstm")


@dataclass(frozen=True)
class Comparison:
    """A leaderboard, the cross-validation behind it, and which model is best where."""

    table: pd.DataFrame
    cv: CrossValidation
    best: pd.DataFrame
    block_size_m: float
    noise_floor_mm: float


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
    folds: int = 5,
    seed: int = 0,
    kind: str = SPATIAL,
    lstm_epochs: int = 20,
    progress: ProgressCallback | None = None,
) -> Comparison:
    """Cross-validate ``names`` (default: every registered model) and rank them.

    Returns
    -------
    Comparison
        ``table`` is :func:`subsidence.crossval.leaderboard` with the paper's row appended.
    """
    names = list(names or model_names())
    block = subsidence_range_m(data)
    fold_list = make_folds(
        data, kind, folds, seed, block_size_m=block
    )  # the block size serves spatial folds only
    configs = {k: v for k, v in lstm_configs(lstm_epochs).items() if k in names}
    cv = cross_validate(data, names, fold_list, seed, progress, kind=kind, configs=configs)
    table = leaderboard(data, names, cv=cv)
    floor = float(table.attrs["noise_floor_mm"])
    paper = pd.DataFrame([{"model": PAPER_ROW, "split": "random", **PAPER_METRICS}])
    table = pd.concat([table, paper], ignore_index=True)
    return Comparison(table, cv, best_model_per_point(data, cv), block, floor)


def gain_over(
    table: pd.DataFrame, reference: str = "paper-lstm", column: str = "rmse_cumulative_mm"
) -> pd.Series:
    """Relative cut of ``column`` against ``reference`` (0.3 = 30 % lower), per model."""
    ref = table.loc[table["model"] == reference, column]
    if ref.empty or column not in table:
        return pd.Series(np.nan, index=table["model"])
    return pd.Series(1 - table[column].to_numpy() / float(ref.iloc[0]), index=table["model"])
