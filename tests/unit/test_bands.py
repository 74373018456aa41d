"""Split-conformal bands: coverage on exchangeable errors, growth with horizon, cuts inside the record."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from subsidence.validation.bands import (
    POOLED,
    calibration_cuts,
    fit_band,
    point_floor,
    residuals,
    score_scale,
)
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


def test_errors_proportional_to_the_forecast_transfer_from_a_larger_to_a_smaller_forecast() -> None:
    # calibration: forecasts twice as large as at the test, errors 20 % of the forecast (+ noise);
    # an absolute band would be twice too wide at the test, the normalised one is not
    rng = np.random.default_rng(3)
    horizons = np.arange(1, 9) * 45.0
    n = 2000
    floor = np.full(n, 2.0)

    def case(speed_mm_per_day: float) -> tuple[np.ndarray, np.ndarray]:
        forecast = speed_mm_per_day * np.tile(horizons, (n, 1))
        err = rng.normal(0, 1, forecast.shape) * (0.2 * forecast + 1.0)
        return forecast, err

    f_cal, e_cal = case(0.2)
    sample = {
        "error": (e_cal / score_scale(f_cal, floor)).ravel(),
        "horizon": np.tile(horizons, n),
        "group": np.repeat(np.array(["a"] * n), len(horizons)),
    }
    band = fit_band([sample])
    f_test, e_test = case(0.1)
    low, high = band.interval(f_test, horizons, np.array(["a"] * n), floor)
    observed = f_test + e_test
    inside = (observed >= low) & (observed <= high)
    assert 0.87 <= inside.mean() <= 0.97
    width_cal = np.quantile(np.abs(e_cal), 0.9) * 2
    assert np.mean(high - low) < 0.75 * width_cal  # narrower than the calibration's absolute errors


def test_noise_floor_reads_only_up_to_the_cut() -> None:
    data = synthetic(n=20)
    rng = np.random.default_rng(4)
    sub = np.cumsum(rng.normal(1.0, 2.0, data.subsidence_mm.shape), axis=1)
    data = replace(data, subsidence_mm=sub)
    later = sub.copy()
    later[:, 16:] += rng.normal(0, 50, later[:, 16:].shape)
    np.testing.assert_array_equal(point_floor(data, 15), point_floor(replace(data, subsidence_mm=later), 15))
    assert np.all(point_floor(data, 15) >= 1.0)


def test_a_forecast_of_no_motion_keeps_the_miss_every_calibration_forecast_made() -> None:
    # calibration: every point was forecast 30 mm short at every horizon (a shared miss); at the
    # test cut the model forecasts nothing: the band must still reach that far, not collapse
    data = synthetic(n=40)
    k = 25
    rng = np.random.default_rng(5)
    sub = np.cumsum(rng.normal(0.5, 0.2, data.subsidence_mm.shape), axis=1)
    data = replace(data, subsidence_mm=sub - sub[:, :1])
    samples = []
    for kc in calibration_cuts(data, k, 3):
        observed = data.subsidence_mm[:, kc + 1 : k + 1] - data.subsidence_mm[:, kc : kc + 1]
        samples.append(residuals(replace(data, subsidence_mm=data.subsidence_mm[:, : k + 1],
                                         head_m=data.head_m[:, : k + 1], dates=data.dates[: k + 1]),
                                 kc, observed - 30.0))  # fmt: skip
    band = fit_band(samples)
    assert min(band.info["horizon_floor_mm"]) >= 29.0
    horizons = np.array([30.0, 90.0])
    low, high = band.interval(np.zeros((3, 2)), horizons, np.array([POOLED] * 3), np.ones(3))
    assert np.all(high >= 10.0) and np.all(low <= -10.0)
    # without the floor (the same normalised errors alone) the band collapses to a few mm
    bare = fit_band([{k: v for k, v in smp.items() if k in ("error", "horizon", "group")} for smp in samples])
    _, bare_high = bare.interval(np.zeros((3, 2)), horizons, np.array([POOLED] * 3), np.ones(3))
    assert np.all(bare_high < 3.0)
