"""Fitting the consolidation physics: settings, literature priors, bounded least squares.

The regional parameters of :mod:`subsidence.models.consolidation`, fitted on training points
(the forward run is in :mod:`subsidence.models.consolidation_physics`).

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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from subsidence.errors import SubsidenceError
from subsidence.models.base import ProgressCallback, StopFlag, TrainingProgress
from subsidence.models.consolidation_physics import (
    DAYS_PER_YEAR,
    INITIAL_DAYS,
    fit_epochs,
    head_history,
    responses,
    tau_days,
)
from subsidence.series import SeriesData

SSKV_BOUNDS_PER_M = (1e-4, 1e-2)
ELASTIC_RATIO_BOUNDS = (10.0, 100.0)
TAU_REF_BOUNDS_DAYS = (1.0, 300 * DAYS_PER_YEAR)
B_C_BOUNDS_M = (1.0, 1000.0)
GAMMA_BOUNDS = (0.0, 1.5)
SPINUP_BOUNDS_YEARS = (0.5, 40.0)
FIT_TOLERANCE = 1e-4  # relative change of the misfit or the parameters at which the fit stops
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
    local_motion, local_threshold : bool, float
        Forecasts carry on the motion of points that move unlike their neighbours, flagged at
        ``local_threshold`` robust standard deviations (:mod:`subsidence.models.local_motion`).
    """

    fit_points: int = 1000
    assimilate: bool = True
    gain_sd: float = 0.5
    velocity_sd_mm_per_yr: float = 20.0
    noise_mm: float = 5.0
    max_iterations: int = 20
    prior_weight: float = 1.0
    local_motion: bool = True
    local_threshold: float = 4.0

    def __post_init__(self) -> None:
        if self.fit_points < 1 or self.max_iterations < 1:
            raise SubsidenceError(
                "ConsolidationConfig: fit_points and max_iterations must be >= 1, found "
                f"{self.fit_points}, {self.max_iterations}"
            )
        if min(self.gain_sd, self.velocity_sd_mm_per_yr, self.noise_mm, self.local_threshold) <= 0:
            raise SubsidenceError(
                "ConsolidationConfig: gain_sd, velocity_sd_mm_per_yr, noise_mm and local_threshold must be > 0"
            )


def storage_fit(
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


def layers(data: SeriesData) -> tuple[np.ndarray, np.ndarray | None]:
    """Thickness (m; 1 m everywhere without a thickness layer) and permeability (m/day, or None)."""
    b = np.ones(data.n_points) if data.thickness_m is None else np.maximum(data.thickness_m, 0.0)
    return b, data.permeability_m_per_day


def fit_parameters(
    data: SeriesData,
    idx: np.ndarray,
    config: ConsolidationConfig,
    *,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    stop: StopFlag | None = None,
) -> dict[str, Any]:
    """The regional parameters fitted on the points ``idx`` of ``data`` (checked indices).

    Returns
    -------
    dict
        ``tau_ref_days``, ``b_c_m``, ``gamma``, ``spinup_years``, ``sskv_per_m``, ``sske_per_m``,
        ``elastic_ratio``, ``uses_thickness``, ``uses_permeability``, ``fit_rms_mm``,
        ``fit_points``.
    """
    if idx.size > config.fit_points:
        idx = np.sort(np.random.default_rng(seed).choice(idx, config.fit_points, replace=False))
    sub = data.subset(idx)
    b, k = layers(sub)
    uses_k = k is not None
    cols = fit_epochs(data.n_epochs)
    days = sub.days[cols]
    # a record shorter than INITIAL_DAYS sets the initial state from what it has; the model
    # keeps that length, so that its forecasts (which see the heads after the fit) start alike
    initial = min(INITIAL_DAYS, float(days[-1]))
    hist = head_history(sub.head_m[:, cols], days, initial)
    target = (sub.subsidence_mm - sub.subsidence_mm[:, :1])[:, cols]
    b_scale = 1.0 if data.thickness_m is not None else 150.0
    calls = [0]
    # the prior weighs like one residual per fitted point, over the acquisitions read
    prior_scale = config.prior_weight * config.noise_mm * np.sqrt(len(idx) * len(cols) / data.n_epochs)
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
        r_in, r_el = responses(hist, days, b, tau_days(p, b, k), p["spinup_years"])
        sskv, sske = storage_fit(r_in, r_el, target, b_scale, ratio_prior)
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
            max_nfev=config.max_iterations * 5,
            x_scale=np.array([1.0, 1.0, 0.3, 5.0]),
            ftol=FIT_TOLERANCE,
            xtol=FIT_TOLERANCE,
        )
        if best is None or sol.cost < best.cost:
            best = sol
    if best is None:
        best_z = np.array([np.log(30.0), np.log(30.0), 0.5, 10.0])
    else:
        best_z = best.x
    p = unpack(best_z)
    r_in, r_el = responses(hist, days, b, tau_days(p, b, k), p["spinup_years"])
    sskv, sske = storage_fit(r_in, r_el, target, b_scale, ratio_prior)
    rms = float(np.sqrt(np.mean((sskv * r_in + sske * r_el - target) ** 2)))
    return {
        **p,
        "sskv_per_m": sskv,
        "sske_per_m": sske,
        "elastic_ratio": sskv / sske,
        "uses_thickness": data.thickness_m is not None,
        "uses_permeability": uses_k,
        "fit_rms_mm": rms,
        "fit_points": int(idx.size),
        "initial_days": initial,
    }
