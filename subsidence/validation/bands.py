"""Calibrated 90 % bands: split-conformal intervals from hindcast errors, by horizon and speed.

A band is only worth showing if it contains what happens about 9 times in 10. The
parameter spread of refitted models does not do that; forecast errors do. So:

1. **Calibration cuts inside the training period.** For a forecast from epoch ``k`` (a test cut,
   or the last acquisition), the model is refitted at ``N_CUTS`` earlier cuts, using only
   acquisitions up to ``k``, and run forward to ``k`` on its own predictions. Each gives errors
   (InSAR minus forecast, cumulative since that cut) at known horizons (days since the cut).
   No acquisition after ``k`` is read, so the coverage measured after a test cut is honest.
2. **Normalised errors.** Each error is divided by a per-point scale known at its cut
   (:func:`score_scale`): the forecast's own change since the cut plus the point's noise floor
   (:func:`point_floor`, from its scatter about a line + annual cycle before the cut). A
   calibration fit sees less data than the final one and errs more, roughly in proportion to
   what it forecasts (the consolidation physics fitted on 40 % less record overshoots by tens of
   mm); relative errors transfer between cuts, absolute ones did not (absolute: coverage 0.98
   with a 73 mm band for the physics at the turn of the recovery variant; normalised: 0.93,
   38 mm). A horizon floor (:func:`horizon_floor`: the smallest absolute calibration error
   in each horizon bin, the miss that no calibration forecast escaped) is added to the scale,
   so that a model forecasting almost no motion at the test cut, where every calibration
   forecast missed, still gets a band (``psbas_like``: 0.89 with it, 0.72 without).
3. **Split-conformal quantiles** (Vovk et al. 2005; Angelopoulos & Bates 2021; Lei et al. 2018
   for the normalised score): the normalised errors are
   grouped by horizon (up to :data:`N_BINS` bins of equal counts) and by the point's speed class
   before the cut (``<10``, ``10-25``, ``25-50``, ``>=50`` mm/yr, where a class holds at least
   :data:`MIN_GROUP` errors; otherwise all points together); in each bin the 90 % empirical
   quantile ``q`` of the absolute normalised error, at the finite-sample conformal level
   ``ceil((m + 1) 0.9) / m``, gives the band ``forecast +- q scale``. The band is symmetric on
   purpose: at a turn in the heads a model's bias changes sign, and a band shifted by the bias
   of the declining period would miss (measured on the recovery variant: signed 5 %/95 %
   quantiles covered 58 % of what InSAR saw after the turn). Plain numpy quantiles are used
   (MAPIE's split-conformal regressor does the same for one horizon; it does not handle
   horizons or groups).
4. **Between and beyond the calibrated horizons** the quantiles are interpolated linearly in the
   horizon, and beyond the longest calibrated horizon they grow with its square root (as a
   random walk's spread; linear growth was measured too wide). This step is not covered by the
   conformal guarantee: that is why the coverage is always measured and reported, never assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from subsidence.series import SeriesData

N_CUTS = 3
N_BINS = 6
MIN_GROUP = 400
LEVEL = 0.90
SPEED_EDGES_MM_PER_YR = (10.0, 25.0, 50.0)
POOLED = "all points"
MIN_RECORD_SHARE = 0.6
MIN_CALIBRATION_EPOCHS = 4
MIN_FIT_EPOCHS = 6  # a model needs a few acquisitions before the cut (hindcasts too)
MIN_FIT_DAYS = 300.0  # and most of a year, so that the annual cycle can be fitted
MIN_FLOOR_MM = 1.0
FLOOR_QUANTILE = 0.0  # the smallest absolute calibration error per bin (docs/forecasts.md)


def speed_labels() -> list[str]:
    """Speed class names: ``<10 mm/yr`` ... ``>=50 mm/yr``."""
    e = SPEED_EDGES_MM_PER_YR
    return [
        f"<{e[0]:g} mm/yr",
        *(f"{a:g}-{b:g} mm/yr" for a, b in zip(e[:-1], e[1:], strict=True)),
        f">={e[-1]:g} mm/yr",
    ]


def point_group(data: SeriesData, k: int) -> np.ndarray:
    """Speed class of each point from its velocity over epochs ``0..k`` (known at the cut)."""
    days = data.days[: k + 1]
    t = days - days.mean()
    y = data.subsidence_mm[:, : k + 1]
    v = (y - y.mean(axis=1, keepdims=True)) @ t / float(t @ t) * 365.25
    return np.asarray(np.array(speed_labels())[np.digitize(np.abs(v), SPEED_EDGES_MM_PER_YR)])


def point_floor(data: SeriesData, k: int) -> np.ndarray:
    """Each point's noise floor at the cut ``k`` (mm), from epochs ``0..k`` only, shape (n,).

    ``sqrt(2)`` times the RMS residual of the point's line + annual cycle (the error of a value
    cumulative since the cut when the forecast were perfect), at least :data:`MIN_FLOOR_MM`.
    """
    days = data.days[: k + 1]
    w = 2 * np.pi * days / 365.25
    design = np.column_stack([np.ones_like(days), days, np.cos(w), np.sin(w)])
    y = np.nan_to_num(data.subsidence_mm[:, : k + 1].T)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(k + 1 - design.shape[1], 1)
    return np.asarray(np.maximum(np.sqrt(2.0 * (resid**2).sum(axis=0) / dof), MIN_FLOOR_MM))


def point_scale(data: SeriesData, k: int) -> tuple[np.ndarray, np.ndarray]:
    """What the band needs to know of each point at the cut ``k``: speed class and noise floor (mm)."""
    return point_group(data, k), point_floor(data, k)


def score_scale(forecast_mm: np.ndarray, floor_mm: np.ndarray) -> np.ndarray:
    """The scale an error is divided by: the forecast's own change plus the point's noise floor (mm)."""
    return np.asarray(np.abs(forecast_mm) + np.asarray(floor_mm, float)[:, None])


def calibration_cuts(data: SeriesData, k: int, n_cuts: int = N_CUTS) -> list[int]:
    """Up to ``n_cuts`` epochs before ``k`` to calibrate on, evenly spread.

    The earliest leaves the model at least :data:`MIN_CALIBRATION_EPOCHS` acquisitions and
    :data:`MIN_FIT_DAYS` days (a short record, such as yearly levelling,
    still gets a band) and
    at least :data:`MIN_RECORD_SHARE` of the record up to ``k``, so that the calibration fits
    resemble the forecast's own fit (a model fitted on far less data errs far more).
    """
    shortest = max(MIN_FIT_DAYS, MIN_RECORD_SHARE * data.days[k])
    fewest = min(MIN_FIT_EPOCHS, MIN_CALIBRATION_EPOCHS)
    ok = [j for j in range(k) if j + 1 >= fewest and data.days[j] >= shortest]
    if not ok or n_cuts < 1:
        return []
    picks = np.unique(np.round(np.linspace(0, len(ok) - 1, min(n_cuts, len(ok)))).astype(int))
    return [ok[i] for i in picks]


def residuals(inside: SeriesData, kc: int, forecast_mm: np.ndarray) -> dict[str, np.ndarray]:
    """Errors of one calibration forecast from epoch ``kc``: InSAR minus forecast, with horizons and groups.

    Parameters
    ----------
    inside : SeriesData
        The data up to the test cut only.
    kc : int
        The calibration cut.
    forecast_mm : ndarray, shape (n, E_inside - 1 - kc)
        Cumulative since ``kc``.
    """
    observed = inside.subsidence_mm[:, kc + 1 :] - inside.subsidence_mm[:, kc : kc + 1]
    horizon = inside.days[kc + 1 :] - inside.days[kc]
    group, floor = point_scale(inside, kc)
    n, f = observed.shape
    raw = observed - forecast_mm
    return {
        "error": (raw / score_scale(forecast_mm, floor)).ravel(),
        "raw_mm": raw.ravel(),
        "base_mm": score_scale(forecast_mm, floor).ravel(),
        "horizon": np.tile(horizon, n),
        "group": np.repeat(group, f),
    }


def horizon_floor(raw_mm: np.ndarray, horizon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The error no calibration forecast escaped, by horizon bin: centres (days), mm.

    The smallest absolute error (:data:`FLOOR_QUANTILE`) of the calibration forecasts in each
    horizon bin: near zero where some points were forecast well, and of the size of a shared,
    systematic miss where every point missed (a physics fitted on less record, far ahead).
    Added to each point's scale (:meth:`Band.interval`), it keeps the band from collapsing
    where a model forecasts almost no motion at the test cut but every calibration forecast
    missed by at least that much.
    """
    rows = [
        (float(horizon[m].mean()), float(np.quantile(np.abs(raw_mm[m]), FLOOR_QUANTILE)))
        for m in _bins(horizon)
    ]
    centres, spread = (np.array(c) for c in zip(*rows, strict=True))
    return centres, spread


def _conformal(values: np.ndarray, q: float) -> float:
    m = len(values)
    level = min(1.0, math.ceil((m + 1) * q) / m) if q > 0.5 else max(0.0, math.floor((m + 1) * q) / m)
    return float(np.quantile(values, level, method="higher" if q > 0.5 else "lower"))


@dataclass(frozen=True)
class Band:
    """Conformal quantiles of the error by horizon bin, per speed class (and for all points).

    ``table[group] = (centres_days, q_low, q_high)`` (normalised errors: multiply by
    :func:`score_scale`, as :meth:`interval` does); an empty table means no
    calibration was possible (the band then has zero width and says so).
    """

    table: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    n_errors: int
    n_cuts: int
    info: dict[str, Any] = field(default_factory=dict)
    spread: tuple[np.ndarray, np.ndarray] | None = None  # horizon_floor: centres (days), mm

    def floor_at(self, horizon_days: np.ndarray) -> np.ndarray:
        """The horizon floor (mm) at ``horizon_days``; 0 without one; square-root growth beyond."""
        h = np.asarray(horizon_days, float)
        if self.spread is None:
            return np.zeros(len(h))
        centres, spread = self.spread
        return np.asarray(np.interp(h, centres, spread) * np.sqrt(np.maximum(h / centres[-1], 1.0)))

    def quantiles(self, horizon_days: np.ndarray, group: str) -> tuple[np.ndarray, np.ndarray]:
        """Low and high quantiles of the normalised error at ``horizon_days`` for a speed class, (F,) each."""
        if not self.table:
            z = np.zeros(len(horizon_days))
            return z, z
        centres, lo, hi = self.table.get(group, self.table[POOLED])
        h = np.asarray(horizon_days, float)
        grow = np.sqrt(np.maximum(h / centres[-1], 1.0))  # beyond the calibrated horizons: square-root growth
        return np.interp(h, centres, lo) * grow, np.interp(h, centres, hi) * grow

    def interval(
        self,
        forecast_mm: np.ndarray,
        horizon_days: np.ndarray,
        groups: np.ndarray,
        floor_mm: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The 90 % band around ``forecast_mm`` (n, F) for points of speed classes ``groups`` (n,).

        The quantiles are of normalised errors: each is multiplied by :func:`score_scale`
        (the forecast's own change plus the point's noise floor ``floor_mm``, from
        :func:`point_scale`; 1 mm everywhere when not given).
        """
        floor = np.full(len(forecast_mm), MIN_FLOOR_MM) if floor_mm is None else floor_mm
        scale = score_scale(forecast_mm, floor) + self.floor_at(horizon_days)[None, :]
        low, high = np.empty_like(forecast_mm), np.empty_like(forecast_mm)
        for g in np.unique(groups):
            rows = groups == g
            lo, hi = self.quantiles(horizon_days, str(g))
            low[rows] = forecast_mm[rows] + np.minimum(lo, 0.0)[None, :] * scale[rows]
            high[rows] = forecast_mm[rows] + np.maximum(hi, 0.0)[None, :] * scale[rows]
        return low, high

    def describe(self) -> dict[str, Any]:
        """How the band was made, JSON-safe."""
        return {
            "method": "split-conformal 90 % quantile of the absolute error / (|forecast| + noise floor + horizon floor) by horizon bin and speed class",
            "level": LEVEL,
            "n_calibration_cuts": self.n_cuts,
            "n_errors": self.n_errors,
            "groups": sorted(self.table),
            **self.info,
        }


def _bins(horizon: np.ndarray) -> list[np.ndarray]:
    """Up to :data:`N_BINS` masks of about equal counts over the distinct horizons."""
    distinct = np.unique(horizon)
    parts = np.array_split(distinct, min(N_BINS, len(distinct)))
    return [np.isin(horizon, p) for p in parts if len(p)]


def _table(error: np.ndarray, horizon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = []
    for m in _bins(horizon):
        q = _conformal(np.abs(error[m]), LEVEL)
        rows.append((float(horizon[m].mean()), -q, q))
    centres, lo, hi = (np.array(c) for c in zip(*rows, strict=True))
    return centres, lo, hi


def fit_band(samples: list[dict[str, np.ndarray]]) -> Band:
    """The band from the errors of the calibration cuts (:func:`residuals`)."""
    if not samples:
        return Band({}, 0, 0, {"note": "no cut inside the training period: the band has zero width"})
    horizon = np.concatenate([s["horizon"] for s in samples])
    spread = None
    if all("raw_mm" in s for s in samples):  # errors of real forecasts: add the horizon floor
        raw = np.concatenate([s["raw_mm"] for s in samples])
        spread = horizon_floor(raw, horizon)
        centres, mm = spread
        base = np.concatenate([s["base_mm"] for s in samples])
        error = raw / (base + np.interp(horizon, centres, mm))
    else:  # errors given already normalised
        error = np.concatenate([s["error"] for s in samples])
    group = np.concatenate([s["group"] for s in samples])
    table = {POOLED: _table(error, horizon)}
    for g in np.unique(group):
        rows = group == g
        if rows.sum() >= MIN_GROUP:
            table[str(g)] = _table(error[rows], horizon[rows])
    info: dict[str, Any] = {"longest_calibrated_horizon_days": float(horizon.max())}
    if spread is not None:
        info["horizon_floor_mm"] = [round(float(v), 2) for v in spread[1]]
    return Band(table, int(len(error)), len(samples), info, spread)
