"""Evaluation: the paper's metrics on known errors, cumulative rebuild, per point, severity classes."""

from __future__ import annotations

import numpy as np
import pytest

from subsidence.errors import SubsidenceError
from subsidence.evaluation import (
    PAPER_METRICS,
    metrics,
    modelled_cumulative,
    point_table,
    random_points,
    severity_labels,
    severity_table,
)
from tests.unit.test_features import make_series

DATA = make_series(n=60, n_epochs=10)


def offset(c: float) -> np.ndarray:
    out = DATA.change_mm + c
    out[:, 0] = np.nan
    return out


def test_perfect_changes_score_zero() -> None:
    scores = metrics(DATA, offset(0.0))
    assert scores["rmse_change_mm"] == pytest.approx(0) and scores["rmse_cumulative_mm"] == pytest.approx(0)
    np.testing.assert_allclose(modelled_cumulative(DATA, offset(0.0)), DATA.subsidence_mm)


def test_a_constant_bias_accumulates_from_epoch_one() -> None:
    idx = np.arange(0, 60, 3)
    scores = metrics(DATA, offset(2.0), idx)
    assert scores["rmse_change_mm"] == pytest.approx(2.0) and scores["mae_change_mm"] == pytest.approx(2.0)
    # cumulative error at epoch j (2 .. E - 1) is 2 (j - 1): epoch 1 is the observed anchor
    errors = 2.0 * np.arange(1, DATA.n_epochs - 1)
    assert scores["rmse_cumulative_mm"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert scores["rmse_cumulative_last_mm"] == pytest.approx(errors[-1])
    assert scores["n_test_points"] == 20
    assert set(PAPER_METRICS) <= set(scores)


def test_point_table_and_random_points() -> None:
    idx = random_points(np.arange(10, 60), 12, seed=1)
    assert idx.size == 12 and np.unique(idx).size == 12 and idx.min() >= 10
    assert np.array_equal(idx, random_points(np.arange(10, 60), 12, seed=1))
    table = point_table(DATA, offset(-1.0), idx)
    assert list(table["ps_id"]) == list(DATA.ps_ids[idx])
    np.testing.assert_allclose(table["cumulative_deviation_mm"], -(DATA.n_epochs - 2))
    np.testing.assert_allclose(table["mae_change_mm"], 1.0)


def test_severity_classes_count_points_by_last_cumulative() -> None:
    table = severity_table(DATA, offset(1.0))
    assert (
        list(table["class"])
        == severity_labels()
        == ["<50 mm", "50-100 mm", "100-200 mm", "200-400 mm", ">=400 mm"]
    )
    last = DATA.subsidence_mm[:, -1]
    assert list(table["n"]) == [int(((last >= a) & (last < b)).sum()) for a, b in
                                zip([-np.inf, 50, 100, 200, 400], [50, 100, 200, 400, np.inf], strict=True)]  # fmt: skip
    filled = table[table["n"] > 0]
    np.testing.assert_allclose(filled["rmse_change_mm"], 1.0)


def test_wrong_shapes_are_refused() -> None:
    with pytest.raises(SubsidenceError, match="expected \\(n_points, n_epochs - 1\\)"):
        metrics(DATA, DATA.change_mm[:, :-1])
