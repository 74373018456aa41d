"""Consolidation physics: the compaction of a compressible layer by a head history.

The forward run of :mod:`subsidence.models.consolidation` (its fit is in
:mod:`subsidence.models.consolidation_fit`).

Physics (SCIENCE_NOTES, Riley 1969, MODFLOW 6 CSUB)
---------------------------------------------------
A compressible layer of thickness ``b`` compacts by ``S_sk * b * (head decline)``: with the
inelastic skeletal specific storage ``S_skv`` for a decline below the pre-consolidation head
(the lowest head so far, which then moves down) and the elastic ``S_ske`` otherwise. The clay
interbeds drain slowly: the inelastic part of each head change arrives with Terzaghi's average
degree of consolidation ``U(t / tau)`` (double drainage), ``tau = S_skv (b_eq / 2)^2 / K_v``.
Between acquisitions the head is taken to change linearly, so each interval is a head *ramp*
whose response is the time integral of ``U``::

    s(t) = 1000 b [ S_skv sum_j r_j tau (F((t - t_j)+ / tau) - F((t - t_j+1)+ / tau))
                    + S_ske e(t) ] - s(0)          (mm, positive = down)

with ``r_j`` the inelastic decline rate (m/day) in interval ``j``, ``F(x) = int_0^x U``, and
``e(t)`` the elastic (recoverable) decline since the first epoch.

History before the first acquisition
------------------------------------
Heads on such plains have fallen for decades, so compaction is already under way at the first
epoch. Each point's head over the first two years of the record (:data:`INITIAL_DAYS`) is fitted
with a line and an annual cycle (a line alone when that stretch holds fewer than
:data:`MIN_SEASONAL_EPOCHS` acquisitions). The two years before the first epoch
(:data:`PRIOR_WINDOW_DAYS`) follow that fitted curve season by season: its running minimum is
the pre-consolidation path, whose drops act as ramps like the record's, and its last value is
the pre-consolidation head at the first epoch. Before that window the head falls along the
trend line for the rest of ``spinup`` years (fitted regionally), all of it inelastic.

Why a cycle and two years (measured on the recovery variant, `docs/forecasts.md`): a line
alone over the first year took the seasonal swing for trend (spin-up rates off by a factor of
up to 4), and a pre-consolidation head set from the trough without the decline that made it
left the physics with the generator's own parameters 43 mm RMS off the noise-free truth;
with the cycle and the recent window it is 2.6 mm. One year of about 8 acquisitions of kriged
head gave trend rates 1 m/yr RMS off, two years 0.4 m/yr.

This initial state is the one place where a prediction within the first two years reads heads
up to two years later than its epoch (as it would read the layers); from then on, column ``k``
uses heads up to epoch ``k`` only. A turn of the heads within the first two years would bend
the fitted trend: the initial state is then less reliable (say so when such data come).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.25
INITIAL_DAYS = 2 * 365.25  # the first two years of head describe the state before the first epoch
MIN_SEASONAL_EPOCHS = 6  # epochs in that year needed to fit its annual cycle beside the trend
PRIOR_WINDOW_DAYS = 2 * 365.25  # the recent past before the record, followed season by season
PRIOR_STEPS = 16  # of about 46 days (as close to the generator as 48 steps of 15 days, measured)


def consolidation_integral(x: np.ndarray) -> np.ndarray:
    """``F(x) = int_0^x U(s) ds``, the ramp response of Terzaghi's degree of consolidation.

    ``U`` is the average degree of consolidation for double drainage at time factor ``s = t /
    tau``: ``sqrt(4 s / pi)`` for ``s < 0.2``, else ``1 - sum_m 8/((2m+1)^2 pi^2) exp(-(2m+1)^2
    pi^2 s / 4)`` (3 terms); ``F`` integrates each branch exactly (they meet to 2e-5).

    Parameters
    ----------
    x : ndarray, any shape, >= 0 (negative values are treated as 0)

    Returns
    -------
    ndarray, same shape: ``F(x)``, with ``F(x) -> x - 1/3`` for large ``x``.
    """
    x = np.maximum(np.asarray(x, float), 0.0)
    small = (4.0 / (3.0 * np.sqrt(np.pi))) * x**1.5
    big = x - 1.0 / 3.0
    for m in range(3):
        m2 = ((2 * m + 1) * np.pi / 2) ** 2
        big = big + 2.0 / m2**2 * np.exp(-m2 * np.maximum(x, 0.2))
    return np.where(x < 0.2, small, big)


def degree_of_consolidation(x: np.ndarray) -> np.ndarray:
    """Terzaghi's average degree of consolidation ``U(x)`` (double drainage), ``x = t / tau`` (>= 0).

    ``sqrt(4 x / pi)`` below 0.2, else the series (3 terms); the derivative of
    :func:`consolidation_integral`.
    """
    x = np.maximum(np.asarray(x, float), 0.0)
    big = 1.0 - sum(2.0 / m2 * np.exp(-m2 * np.maximum(x, 0.2)) for m2 in _M2)
    return np.where(x < 0.2, np.sqrt(4.0 * x / np.pi), big)


_M2 = tuple(((2 * m + 1) * np.pi / 2) ** 2 for m in range(3))


@dataclass(frozen=True)
class HeadHistory:
    """What the physics needs from a head series, per point (all arrays have n rows).

    inelastic_rate_m_per_day : (n, E - 1), decline below the pre-consolidation head per day
    elastic_m : (n, E), recoverable decline since the first epoch (m)
    spinup_rate_m_per_day : (n,), the trend decline extended before the first epoch
    preconsolidation_m : (n, E), the pre-consolidation head (lowest so far) at each epoch
    prior_days : (P,), times of the recent past before the first epoch (days, <= 0)
    prior_rate_m_per_day : (n, P - 1), inelastic decline per day between them
    """

    inelastic_rate_m_per_day: np.ndarray
    elastic_m: np.ndarray
    spinup_rate_m_per_day: np.ndarray
    preconsolidation_m: np.ndarray
    prior_days: np.ndarray
    prior_rate_m_per_day: np.ndarray


def head_history(head_m: np.ndarray, days: np.ndarray, initial_days: float = INITIAL_DAYS) -> HeadHistory:
    """Split each point's head series into inelastic and elastic declines.

    The state before the first epoch (the trend decline extended backwards, the seasonal
    trough that set the pre-consolidation head) is read from the first ``initial_days`` of the
    record only (at least 3 epochs), so later heads never change earlier predictions.

    Parameters
    ----------
    head_m : ndarray, shape (n, E)
        Confined head at the points (m above datum).
    days : ndarray, shape (E,)
        Days since the first epoch.
    initial_days : float
        Length of the record that describes the initial state (days).
    """
    m = max(3, int(np.searchsorted(days, days[0] + initial_days, side="right")))
    t0 = days[:m]
    design = trend_design(t0, seasonal=m >= MIN_SEASONAL_EPOCHS)
    coef, *_ = np.linalg.lstsq(design, head_m[:, :m].T, rcond=None)  # (p, n)
    slope = coef[1]  # m/day
    # the lowest head of the year before the first epoch on the fitted trend + cycle
    # the recent past follows the fitted trend + cycle (its seasonal troughs set the
    # pre-consolidation head); the older past is a ramp along the trend (in _responses)
    before = np.linspace(-PRIOR_WINDOW_DAYS, 0.0, PRIOR_STEPS + 1)
    curve = (trend_design(before, seasonal=design.shape[1] > 2) @ coef).T  # (n, P)
    line = coef[0] + coef[1] * before[0]  # the trend at the start of the window
    path = np.minimum.accumulate(np.concatenate([line[:, None], curve], axis=1), axis=1)[:, 1:]
    prior_rate = -np.diff(path, axis=1) / np.diff(before)[None, :]
    h_pc0 = path[:, -1]
    running = np.minimum.accumulate(np.concatenate([h_pc0[:, None], head_m], axis=1), axis=1)
    drop = running[:, 1:-1] - running[:, 2:]  # (n, E-1), >= 0
    dt = np.diff(days)
    cum_drop = np.concatenate([np.zeros((len(head_m), 1)), np.cumsum(drop, axis=1)], axis=1)
    elastic = -(head_m - head_m[:, :1]) - cum_drop
    return HeadHistory(
        drop / dt[None, :], elastic, np.maximum(-slope, 0.0), running[:, 1:], before, prior_rate
    )


MAX_FIT_EPOCHS = 60


def trend_design(t: np.ndarray, *, seasonal: bool) -> np.ndarray:
    """Columns 1, t (and the annual cos, sin when ``seasonal``) at days ``t``."""
    cols = [np.ones_like(t), t]
    if seasonal:
        w = 2 * np.pi * t / DAYS_PER_YEAR
        cols += [np.cos(w), np.sin(w)]
    return np.column_stack(cols)


def fit_epochs(n_epochs: int, most: int = MAX_FIT_EPOCHS) -> np.ndarray:
    """The acquisitions the regional fit reads: all up to ``most``, else every k-th and the last.

    The fit costs points x epochs^2 per evaluation (every head step acts on every later
    epoch): a 12-day record of 135 acquisitions fitted whole took a minute; every third
    acquisition of it (36 days, still finer than monthly well readings) a few seconds. The
    fitted model still runs on every acquisition.
    """
    step = int(np.ceil(n_epochs / most))
    return np.unique(np.r_[np.arange(0, n_epochs, step), n_epochs - 1])


def tau_days(params: dict[str, float], b_m: np.ndarray, k: np.ndarray | None) -> np.ndarray:
    tau = params["tau_ref_days"] * (1.0 + b_m / params["b_c_m"]) ** 2
    if k is not None:
        tau = tau * np.maximum(k, 1e-6) ** (-params["gamma"])
    return np.clip(tau, 1e-3, None)


RESPONSE_CHUNK_ENTRIES = 1_000_000  # points x epochs x epochs per block (8 MB per temporary)


def responses(
    hist: HeadHistory, days: np.ndarray, b_m: np.ndarray, tau: np.ndarray, spinup_years: float
) -> tuple[np.ndarray, np.ndarray]:
    """Inelastic and elastic compaction (mm) per unit S_skv / S_ske, shape (n, E) each, 0 at epoch 0.

    Worked out in blocks of points (each point's response is its own): the (points, E, E)
    temporaries of a whole area ran to gigabytes and made the physics memory-bound (a block
    of about a million entries is 2-3 times faster, to the bit the same).
    """
    step = max(1, RESPONSE_CHUNK_ENTRIES // max(len(days) ** 2, 1))
    if len(tau) <= step:
        return _responses(hist, days, b_m, tau, spinup_years)
    parts = [
        _responses(_rows(hist, slice(k, k + step)), days, b_m[k : k + step], tau[k : k + step], spinup_years)
        for k in range(0, len(tau), step)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _rows(hist: HeadHistory, rows: slice) -> HeadHistory:
    """The same history for some points only (``prior_days`` is shared by every point)."""
    return HeadHistory(
        hist.inelastic_rate_m_per_day[rows],
        hist.elastic_m[rows],
        hist.spinup_rate_m_per_day[rows],
        hist.preconsolidation_m[rows],
        hist.prior_days,
        hist.prior_rate_m_per_day[rows],
    )


def _responses(
    hist: HeadHistory, days: np.ndarray, b_m: np.ndarray, tau: np.ndarray, spinup_years: float
) -> tuple[np.ndarray, np.ndarray]:
    lag = days[:, None] - days[None, :]  # (E_eval, E_step); F(0) = 0 where the step comes later
    later = lag > 0
    g = np.zeros((len(tau), len(days), len(days)))
    g[:, later] = tau[:, None] * consolidation_integral(lag[later][None, :] / tau[:, None])  # (n, E, E)
    ramps = (hist.inelastic_rate_m_per_day[:, None, :] * (g[:, :, :-1] - g[:, :, 1:])).sum(axis=2)
    # before the record: the recent window as ramps along its pre-consolidation path, and the
    # older decline as one ramp along the trend from -spinup to the start of the window
    lag_p = np.maximum(days[None, :, None] - hist.prior_days[None, None, :], 0.0)
    gp = tau[:, None, None] * consolidation_integral(lag_p / tau[:, None, None])  # (n, E, P)
    recent = (hist.prior_rate_m_per_day[:, None, :] * (gp[:, :, :-1] - gp[:, :, 1:])).sum(axis=2)
    start, end = spinup_years * DAYS_PER_YEAR, -hist.prior_days[0]
    older = (
        hist.spinup_rate_m_per_day[:, None]
        * tau[:, None]
        * (
            consolidation_integral((days[None, :] + max(start, end)) / tau[:, None])
            - consolidation_integral((days[None, :] + end) / tau[:, None])
        )
    )
    spin = recent + older
    inelastic = ramps + spin - spin[:, :1]
    return 1000.0 * b_m[:, None] * inelastic, 1000.0 * b_m[:, None] * hist.elastic_m
