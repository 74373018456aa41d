"""Baselines: persistence and linear trend exactly on known series, GM(1,1) by hand, save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subsidence.errors import SubsidenceError
from subsidence.models import model_class
from subsidence.models.base import FREE_RUNNING
from subsidence.models.baselines import (
    GM11,
    LinearTrend,
    Persistence,
    PersistenceConfig,
    SeasonalTrendConfig,
    gm11_fit,
    gm11_predict,
    seasonal_trend_fit,
)
from subsidence.series import SeriesData


def series(sub: np.ndarray, dates: pd.DatetimeIndex) -> SeriesData:
    n = sub.shape[0]
    return SeriesData(
        ps_ids=np.array([f"P{i}" for i in range(n)]),
        xy_m=np.column_stack([np.arange(n) * 100.0, np.zeros(n)]),
        dates=dates,
        subsidence_mm=sub,
        head_m=np.zeros_like(sub),
        thickness_m=None,
        permeability_m_per_day=None,
    )


DATES = pd.DatetimeIndex(["2020-01-01", "2020-01-25", "2020-03-13", "2020-04-06", "2020-05-24", "2020-06-17"])


def test_persistence_repeats_the_last_change_per_interval() -> None:
    sub = np.array([[0.0, 1.0, 4.0, 9.0, 10.0, 12.0]])
    pred = Persistence().predict(series(sub, DATES))
    assert np.isnan(pred[0, 0])
    np.testing.assert_allclose(pred[0, 1:], [1.0, 3.0, 5.0, 1.0])


def test_persistence_per_day_scales_by_interval_length() -> None:
    sub = np.array([[0.0, 24.0, 72.0, 96.0, 144.0, 168.0]])  # 1 mm/day throughout
    pred = Persistence(PersistenceConfig(per_day=True)).predict(series(sub, DATES))
    np.testing.assert_allclose(pred[0, 1:], np.diff(DATES.values).astype("timedelta64[D]").astype(float)[1:])


def test_linear_trend_is_exact_on_a_constant_velocity_and_free_runs() -> None:
    days = (DATES - DATES[0]).days.to_numpy(float)
    sub = np.vstack([0.5 * days, -0.2 * days])
    data = series(sub, DATES)
    np.testing.assert_allclose(LinearTrend().predict(data)[:, 1:], data.change_mm[:, 1:], atol=1e-9)
    np.testing.assert_allclose(
        LinearTrend().predict(data, FREE_RUNNING)[:, 1:], data.change_mm[:, 1:], atol=1e-9
    )


def test_linear_trend_uses_only_epochs_up_to_k() -> None:
    days = (DATES - DATES[0]).days.to_numpy(float)
    sub = np.array([0.3 * days])
    changed = sub.copy()
    changed[0, 4:] += 50.0  # epochs 4, 5 changed: columns 1..3 use epochs up to 3 only
    a, b = LinearTrend().predict(series(sub, DATES)), LinearTrend().predict(series(changed, DATES))
    np.testing.assert_allclose(a[:, 1:4], b[:, 1:4])
    assert not np.allclose(a[:, 4], b[:, 4])


def test_gm11_matches_a_hand_computed_example() -> None:
    # x0 = 2, 3, 4, 5: x1 = 2, 5, 9, 14; z1 = 3.5, 7, 11.5
    # least squares of x0(k) = -a z1 + b on (3.5, 3), (7, 4), (11.5, 5): mean z = 22/3,
    # sum dz dy = 8, sum dz^2 = 193/6, slope = 48/193, so a = -0.2487047, b = 4 - slope 22/3 = 2.1761658
    a, b = gm11_fit(np.array([[2.0, 3.0, 4.0, 5.0]]))
    z, y = np.array([3.5, 7.0, 11.5]), np.array([3.0, 4.0, 5.0])
    slope = ((z - z.mean()) * (y - y.mean())).sum() / ((z - z.mean()) ** 2).sum()
    assert a[0] == pytest.approx(-slope) == pytest.approx(-48 / 193, abs=1e-12)
    assert b[0] == pytest.approx(y.mean() - slope * z.mean()) == pytest.approx(2.1761658, abs=1e-6)
    fitted = gm11_predict(np.array([[2.0, 3.0, 4.0, 5.0]]), a, b, steps=1)
    # x1_hat(k+1) = (x0(1) - b/a) e^{-a k} + b/a
    x1 = (2.0 - b[0] / a[0]) * np.exp(-a[0] * np.arange(5)) + b[0] / a[0]
    np.testing.assert_allclose(fitted[0, 1:], np.diff(x1))
    # by hand: b/a = -8.75, x1_hat(k+1) = 10.75 e^{0.2487 k} - 8.75: x1_hat(4) = 13.917,
    # x1_hat(5) = 20.320, so the forecast of the 5th value is 6.403
    assert fitted[0, 4] == pytest.approx(6.403, abs=2e-3)


def test_gm11_follows_a_geometric_series_and_handles_negative_values() -> None:
    days = (DATES - DATES[0]).days.to_numpy(float)
    sub = np.vstack([-0.1 * days, np.zeros(len(days))])
    pred = GM11().predict(series(sub, DATES))
    assert np.isfinite(pred[:, 1:]).all()
    np.testing.assert_allclose(pred[1, 1:], 0.0, atol=1e-9)


@pytest.mark.parametrize("name", ["persistence", "linear-trend", "gm11", "seasonal-trend"])
def test_registry_and_save_load_round_trip(name: str) -> None:
    rng = np.random.default_rng(0)
    data = series(np.cumsum(rng.normal(1, 2, (4, 6)), axis=1), DATES)
    model = model_class(name)().fit(data, np.arange(3))
    arrays, meta = model.to_state()
    again = model_class(name).from_state(arrays, meta)
    np.testing.assert_array_equal(again.predict(data), model.predict(data))
    assert again.config == model.config


def test_bad_mode_and_empty_training_set_are_refused() -> None:
    data = series(np.zeros((2, 6)), DATES)
    with pytest.raises(SubsidenceError, match="mode"):
        Persistence().predict(data, "sideways")
    with pytest.raises(SubsidenceError, match="empty"):
        Persistence().fit(data, np.array([], dtype=int))


def test_seasonal_trend_recovers_velocity_and_season_and_beats_the_trend() -> None:
    dates = pd.date_range("2015-01-01", periods=100, freq="12D")
    t = (dates - dates[0]).days.to_numpy(float)
    amplitude = np.array([[2.0], [6.0], [0.0]])
    sub = 0.05 * t[None, :] + amplitude * np.sin(2 * np.pi * t / 365.25)[None, :]
    data = series(sub - sub[:, :1], dates)
    coef = seasonal_trend_fit(data.subsidence_mm, t)
    np.testing.assert_allclose(coef[:, 1], 0.05, atol=1e-9)
    np.testing.assert_allclose(np.hypot(coef[:, 2], coef[:, 3]), amplitude[:, 0], atol=1e-9)
    model = model_class("seasonal-trend")().fit(data, np.arange(3))
    pred, trend = model.predict(data), model_class("linear-trend")().predict(data)
    late = slice(62, None)  # more than two years of history
    np.testing.assert_allclose(pred[:, late], data.change_mm[:, late], atol=1e-8)
    assert np.abs(trend[1, late] - data.change_mm[1, late]).max() > 1.0
    np.testing.assert_allclose(pred[:, 1], trend[:, 1])  # a short history falls back to the trend
    assert np.isfinite(model.predict(data, FREE_RUNNING)[:, 1:]).all()


def test_seasonal_trend_config_is_checked() -> None:
    with pytest.raises(SubsidenceError, match="period_days"):
        SeasonalTrendConfig(period_days=0)


def test_seasonal_trend_needs_sampling_that_resolves_a_season() -> None:
    dates = pd.date_range("2010-06-01", periods=9, freq="365D")  # annual levelling
    t = (dates - dates[0]).days.to_numpy(float)
    data = series(np.outer([1.0, 2.0], 0.05 * t) + np.random.default_rng(0).normal(0, 1, (2, 9)), dates)
    cfg = SeasonalTrendConfig(min_span_days=0, min_epochs=4)
    pred = model_class("seasonal-trend")(cfg).predict(data)
    np.testing.assert_allclose(pred, model_class("linear-trend")().predict(data))
