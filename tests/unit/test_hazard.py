"""Time to threshold and angular distortion on hand-made forecasts and points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from subsidence.errors import SubsidenceError
from subsidence.planning import hazard
from subsidence.planning.hazard import BJERRUM_CLASSES, NO_NEIGHBOUR, Paths
from subsidence.planning.scenarios import Forecast, ModelForecast, Scenario
from subsidence.series import SeriesData


def _paths() -> Paths:
    # three points, today + 4 yearly steps (dates 365 days apart)
    dates = pd.DatetimeIndex(pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(5) * 365, "D"))
    central = np.array(
        [
            [100.0, 110.0, 120.0, 130.0, 140.0],  # +10 mm/yr
            [0.0, 50.0, 100.0, 150.0, 200.0],  # +50 mm/yr
            [300.0, 300.0, 300.0, 300.0, 300.0],  # stopped
        ]
    )
    return Paths(
        "s",
        np.array(["a", "b", "c"]),
        dates,
        central,
        central - 2 * np.arange(5),
        central + 10 * np.arange(5),
    )


def test_added_threshold_dates_interpolated_and_band_order() -> None:
    t = hazard.time_to_threshold(_paths(), 25.0, hazard.ADDED).set_index("ps_id")
    # a: +25 mm at 2.5 years; b: at 0.5 year; c never
    assert t.loc["a", "years"] == pytest.approx(2.5 * 365 / 365.25)
    assert t.loc["a", "date"] == pd.Timestamp("2020-01-01") + pd.Timedelta(days=912)
    assert t.loc["b", "years"] == pytest.approx(0.5 * 365 / 365.25)
    assert not t.loc["c", "within_horizon"] and pd.isna(t.loc["c", "date"])
    # the upper band edge reaches it first, the lower last
    assert t.loc["a", "early_date"] < t.loc["a", "date"] < t.loc["a", "late_date"]
    assert t.loc["a", "level_mm"] == pytest.approx(125.0)


def test_absolute_threshold_already_reached_today() -> None:
    t = hazard.time_to_threshold(_paths(), 150.0, hazard.ABSOLUTE).set_index("ps_id")
    assert t.loc["c", "already"] and t.loc["c", "years"] == 0.0
    assert t.loc["b", "date"] == pd.Timestamp("2020-01-01") + pd.Timedelta(days=3 * 365)
    assert not t.loc["a", "within_horizon"]  # 140 mm at the horizon
    assert pd.isna(t.loc["a", "late_date"]) and pd.isna(t.loc["a", "early_date"]) is False


def test_crossing_table_lists_only_crossings_soonest_first_in_plain_words() -> None:
    t = hazard.time_to_threshold(_paths(), 25.0)
    table = hazard.crossing_table(t, np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]]))
    assert list(table["PS point"]) == ["b", "a"]
    assert table.loc[0, "reached on"] == "2020-07-01"  # 182.5 days after 2020-01-01
    assert "_" not in "".join(table.columns)


@pytest.mark.parametrize("value,kind", [(-5.0, "added"), (float("nan"), "absolute"), (10.0, "relative")])
def test_bad_threshold_is_one_clear_error(value: float, kind: str) -> None:
    with pytest.raises(SubsidenceError, match="threshold"):
        hazard.time_to_threshold(_paths(), value, kind)


def test_angular_distortion_hand_made() -> None:
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [150.0, 0.0], [1000.0, 0.0], [1001.0, 0.0]])
    s = np.array([0.0, 100.0, 100.0, 0.0, 500.0])
    beta, count = hazard.angular_distortion(xy, s, max_distance_m=120.0, min_distance_m=5.0)
    # 100 mm over 100 m = 1/1000; the pair 1 m apart is left out (noise), so those two are alone
    assert beta[0] == pytest.approx(1 / 1000)
    assert beta[1] == pytest.approx(1 / 1000)  # max of 1/1000 (to 0) and 0 (to 2)
    assert beta[2] == pytest.approx(0.0)
    assert np.isnan(beta[3]) and np.isnan(beta[4])
    assert list(count) == [1, 2, 1, 0, 0]


def test_bjerrum_classes_at_the_limits() -> None:
    beta = np.array([1 / 1000, 1 / 750, 1 / 400, 1 / 200, 1 / 100, np.nan])
    assert list(hazard.bjerrum_class(beta)) == [*BJERRUM_CLASSES, NO_NEIGHBOUR]
    assert list(hazard.one_in(np.array([0.002, 0.0]))[:1]) == [500.0]
    counts = hazard.class_counts(hazard.bjerrum_class(beta))
    assert counts["points"].tolist() == [1, 1, 1, 1, 1, 1]


def _data() -> SeriesData:
    dates = pd.DatetimeIndex(["2020-01-01", "2020-07-01", "2021-01-01"])
    return SeriesData(
        ps_ids=np.array(["p", "q"]),
        xy_m=np.array([[0.0, 0.0], [50.0, 0.0]]),
        dates=dates,
        subsidence_mm=np.array([[0.0, 5.0, 10.0], [0.0, 10.0, 20.0]]),
        head_m=np.zeros((2, 3)),
        thickness_m=None,
        permeability_m_per_day=None,
    )


def test_distortion_today_and_at_horizon_from_a_forecast() -> None:
    data = _data()
    dates = pd.DatetimeIndex(["2021-01-01", "2022-01-01"])
    median = np.array([[10.0, 10.0], [20.0, 90.0]])
    f = Forecast(Scenario("x"), dates, np.zeros((2, 2)), median, median - 1, median + 1)
    table = hazard.distortion_table(data, hazard.paths_from(f, data), max_distance_m=100.0)
    assert table["beta_today"].tolist() == pytest.approx([10 / 50_000] * 2)  # 10 mm over 50 m
    assert table["beta_horizon"].tolist() == pytest.approx([80 / 50_000] * 2)  # 1 in 625
    assert table["class_horizon"].iloc[0] == BJERRUM_CLASSES[1]


def test_model_forecast_paths_start_from_todays_observed_value() -> None:
    data = _data()
    mf = ModelForecast(
        "m",
        Scenario("x"),
        data.ps_ids,
        pd.DatetimeIndex(["2021-02-01"]),
        np.zeros((2, 1)),
        np.array([[3.0], [4.0]]),
        np.array([[1.0], [2.0]]),
        np.array([[5.0], [6.0]]),
        {},
    )
    p = hazard.paths_from(mf, data)
    assert p.dates[0] == pd.Timestamp("2021-01-01")
    assert p.central_mm.tolist() == [[10.0, 13.0], [20.0, 24.0]]
    assert p.high_mm[:, -1].tolist() == [15.0, 26.0]
    with pytest.raises(SubsidenceError, match="Forecast"):
        hazard.paths_from(object(), data)
