"""Aquitard-drainage (consolidation) model: compaction of the compressible layer by head decline.

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
epoch. Each point's head is extended backwards along its own linear trend (fitted to the kriged
head of the first year of the record, declines only) for ``spinup`` years (fitted regionally),
all of it inelastic; the pre-consolidation head at the first epoch is the trend value minus the
depth of the seasonal trough in that first year. This initial state is the one place where a
prediction within the first year reads heads up to a year later than its epoch (as it would
read the layers); from the second year on, column ``k`` uses heads up to epoch ``k`` only.

Regional parameters (fitted on the training points, physically bounded)
-----------------------------------------------------------------------
``S_skv`` in [1e-4, 1e-2] 1/m and ``S_ske = S_skv / ratio`` with ratio in [10, 100] (Riley
1969, Sneed 2001: S_skv 3e-4 - 3e-3; the range is widened threefold because the thickness layer
is the whole compressible thickness, of which clay is only a part). The time constant is a
smooth function of the layers::

    tau = tau_ref (1 + b / b_c)^2 (k / 1 m/day)^(-gamma)

i.e. the interbed thickness grows linearly with the layer thickness (Terzaghi: tau grows with its
square) and the clay's K_v with a power of the permeability coefficient ``k``. ``tau_ref`` in
[1 day, 300 yr], ``b_c`` in [1, 1000] m, ``gamma`` in [0, 1.5]. The storage coefficients enter
linearly and are solved exactly for each trial of the time parameters (variable projection);
the time parameters by bounded least squares (scipy) on the cumulative subsidence of up to
``fit_points`` training points.

Missing layers
--------------
Without a thickness layer, ``b`` is 1 m everywhere: the fitted "S_skv" is then the product
``S_skv * b_eff`` (dimensionless), the same everywhere, and ``tau`` depends on permeability
alone; in one-step mode each point's own history then sets its effective thickness (see
below). Without a permeability layer ``gamma`` is 0.

One-step mode: the physics corrected by the point's own past
------------------------------------------------------------
For column ``k`` the point's observed cumulative subsidence up to epoch ``k`` is regressed on
its physics curve and on time, ``S_j ~ g P_j + v t_j`` (Bayesian ridge towards ``g = 1``,
``v = 0``; prior sds ``gain_sd`` and ``velocity_sd_mm_per_yr``, noise ``noise_mm``), and the
prediction is ``g dP_k + v dt_k``. This lets a point whose thickness or storage differs from
the regional fit, or a dewatering bowl no layer explains, correct the physics as data arrive,
using only epochs up to ``k``. Free-running mode uses the regional physics alone.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import least_squares

from subsidence.errors import SubsidenceError
from subsidence.models.base import ONE_STEP, ProgressCallback, SeriesData, StopFlag, TrainingProgress
from subsidence.models.baselines import check_fit_input, check_mode, meta_config

DAYS_PER_YEAR = 365.25
SSKV_BOUNDS_PER_M = (1e-4, 1e-2)
ELASTIC_RATIO_BOUNDS = (10.0, 100.0)
TAU_REF_BOUNDS_DAYS = (1.0, 300 * DAYS_PER_YEAR)
B_C_BOUNDS_M = (1.0, 1000.0)
GAMMA_BOUNDS = (0.0, 1.5)
SPINUP_BOUNDS_YEARS = (0.5, 40.0)
INITIAL_DAYS = 2 * 365.25  # the first two years of head describe the state before the first epoch
MIN_SEASONAL_EPOCHS = 6  # epochs in that year needed to fit its annual cycle beside the trend
PRIOR_WINDOW_DAYS = 2 * 365.25  # the recent past before the record, followed season by season
PRIOR_STEPS = 48  # of about 15 days
_PARAMS = ("tau_ref_days", "b_c_m", "gamma", "spinup_years")
# Prior on the time parameters (centre, sd) in the fitted coordinates: log tau_ref, log b_c,
# gamma, spinup years. Two or three years of a steady decline barely tell a long time constant
# from a long spin-up (both give a near-linear compaction), so the fit is pulled towards typical
# values unless the data say otherwise. Only tau_ref and the spin-up are informed, by the
# literature (SCIENCE_NOTES): tau_ref ~ 100 days (a 2 m clay interbed with S'skv ~ 1e-3 1/m and
# K'v ~ 1e-5 m/day, mid-range values; sd a factor 5) and heads falling for decades before the
# record (20 +- 10 years). b_c and gamma have no literature value: their prior is weak, centred
# in their bounds with the bounds at +- 2 sd (b_c 31.6 m, sd a factor 5.6; gamma 0.75 +- 0.375),
# never set from the synthetic generator. See docs/models.md.
# Prior on the elastic ratio S_skv / S_ske: Riley (1969), Sneed (2001) give S_skv 3e-4 - 3e-3 and
# S_ske 3e-6 - 3e-5 1/m, a ratio of 10 to 100: centred on their geometric mean (31.6) with a
# log-sd of ln(10) / 4, so that 10 - 100 is the central 95 %.
ELASTIC_RATIO_PRIOR = (float(np.sqrt(10.0 * 100.0)), float(np.log(10.0) / 4.0))
PRIOR = (
    (float(np.log(100.0)), float(np.log(5.0))),
    (
        float(np.log(np.sqrt(B_C_BOUNDS_M[0] * B_C_BOUNDS_M[1]))),
        float(np.log(B_C_BOUNDS_M[1] / B_C_BOUNDS_M[0])) / 4,
    ),
    (float(np.mean(GAMMA_BOUNDS)), float(np.diff(GAMMA_BOUNDS)[0] / 4)),
    (20.0, 10.0),
)


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
class ConsolidationConfig:
    """Settings of the consolidation model.

    Attributes
    ----------
    fit_points : int
        Training points used for the fit (a seeded random subset when there are more).
    assimilate : bool
        One-step mode corrects the physics with the point's own past (module docstring).
    gain_sd, velocity_sd_mm_per_yr, noise_mm : float
        Prior sd of the gain around 1, of the extra velocity around 0, and the noise of one
        cumulative value, for that correction.
    max_iterations : int
        Least-squares iterations for the time parameters.
    prior_weight : float
        Weight of the prior on the time parameters (:data:`PRIOR`); 0 fits them by least
        squares alone. 1 counts the prior as much as one independent observation per fitted
        point at ``noise_mm``.
    """

    fit_points: int = 1000
    assimilate: bool = True
    gain_sd: float = 0.5
    velocity_sd_mm_per_yr: float = 20.0
    noise_mm: float = 5.0
    max_iterations: int = 20
    prior_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.fit_points < 1 or self.max_iterations < 1:
            raise SubsidenceError(
                "ConsolidationConfig: fit_points and max_iterations must be >= 1, found "
                f"{self.fit_points}, {self.max_iterations}"
            )
        if min(self.gain_sd, self.velocity_sd_mm_per_yr, self.noise_mm) <= 0:
            raise SubsidenceError(
                "ConsolidationConfig: gain_sd, velocity_sd_mm_per_yr and noise_mm must be > 0"
            )


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
    design = _trend_design(t0, seasonal=m >= MIN_SEASONAL_EPOCHS)
    coef, *_ = np.linalg.lstsq(design, head_m[:, :m].T, rcond=None)  # (p, n)
    slope = coef[1]  # m/day
    # the lowest head of the year before the first epoch on the fitted trend + cycle
    # the recent past follows the fitted trend + cycle (its seasonal troughs set the
    # pre-consolidation head); the older past is a ramp along the trend (in _responses)
    before = np.linspace(-PRIOR_WINDOW_DAYS, 0.0, PRIOR_STEPS + 1)
    curve = (_trend_design(before, seasonal=design.shape[1] > 2) @ coef).T  # (n, P)
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


def _trend_design(t: np.ndarray, *, seasonal: bool) -> np.ndarray:
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


def _tau_days(params: dict[str, float], b_m: np.ndarray, k: np.ndarray | None) -> np.ndarray:
    tau = params["tau_ref_days"] * (1.0 + b_m / params["b_c_m"]) ** 2
    if k is not None:
        tau = tau * np.maximum(k, 1e-6) ** (-params["gamma"])
    return np.clip(tau, 1e-3, None)


def _responses(
    hist: HeadHistory, days: np.ndarray, b_m: np.ndarray, tau: np.ndarray, spinup_years: float
) -> tuple[np.ndarray, np.ndarray]:
    """Inelastic and elastic compaction (mm) per unit S_skv / S_ske, shape (n, E) each, 0 at epoch 0."""
    lag = np.maximum(days[None, :, None] - days[None, None, :], 0.0)  # (1, E_eval, E_step)
    g = tau[:, None, None] * consolidation_integral(lag / tau[:, None, None])  # (n, E, E)
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


def _storage_fit(
    r_in: np.ndarray, r_el: np.ndarray, target: np.ndarray, b_scale: float, prior_scale: float = 0.0
) -> tuple[float, float]:
    """Least-squares S_skv and S_ske (bounded) for given responses; returns (sskv, sske).

    With ``prior_scale`` > 0 the ratio S_skv / S_ske is pulled towards
    :data:`ELASTIC_RATIO_PRIOR` (a ridge on ``S_ske - S_skv / ratio``, its sd the prior's
    relative spread; ``prior_scale`` weighs it in mm like one residual per fitted point): a
    declining period barely tells the ratio (the misfit changes by 0.1 % between 10 and 60 on
    the recovery variant), yet the rebound after a turn depends on it.
    """
    a = np.column_stack([r_in.ravel(), r_el.ravel()])
    y = target.ravel()
    lo, hi = SSKV_BOUNDS_PER_M[0] * b_scale, SSKV_BOUNDS_PER_M[1] * b_scale
    try:
        coef = np.linalg.lstsq(a, y, rcond=None)[0]
        if prior_scale > 0:
            centre, log_sd = ELASTIC_RATIO_PRIOR
            sd = log_sd * max(abs(float(coef[0])), lo) / centre  # of S_ske, relative to the prior's centre
            row = (prior_scale / sd) * np.array([[-1.0 / centre, 1.0]])
            coef = np.linalg.lstsq(np.vstack([a, row]), np.r_[y, 0.0], rcond=None)[0]
    except np.linalg.LinAlgError:
        coef = np.array([lo, lo / 30.0])
    sskv = float(np.clip(coef[0], lo, hi))
    # the elastic coefficient given S_skv, within the ratio bounds (and the prior, when given)
    resid = y - sskv * a[:, 0]
    denom = float(a[:, 1] @ a[:, 1])
    if prior_scale > 0:
        centre, log_sd = ELASTIC_RATIO_PRIOR
        m, sd = sskv / centre, log_sd * sskv / centre
        w = (prior_scale / sd) ** 2
        sske = float((a[:, 1] @ resid + w * m) / (denom + w))
    else:
        sske = float(a[:, 1] @ resid / denom) if denom > 0 else sskv / 30.0
    sske = float(np.clip(sske, sskv / ELASTIC_RATIO_BOUNDS[1], sskv / ELASTIC_RATIO_BOUNDS[0]))
    return sskv, sske


class Consolidation:
    """Regional consolidation physics fitted on training points (name ``consolidation``).

    After :meth:`fit`, :attr:`params` holds ``sskv_per_m``, ``sske_per_m``, ``tau_ref_days``,
    ``b_c_m``, ``gamma``, ``spinup_years`` (and whether layers were used), and
    :meth:`time_constant_days` gives ``tau`` at any points.
    """

    name: ClassVar[str] = "consolidation"

    def __init__(self, config: ConsolidationConfig | None = None) -> None:
        self.config = config if config is not None else ConsolidationConfig()
        self.params: dict[str, Any] | None = None

    # -- physics -----------------------------------------------------------------------------
    def _layers(self, data: SeriesData) -> tuple[np.ndarray, np.ndarray | None]:
        b = np.ones(data.n_points) if data.thickness_m is None else np.maximum(data.thickness_m, 0.0)
        return b, data.permeability_m_per_day

    def time_constant_days(self, data: SeriesData) -> np.ndarray:
        """Fitted time constant ``tau`` (days) at each point of ``data``, shape (n,)."""
        params = self._require_fitted()
        b, k = self._layers(data)
        return _tau_days(params, b, k if params["uses_permeability"] else None)

    def _causes_key(self, data: SeriesData) -> tuple:  # type: ignore[type-arg]
        """What the physics depends on (heads, layers, dates, parameters), for a one-entry cache.

        A hindcast steps a model forward one acquisition at a time on the same heads: the
        physics, which never reads subsidence, is then computed once instead of at every step.
        """
        layers = tuple(
            None if a is None else (a.shape, float(np.sum(a)))
            for a in (data.thickness_m, data.permeability_m_per_day)
        )
        return (
            data.head_m.shape,
            float(np.sum(data.head_m)),
            float(np.sum(data.head_m * np.arange(1, data.n_epochs + 1)[None, :])),
            float(np.sum(data.xy_m)),
            layers,
            str(data.dates[0]),
            str(data.dates[-1]),
            tuple(sorted((k, str(v)) for k, v in (self.params or {}).items())),
        )

    def physics_mm(self, data: SeriesData, chunk: int = 4000) -> np.ndarray:
        """Modelled cumulative compaction (mm, 0 at the first epoch), shape (n, E)."""
        key = ("physics", self._causes_key(data))
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1].copy()
        out = self._physics_mm(data, chunk)
        self._cache = (key, out.copy())
        return out

    def _physics_mm(self, data: SeriesData, chunk: int) -> np.ndarray:
        params = self._require_fitted()
        b, _ = self._layers(data)
        tau = self.time_constant_days(data)
        days = data.days
        out = np.empty((data.n_points, data.n_epochs))
        for start in range(0, data.n_points, chunk):
            sl = slice(start, start + chunk)
            hist = head_history(data.head_m[sl], days)
            r_in, r_el = _responses(hist, days, b[sl], tau[sl], params["spinup_years"])
            out[sl] = params["sskv_per_m"] * r_in + params["sske_per_m"] * r_el
        return out

    # -- Model protocol ----------------------------------------------------------------------
    def fit(
        self,
        data: SeriesData,
        train_idx: np.ndarray,
        *,
        seed: int = 0,
        progress: ProgressCallback | None = None,
        stop: StopFlag | None = None,
    ) -> Consolidation:
        """Fit the regional parameters on the training points' cumulative subsidence.

        Returns a new fitted model; ``self`` is unchanged.
        """
        idx = check_fit_input(data, train_idx)
        model = copy.copy(self)
        if idx.size > self.config.fit_points:
            idx = np.sort(np.random.default_rng(seed).choice(idx, self.config.fit_points, replace=False))
        sub = data.subset(idx)
        b, k = self._layers(sub)
        uses_k = k is not None
        cols = fit_epochs(data.n_epochs)
        days = sub.days[cols]
        hist = head_history(sub.head_m[:, cols], days)
        target = (sub.subsidence_mm - sub.subsidence_mm[:, :1])[:, cols]
        b_scale = 1.0 if data.thickness_m is not None else 150.0
        calls = [0]
        # the prior weighs like one residual per fitted point, over the acquisitions read
        prior_scale = (
            self.config.prior_weight * self.config.noise_mm * np.sqrt(len(idx) * len(cols) / data.n_epochs)
        )
        ratio_prior = prior_scale

        def unpack(z: np.ndarray) -> dict[str, float]:
            return {
                "tau_ref_days": float(np.exp(z[0])),
                "b_c_m": float(np.exp(z[1])),
                "gamma": float(z[2]) if uses_k else 0.0,
                "spinup_years": float(z[3]),
            }

        def residual(z: np.ndarray) -> np.ndarray:
            p = unpack(z)
            r_in, r_el = _responses(hist, days, b, _tau_days(p, b, k), p["spinup_years"])
            sskv, sske = _storage_fit(r_in, r_el, target, b_scale, ratio_prior)
            calls[0] += 1
            if progress is not None and calls[0] % 10 == 0:
                progress(TrainingProgress(calls[0], 0, 0.0, message="consolidation fit"))
            prior = prior_scale * np.array([(z[i] - c) / sd for i, (c, sd) in enumerate(PRIOR)])
            if not uses_k:
                prior[2] = 0.0
            return np.concatenate([(sskv * r_in + sske * r_el - target).ravel(), prior])

        lower = [
            np.log(TAU_REF_BOUNDS_DAYS[0]),
            np.log(B_C_BOUNDS_M[0]),
            GAMMA_BOUNDS[0],
            SPINUP_BOUNDS_YEARS[0],
        ]
        upper = [
            np.log(TAU_REF_BOUNDS_DAYS[1]),
            np.log(B_C_BOUNDS_M[1]),
            GAMMA_BOUNDS[1],
            SPINUP_BOUNDS_YEARS[1],
        ]
        best = None
        # a few starts: the misfit surface has shallow valleys along tau_ref x b_c
        for start in ([np.log(30.0), np.log(30.0), 0.5, 10.0], [np.log(300.0), np.log(100.0), 0.3, 5.0]):
            if stop is not None and stop():
                break
            sol = least_squares(
                residual,
                np.array(start),
                bounds=(lower, upper),
                max_nfev=self.config.max_iterations * 5,
                x_scale=np.array([1.0, 1.0, 0.3, 5.0]),
            )
            if best is None or sol.cost < best.cost:
                best = sol
        if best is None:
            best_z = np.array([np.log(30.0), np.log(30.0), 0.5, 10.0])
        else:
            best_z = best.x
        p = unpack(best_z)
        r_in, r_el = _responses(hist, days, b, _tau_days(p, b, k), p["spinup_years"])
        sskv, sske = _storage_fit(r_in, r_el, target, b_scale, ratio_prior)
        rms = float(np.sqrt(np.mean((sskv * r_in + sske * r_el - target) ** 2)))
        model.params = {
            **p,
            "sskv_per_m": sskv,
            "sske_per_m": sske,
            "elastic_ratio": sskv / sske,
            "uses_thickness": data.thickness_m is not None,
            "uses_permeability": uses_k,
            "fit_rms_mm": rms,
            "fit_points": int(idx.size),
        }
        return model

    def predict(self, data: SeriesData, mode: str = ONE_STEP) -> np.ndarray:
        """Modelled changes, shape (n, E - 1), mm; column 0 is NaN (no history)."""
        check_mode(mode)
        physics = self.physics_mm(data)
        change = np.diff(physics, axis=1)
        if mode == ONE_STEP:
            change = change + self._extrapolated_head_correction(data)
            if self.config.assimilate:
                change = self._assimilate(data, physics, change)
        change[:, 0] = np.nan
        return change

    def forecast_from(self, data: SeriesData, k: int) -> np.ndarray:
        """Cumulative compaction since epoch ``k`` at epochs ``k + 1 ..`` (n, E - 1 - k), mm.

        The forecast a hindcast or a scenario needs: the physics on the heads of the whole
        period (the causes), scaled by each point's gain ``g`` estimated from its InSAR up to
        epoch ``k`` only (Bayesian ridge towards 1, prior sd ``gain_sd``). The extra velocity of
        one-step mode is left out on purpose: it is what keeps a forecast sinking after heads
        turn. Subsidence after epoch ``k`` is never read.
        """
        physics = self.physics_mm(data)
        cfg = self.config
        obs = data.subsidence_mm[:, : k + 1] - data.subsidence_mm[:, :1]
        p = physics[:, : k + 1]
        w, prior = 1.0 / cfg.noise_mm**2, 1.0 / cfg.gain_sd**2
        gain = ((obs * p).sum(axis=1) * w + prior) / ((p * p).sum(axis=1) * w + prior)
        if not cfg.assimilate:
            gain = np.ones_like(gain)
        return gain[:, None] * (physics[:, k + 1 :] - physics[:, k : k + 1])

    def _extrapolated_head_correction(self, data: SeriesData) -> np.ndarray:
        """(n, E - 1) mm: swap interval ``k``'s own response to the observed head at ``k + 1``
        for its response to the head extrapolated from epochs ``k - 1``, ``k`` (last rate held).

        Compaction is linear in the head ramps, so only the ramp of the predicted interval
        changes; its response at the end of the interval is ``b (S_skv r tau F(dt / tau) +
        S_ske de)``.
        """
        params = self._require_fitted()
        b, _ = self._layers(data)
        tau = self.time_constant_days(data)
        dt = data.interval_days
        hist = head_history(data.head_m, data.days)
        head = data.head_m
        last_rate = np.zeros_like(head[:, :-1])
        last_rate[:, 1:] = (head[:, 1:-1] - head[:, :-2]) / dt[None, :-1]
        guess = head[:, :-1] + last_rate * dt[None, :]  # head at k + 1 from epochs up to k
        pc = hist.preconsolidation_m[:, :-1]  # lowest head up to epoch k
        drop_guess = np.maximum(pc - guess, 0.0)
        elastic_guess = -(guess - head[:, :-1]) - drop_guess
        elastic_actual = np.diff(hist.elastic_m, axis=1)
        delay = tau[:, None] * consolidation_integral(dt[None, :] / tau[:, None]) / dt[None, :]
        inelastic = (drop_guess - hist.inelastic_rate_m_per_day * dt[None, :]) * delay
        elastic = elastic_guess - elastic_actual
        return 1000.0 * b[:, None] * (params["sskv_per_m"] * inelastic + params["sske_per_m"] * elastic)

    def _assimilate(self, data: SeriesData, physics: np.ndarray, change: np.ndarray) -> np.ndarray:
        """One-step changes from physics corrected by each point's past (Bayesian ridge on g, v)."""
        cfg = self.config
        obs = data.subsidence_mm - data.subsidence_mm[:, :1]
        t = data.days
        dt = data.interval_days
        w = 1.0 / cfg.noise_mm**2
        prior_g = 1.0 / cfg.gain_sd**2
        prior_v = 1.0 / (cfg.velocity_sd_mm_per_yr / DAYS_PER_YEAR) ** 2
        # running sums over epochs 0..k of the normal equations
        spp = np.cumsum(physics**2, axis=1) * w + prior_g
        spt = np.cumsum(physics * t[None, :], axis=1) * w
        stt = np.cumsum(np.broadcast_to(t**2, physics.shape), axis=1) * w + prior_v
        syp = np.cumsum(obs * physics, axis=1) * w + prior_g  # prior mean g = 1
        syt = np.cumsum(obs * t[None, :], axis=1) * w
        det = spp * stt - spt**2
        g = (syp * stt - syt * spt) / det
        v = (spp * syt - spt * syp) / det
        return g[:, :-1] * change + v[:, :-1] * dt[None, :]

    def _require_fitted(self) -> dict[str, Any]:
        if self.params is None:
            raise SubsidenceError("the consolidation model is not fitted: call fit first")
        return self.params

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {"model": self.name, "config": asdict(self.config), "params": dict(self._require_fitted())}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Consolidation:
        model = cls(meta_config(meta, ConsolidationConfig, cls.name))
        model.params = dict(meta["params"])
        return model
