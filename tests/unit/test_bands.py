"""Split-conformal bands: coverage on exchangeable errors, growth with horizon, cuts inside the record."""

from __future__ import annotations

import numpy as np
import pytest

from subsidence.bands import POOLED, calibration_cuts, fit_band
from tests.unit.test_consolidation import synthetic


def _sample(rng: np.random.Generator, n: int, horizons: np.ndarray, groups: np.ndarray) -> dict:  # type: ignore[type-arg]
    # errors grow with the horizon: sd = 2 mm + 10 mm per year
    sd = 2.0 + 10.0 * horizons / 365.25
    err = rng.normal(0, 1, (n, len(horizons))) * sd[None, :]
    return {"error": err.ravel(), "horizon": np.tile(horizons, n), "group": np.repeat(groups, len(horizons))}


def test_band_covers_about_90_percent_of_new_errors_at_every_horizon() -> None:
    rng = np.random.default_rng(0)
    horizons = np.arange(1, 13) * 30.0
    groups = np.array(["a"] * 300)
    band = fit_band([_sample(rng, 300, horizons, groups) for _ in range(3)])
    test = _sample(rng, 2000, horizons, np.array(["a"] * 2000))
    err = test["error"].reshape(2000, -1)
    lo, hi = band.quantiles(horizons, "a")
    inside = (err >= lo[None, :]) & (err <= hi[None, :])
    assert 0.87 <= inside.mean() <= 0.93
    assert np.all(inside.mean(axis=0) > 0.83)
    assert hi[-1] > 3 * hi[0]  # wider with the horizon, not one width for all


def test_band_grows_with_the_square_root_beyond_the_calibrated_horizons() -> None:
    rng = np.random.default_rng(1)
    horizons = np.arange(1, 7) * 60.0
    band = fit_band([_sample(rng, 500, horizons, np.array(["a"] * 500))])
    _, hi = band.quantiles(np.array([horizons[-1], 2 * horizons[-1]]), "a")
    assert hi[1] == pytest.approx(np.sqrt(2) * hi[0])


def test_groups_with_few_errors_use_the_pooled_quantiles() -> None:
    rng = np.random.default_rng(2)
    horizons = np.arange(1, 4) * 30.0
    band = fit_band([_sample(rng, 50, horizons, np.array(["rare"] * 50))])
    assert "rare" not in band.table and POOLED in band.table
    np.testing.assert_array_equal(band.quantiles(horizons, "rare")[1], band.quantiles(horizons, POOLED)[1])


def test_no_calibration_gives_a_zero_band_that_says_so() -> None:
    band = fit_band([])
    low, high = band.interval(np.ones((2, 3)), np.array([1.0, 2.0, 3.0]), np.array(["a", "b"]))
    assert np.all(low == 1) and np.all(high == 1)
    assert "zero width" in band.describe()["note"]


def test_calibration_cuts_lie_inside_the_training_period() -> None:
    data = synthetic(n=10)
    k = 25
    cuts = calibration_cuts(data, k, 3)
    assert len(cuts) == 3
    assert all(3 <= c <= k - 1 for c in cuts)
    assert calibration_cuts(data, 3, 3) == []
