"""Head scenarios: each point's head after the last acquisition, for a rate, a zone or a CSV.

Every scenario continues each point's kriged head from the last acquisition: a line and an
annual cycle fitted to its last two years, the cycle kept and the trend replaced by the
scenario's rate (or kept: "current trend continues"), joined to the last head without a jump.
A zone or a CSV of future heads per well changes the wells named, spread to the points by
inverse-distance weighting (:mod:`subsidence.planning.well_scenarios`). The forecasts made from these
heads are in :mod:`subsidence.planning.scenarios`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.series import SeriesData

if TYPE_CHECKING:  # a type only
    from subsidence.io.studyarea import StudyArea

DAYS_PER_YEAR = 365.25
TREND_WINDOW_DAYS = 730.0


@dataclass(frozen=True)
class Scenario:
    """A head scenario from the last acquisition on.

    Attributes
    ----------
    name : str
    rate_m_per_yr : float or None
        Head change per year at every point (positive = recovery); None keeps each point's
        own recent trend.
    wells, all_wells_xy : tuple
        A scenario set per well (a zone, or a CSV of future heads): the scenario wells'
        changes and every well's location; points near them follow them, the rest their own
        trend (:mod:`subsidence.planning.well_scenarios`). Empty for an area-wide scenario.
    """

    name: str
    rate_m_per_yr: float | None = None
    wells: tuple[
        Any, ...
    ] = ()  # WellChange per scenario well (subsidence.planning.well_scenarios); () = every point
    all_wells_xy: tuple[tuple[float, float], ...] = ()  # (x, y) of every well of the bundle, for the weights


PRESETS = (
    Scenario("current trend continues", None),
    Scenario("levels held", 0.0),
    Scenario("recovery 1 m/yr", 1.0),
)


MIN_TREND_EPOCHS = 4  # fewer in the last two years: the trend takes the last 4 acquisitions
MIN_SEASON_EPOCHS = 6  # fewer in the trend's window: a line, no annual cycle


def _design(days: np.ndarray) -> np.ndarray:
    w = 2 * np.pi * days / DAYS_PER_YEAR
    return np.column_stack([np.ones_like(days), days, np.cos(w), np.sin(w)])


def trend_window(days: np.ndarray) -> np.ndarray:
    """Which acquisitions the head trend is fitted on: the last two years, or the last 4 when
    the record is sparser than that (yearly levelling surveys); the whole record if shorter."""
    recent = days >= days[-1] - TREND_WINDOW_DAYS
    if recent.sum() < MIN_TREND_EPOCHS:
        recent = np.arange(len(days)) >= len(days) - MIN_TREND_EPOCHS
    return np.asarray(recent, bool)


def future_heads(data: SeriesData, scenario: Scenario, future_days: np.ndarray) -> np.ndarray:
    """Scenario heads (n, F) at ``future_days`` (days since the first acquisition, >= the last).

    A line and an annual cycle are fitted to each point's head over :func:`trend_window` (one
    least squares for all points; the cycle only when the window holds at least
    :data:`MIN_SEASON_EPOCHS` acquisitions, so a few yearly surveys give a line); the future
    keeps the cycle and follows the scenario's rate (or the fitted trend) from the fitted value
    at the last acquisition.
    """
    days = data.days
    recent = trend_window(days)
    if recent.sum() < 2:
        raise SubsidenceError("a scenario needs at least 2 acquisitions to fit the head trend")
    columns = 4 if recent.sum() >= MIN_SEASON_EPOCHS else 2  # a line (+ the annual cycle)
    coef = np.zeros((4, data.n_points))
    coef[:columns], *_ = np.linalg.lstsq(
        _design(days[recent])[:, :columns], data.head_m[:, recent].T, rcond=None
    )  # (4, n); the cycle's rows stay 0 without enough acquisitions
    at_last = _design(np.array([days[-1]])) @ coef  # (1, n)
    future = _design(np.asarray(future_days, float))
    seasonal = future[:, 2:] @ coef[2:] - _design(np.array([days[-1]]))[:, 2:] @ coef[2:]  # (F, n)
    rate = (
        coef[1]
        if scenario.rate_m_per_yr is None
        else np.full(data.n_points, scenario.rate_m_per_yr / DAYS_PER_YEAR)
    )
    elapsed = np.asarray(future_days, float)[:, None] - days[-1]
    # start from the last observed head so the scenario joins the record without a jump
    offset = data.head_m[:, -1] - at_last[0]
    trend = rate[None, :] * elapsed  # (F, n)
    if scenario.wells:
        from subsidence.planning.well_scenarios import spread

        change, weight = spread(scenario.wells, np.array(scenario.all_wells_xy), data.xy_m, future_days)
        trend = trend * (1.0 - weight)[None, :] + change.T
    return np.asarray((at_last + offset + trend + seasonal).T)


def extend(data: SeriesData, future_dates: pd.DatetimeIndex, head_m: np.ndarray) -> SeriesData:
    """``data`` with future epochs appended: scenario heads, subsidence held (unused by physics)."""
    held = np.repeat(data.subsidence_mm[:, -1:], len(future_dates), axis=1)
    return replace(
        data,
        dates=pd.DatetimeIndex(data.dates.append(future_dates)),
        subsidence_mm=np.hstack([data.subsidence_mm, held]),
        head_m=np.hstack([data.head_m, head_m]),
    )


def zone_scenario(area: StudyArea, data: SeriesData, well_ids: list[str], rate_m_per_yr: float) -> Scenario:
    """The chosen wells' heads change at ``rate_m_per_yr`` (+ = recovery); elsewhere the trend goes on."""
    from subsidence.planning.well_scenarios import zone_changes

    changes = zone_changes(area, data, list(well_ids), float(rate_m_per_yr))
    xy = tuple(zip(area.wells.x.tolist(), area.wells.y.tolist(), strict=True))
    return Scenario(f"zone of {len(changes)} wells {rate_m_per_yr:+g} m/yr", None, changes, xy)


def csv_scenario(
    area: StudyArea, data: SeriesData, source: str | Path | bytes, name: str = "heads from CSV"
) -> Scenario:
    """Future heads per well read from a CSV (``docs/forecasts.md``); elsewhere the trend goes on."""
    from subsidence.planning.well_scenarios import read_heads_csv

    changes = read_heads_csv(source, area, data)
    xy = tuple(zip(area.wells.x.tolist(), area.wells.y.tolist(), strict=True))
    return Scenario(name, None, changes, xy)


def parse_scenario(text: str) -> Scenario:
    """``trend``, ``held`` or a rate in m/yr (+ = recovery) as a :class:`Scenario`."""
    value = str(text).strip().lower()
    if value == "trend":
        return PRESETS[0]
    if value == "held":
        return PRESETS[1]
    try:
        rate = float(value)
    except ValueError as exc:
        raise SubsidenceError(
            f"scenario {text!r}: expected trend, held or a head change in m/yr such as 1.5 (+ = recovery)"
        ) from exc
    if not np.isfinite(rate) or abs(rate) > 20:
        raise SubsidenceError(f"scenario rate {text!r}: expected a number of m/yr between -20 and 20")
    return Scenario(f"head {rate:+g} m/yr", rate)
