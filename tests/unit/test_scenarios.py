"""Scenario heads join the record, follow their rate, and drive forecasts in the right direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subsidence.errors import SubsidenceError
from subsidence.models.base import SeriesData
from subsidence.scenarios import PRESETS, Scenario, forecast, future_heads, scenario_table


def _data(n: int = 30) -> SeriesData:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2012-01-01", periods=40, freq="36D")
    days = (dates - dates[0]).days.to_numpy(float)
    rate = rng.uniform(-3, -1, n) / 365.25  # m/day: falling
    head = 10 + rate[:, None] * days[None, :] + 0.8 * np.cos(2 * np.pi * days / 365.25)[None, :]
    return SeriesData(
        ps_ids=np.array([f"P{i}" for i in range(n)]),
        xy_m=rng.uniform(0, 10_000, (n, 2)),
        dates=pd.DatetimeIndex(dates),
        subsidence_mm=np.cumsum(rng.uniform(0, 3, (n, 40)), axis=1) - 0,
        head_m=head,
        thickness_m=rng.uniform(10, 80, n),
        permeability_m_per_day=rng.uniform(0.5, 20, n),
    )


def test_future_heads_continue_the_trend_or_follow_the_rate() -> None:
    data = _data()
    last = data.days[-1]
    future = last + np.array([0.0, 365.25, 730.5])
    trend = future_heads(data, PRESETS[0], future)
    held = future_heads(data, Scenario("held", 0.0), future)
    np.testing.assert_allclose(trend[:, 0], data.head_m[:, -1], atol=1e-9)  # joins the record
    fitted_rate = (data.head_m[:, -1] - data.head_m[:, -11]) / (data.days[-1] - data.days[-11]) * 365.25
    np.testing.assert_allclose(trend[:, 2] - trend[:, 1], fitted_rate, atol=0.3)  # same season a year apart
    np.testing.assert_allclose(held[:, 2] - held[:, 1], 0.0, atol=1e-9)


class _Physics:
    """Compaction proportional to head decline below the start: enough to test the plumbing."""

    def __init__(self, k: float) -> None:
        self.k = k

    def physics_mm(self, data: SeriesData) -> np.ndarray:
        return self.k * np.maximum(data.head_m[:, :1] - data.head_m, 0.0)


def test_forecasts_start_at_insar_and_recovery_adds_less() -> None:
    data = _data()
    models = [_Physics(10.0), _Physics(12.0), _Physics(8.0)]
    falling = forecast(models, data, PRESETS[0], 3)
    recovering = forecast(models, data, PRESETS[2], 3)
    np.testing.assert_allclose(falling.median_mm[:, 0], data.subsidence_mm[:, -1])
    assert np.all(falling.low_mm <= falling.median_mm + 1e-9) and np.all(
        falling.median_mm <= falling.high_mm + 1e-9
    )
    assert np.all(recovering.added_mm < falling.added_mm)
    table = scenario_table([falling, recovering])
    assert table["mean_added_mm"].iloc[0] > table["mean_added_mm"].iloc[1]
    with pytest.raises(SubsidenceError, match="horizon"):
        forecast(models, data, PRESETS[0], 0)
