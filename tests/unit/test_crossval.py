"""Spatial block cross-validation, the noise floor and the leaderboard."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from subsidence.errors import SubsidenceError
from subsidence.validation.crossval import best_model_per_point, cross_validate, leaderboard, noise_floor
from subsidence.validation.protocols import make_folds, subsidence_range_m
from subsidence.validation.splits import Fold, block_ids, spatial_block_folds
from tests.unit.test_consolidation import synthetic


def test_blocks_are_never_shared_between_train_and_test() -> None:
    xy = np.random.default_rng(0).uniform(0, 10_000, (500, 2))
    folds = spatial_block_folds(xy, 2000.0, n_folds=4, seed=1, buffer_m=300.0)
    ids = block_ids(xy, 2000.0)
    tested = np.concatenate([f.test_idx for f in folds])
    assert np.array_equal(np.sort(tested), np.arange(500))  # each point tested exactly once
    for f in folds:
        assert not set(ids[f.train_idx]) & set(ids[f.test_idx])
        gap = np.hypot(*(xy[f.train_idx][:, None, :] - xy[f.test_idx][None, :, :]).transpose(2, 0, 1)).min()
        assert gap >= 300.0


def test_too_many_folds_is_refused() -> None:
    xy = np.array([[0.0, 0.0], [5000.0, 0.0], [0.0, 5000.0]])
    with pytest.raises(SubsidenceError, match="n_folds"):
        spatial_block_folds(xy, 1000.0, n_folds=4)


def test_variogram_range_follows_the_scale_of_the_pattern() -> None:
    data = synthetic(400)
    rng = np.random.default_rng(0)
    x = data.xy_m[:, 0]
    short = replace(
        data,
        subsidence_mm=np.sin(x / 300.0)[:, None] * np.ones(data.n_epochs) + rng.normal(0, 0.01, 400)[:, None],
    )
    long = replace(data, subsidence_mm=np.sin(x / 3000.0)[:, None] * np.ones(data.n_epochs))
    assert subsidence_range_m(short) < subsidence_range_m(long)


def test_noise_floor_is_the_scatter_at_stable_points() -> None:
    data = synthetic(300)
    rng = np.random.default_rng(0)
    sub = np.zeros_like(data.subsidence_mm)
    sub[:30] = rng.normal(0, 2.0, (30, data.n_epochs))  # stable, noisy: changes have sd 2 sqrt(2)
    sub[30:] = np.linspace(0, 300, data.n_epochs)[None, :] + rng.normal(0, 2.0, (270, data.n_epochs))
    floor = noise_floor(replace(data, subsidence_mm=sub))
    assert floor == pytest.approx(2.0 * np.sqrt(2), rel=0.15)


def test_temporal_fold_scores_the_last_changes_only() -> None:
    data = synthetic(50)
    (fold,) = make_folds(data, "temporal", n_test_epochs=5)
    assert fold.fit_epochs == data.n_epochs - 5
    cv = cross_validate(data, ["persistence"], [fold])
    pred = cv.predictions["persistence"]
    assert (
        np.isnan(pred[:, : fold.score_from_column]).all()
        and np.isfinite(pred[:, fold.score_from_column :]).all()
    )


def test_leaderboard_ranks_models_and_names_the_split() -> None:
    data = synthetic(120)
    rng = np.random.default_rng(0)
    data = replace(data, subsidence_mm=data.subsidence_mm + rng.normal(0, 1, data.subsidence_mm.shape))
    seen = []
    table = leaderboard(data, ["persistence", "linear-trend"], 3, 0, seen.append, block_size_m=2500.0)
    assert list(table["split"].unique()) == ["spatial-block"]
    assert set(table["model"]) == {"persistence", "linear-trend"}
    assert table["rmse_cumulative_mm"].is_monotonic_increasing
    assert any(c.startswith("rmse_cumulative_mm ") for c in table.columns)
    assert len(seen) == 12 and seen[-1].epoch == seen[-1].max_epochs and seen[-1].fraction == 1.0
    assert seen[0].message == "fit 1 of 6: persistence, fold 1 of 3" and seen[0].fraction == 0.0
    assert table.attrs["noise_floor_mm"] > 0
    random = leaderboard(data, ["persistence"], kind="random")
    assert random["n_test_points"].iloc[0] == 36


def test_best_model_per_point_picks_the_lower_error() -> None:
    data = synthetic(40)
    folds = [Fold(np.arange(20), np.arange(20, 40))]
    cv = cross_validate(data, ["persistence", "linear-trend"], folds)
    best = best_model_per_point(data, cv)
    assert len(best) == 20
    cols = best[["rmse_change_mm persistence", "rmse_change_mm linear-trend"]].to_numpy()
    np.testing.assert_allclose(best["best_rmse_change_mm"], cols.min(axis=1))
