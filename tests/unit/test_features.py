"""Features: gap filling, one-step-ahead layout, change units, scaler fitted on training points."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from subsidence.errors import SubsidenceError
from subsidence.features import (
    PER_30_DAYS,
    PER_INTERVAL,
    Scaler,
    available_features,
    fill_gaps,
    sequence_inputs,
    sequence_targets,
    series_data,
    to_interval,
    to_unit,
)
from subsidence.geostat.factors import Factors
from subsidence.series import SeriesData


def make_series(n: int = 200, n_epochs: int = 20, seed: int = 0, layers: bool = True) -> SeriesData:
    """Small learnable series: compaction follows thickness x head decline, with noise, irregular intervals."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([24, 36, 48], size=n_epochs - 1)
    dates = pd.DatetimeIndex(
        pd.Timestamp("2012-01-01") + pd.to_timedelta(np.r_[0, np.cumsum(steps)], unit="D")
    )
    days = np.r_[0, np.cumsum(steps)].astype(float)
    thickness = rng.uniform(5, 60, n)
    permeability = rng.uniform(0.01, 1.0, n)
    decline = rng.uniform(0.5, 3.0, n)  # m/yr
    head = 30 - decline[:, None] * days / 365 + 0.8 * np.cos(2 * np.pi * days / 365)[None, :]
    rate = (0.004 * thickness * decline)[:, None] * (1 + 0.3 * np.sin(2 * np.pi * days / 365))[
        None, :
    ]  # mm/day
    truth = np.c_[np.zeros(n), np.cumsum(rate[:, 1:] * steps, axis=1)]
    observed = truth + rng.normal(0, 1.5, truth.shape)
    observed -= observed[:, :1]
    return SeriesData(
        ps_ids=np.array([f"P{i:04d}" for i in range(n)]),
        xy_m=rng.uniform(0, 10_000, (n, 2)),
        dates=dates,
        subsidence_mm=observed,
        head_m=head,
        thickness_m=thickness if layers else None,
        permeability_m_per_day=permeability if layers else None,
    )


def test_fill_gaps_interpolates_in_time_and_starts_at_zero() -> None:
    values = np.array([[0.0, np.nan, 4.0, np.nan], [np.nan, 2.0, 3.0, 5.0]])
    out = fill_gaps(values, np.array([0.0, 1.0, 4.0, 5.0]))
    np.testing.assert_allclose(out[0], [0.0, 1.0, 4.0, 4.0])
    np.testing.assert_allclose(out[1], [0.0, 0.0, 1.0, 3.0])


def test_fill_gaps_refuses_an_empty_series() -> None:
    with pytest.raises(SubsidenceError, match="no valid subsidence"):
        fill_gaps(np.array([[np.nan, np.nan]]), np.array([0.0, 1.0]))


def test_series_data_from_the_small_demo(small_area) -> None:  # type: ignore[no-untyped-def]
    from subsidence.demo.synthetic_bundle import load_truth
    from tests.conftest import SMALL_DEMO

    truth = load_truth(SMALL_DEMO)
    factors = Factors(truth.head_m, np.zeros_like(truth.head_m), truth.thickness_m, None)
    data = series_data(small_area, factors)
    assert data.subsidence_mm.shape == (small_area.n_points, small_area.n_epochs)
    assert np.isfinite(data.subsidence_mm).all() and (data.subsidence_mm[:, 0] == 0).all()
    ok = np.isfinite(small_area.subsidence_mm)
    np.testing.assert_allclose(data.subsidence_mm[ok], small_area.subsidence_mm[ok])
    assert available_features(data) == ("subsidence_rate_mm_per_30d", "head_rate_m_per_30d", "thickness_m")
    with pytest.raises(SubsidenceError, match="expected \\(n_points, n_epochs\\)"):
        series_data(small_area, Factors(truth.head_m[:, :5], truth.head_m[:, :5], None, None))


def test_inputs_are_lagged_one_step_and_targets_follow() -> None:
    data = make_series(n=5, n_epochs=8)
    names = available_features(data, PER_INTERVAL)
    x = sequence_inputs(data, names, PER_INTERVAL)
    y = sequence_targets(data, PER_INTERVAL)
    assert x.shape == (5, 6, 4) and y.shape == (5, 6)
    np.testing.assert_allclose(x[:, :, 0], data.change_mm[:, :6], rtol=1e-6)  # step t: change column t
    np.testing.assert_allclose(x[:, :, 1], data.head_change_m[:, :6], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y, data.change_mm[:, 1:], rtol=1e-6)  # target of step t: column t + 1
    np.testing.assert_allclose(x[:, 3, 2], data.thickness_m, rtol=1e-6)


def test_rates_per_30_days_round_trip_to_interval_changes() -> None:
    data = make_series(n=4, n_epochs=6)
    rate = to_unit(data.change_mm, data.interval_days, PER_30_DAYS)
    np.testing.assert_allclose(rate, data.change_mm * 30 / data.interval_days)
    np.testing.assert_allclose(to_interval(rate, data.interval_days, PER_30_DAYS), data.change_mm)


def test_absent_layers_are_dropped_and_required_ones_refused() -> None:
    data = make_series(n=4, n_epochs=6, layers=False)
    assert available_features(data) == ("subsidence_rate_mm_per_30d", "head_rate_m_per_30d")
    with pytest.raises(SubsidenceError, match="thickness layer"):
        sequence_inputs(data, ("subsidence_rate_mm_per_30d", "thickness_m"), PER_30_DAYS)
    with pytest.raises(SubsidenceError, match="change_unit"):
        available_features(data, "per-month")


def test_scaler_is_fitted_on_the_given_training_points_only() -> None:
    data = make_series(n=50, n_epochs=10)
    names = available_features(data)
    x = sequence_inputs(data, names, PER_30_DAYS)
    train = np.arange(0, 50, 2)
    scaler = Scaler.fit(x[train], names)
    np.testing.assert_allclose(scaler.low, x[train].reshape(-1, 4).min(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scaler.high, x[train].reshape(-1, 4).max(axis=0), rtol=1e-6)
    scaled = scaler.transform(x[train])
    assert scaled.min() >= -1e-6 and scaled.max() <= 1 + 1e-6
    assert Scaler.from_json(scaler.to_json()) == scaler
    np.testing.assert_allclose(scaler.inverse(scaler.transform(x)), x, rtol=1e-4, atol=1e-4)


def test_series_data_keeps_where_values_were_observed(small_area) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace as dc_replace

    from subsidence.demo.synthetic_bundle import load_truth
    from tests.conftest import SMALL_DEMO

    truth = load_truth(SMALL_DEMO)
    factors = Factors(truth.head_m, np.zeros_like(truth.head_m), truth.thickness_m, None)
    full = np.nan_to_num(np.array(small_area.subsidence_mm, dtype=float))
    assert series_data(dc_replace(small_area, subsidence_mm=full), factors).observed is None
    sub = full.copy()
    sub[3, 4] = np.nan
    sub[7, -1] = np.nan
    data = series_data(dc_replace(small_area, subsidence_mm=sub), factors)
    assert data.observed is not None and (~data.observed).sum() == 2
    assert not data.observed[3, 4] and not data.observed[7, -1]
    assert np.isfinite(data.subsidence_mm).all()
    assert not data.change_observed[3, 3] and not data.change_observed[3, 4] and data.change_observed[3, 5]
    assert data.subset(np.array([3, 7])).observed.shape == (2, data.n_epochs)


def test_season_inputs_are_the_calendar_of_the_predicted_interval() -> None:
    from subsidence.features import SEASON_FEATURES, available_features, season_inputs, seasonal_inputs_useful

    data = make_series(n=5, n_epochs=20)
    assert seasonal_inputs_useful(data)
    rng = np.random.default_rng(0)
    steady = data.days[None, :] * rng.uniform(0.01, 0.1, (5, 1)) + rng.normal(
        0, 1.0, data.subsidence_mm.shape
    )
    assert not seasonal_inputs_useful(replace(data, subsidence_mm=steady))  # no season to represent
    names = available_features(data, seasonal=True)
    assert names[-2:] == SEASON_FEATURES and SEASON_FEATURES[0] not in available_features(data)
    x = sequence_inputs(data, names, "per-30-days")
    sin, cos = season_inputs(data)
    np.testing.assert_allclose(x[0, :, -2], sin, atol=1e-6)
    np.testing.assert_allclose(np.hypot(x[:, :, -2], x[:, :, -1]), 1.0, atol=1e-6)
    middle = data.dates[1] + (data.dates[2] - data.dates[1]) / 2
    assert sin[0] == pytest.approx(np.sin(2 * np.pi * middle.day_of_year / 365.25))
