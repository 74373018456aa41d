"""Hazard for planners: when each point reaches a settlement threshold, and differential settlement.

Two questions a planner asks of a forecast:

* **Time to threshold.** For a threshold (a settlement *more than today*, or an *absolute*
  cumulative value since the first acquisition), the date each point reaches it under a
  scenario, with the band's early date (the upper edge of the band reaches it first) and late
  date (the lower edge). Dates between forecast steps are interpolated linearly.
* **Differential settlement.** The angular distortion β = |Δs| / L between neighbouring PS
  points closer than a set distance (Δs: difference in settlement, L: distance apart), the
  largest β per point, today and at the horizon, in the classes of Bjerrum (1963).

See ``docs/hazard.md`` for the method, the limits and their source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from subsidence.errors import SubsidenceError
from subsidence.series import SeriesData

ADDED = "added"
ABSOLUTE = "absolute"
THRESHOLD_KINDS = (ADDED, ABSOLUTE)

# Bjerrum (1963), as quoted in /work/shared/SCIENCE_NOTES.md and docs/hazard.md: angular
# distortion limits and what they mean for buildings.
BJERRUM_LIMITS = (1 / 750, 1 / 500, 1 / 300, 1 / 150)
BJERRUM_CLASSES = (
    "below 1/750",
    "1/750 to 1/500: limit for sensitive machinery",
    "1/500 to 1/300: cracking possible",
    "1/300 to 1/150: first cracking in panel walls",
    "over 1/150: structural damage to buildings",
)
NO_NEIGHBOUR = "no neighbour near enough"
DEFAULT_MAX_DISTANCE_M = 200.0
DEFAULT_MIN_DISTANCE_M = 5.0


@dataclass(frozen=True)
class Paths:
    """Forecast cumulative subsidence per point, with its band, from today to the horizon.

    Attributes
    ----------
    scenario : str
    ps_ids : ndarray of str, shape (n,)
    dates : DatetimeIndex, shape (F,)
        Today (the last acquisition) first, then each forecast date.
    central_mm, low_mm, high_mm : ndarray, shape (n, F)
        Cumulative subsidence since the first acquisition, mm, positive = down: the central
        forecast and the lower and upper edges of its band. Column 0 is today's value.
    """

    scenario: str
    ps_ids: np.ndarray
    dates: pd.DatetimeIndex
    central_mm: np.ndarray
    low_mm: np.ndarray
    high_mm: np.ndarray

    @property
    def today_mm(self) -> np.ndarray:
        """Cumulative subsidence today (the last acquisition), mm, shape (n,)."""
        return self.central_mm[:, 0]


def paths_from(forecast: Any, data: SeriesData) -> Paths:
    """Paths of a :class:`~subsidence.planning.scenarios.Forecast` or :class:`~subsidence.planning.scenarios.ModelForecast`.

    A ``Forecast`` already starts at today's cumulative value; a ``ModelForecast`` (values
    since the last acquisition, first date one step ahead) gets today's observed cumulative
    added and today prepended.
    """
    from subsidence.planning.scenarios import Forecast, ModelForecast

    if isinstance(forecast, Forecast):
        return Paths(
            forecast.scenario.name,
            np.asarray(data.ps_ids).astype(str),
            forecast.dates,
            forecast.median_mm,
            forecast.low_mm,
            forecast.high_mm,
        )
    if isinstance(forecast, ModelForecast):
        base = data.subsidence_mm[:, -1:]

        def grow(a: np.ndarray) -> np.ndarray:
            return np.hstack([base, base + a])

        return Paths(
            forecast.scenario.name,
            np.asarray(forecast.ps_ids).astype(str),
            pd.DatetimeIndex(pd.DatetimeIndex([data.dates[-1]]).append(forecast.dates)),
            grow(forecast.forecast_mm),
            grow(forecast.low_mm),
            grow(forecast.high_mm),
        )
    raise SubsidenceError(f"expected a Forecast or ModelForecast, found {type(forecast).__name__}")


def _first_crossing(values: np.ndarray, level: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Days at which each row of ``values`` first reaches ``level`` (linear between steps); NaN if never."""
    above = values >= level[:, None]
    hit = above.any(axis=1)
    k = above.argmax(axis=1)
    out = np.full(len(values), np.nan)
    rows = np.flatnonzero(hit & (k == 0))
    out[rows] = days[0]
    rows = np.flatnonzero(hit & (k > 0))
    if rows.size:
        v0, v1 = values[rows, k[rows] - 1], values[rows, k[rows]]
        frac = np.clip((level[rows] - v0) / np.where(v1 > v0, v1 - v0, 1.0), 0.0, 1.0)
        out[rows] = days[k[rows] - 1] + frac * (days[k[rows]] - days[k[rows] - 1])
    return out


def time_to_threshold(paths: Paths, threshold_mm: float, kind: str = ADDED) -> pd.DataFrame:
    """The date each point reaches a settlement threshold under the forecast.

    Parameters
    ----------
    paths : Paths
    threshold_mm : float
        With ``kind="added"``: mm more than today (> 0). With ``kind="absolute"``: cumulative
        subsidence since the first acquisition, mm.
    kind : {"added", "absolute"}

    Returns
    -------
    DataFrame
        One row per point: ``ps_id``, ``today_mm``, ``level_mm`` (the threshold as cumulative
        subsidence), ``date`` (central forecast), ``early_date`` (upper band edge),
        ``late_date`` (lower band edge; NaT where the band never reaches it), ``years``
        (from today to ``date``), ``within_horizon`` (the central forecast reaches it by the
        horizon) and ``already`` (reached today).
    """
    if kind not in THRESHOLD_KINDS:
        raise SubsidenceError(f"threshold kind {kind!r}: expected one of {', '.join(THRESHOLD_KINDS)}")
    if not np.isfinite(threshold_mm) or (kind == ADDED and threshold_mm <= 0):
        raise SubsidenceError(
            f"threshold {threshold_mm} mm: expected a positive number of mm more than today "
            "(or choose an absolute cumulative value)"
        )
    today = paths.today_mm
    level = today + threshold_mm if kind == ADDED else np.full(len(today), float(threshold_mm))
    days = (paths.dates - paths.dates[0]).days.to_numpy(float)

    def as_dates(d: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(
            [pd.NaT if np.isnan(v) else paths.dates[0] + pd.Timedelta(days=float(v)) for v in d]
        ).normalize()

    central = _first_crossing(paths.central_mm, level, days)
    return pd.DataFrame(
        {
            "ps_id": paths.ps_ids,
            "today_mm": today,
            "level_mm": level,
            "date": as_dates(central),
            "early_date": as_dates(_first_crossing(paths.high_mm, level, days)),
            "late_date": as_dates(_first_crossing(paths.low_mm, level, days)),
            "years": central / 365.25,
            "within_horizon": np.isfinite(central),
            "already": today >= level,
        }
    )


def crossing_table(ttt: pd.DataFrame, xy_m: np.ndarray | None = None) -> pd.DataFrame:
    """The points whose central forecast reaches the threshold by the horizon, soonest first.

    Columns in plain words with units, dates as ``YYYY-MM-DD`` (``—`` when the band edge does
    not reach it by the horizon); ``xy_m`` adds the coordinates (m).
    """
    frame = ttt.copy()
    if xy_m is not None:
        frame["easting (m)"], frame["northing (m)"] = np.round(xy_m[:, 0]), np.round(xy_m[:, 1])
    frame = frame[frame["within_horizon"]].sort_values(["date", "ps_id"])

    def fmt(col: str) -> pd.Series:
        text: pd.Series = frame[col].dt.strftime("%Y-%m-%d").fillna("—")
        return text

    out = pd.DataFrame(
        {
            "PS point": frame["ps_id"].astype(str),
            "subsidence today (mm)": frame["today_mm"].round(1),
            "threshold (mm, cumulative)": frame["level_mm"].round(1),
            "reached on": fmt("date"),
            "earliest (band)": fmt("early_date"),
            "latest (band)": fmt("late_date"),
            "years from today": frame["years"].round(1),
        }
    )
    if xy_m is not None:
        out["easting (m)"], out["northing (m)"] = frame["easting (m)"], frame["northing (m)"]
    return out.reset_index(drop=True)


# --- differential settlement ----------------------------------------------------------------


def angular_distortion(
    xy_m: np.ndarray,
    settlement_mm: np.ndarray,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    min_distance_m: float = DEFAULT_MIN_DISTANCE_M,
) -> tuple[np.ndarray, np.ndarray]:
    """The largest angular distortion β = |Δs| / L between each point and its neighbours.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        Coordinates in a metric CRS.
    settlement_mm : ndarray, shape (n,)
        Settlement (cumulative subsidence), mm.
    max_distance_m : float
        Neighbours are the points closer than this (m).
    min_distance_m : float
        Pairs closer than this are left out: at a few metres InSAR noise alone gives large β.

    Returns
    -------
    beta : ndarray, shape (n,)
        Dimensionless (1/500 = 0.002); NaN for points with no neighbour in range.
    neighbours : ndarray of int, shape (n,)
        Neighbours counted per point.
    """
    if not (np.isfinite(max_distance_m) and max_distance_m > min_distance_m >= 0):
        raise SubsidenceError(
            f"neighbour distance {max_distance_m} m: expected a number of metres above {min_distance_m}"
        )
    xy = np.asarray(xy_m, float)
    s = np.asarray(settlement_mm, float)
    pairs = cKDTree(xy).query_pairs(max_distance_m, output_type="ndarray")
    beta = np.full(len(xy), -np.inf)
    count = np.zeros(len(xy), int)
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        dist = np.hypot(*(xy[i] - xy[j]).T)
        keep = (dist >= min_distance_m) & np.isfinite(s[i]) & np.isfinite(s[j])
        i, j, dist = i[keep], j[keep], dist[keep]
        b = np.abs(s[i] - s[j]) / (1000.0 * dist)
        np.maximum.at(beta, i, b)
        np.maximum.at(beta, j, b)
        np.add.at(count, i, 1)
        np.add.at(count, j, 1)
    beta[count == 0] = np.nan
    return beta, count


def bjerrum_class(beta: np.ndarray) -> np.ndarray:
    """Bjerrum (1963) class of each angular distortion (:data:`BJERRUM_CLASSES`; NaN: no neighbour)."""
    beta = np.asarray(beta, float)
    idx = np.searchsorted(np.asarray(BJERRUM_LIMITS), np.nan_to_num(beta, nan=0.0), side="right")
    labels = np.asarray(BJERRUM_CLASSES, dtype=object)[idx]
    labels[~np.isfinite(beta)] = NO_NEIGHBOUR
    return np.asarray(labels)


def one_in(beta: np.ndarray) -> np.ndarray:
    """β as "1 in N" (N = 1/β, rounded), as engineers quote it; NaN where β is 0 or NaN."""
    beta = np.asarray(beta, float)
    with np.errstate(divide="ignore"):
        return np.where(beta > 0, np.round(1.0 / beta), np.nan)


def distortion_table(
    data: SeriesData,
    paths: Paths | None = None,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    min_distance_m: float = DEFAULT_MIN_DISTANCE_M,
) -> pd.DataFrame:
    """Angular distortion per point today (cumulative so far) and at the horizon (central forecast).

    Returns
    -------
    DataFrame
        ``ps_id``, ``neighbours``, ``beta_today``, ``class_today`` and, with ``paths``,
        ``beta_horizon``, ``class_horizon`` (β dimensionless).
    """
    beta, count = angular_distortion(data.xy_m, data.subsidence_mm[:, -1], max_distance_m, min_distance_m)
    out = pd.DataFrame(
        {
            "ps_id": np.asarray(data.ps_ids).astype(str),
            "neighbours": count,
            "beta_today": beta,
            "class_today": bjerrum_class(beta),
        }
    )
    if paths is not None:
        later, _ = angular_distortion(data.xy_m, paths.central_mm[:, -1], max_distance_m, min_distance_m)
        out["beta_horizon"] = later
        out["class_horizon"] = bjerrum_class(later)
    return out


def class_counts(labels: np.ndarray | pd.Series) -> pd.DataFrame:
    """Points per Bjerrum class, in class order (every class listed, zeros included)."""
    order = [*BJERRUM_CLASSES, NO_NEIGHBOUR]
    counts = pd.Series(labels).value_counts()
    return pd.DataFrame({"class": order, "points": [int(counts.get(c, 0)) for c in order]})
