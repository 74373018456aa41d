"""The honest test of a forecast: fit up to a cut date, run forward on the causes alone, score.

Every model of the registry is fitted on **every point** using only the acquisitions up to and
including the cut (the causes, heads and layers, are known for the whole period). It is then
run forward from the cut on its own predictions: the subsidence of every point after the cut is
replaced by the model's own running total before any prediction is made, one acquisition at a
time, so no InSAR value after the cut, of any point, ever reaches a model (the neighbours of
``spatial-lstm`` included). The result is compared with what InSAR saw after the cut, beside
two reference forecasts:

``it stops``
    no further subsidence after the cut;
``velocity``
    each point's own line and annual cycle, fitted to its acquisitions up to the cut and
    extrapolated.

Every forecast, the models' and both references', starts from the same robust anchor: each
point's line + annual cycle fitted to its acquisitions up to the cut, evaluated at the cut
(:func:`anchor_offset`), not the single noisy acquisition at the cut.

All values are cumulative subsidence **since the cut**, mm, positive = down. The 90 % band
comes from :mod:`subsidence.validation.bands` (split-conformal on hindcasts inside the training period).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.models.base import ONE_STEP, Model, StopFlag, TrainingProgress
from subsidence.series import SeriesData
from subsidence.validation import bands
from subsidence.validation.bands import (
    MIN_FIT_DAYS as MIN_FIT_DAYS,  # the shortest fit, shared with the bands
)
from subsidence.validation.bands import MIN_FIT_EPOCHS as MIN_FIT_EPOCHS
from subsidence.validation.evaluation import SEVERITY_EDGES_MM, severity_labels
from subsidence.validation.hindcast_references import (
    anchor_offset,
    it_stops_forecast,
    observed_since,
    velocity_forecast,
)

DAYS_PER_YEAR = 365.25
IT_STOPS = "it stops"
VELOCITY = "velocity"
REFERENCES = (IT_STOPS, VELOCITY)

Progress = Callable[[TrainingProgress], None]


class HindcastStopped(SubsidenceError):
    """The user stopped a hindcast."""


def cut_index(data: SeriesData, cut: str | pd.Timestamp) -> int:
    """Position of the last acquisition on or before ``cut``.

    Raises
    ------
    SubsidenceError
        If the date cannot be read, or leaves fewer than :data:`MIN_FIT_EPOCHS` acquisitions
        (or less than :data:`MIN_FIT_DAYS` days) before it, or fewer than 2 after it.
    """
    try:
        when = pd.Timestamp(cut)
    except (ValueError, TypeError) as exc:
        raise SubsidenceError(f"cut date {cut!r} is not a date: expected YYYY-MM-DD") from exc
    if pd.isna(when):
        raise SubsidenceError(f"cut date {cut!r} is not a date: expected YYYY-MM-DD")
    k = int(np.searchsorted(data.dates.values, np.datetime64(when), side="right")) - 1
    first, last = data.dates[0].date(), data.dates[-1].date()
    if k + 1 < MIN_FIT_EPOCHS or data.days[max(k, 0)] < MIN_FIT_DAYS:
        raise SubsidenceError(
            f"cut date {when.date()} leaves too little before it: the data run {first} to {last}; "
            f"choose a cut with at least {MIN_FIT_EPOCHS} acquisitions and {MIN_FIT_DAYS:g} days before it"
        )
    if data.n_epochs - 1 - k < 2:
        raise SubsidenceError(
            f"cut date {when.date()} leaves fewer than 2 acquisitions after it (the data end {last}); "
            "choose an earlier cut"
        )
    return k


def truncate(data: SeriesData, n_epochs: int) -> SeriesData:
    """The first ``n_epochs`` acquisitions of ``data`` (subsidence and heads)."""
    return replace(
        data,
        dates=data.dates[:n_epochs],
        subsidence_mm=data.subsidence_mm[:, :n_epochs],
        head_m=data.head_m[:, :n_epochs],
    )


def blind_after(data: SeriesData, k: int) -> SeriesData:
    """``data`` with every subsidence value after epoch ``k`` replaced by the value at ``k``."""
    sub = data.subsidence_mm.copy()
    sub[:, k + 1 :] = sub[:, k : k + 1]
    return replace(data, subsidence_mm=sub)


def fit_model(
    name: str,
    data: SeriesData,
    k: int,
    *,
    seed: int = 0,
    max_epochs: int | None = None,
    config: Any = None,
    stop: StopFlag | None = None,
) -> Model:
    """Model ``name`` fitted on every point's acquisitions ``0..k``."""
    from subsidence.models import make_model

    model = make_model(name, config, max_epochs=max_epochs)
    return model.fit(truncate(data, k + 1), np.arange(data.n_points), seed=seed, stop=stop)


def run_forward(model: Any, data: SeriesData, k: int, stop: StopFlag | None = None) -> np.ndarray:
    """Run a fitted model forward from epoch ``k`` on its own predictions.

    Returns
    -------
    ndarray, shape (n, E - 1 - k)
        Modelled cumulative subsidence since epoch ``k`` at epochs ``k + 1 .. E - 1`` (mm).
        Only subsidence up to epoch ``k`` is read from ``data``; heads and layers in full.
        A model with a ``forecast_from(data, k)`` method (the consolidation physics) gives its
        forecast itself, from data whose subsidence after ``k`` is blanked; the others are
        stepped one acquisition at a time on their own predictions.
    """
    current = blind_after(data, k)
    own = getattr(model, "forecast_from", None)
    if own is not None:  # a model with its own forecast from a cut (the physics)
        return np.asarray(own(current, k), float)
    for j in range(k, data.n_epochs - 1):
        if stop is not None and stop():
            raise HindcastStopped("hindcast stopped")
        change = model.predict(current, ONE_STEP)[:, j]
        if not np.all(np.isfinite(change)):
            raise SubsidenceError(f"{model.name} gave no value for some points after the cut")
        sub = current.subsidence_mm.copy()
        sub[:, j + 1 :] = (sub[:, j] + change)[:, None]
        current = replace(current, subsidence_mm=sub)
    return np.asarray(current.subsidence_mm[:, k + 1 :] - current.subsidence_mm[:, k : k + 1])


@dataclass(frozen=True)
class Hindcast:
    """A model's forecast from a cut, its band, the references and what InSAR saw.

    Attributes
    ----------
    model : str
    cut : Timestamp
        The last acquisition used (on or before the requested date).
    ps_ids : ndarray, shape (n,)
    dates : DatetimeIndex, shape (F,)
        The acquisitions after the cut.
    forecast_mm, low_mm, high_mm : ndarray, shape (n, F)
        Cumulative subsidence since the cut, mm: the model and its 90 % band.
    observed_mm : ndarray, shape (n, F)
        InSAR since the cut (only for scoring).
    references : dict
        ``"it stops"`` and ``"velocity"`` forecasts, each (n, F).
    severity : ndarray of str, shape (n,)
        Class of each point by its InSAR cumulative subsidence at the last acquisition.
    band : dict
        How the band was made (:meth:`subsidence.validation.bands.Band.describe`).
    seconds : float
    """

    model: str
    cut: pd.Timestamp
    ps_ids: np.ndarray
    xy_m: np.ndarray
    dates: pd.DatetimeIndex
    forecast_mm: np.ndarray
    low_mm: np.ndarray
    high_mm: np.ndarray
    observed_mm: np.ndarray
    references: dict[str, np.ndarray]
    severity: np.ndarray
    band: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def forecasts(self) -> dict[str, np.ndarray]:
        """The model's forecast and both references, by name."""
        return {self.model: self.forecast_mm, **self.references}

    def scores(self) -> dict[str, Any]:
        """The CLI's keys: ``rmse_mm``, ``rmse_last_mm``, ``coverage_90``, ``mean_band_width_mm``..."""
        err = self.forecast_mm - self.observed_mm
        inside = (self.observed_mm >= self.low_mm) & (self.observed_mm <= self.high_mm)
        return {
            "model": self.model,
            "cut": str(self.cut.date()),
            "n_points": int(len(self.ps_ids)),
            "n_forecast_epochs": int(len(self.dates)),
            "rmse_mm": _rmse(err),
            "rmse_last_mm": _rmse(err[:, -1]),
            "coverage_90": round(float(inside.mean()), 4),
            "mean_band_width_mm": round(float(np.mean(self.high_mm - self.low_mm)), 3),
            "seconds": round(self.seconds, 2),
        }

    def table(self) -> pd.DataFrame:
        """The leaderboard: the model beside the two references, with RMSE by severity class.

        Columns ``forecast``, ``rmse_mm``, ``rmse_last_mm``, then ``rmse_mm <class>`` per class.
        """
        rows = []
        for name, values in self.forecasts.items():
            err = values - self.observed_mm
            row: dict[str, Any] = {"forecast": name, "rmse_mm": _rmse(err), "rmse_last_mm": _rmse(err[:, -1])}
            for label in severity_labels():
                rows_in = self.severity == label
                row[f"rmse_mm {label}"] = _rmse(err[rows_in]) if rows_in.any() else None
            rows.append(row)
        return pd.DataFrame(rows)

    def point_errors(self) -> pd.DataFrame:
        """Per point at the last acquisition: ``ps_id``, ``x``, ``y``, ``error_last_mm`` (model - InSAR)."""
        return pd.DataFrame(
            {
                "ps_id": self.ps_ids,
                "x": self.xy_m[:, 0],
                "y": self.xy_m[:, 1],
                "hindcast_last_mm": self.forecast_mm[:, -1],
                "insar_last_mm": self.observed_mm[:, -1],
                "error_last_mm": self.forecast_mm[:, -1] - self.observed_mm[:, -1],
            }
        )

    def frame(self) -> pd.DataFrame:
        """Long table for export: ``ps_id``, ``date``, ``hindcast_mm``, ``p05_mm``, ``p95_mm`` (since the cut)."""
        n, f = self.forecast_mm.shape
        return pd.DataFrame(
            {
                "ps_id": np.repeat(self.ps_ids, f),
                "date": np.tile(self.dates.strftime("%Y-%m-%d"), n),
                "hindcast_mm": self.forecast_mm.ravel().round(3),
                "p05_mm": self.low_mm.ravel().round(3),
                "p95_mm": self.high_mm.ravel().round(3),
            }
        )


def _rmse(err: np.ndarray) -> float:
    return round(float(np.sqrt(np.mean(np.square(err)))), 3)


def severity_classes(data: SeriesData) -> np.ndarray:
    """Class label of each point by its InSAR cumulative subsidence at the last acquisition."""
    return np.asarray(np.array(severity_labels())[np.digitize(data.subsidence_mm[:, -1], SEVERITY_EDGES_MM)])


def hindcast(
    data: SeriesData,
    model_name: str,
    cut: str | pd.Timestamp,
    seed: int = 0,
    max_epochs: int | None = None,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    *,
    config: Any = None,
    calibration_cuts: int | None = None,
) -> Hindcast:
    """Fit ``model_name`` up to ``cut``, run it forward, add its calibrated band and the references.

    Parameters
    ----------
    data : SeriesData
    model_name : str
        A name of :func:`subsidence.models.model_names`.
    cut : str or Timestamp
        The last date whose InSAR the model may read (the acquisition on or before it).
    seed, max_epochs, config :
        Passed to the model (``max_epochs`` for the networks).
    progress : callable, optional
        Receives a :class:`TrainingProgress` after each fit (``epoch`` = fits done).
    stop : callable, optional
        Checked between fits and steps; a stop raises :class:`HindcastStopped`.
    calibration_cuts : int, optional
        Cuts inside the training period used for the band (default :data:`bands.N_CUTS`).

    Returns
    -------
    Hindcast
    """
    from subsidence.models import model_class

    model_class(model_name)  # an unknown name fails before any work
    start = time.perf_counter()
    k = cut_index(data, cut)
    n_cuts = bands.N_CUTS if calibration_cuts is None else calibration_cuts
    cal_cuts = bands.calibration_cuts(data, k, n_cuts)
    total = len(cal_cuts) + 1

    def report(done: int, message: str) -> None:
        if progress is not None:
            progress(TrainingProgress(done, total, 0.0, message=message))

    def forward(kk: int, upto: SeriesData) -> np.ndarray:
        fitted = fit_model(model_name, upto, kk, seed=seed, max_epochs=max_epochs, config=config, stop=stop)
        if stop is not None and stop():
            raise HindcastStopped("hindcast stopped")
        return np.asarray(run_forward(fitted, upto, kk, stop=stop) + anchor_offset(upto, kk)[:, None])

    # the band, from cuts inside the training period: only acquisitions 0..k are read
    inside = truncate(data, k + 1)
    samples = []
    for i, kc in enumerate(cal_cuts):
        report(i, f"{model_name}: calibration cut {i + 1} of {len(cal_cuts)} ({data.dates[kc].date()})")
        samples.append(bands.residuals(inside, kc, forward(kc, inside)))
    band = bands.fit_band(samples)
    report(len(cal_cuts), f"{model_name}: fitting up to the cut {data.dates[k].date()}")
    central = forward(k, data)
    horizon = data.days[k + 1 :] - data.days[k]
    scale = bands.point_scale(data, k)
    low, high = band.interval(central, horizon, *scale)
    report(total, f"{model_name}: done")
    return Hindcast(
        model=model_name,
        cut=data.dates[k],
        ps_ids=np.asarray(data.ps_ids),
        xy_m=data.xy_m,
        dates=data.dates[k + 1 :],
        forecast_mm=central,
        low_mm=low,
        high_mm=high,
        observed_mm=observed_since(data, k),
        references={IT_STOPS: it_stops_forecast(data, k), VELOCITY: velocity_forecast(data, k)},
        severity=severity_classes(data),
        band=band.describe(),
        seconds=time.perf_counter() - start,
    )


def leaderboard(hindcasts: list[Hindcast]) -> pd.DataFrame:
    """Every model and the two references (once), best ``rmse_mm`` first, with coverage of the band."""
    rows, seen = [], set()
    for h in hindcasts:
        table = h.table()
        for _, row in table.iterrows():
            name = row["forecast"]
            if name in seen:
                continue
            seen.add(name)
            entry = row.to_dict()
            if name == h.model:
                s = h.scores()
                entry.update(coverage_90=s["coverage_90"], mean_band_width_mm=s["mean_band_width_mm"])
                entry["seconds"] = s["seconds"]
            rows.append(entry)
    return pd.DataFrame(rows).sort_values("rmse_mm", kind="stable").reset_index(drop=True)
