"""Evaluation: the paper's metrics on known errors, cumulative rebuild, per point, severity classes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from subsidence.errors import SubsidenceError
from subsidence.validation.evaluation import (
    PAPER_METRICS,
    SEVERITY_EDGES_MM,
    metrics,
    modelled_cumulative,
    point_table,
    random_points,
    severity_edges,
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
    table = severity_table(DATA, offset(1.0), edges_mm=SEVERITY_EDGES_MM)
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


def test_severity_classes_follow_the_area_range() -> None:
    small = np.random.default_rng(0).uniform(-5, 44, 900)  # a 44 mm area
    assert severity_edges(small) == (10.0, 20.0, 30.0)
    assert severity_edges(np.linspace(0, 600, 500)) == SEVERITY_EDGES_MM  # the demo's range
    # an empty class is merged into its neighbour: nothing between 5 and 15 mm
    gap = np.r_[np.linspace(0, 4, 50), np.linspace(15, 22, 50)]
    edges = severity_edges(gap)
    counts = np.bincount(np.digitize(gap, edges), minlength=len(edges) + 1)
    assert (counts > 0).all() and len(edges) >= 1


def test_default_severity_table_has_no_empty_class_on_a_small_area() -> None:
    data = replace(DATA, subsidence_mm=DATA.subsidence_mm * 40 / DATA.subsidence_mm[:, -1].max())
    table = severity_table(data, np.c_[np.full(60, np.nan), data.change_mm[:, 1:] + 1.0])
    assert len(table) >= 2 and (table["n"] > 0).all() and table["rmse_change_mm"].notna().all()
    assert table["class"].iloc[0].startswith("<") and "400" not in " ".join(table["class"])


def test_unobserved_values_are_not_scored() -> None:
    observed = np.ones(DATA.subsidence_mm.shape, dtype=bool)
    observed[:, 5] = False  # a gap at epoch 5: changes 4 and 5 are unobserved
    gappy = replace(DATA, observed=observed)
    modelled = offset(0.0)
    modelled[:, 4] += 7.0
    modelled[:, 5] -= 7.0  # wrong only across the gap, the cumulative is right again after it
    scores = metrics(gappy, modelled)
    assert scores["rmse_change_mm"] == pytest.approx(0) and scores["rmse_cumulative_mm"] == pytest.approx(0)
    assert metrics(DATA, modelled)["rmse_change_mm"] > 1.0
    table = point_table(gappy, modelled)
    np.testing.assert_allclose(table["rmse_change_mm"], 0.0, atol=1e-12)
