"""Scenario heads join the record, follow their rate, and drive forecasts in the right direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subsidence.errors import SubsidenceError
from subsidence.models.local_motion import LocalMotion
from subsidence.planning.scenarios import PRESETS, Scenario, forecast, future_heads, scenario_table
from subsidence.series import SeriesData


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


def test_yearly_surveys_give_a_line_from_the_last_four() -> None:
    """Levelling once a year: under 4 acquisitions in two years, so the trend takes the last 4, as a line."""
    data = _data(5)
    yearly = np.arange(0, 40, 10)  # every 360 days: 4 surveys
    data = SeriesData(
        ps_ids=data.ps_ids,
        xy_m=data.xy_m,
        dates=data.dates[yearly],
        subsidence_mm=data.subsidence_mm[:, yearly],
        head_m=10 - 2.0 * data.days[yearly][None, :] / 365.25 + np.zeros((5, 1)),  # -2 m/yr
        thickness_m=data.thickness_m,
        permeability_m_per_day=data.permeability_m_per_day,
    )
    future = data.days[-1] + np.array([0.0, 365.25])
    heads = future_heads(data, PRESETS[0], future)
    np.testing.assert_allclose(heads[:, 0], data.head_m[:, -1], atol=1e-9)
    np.testing.assert_allclose(heads[:, 1] - heads[:, 0], -2.0, atol=1e-6)  # the line, no invented season


class _Physics:
    """Compaction proportional to head decline below the start: enough to test the plumbing."""

    def __init__(self, k: float) -> None:
        self.k = k

    def physics_mm(self, data: SeriesData) -> np.ndarray:
        return self.k * np.maximum(data.head_m[:, :1] - data.head_m, 0.0)

    def point_terms(self, data: SeriesData, k: int) -> LocalMotion:
        return LocalMotion(np.zeros(data.n_points, bool), np.ones(data.n_points), np.zeros(data.n_points))

    def forecast_from(self, data: SeriesData, k: int, terms: LocalMotion) -> np.ndarray:
        physics = self.physics_mm(data)
        return physics[:, k + 1 :] - physics[:, k : k + 1]


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


# --- scenarios per well: a zone, a CSV of future heads -------------------------------------


@pytest.fixture(scope="module")
def demo(small_area):  # type: ignore[no-untyped-def]
    from subsidence.pipeline import prepare

    return small_area, prepare(small_area)


def _nearest_points(area, data, well: str, n: int = 20) -> np.ndarray:  # type: ignore[no-untyped-def]
    i = int(np.flatnonzero(area.wells.ids.astype(str) == well)[0])
    d = np.hypot(data.xy_m[:, 0] - area.wells.x[i], data.xy_m[:, 1] - area.wells.y[i])
    return np.argsort(d)[:n], np.argsort(d)[-n:]


def test_zone_scenario_moves_heads_near_its_wells_only(demo) -> None:  # type: ignore[no-untyped-def]
    from subsidence.planning.scenarios import zone_scenario

    area, data = demo
    well = str(area.wells.ids[0])
    days = data.days[-1] + np.array([365.25, 730.5])
    trend = future_heads(data, PRESETS[0], days)
    zoned = future_heads(data, zone_scenario(area, data, [well], 5.0), days)
    near, far = _nearest_points(area, data, well)
    assert np.all(zoned[near, -1] > trend[near, -1] + 1.0)  # recovering near the well
    np.testing.assert_allclose(zoned[far], trend[far], atol=1e-6)  # untouched far away
    # the seasonal cycle goes on: with the zone held, a year apart gives the same head
    held = future_heads(
        data, zone_scenario(area, data, [well], 0.0), data.days[-1] + np.array([100.0, 465.25])
    )
    w = zone_scenario(area, data, [well], 0.0)
    assert w.wells[0].well_id == well
    closest = near[:3]
    own = future_heads(data, PRESETS[0], data.days[-1] + np.array([100.0, 465.25]))
    seasonal_own = own[closest, 1] - own[closest, 0]
    assert np.all(np.abs(held[closest, 1] - held[closest, 0]) < np.abs(seasonal_own) + 1e-9)


def test_csv_scenario_reads_future_heads_per_well(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from subsidence.planning.scenarios import csv_scenario
    from subsidence.planning.well_scenarios import _last_level

    area, data = demo
    well = str(area.wells.ids[0])
    level = _last_level(area, well, data.dates[-1])
    year = (data.dates[-1] + pd.Timedelta(days=365)).strftime("%Y-%m-%d")
    path = tmp_path / "heads.csv"
    path.write_text(f"well_id,date,head_m\n{well},{year},{level + 10:.2f}\n")
    scen = csv_scenario(area, data, path)
    assert scen.wells[0].change_m[-1] == pytest.approx(10.0, abs=0.01)
    days = data.days[-1] + np.array([365.0])
    near, far = _nearest_points(area, data, well)
    rise = future_heads(data, scen, days) - future_heads(data, PRESETS[0], days)
    assert np.all(rise[near, 0] > 2.0) and np.allclose(rise[far, 0], 0.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("well,date,head_m\nW001,2030-01-01,3\n", "missing column(s) well_id"),
        ("well_id,date,head_m\nNOPE,2030-01-01,3\n", "row 1, column well_id"),
        ("well_id,date,head_m\nW001,2030-01-01,3\nW001,01/02/2031,3\n", "row 2, column date"),
        ("well_id,date,head_m\nW001,2012-01-01,3\n", "not after the last acquisition"),
        ("well_id,date,head_m\nW001,2030-01-01,deep\n", "row 1, column head_m"),
        ("well_id,date,head_m\n", "no rows"),
    ],
)
def test_csv_errors_are_one_line_naming_row_and_column(demo, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    from subsidence.planning.scenarios import csv_scenario

    area, data = demo
    with pytest.raises(SubsidenceError, match="^.*$") as info:
        csv_scenario(area, data, text.encode())
    assert message in str(info.value) and "\n" not in str(info.value)
