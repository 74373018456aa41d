"""Groundwater scenarios and subsidence forecasts with uncertainty, from consolidation physics.

A planner asks: what if heads keep falling, are held, or recover (as after the South-to-North
water diversion reached Beijing in 2015)? Each scenario continues every point's kriged head
from the last acquisition: its recent trend (a line and an annual cycle fitted to the last two
years) replaced by the scenario's rate. The fitted ``consolidation`` model turns the heads into
compaction, scaled by each point's gain and with the local motion no cause explains carried on
(:meth:`subsidence.models.consolidation.Consolidation.forecast_from`, the forecast the hindcast
checks); the forecast is the observed cumulative subsidence at the last acquisition plus the
modelled compaction since then, so it starts from what InSAR saw.

The head scenarios themselves (presets, a rate, a zone of wells, a CSV of future heads per
well) are in :mod:`subsidence.planning.scenario_heads`; this module turns them into forecasts.

Uncertainty: the physics is refitted on the training part of each spatial-block fold (the
spread of those fits is parameter uncertainty), and its split-conformal 90 % band from forecast
errors inside the record (:mod:`subsidence.validation.bands`) is combined with it: the band shown is the
wider of the two. Neither includes the error of the head scenario itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.series import SeriesData

if TYPE_CHECKING:  # types only (bands and the model are imported where they are used)
    from subsidence.models.consolidation import Consolidation
    from subsidence.models.local_motion import LocalMotion
    from subsidence.validation.bands import Band
from subsidence.planning.scenario_heads import (
    PRESETS,
    TREND_WINDOW_DAYS,
    Scenario,
    csv_scenario,
    extend,
    future_heads,
    parse_scenario,
    zone_scenario,
)

__all__ = [
    "PRESETS",
    "TREND_WINDOW_DAYS",
    "Forecast",
    "ModelForecast",
    "Scenario",
    "csv_scenario",
    "extend",
    "fit_ensemble",
    "forecast",
    "forecast_table",
    "future_heads",
    "heads_outside_training",
    "local_motion_sentence",
    "model_forecast",
    "parse_scenario",
    "physics_band",
    "scenario_table",
    "threshold_table",
    "zone_scenario",
]

DAYS_PER_YEAR = 365.25
STEP_DAYS = 61  # about two months: smooth enough for a multi-year forecast, and quick


@dataclass(frozen=True)
class Forecast:
    """Forecast cumulative subsidence at every point under one scenario.

    Attributes
    ----------
    scenario : Scenario
    dates : DatetimeIndex, shape (F,)
        The last acquisition, then every 61 days to the horizon.
    head_m : ndarray, shape (n, F)
        Scenario head at each point.
    median_mm, low_mm, high_mm : ndarray, shape (n, F)
        Cumulative subsidence since the first acquisition, mm, positive = down: the median and
        the range of the refitted models.
    local : LocalMotion, optional
        The points moving unlike their neighbours, whose own motion the forecast carries on.
    """

    scenario: Scenario
    dates: pd.DatetimeIndex
    head_m: np.ndarray
    median_mm: np.ndarray
    low_mm: np.ndarray
    high_mm: np.ndarray
    local: LocalMotion | None = None

    @property
    def added_mm(self) -> np.ndarray:
        """Median subsidence added between the last acquisition and the horizon, shape (n,)."""
        return np.asarray(self.median_mm[:, -1] - self.median_mm[:, 0])


def fit_ensemble(
    data: SeriesData, folds: int = 3, seed: int = 0, progress: Callable[[float, str], None] | None = None
) -> list[Consolidation]:
    """The ``consolidation`` model refitted on the training points of each spatial-block fold.

    A study area too small to hold ``folds`` spatial blocks gets one model fitted on every
    point (the forecast then has no band).
    """
    from subsidence.models.consolidation import Consolidation
    from subsidence.validation.protocols import SPATIAL, make_folds, subsidence_range_m

    try:
        fold_list = make_folds(data, SPATIAL, folds, seed, block_size_m=subsidence_range_m(data))
    except SubsidenceError:  # an area too small for spatial folds: one fit on every point, no band
        return [Consolidation().fit(data, np.arange(data.n_points), seed=seed)]
    models = []
    for i, fold in enumerate(fold_list):
        if progress is not None:
            progress(i / len(fold_list), f"fitting the physics, fold {i + 1} of {len(fold_list)}")
        models.append(Consolidation().fit(data, fold.train_idx, seed=seed + i))
    return models


def physics_band(data: SeriesData, seed: int = 0) -> Band:
    """The calibrated band of the consolidation physics on this record (:mod:`subsidence.validation.bands`).

    The physics is refitted at cuts inside the record and run forward to its end; the errors
    give split-conformal quantiles by horizon and speed class. Costly (one fit per cut): compute
    it once per record and pass it to :func:`forecast` for every scenario.
    """
    from subsidence.validation import bands
    from subsidence.validation.hindcast import fit_model, run_forward

    k = data.n_epochs - 1
    samples = [
        bands.residuals(data, kc, run_forward(fit_model("consolidation", data, kc, seed=seed), data, kc))
        for kc in bands.calibration_cuts(data, k)
    ]
    return bands.fit_band(samples)


def forecast(
    models: Sequence[Consolidation],
    data: SeriesData,
    scenario: Scenario,
    horizon_years: float = 5.0,
    calibrated: bool = True,
    band: Band | None = None,
) -> Forecast:
    """Forecast cumulative subsidence at every point under ``scenario`` to ``horizon_years``.

    The band is the wider of the refitted models' spread (parameter uncertainty) and, with
    ``calibrated``, the physics' split-conformal 90 % band from its forecast errors inside the
    record (``band``, else :func:`physics_band`; horizons beyond the record grow with the square
    root).
    """
    if not models:
        raise SubsidenceError("no fitted consolidation model to forecast with")
    if not 0 < horizon_years <= 30:
        raise SubsidenceError(f"horizon_years must be in (0, 30]; found {horizon_years}")
    last = data.dates[-1]
    future_dates = pd.date_range(
        last, last + pd.Timedelta(days=horizon_years * DAYS_PER_YEAR), freq=f"{STEP_DAYS}D"
    )[1:]
    future_days = (future_dates - data.dates[0]).days.to_numpy(float)
    heads = future_heads(data, scenario, future_days)
    ext = extend(data, future_dates, heads)
    e = data.n_epochs - 1
    # each model's forecast as the hindcast checks it: gain and local motion read up to the last
    # acquisition (column 0 is the last acquisition itself)
    terms = [m.point_terms(ext, e) for m in models]
    added = np.stack(
        [
            np.hstack([np.zeros((data.n_points, 1)), m.forecast_from(ext, e, t)])
            for m, t in zip(models, terms, strict=True)
        ]
    )
    base = data.subsidence_mm[:, -1:]
    median, low, high = np.median(added, axis=0), added.min(axis=0), added.max(axis=0)
    if calibrated:
        from subsidence.validation.bands import point_scale

        band = band if band is not None else physics_band(data)
        horizon = np.r_[0.0, future_days - data.days[-1]]  # column 0 is the last acquisition
        c_low, c_high = band.interval(median, horizon, *point_scale(data, data.n_epochs - 1))
        c_low[:, 0] = c_high[:, 0] = median[:, 0]
        low, high = np.minimum(low, c_low), np.maximum(high, c_high)
    return Forecast(
        scenario=scenario,
        dates=pd.DatetimeIndex(pd.DatetimeIndex([last]).append(future_dates)),
        head_m=np.hstack([data.head_m[:, -1:], heads]),
        median_mm=base + median,
        low_mm=base + low,
        high_mm=base + high,
        local=terms[0],
    )


def local_motion_sentence(f: Forecast, ps_ids: np.ndarray, most: int = 10) -> str | None:
    """Plain words on the points moving unlike their neighbours (None when there are none).

    Text, not Markdown or HTML: the caller escapes the ids.
    """
    if f.local is None or f.local.n_flagged == 0:
        return None
    rates = f.local.rate_mm_per_yr[f.local.flagged]
    ids = [str(p) for p in np.asarray(ps_ids)[f.local.flagged][:most]]
    more = f" and {f.local.n_flagged - most} more" if f.local.n_flagged > most else ""
    return (
        f"{f.local.n_flagged} point(s) move unlike their neighbours ({rates.min():+.0f} to {rates.max():+.0f} mm/yr "
        "beyond what the groundwater explains, over the last year of the record; + = sinking): local causes such "
        "as construction dewatering, a settling landfill or a new load. The groundwater cannot tell what they will "
        "do, so every scenario carries their own recent motion on; check them on the ground. Points: "
        f"{', '.join(ids)}{more}."
    )


def scenario_table(forecasts: Sequence[Forecast]) -> pd.DataFrame:
    """Area statistics per scenario at the horizon: what a planner compares.

    Columns: ``scenario``, ``horizon``, ``mean_added_mm``, ``p95_added_mm``, ``max_added_mm``,
    ``share_over_100mm`` (share of points adding more than 100 mm), ``band_mm`` (median width
    of the uncertainty band at the horizon).
    """
    rows = []
    for f in forecasts:
        added = f.added_mm
        rows.append(
            {
                "scenario": f.scenario.name,
                "horizon": str(f.dates[-1].date()),
                "mean_added_mm": float(np.mean(added)),
                "p95_added_mm": float(np.percentile(added, 95)),
                "max_added_mm": float(np.max(added)),
                "share_over_100mm": float(np.mean(added > 100)),
                "band_mm": float(np.median(f.high_mm[:, -1] - f.low_mm[:, -1])),
            }
        )
    return pd.DataFrame(rows)


def forecast_table(f: Forecast, data: SeriesData) -> pd.DataFrame:
    """One row per point for export: ids, coordinates, observed and forecast subsidence (mm)."""
    return pd.DataFrame(
        {
            "ps_id": data.ps_ids,
            "x": data.xy_m[:, 0],
            "y": data.xy_m[:, 1],
            "observed_cumulative_mm": data.subsidence_mm[:, -1],
            "forecast_cumulative_mm": f.median_mm[:, -1],
            "forecast_low_mm": f.low_mm[:, -1],
            "forecast_high_mm": f.high_mm[:, -1],
            "added_mm": f.added_mm,
            "head_change_m": f.head_m[:, -1] - f.head_m[:, 0],
        }
    )


# --- forecasts with any model and the calibrated band (CLI ``forecast``) ----------------------


@dataclass(frozen=True)
class ModelForecast:
    """Any model's forecast from the last acquisition, with the calibrated 90 % band.

    ``forecast_mm``, ``low_mm``, ``high_mm`` (n, F): cumulative subsidence since the last
    acquisition, mm, positive = down, at ``dates`` (monthly); ``head_m`` the scenario heads.
    """

    model: str
    scenario: Scenario
    ps_ids: np.ndarray
    dates: pd.DatetimeIndex
    head_m: np.ndarray
    forecast_mm: np.ndarray
    low_mm: np.ndarray
    high_mm: np.ndarray
    band: dict[str, Any]

    def relative_to(self, ps_id: str) -> ModelForecast:
        """The same forecast relative to the point ``ps_id`` (its forecast subtracted everywhere)."""
        where = np.flatnonzero(self.ps_ids.astype(str) == str(ps_id))
        if where.size == 0:
            raise SubsidenceError(
                f"reference point {ps_id!r} is not in this study area: use a ps_id of ps.csv"
            )
        ref = self.forecast_mm[where[0]][None, :]
        return replace(
            self, forecast_mm=self.forecast_mm - ref, low_mm=self.low_mm - ref, high_mm=self.high_mm - ref
        )

    def frame(self) -> pd.DataFrame:
        """One row per point and future date: ``ps_id``, ``date``, ``forecast_mm``, ``p05_mm``, ``p95_mm``."""
        n, f = self.forecast_mm.shape
        return pd.DataFrame(
            {
                "ps_id": np.repeat(self.ps_ids.astype(str), f),
                "date": np.tile(self.dates.strftime("%Y-%m-%d"), n),
                "forecast_mm": self.forecast_mm.ravel().round(3),
                "p05_mm": self.low_mm.ravel().round(3),
                "p95_mm": self.high_mm.ravel().round(3),
            }
        )


def model_forecast(
    model: object,
    name: str,
    data: SeriesData,
    scenario: Scenario,
    horizon_months: int = 60,
    seed: int = 0,
    max_epochs: int | None = None,
) -> ModelForecast:
    """Forecast every point from the last acquisition under ``scenario`` with a fitted model.

    The model runs forward on the scenario heads (:func:`future_heads`, monthly) and its own
    predictions (:func:`subsidence.validation.hindcast.run_forward`); the band is the split-conformal band
    of :mod:`subsidence.validation.bands`, calibrated by refitting the model ``name`` at cuts inside the
    record (horizons beyond the record's grow linearly: see ``docs/forecasts.md``).
    """
    from subsidence.validation import bands
    from subsidence.validation.hindcast import fit_model, run_forward

    if not 1 <= int(horizon_months) <= 360:
        raise SubsidenceError(f"horizon_months must be in 1..360; found {horizon_months}")
    last = data.dates[-1]
    future = pd.DatetimeIndex([last + pd.DateOffset(months=i) for i in range(1, int(horizon_months) + 1)])
    heads = future_heads(data, scenario, (future - data.dates[0]).days.to_numpy(float))
    ext = extend(data, future, heads)
    k = data.n_epochs - 1
    central = run_forward(model, ext, k)
    samples = []
    for kc in bands.calibration_cuts(data, k):
        config = getattr(model, "config", None)  # a saved model's band is calibrated with its own settings
        fitted = fit_model(name, data, kc, seed=seed, max_epochs=max_epochs, config=config)
        samples.append(bands.residuals(data, kc, run_forward(fitted, data, kc)))
    band = bands.fit_band(samples)
    low, high = band.interval(central, (future - last).days.to_numpy(float), *bands.point_scale(data, k))
    return ModelForecast(
        name, scenario, np.asarray(data.ps_ids), future, heads, central, low, high, band.describe()
    )


def threshold_table(
    forecasts: Sequence[Forecast], thresholds_mm: Sequence[float] = (25, 50, 100, 200)
) -> pd.DataFrame:
    """Share of points whose added subsidence by the horizon exceeds each threshold, per scenario.

    PS points sample the built-up area, so a share of points is about the share of the measured
    built-up area. Columns: ``scenario``, then ``> T mm`` (share, 0-1) for each threshold.
    """
    rows = []
    for f in forecasts:
        row: dict[str, object] = {"scenario": f.scenario.name}
        for t in thresholds_mm:
            row[f"> {t:g} mm"] = round(float(np.mean(f.added_mm > t)), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def heads_outside_training(
    f: Forecast, data: SeriesData, margin_m: float = 0.5
) -> tuple[float, float] | None:
    """The scenario's head range when it leaves the range of heads the models were fitted on, else None."""
    lo, hi = float(np.min(f.head_m)), float(np.max(f.head_m))
    if lo < float(np.min(data.head_m)) - margin_m or hi > float(np.max(data.head_m)) + margin_m:
        return lo, hi
    return None
