"""Baselines every model must beat: last change repeated, constant velocity, velocity plus an
annual sinusoid (the standard InSAR time-series model), and GM(1,1).

All four are per-point extrapolators of the point's own cumulative subsidence: they learn
nothing from the training points (``fit`` only records its settings), so under any split they
predict a point from its own past alone. They follow the change layout of
:mod:`subsidence.models.base`: column ``k`` (epoch ``k`` -> ``k + 1``, mm, positive = down) is
predicted from the cumulative subsidence at epochs ``0..k``; column 0 has no history and is NaN.

Modes
-----
``one-step``
    Column ``k`` uses the observed cumulative subsidence up to epoch ``k``.
``free-running``
    Only the observed epochs 0 and 1 are used; each later column is extrapolated from the
    series the model has built from its own predictions (for the persistence and the linear
    trend this is the first interval's velocity carried forward).

Irregular intervals
-------------------
Acquisitions are not evenly spaced (24, 48, 72 ... days apart). The linear trend and GM(1,1)
work with rates per day and multiply by the length of the interval they predict. The
persistence baseline repeats the last change per interval by default: measured on the demo,
scaling a noisy 24-day change up to a 144-day interval multiplies its noise, and the
per-interval repeat is better on both the change and the cumulative RMSE (``docs/models.md``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from subsidence.errors import ModelFileError, SubsidenceError
from subsidence.models.base import FREE_RUNNING, MODES, ONE_STEP, ProgressCallback, StopFlag
from subsidence.series import SeriesData

C = TypeVar("C")  # a saved model's config class


def check_mode(mode: str) -> None:
    """Raise :class:`SubsidenceError` unless ``mode`` is one of :data:`MODES`."""
    if mode not in MODES:
        raise SubsidenceError(f"unknown prediction mode {mode!r}: expected one of {', '.join(MODES)}")


def check_fit_input(data: SeriesData, train_idx: np.ndarray, min_epochs: int = 3) -> np.ndarray:
    """Validate the training indices and the series length; return ``train_idx`` as int array.

    Raises
    ------
    SubsidenceError
        If there are fewer than ``min_epochs`` epochs, no training points, or an index is out
        of range.
    """
    idx = np.asarray(train_idx, dtype=int).ravel()
    if data.n_epochs < min_epochs:
        raise SubsidenceError(f"need at least {min_epochs} epochs to fit a model, found {data.n_epochs}")
    if idx.size == 0:
        raise SubsidenceError("train_idx is empty: expected at least one training point")
    if idx.min() < 0 or idx.max() >= data.n_points:
        raise SubsidenceError(f"train_idx must lie in 0..{data.n_points - 1}, found {idx.min()}..{idx.max()}")
    return idx


def meta_config(meta: dict[str, Any], cls: type[C], name: str) -> C:
    """Rebuild a frozen config dataclass ``cls`` from ``meta["config"]`` of a saved model."""
    if meta.get("model") not in (None, name):
        raise ModelFileError(f"saved model is {meta.get('model')!r}, expected {name!r}")
    try:
        return cls(**meta.get("config", {}))
    except TypeError as exc:
        raise ModelFileError(f"saved {name} config does not match this version: {exc}") from exc


def linear_velocity_mm_per_day(cum_mm: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Least-squares slope of cumulative subsidence against time, per point.

    Parameters
    ----------
    cum_mm : ndarray, shape (n, m), m >= 2
        Cumulative subsidence, mm.
    days : ndarray, shape (m,)
        Acquisition times, days.

    Returns
    -------
    ndarray, shape (n,)
        Velocity, mm/day (positive = subsiding).
    """
    t = days - days.mean()
    return np.asarray((cum_mm - cum_mm.mean(axis=1, keepdims=True)) @ t / float(t @ t))


def gm11_fit(x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit GM(1,1) to positive series, per row.

    Parameters
    ----------
    x0 : ndarray, shape (n, m), m >= 3, all values > 0
        Evenly spaced series (here: cumulative subsidence shifted to be positive).

    Returns
    -------
    a, b : ndarray, shape (n,)
        Development coefficient and grey input from least squares of
        ``x0(k) = -a z1(k) + b``, ``z1(k) = (x1(k) + x1(k - 1)) / 2``, ``x1 = cumsum(x0)``.
    """
    x1 = np.cumsum(x0, axis=1)
    z = 0.5 * (x1[:, 1:] + x1[:, :-1])  # (n, m-1)
    y = x0[:, 1:]
    zm, ym = z.mean(axis=1, keepdims=True), y.mean(axis=1, keepdims=True)
    szz = ((z - zm) ** 2).sum(axis=1)
    slope = ((z - zm) * (y - ym)).sum(axis=1) / np.where(szz > 0, szz, 1.0)
    a = -slope
    b = ym[:, 0] - slope * zm[:, 0]
    return a, b


def gm11_predict(x0: np.ndarray, a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """GM(1,1) fitted values and forecasts of x0: ``x0_hat(k)`` for k = 1 .. m + steps.

    ``x1_hat(k + 1) = (x0(1) - b/a) exp(-a k) + b/a`` and ``x0_hat(k + 1) = x1_hat(k + 1) -
    x1_hat(k)`` (k counted from 0); for ``a -> 0`` the limit ``x1_hat(k + 1) = x0(1) + b k``
    is used.

    Parameters
    ----------
    x0 : ndarray, shape (n, m)
    a, b : ndarray, shape (n,)
    steps : int
        Forecast steps beyond the series.

    Returns
    -------
    ndarray, shape (n, m + steps)
        Column 0 is x0(1) itself; column j is x0_hat(j + 1).
    """
    k = np.arange(x0.shape[1] + steps, dtype=float)[None, :]
    a_, b_ = a[:, None], b[:, None]
    tiny = np.abs(a_) < 1e-10
    safe_a = np.where(tiny, 1.0, a_)
    x1_exp = (x0[:, :1] - b_ / safe_a) * np.exp(-safe_a * k) + b_ / safe_a
    x1_lin = x0[:, :1] + b_ * k
    x1 = np.where(tiny, x1_lin, x1_exp)
    return np.concatenate([x0[:, :1], np.diff(x1, axis=1)], axis=1)


@dataclass(frozen=True)
class PersistenceConfig:
    """``per_day``: scale the last change by the ratio of interval lengths (rate per day).

    Default False: the last change is repeated as it is (per interval), which measured better.
    """

    per_day: bool = False


@dataclass(frozen=True)
class LinearTrendConfig:
    """``window``: epochs used for the velocity (0 = all epochs up to ``k``)."""

    window: int = 0


@dataclass(frozen=True)
class GM11Config:
    """GM(1,1) settings.

    Attributes
    ----------
    window : int
        Epochs in the rolling window (4-10 in SCIENCE_NOTES).
    shift_mm : float
        The window is shifted so that its smallest value becomes ``shift_mm`` (GM(1,1) needs a
        positive series; cumulative subsidence starts at 0 and may be negative at stable points).
    """

    window: int = 6
    shift_mm: float = 100.0

    def __post_init__(self) -> None:
        if not 4 <= self.window <= 38:
            raise SubsidenceError(f"GM11Config.window must be in 4..38, found {self.window}")
        if self.shift_mm <= 0:
            raise SubsidenceError(f"GM11Config.shift_mm must be > 0, found {self.shift_mm}")


@dataclass(frozen=True)
class SeasonalTrendConfig:
    """Settings of the ``seasonal-trend`` baseline.

    Attributes
    ----------
    period_days : float
        Period of the seasonal term (a year).
    min_span_days : float
        History needed before the sinusoid is fitted; shorter histories use the linear trend.
        Two years: measured on the P-SBAS-shaped test bundle, sinusoids fitted on 300-730 days
        are biased (-2 mm per step) and their summed cumulative RMSE was 29.7 mm against 17.7
        with two years (16.2 for the linear trend; change RMSE 3.66 and 3.78 against 4.04).
    min_epochs : int
        Epochs of history needed before the sinusoid is fitted.
    max_median_interval_days : float
        Sampling needed to see a season: a median interval longer than this (annual levelling)
        cannot resolve an annual sinusoid, and the linear trend is used.
    """

    period_days: float = 365.25
    min_span_days: float = 730.0
    min_epochs: int = 6
    max_median_interval_days: float = 61.0

    def __post_init__(self) -> None:
        if self.period_days <= 0 or self.min_span_days < 0 or self.min_epochs < 4:
            raise SubsidenceError(
                "SeasonalTrendConfig: period_days must be > 0, min_span_days >= 0 and min_epochs >= 4; found "
                f"{self.period_days}, {self.min_span_days}, {self.min_epochs}"
            )


def seasonal_trend_fit(cum_mm: np.ndarray, days: np.ndarray, period_days: float = 365.25) -> np.ndarray:
    """Least-squares ``c + v t + a sin(w t) + b cos(w t)`` per point.

    Parameters
    ----------
    cum_mm : ndarray, shape (n, m), m >= 4
        Cumulative subsidence, mm.
    days : ndarray, shape (m,)
        Acquisition times, days.
    period_days : float

    Returns
    -------
    ndarray, shape (n, 4)
        ``c`` (mm), ``v`` (mm/day), ``a`` and ``b`` (mm) per point.
    """
    w = 2 * np.pi / period_days
    design = np.column_stack([np.ones_like(days), days, np.sin(w * days), np.cos(w * days)])
    coef, *_ = np.linalg.lstsq(design, np.asarray(cum_mm, float).T, rcond=None)
    return np.asarray(coef.T)


class _Extrapolator:
    """Shared machinery of the per-point baselines: one-step and free-running loops."""

    name: ClassVar[str] = ""
    config_class: ClassVar[type] = PersistenceConfig

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.config_class()

    def fit(
        self,
        data: SeriesData,
        train_idx: np.ndarray,
        *,
        seed: int = 0,
        progress: ProgressCallback | None = None,
        stop: StopFlag | None = None,
    ) -> _Extrapolator:
        """Nothing to learn: validates the inputs and returns ``self``."""
        check_fit_input(data, train_idx)
        return self

    def _next_change(self, cum_mm: np.ndarray, days: np.ndarray, dt_next: float) -> np.ndarray:
        """Change (n,) over the next interval of length ``dt_next`` days from history (n, k+1)."""
        raise NotImplementedError

    def predict(self, data: SeriesData, mode: str = ONE_STEP) -> np.ndarray:
        """Modelled changes, shape (n, E - 1), mm; column 0 is NaN (no history)."""
        check_mode(mode)
        days, dt = data.days, data.interval_days
        out = np.full((data.n_points, data.n_epochs - 1), np.nan)
        cum = data.subsidence_mm.astype(float).copy()
        for k in range(1, data.n_epochs - 1):
            out[:, k] = self._next_change(cum[:, : k + 1], days[: k + 1], float(dt[k]))
            if mode == FREE_RUNNING:
                cum[:, k + 1] = cum[:, k] + out[:, k]
        return out

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {"model": self.name, "config": asdict(self.config)}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> _Extrapolator:
        return cls(meta_config(meta, cls.config_class, cls.name))


class Persistence(_Extrapolator):
    """Next change = last observed change (per interval; optionally as a rate per day)."""

    name: ClassVar[str] = "persistence"
    config_class: ClassVar[type] = PersistenceConfig

    def _next_change(self, cum_mm: np.ndarray, days: np.ndarray, dt_next: float) -> np.ndarray:
        last = cum_mm[:, -1] - cum_mm[:, -2]
        if not self.config.per_day:
            return np.asarray(last)
        return np.asarray(last / (days[-1] - days[-2]) * dt_next)


class LinearTrend(_Extrapolator):
    """Per-point constant velocity: least squares over the epochs available up to ``k``."""

    name: ClassVar[str] = "linear-trend"
    config_class: ClassVar[type] = LinearTrendConfig

    def _next_change(self, cum_mm: np.ndarray, days: np.ndarray, dt_next: float) -> np.ndarray:
        w = self.config.window
        if w >= 2:
            cum_mm, days = cum_mm[:, -w:], days[-w:]
        return linear_velocity_mm_per_day(cum_mm, days) * dt_next


class SeasonalTrend(_Extrapolator):
    """Per-point velocity plus an annual sinusoid, least squares over the epochs up to ``k``.

    The standard model of InSAR time series over aquifers: a steady (inelastic) trend and an
    elastic, reversible seasonal swing. The change to the next epoch is the fitted curve's
    change over that interval. With less than ``min_span_days`` or ``min_epochs`` of history
    the linear trend is used.
    """

    name: ClassVar[str] = "seasonal-trend"
    config_class: ClassVar[type] = SeasonalTrendConfig

    def _next_change(self, cum_mm: np.ndarray, days: np.ndarray, dt_next: float) -> np.ndarray:
        cfg = self.config
        if (
            cum_mm.shape[1] < cfg.min_epochs
            or days[-1] - days[0] < cfg.min_span_days
            or float(np.median(np.diff(days))) > cfg.max_median_interval_days
        ):
            return linear_velocity_mm_per_day(cum_mm, days) * dt_next
        coef = seasonal_trend_fit(cum_mm, days, cfg.period_days)
        w = 2 * np.pi / cfg.period_days
        t0, t1 = days[-1], days[-1] + dt_next
        return np.asarray(
            coef[:, 1] * dt_next
            + coef[:, 2] * (np.sin(w * t1) - np.sin(w * t0))
            + coef[:, 3] * (np.cos(w * t1) - np.cos(w * t0))
        )


class GM11(_Extrapolator):
    """Grey model GM(1,1) on a rolling window of cumulative subsidence.

    GM(1,1) assumes evenly spaced values; acquisitions are not, so the model's next increment
    is read per mean window interval and scaled to the length of the interval predicted. With
    fewer than 4 epochs of history the linear trend is used instead.
    """

    name: ClassVar[str] = "gm11"
    config_class: ClassVar[type] = GM11Config

    def _next_change(self, cum_mm: np.ndarray, days: np.ndarray, dt_next: float) -> np.ndarray:
        w = min(self.config.window, cum_mm.shape[1])
        if w < 4:
            return linear_velocity_mm_per_day(cum_mm, days) * dt_next
        window = cum_mm[:, -w:]
        x0 = window - window.min(axis=1, keepdims=True) + self.config.shift_mm
        a, b = gm11_fit(x0)
        fitted = gm11_predict(x0, a, b, steps=1)
        step_mm = fitted[:, -1] - fitted[:, -2]  # model increment from the last epoch to the next
        mean_dt = (days[-1] - days[-w]) / (w - 1)
        change = step_mm * dt_next / mean_dt
        # a degenerate fit (exploding exponential) falls back to the window's linear trend
        linear = linear_velocity_mm_per_day(window, days[-w:]) * dt_next
        bad = ~np.isfinite(change) | (np.abs(change) > 10 * np.abs(linear) + 50.0)
        return np.where(bad, linear, change)
