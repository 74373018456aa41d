"""Hindcast: no InSAR after the cut reaches a model; references; scores; bad cut dates."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from subsidence.errors import SubsidenceError
from subsidence.models.base import SeriesData
from subsidence.validation.hindcast import (
    IT_STOPS,
    VELOCITY,
    anchor_offset,
    cut_index,
    hindcast,
    leaderboard,
    velocity_forecast,
)
from tests.unit.test_consolidation import synthetic

CUT = "2013-06-01"


@pytest.fixture(scope="module")
def data() -> SeriesData:
    d = synthetic(n=120, seed=3)
    rng = np.random.default_rng(0)
    sub = np.cumsum(rng.uniform(0, 3, d.subsidence_mm.shape), axis=1)
    return replace(d, subsidence_mm=sub - sub[:, :1])


def _scrambled_after_cut(data: SeriesData) -> SeriesData:
    k = cut_index(data, CUT)
    sub = data.subsidence_mm.copy()
    sub[:, k + 1 :] = np.random.default_rng(9).normal(500, 300, sub[:, k + 1 :].shape)
    return replace(data, subsidence_mm=sub)


@pytest.mark.parametrize("name", ["linear-trend", "consolidation", "spatial-lstm"])
def test_insar_after_the_cut_never_changes_the_hindcast(data: SeriesData, name: str) -> None:
    a = hindcast(data, name, CUT, seed=1, max_epochs=2)
    b = hindcast(_scrambled_after_cut(data), name, CUT, seed=1, max_epochs=2)
    np.testing.assert_array_equal(a.forecast_mm, b.forecast_mm)
    np.testing.assert_array_equal(a.low_mm, b.low_mm)
    np.testing.assert_array_equal(a.high_mm, b.high_mm)
    np.testing.assert_array_equal(a.references[VELOCITY], b.references[VELOCITY])
    assert not np.array_equal(a.observed_mm, b.observed_mm)  # the scoring does see the change


def test_scores_and_references(data: SeriesData) -> None:
    h = hindcast(data, "linear-trend", CUT)
    s = h.scores()
    k = cut_index(data, CUT)
    assert s["n_forecast_epochs"] == data.n_epochs - 1 - k == h.forecast_mm.shape[1]
    assert s["cut"] == str(data.dates[k].date())
    # "it stops" holds the robust anchor (the fitted value at the cut) for every later date
    offset = anchor_offset(data, k)
    np.testing.assert_allclose(h.references[IT_STOPS], np.repeat(offset[:, None], s["n_forecast_epochs"], 1))
    assert np.any(offset != 0)
    err = h.forecast_mm - h.observed_mm
    assert s["rmse_mm"] == pytest.approx(np.sqrt(np.mean(err**2)), abs=1e-3)
    assert 0 <= s["coverage_90"] <= 1 and s["mean_band_width_mm"] > 0
    assert np.all(h.low_mm <= h.forecast_mm) and np.all(h.forecast_mm <= h.high_mm)
    board = leaderboard([h])
    assert set(board["forecast"]) == {"linear-trend", IT_STOPS, VELOCITY}
    assert list(board["rmse_mm"]) == sorted(board["rmse_mm"])
    assert len(h.frame()) == data.n_points * s["n_forecast_epochs"]
    assert set(h.point_errors().columns) >= {"ps_id", "x", "y", "error_last_mm"}


def test_velocity_reference_extrapolates_a_line_and_season(data: SeriesData) -> None:
    t = data.days
    line = 0.1 * t + 5 * np.sin(2 * np.pi * t / 365.25)
    d = replace(data, subsidence_mm=np.tile(line - line[0], (data.n_points, 1)))
    k = cut_index(d, CUT)
    np.testing.assert_allclose(
        velocity_forecast(d, k), (line[k + 1 :] - line[k])[None, :].repeat(d.n_points, 0), atol=1e-6
    )


def test_every_forecast_starts_from_the_same_robust_anchor(data: SeriesData) -> None:
    """A spike of noise at the cut moves no forecast's level: all start from the fitted value."""
    k = cut_index(data, CUT)
    sub = data.subsidence_mm.copy()
    sub[:, k] += 40.0  # one bad acquisition at the cut
    spiked = replace(data, subsidence_mm=sub)
    a, b = hindcast(data, "linear-trend", CUT), hindcast(spiked, "linear-trend", CUT)
    for name in (IT_STOPS, VELOCITY):  # cumulative since the (spiked) acquisition: about 40 mm less
        shift = np.mean(b.references[name] - a.references[name])
        assert -40.0 < shift < -20.0, name  # the fit follows the spike only by its leverage


@pytest.mark.parametrize("cut", ["2012-02-01", "2016-01-01", "not a date"])
def test_bad_cut_dates_say_what_to_do(data: SeriesData, cut: str) -> None:
    with pytest.raises(SubsidenceError, match="cut date"):
        hindcast(data, "linear-trend", cut)


def test_unknown_model_fails_first(data: SeriesData) -> None:
    with pytest.raises(SubsidenceError, match="unknown model"):
        hindcast(data, "nope", CUT)
