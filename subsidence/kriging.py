"""Ordinary kriging of groundwater heads (every epoch) and of the geology layers.

Groundwater levels are read at the wells' own dates; they are first interpolated in time to
each acquisition date (linearly inside each well's span, its first or last reading carried at most
half its reading interval beyond: the coverage policy of :mod:`subsidence.coverage`), then kriged
in space at the PS points and on a map grid.

Why it is fast: with the same wells and variogram, the kriging system is the same for every
epoch. Epochs are grouped by the set of wells present; each group's system (PyKrige's
convention: ``A = [[-gamma(x_i, x_j)], [1]; [1], 0]`` with a zero diagonal, so the estimator is
exact at the wells) is inverted once. Estimates use the dual form
``z*(x) = b(x)^T A^-1 [z; 0]``: one matrix product of the targets' right-hand sides with the
coefficients of *all* epochs at once. Kriging variances ``-b^T A^-1 b`` depend only on the
group; they are computed from the inverse of the system of all wells, corrected for the wells
a group lacks by a Schur complement (cost grows with the number of missing wells, not with
the number of wells), or directly where that is ill-conditioned. Targets are processed in
chunks to bound memory. The results equal PyKrige's ``OrdinaryKriging`` run epoch by epoch
with the same variogram to rounding (``bench/bench_kriging.py``, ``tests/unit/test_kriging.py``).

Leave-one-out cross-validation uses the closed form (Dubrule 1983): the residual at site i is
``c_i / (A^-1)_ii`` with ``c = A^-1 [z; 0]``, exactly what refitting without site i gives (for
the same variogram).

All coordinates are metres in the study area's ``work_crs``; heads in metres above datum,
variances in m².
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from subsidence.coverage import MIN_WELLS, levels_at
from subsidence.errors import SubsidenceError
from subsidence.factors import Factors
from subsidence.studyarea import PERMEABILITY, THICKNESS, Layer, Raster, StudyArea, Wells
from subsidence.variogram import (
    AUTO_CANDIDATES,
    DETRENDS,
    MODELS,
    ExperimentalVariogram,
    Variogram,
    experimental_variogram,
    fit_variogram,
)

ProgressCallback = Callable[[float, str], None]
"""Called with (fraction done in 0..1, message)."""

DEFAULT_CELL_SIZE_M = 20.0  # the paper's grid
DEFAULT_MAX_CELLS = 2_000_000
SCREEN_MAX_CELLS = 60_000  # for maps drawn in the browser
PERMEABILITY_FLOOR_M_PER_DAY = 1e-6
ZERO_DISTANCE_M = 1e-10  # PyKrige's eps: closer than this counts as the same place
DUPLICATE_DISTANCE_M = 1e-3
MIN_WELLS_PER_EPOCH = MIN_WELLS
_ROUND_MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0)
_CONDITION_LIMIT = 1e10  # above: variances computed directly rather than by Schur updates
_UNUSABLE_CONDITION = 1e13  # 1-norm condition; above, estimates lose more than about 1e-3 of their scale


@dataclass(frozen=True)
class KrigingConfig:
    """Settings of :func:`krige_study_area`.

    Attributes
    ----------
    variogram_model : {"auto", "spherical", "exponential", "gaussian", "linear"}
        Model family for heads and layers; "auto" picks, among spherical, exponential and
        Gaussian, the one with the lowest leave-one-out RMSE.
    pooled : bool
        One head variogram for all epochs (fitted to the semivariances of every epoch
        together), else one per epoch (same family, refitted per epoch).
    detrend : {"mean", "plane"}
        Removed from each epoch's levels before the experimental variogram is computed.
    n_lags : int
        Distance bins of experimental variograms.
    head_variogram : Variogram, optional
        Use this head variogram instead of fitting one (e.g. to compare with PyKrige).
    grid : bool
        Also krige on a map grid (False: PS points only, faster).
    cell_size_m : float, optional
        Grid cell size in metres; default the paper's 20 m when the grid has at most
        ``max_cells`` cells, else the finest round size (25, 30, 40, 50, 60, 75, 80, 100, ...)
        that does.
    max_cells : int
        Largest grid allowed (use :data:`SCREEN_MAX_CELLS` for maps drawn in a browser).
    margin_m : float, optional
        Grid margin around the PS extent; default 2 % of the larger side.
    max_layer_samples : int
        Layer samples kept for kriging (evenly thinned along the contours beyond this).
    layer_max_cells : int
        Layers are kriged on a grid of at most this many cells and resampled bilinearly to a
        finer map grid (layers are smooth; this bounds the cost).
    log_permeability : bool
        Krige log10 of permeability (log-normal, always > 0 after back-transform).
    chunk_entries : int
        Target chunk size in matrix entries (targets x sites) to bound memory.
    """

    variogram_model: str = "auto"
    pooled: bool = True
    detrend: str = "mean"
    n_lags: int = 12
    head_variogram: Variogram | None = None
    grid: bool = True
    cell_size_m: float | None = None
    max_cells: int = DEFAULT_MAX_CELLS
    margin_m: float | None = None
    max_layer_samples: int = 600
    layer_max_cells: int = 40_000
    log_permeability: bool = True
    chunk_entries: int = 4_000_000

    def __post_init__(self) -> None:
        allowed = ("auto", *MODELS)
        if self.variogram_model not in allowed:
            raise SubsidenceError(f"variogram_model must be one of {allowed}, found {self.variogram_model!r}")
        if self.detrend not in DETRENDS:
            raise SubsidenceError(f"detrend must be one of {DETRENDS}, found {self.detrend!r}")
        if self.cell_size_m is not None and not self.cell_size_m > 0:
            raise SubsidenceError(f"cell_size_m must be > 0 metres, found {self.cell_size_m}")
        for name in ("max_cells", "layer_max_cells", "max_layer_samples", "chunk_entries", "n_lags"):
            if int(getattr(self, name)) < 4:
                raise SubsidenceError(f"KrigingConfig.{name} must be >= 4, found {getattr(self, name)}")


@dataclass(frozen=True)
class LooCrossValidation:
    """Leave-one-out cross-validation of a kriged quantity.

    Attributes
    ----------
    unit : str
        Unit of the errors ("m" for heads and thickness, "m/day" for permeability).
    rmse, mae : float
        Over every left-out value (all wells and epochs for heads).
    n : int
        Values cross-validated.
    residuals : ndarray
        Observed minus leave-one-out prediction: (n_wells, n_epochs) with NaN where a well is
        absent for heads, (n_samples,) for layers.
    per_epoch : DataFrame or None
        Heads: ``date``, ``n_wells``, ``rmse``, ``mae``, ``bias`` per epoch.
    per_site : DataFrame
        Heads: ``well_id``, ``x_m``, ``y_m``, ``n``, ``rmse``, ``mae``, ``bias`` per well.
        Layers: ``x_m``, ``y_m``, ``observed``, ``predicted``, ``error`` per sample.
    """

    unit: str
    rmse: float
    mae: float
    n: int
    residuals: np.ndarray
    per_epoch: pd.DataFrame | None
    per_site: pd.DataFrame

    @property
    def rmse_m(self) -> float:
        """RMSE in metres (heads, thickness)."""
        return self.rmse

    @property
    def mae_m(self) -> float:
        """MAE in metres (heads, thickness)."""
        return self.mae

    def worst(self, k: int = 5) -> pd.DataFrame:
        """The ``k`` sites (wells or samples) with the largest errors, worst first."""
        key = "rmse" if "rmse" in self.per_site else "error"
        order = self.per_site[key].abs().sort_values(ascending=False).index
        return self.per_site.loc[order[:k]].reset_index(drop=True)


@dataclass(frozen=True)
class KrigingGrid:
    """Kriged maps on a regular grid in ``work_crs``.

    Attributes
    ----------
    x_m : ndarray, shape (nx,)
        Cell-centre x (metres, increasing).
    y_m : ndarray, shape (ny,)
        Cell-centre y (metres, increasing: row 0 is the southern edge).
    cell_size_m : float
    work_crs : str
    dates : DatetimeIndex, shape (n_epochs,)
    head_m : ndarray float32, shape (n_epochs, ny, nx)
        Kriged groundwater level (m above datum).
    head_var_m2 : ndarray float32, shape (n_epochs, ny, nx)
        Kriging variance of ``head_m`` (m²).
    thickness_m, permeability_m_per_day : ndarray float32, shape (ny, nx), or None
    """

    x_m: np.ndarray
    y_m: np.ndarray
    cell_size_m: float
    work_crs: str
    dates: pd.DatetimeIndex
    head_m: np.ndarray
    head_var_m2: np.ndarray
    thickness_m: np.ndarray | None = None
    permeability_m_per_day: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx)."""
        return (len(self.y_m), len(self.x_m))


@dataclass(frozen=True)
class KrigingResult:
    """Everything :func:`krige_study_area` produces.

    Attributes
    ----------
    factors : Factors
        Head (and its kriging standard deviation), thickness and permeability at the PS points.
    dates : DatetimeIndex
    well_levels_m : ndarray, shape (n_wells, n_epochs)
        Levels interpolated in time to the acquisition dates (NaN outside a well's span).
    head_variogram : Variogram
        The pooled (or user-given) head variogram.
    head_variograms : tuple of Variogram, one per epoch
        The variogram used at each epoch (all equal to ``head_variogram`` when pooled).
    head_experimental : ExperimentalVariogram
        Pooled experimental variogram of the levels.
    head_model_scores : dict
        Leave-one-out RMSE (m) of each candidate model family tried.
    head_cv : LooCrossValidation
    layer_variograms, layer_experimental, layer_cv : dict keyed by layer name
        For kriged layers (absent for raster layers, which are sampled directly).
    grid : KrigingGrid or None
    seconds : float
        Wall time of the whole run.
    notes : tuple of str
        Remarks for the report (chosen model, cell size, thinning).
    head_informative : bool
        False when the head maps carry no information about where levels differ (see
        :func:`head_information`): show them as the wells' average, not as a pattern.
    head_warning : str or None
        The plain sentence saying why, when ``head_informative`` is False.
    """

    factors: Factors
    dates: pd.DatetimeIndex
    well_levels_m: np.ndarray
    head_variogram: Variogram
    head_variograms: tuple[Variogram, ...]
    head_experimental: ExperimentalVariogram
    head_model_scores: dict[str, float]
    head_cv: LooCrossValidation
    layer_variograms: dict[str, Variogram] = field(default_factory=dict)
    layer_experimental: dict[str, ExperimentalVariogram] = field(default_factory=dict)
    layer_cv: dict[str, LooCrossValidation] = field(default_factory=dict)
    grid: KrigingGrid | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    head_informative: bool = True
    head_warning: str | None = None

    @property
    def head_loo_rmse_m(self) -> float:
        """Leave-one-out RMSE of groundwater level over all wells and epochs (m)."""
        return self.head_cv.rmse

    @property
    def thickness_loo_rmse_m(self) -> float | None:
        """Leave-one-out RMSE of thickness (m); None without a kriged thickness layer."""
        cv = self.layer_cv.get(THICKNESS)
        return None if cv is None else cv.rmse


# --- time ------------------------------------------------------------------------------------


def interpolate_wells_in_time(wells: Wells, dates: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Well levels at the given dates under the coverage policy (:func:`subsidence.coverage.levels_at`).

    Linear in time between readings; beyond a well's first or last reading the reading is
    carried for at most half the well's median reading interval (15 to 90 days), never further.

    Parameters
    ----------
    wells : Wells
    dates : DatetimeIndex or array of datetime64, shape (n_epochs,)

    Returns
    -------
    ndarray, shape (n_wells, n_epochs)
        Head (m above datum), in the order of ``wells.ids``; NaN where a well does not cover
        the date. Readings on the same date are averaged.
    """
    return levels_at(wells, dates)


# --- is the head map worth reading? ---------------------------------------------------------

NUGGET_SHARE_LIMIT = 0.8
LOO_SPREAD_LIMIT = 0.8
MIN_INFORMATIVE_WELLS = 5


def head_information(variogram: Variogram, loo_rmse_m: float, levels: np.ndarray) -> tuple[bool, str | None]:
    """Whether kriged heads say more than the wells' average, and a sentence when they do not.

    Kriging carries no information about where heads differ when any of these holds:

    * the nugget is more than :data:`NUGGET_SHARE_LIMIT` of the sill (nugget + partial sill):
      nearby wells are no more alike than distant ones;
    * the leave-one-out RMSE is at least :data:`LOO_SPREAD_LIMIT` times the spread of the
      levels between wells (the root-mean-square over epochs of their standard deviation):
      predicting a left-out well is no better than using the others' average;
    * fewer than :data:`MIN_INFORMATIVE_WELLS` wells report.

    Parameters
    ----------
    variogram : Variogram
        The pooled head variogram.
    loo_rmse_m : float
        Leave-one-out RMSE of the heads (m).
    levels : ndarray, shape (n_wells, n_epochs)
        Well levels at the acquisition dates (NaN where a well is absent).

    Returns
    -------
    informative : bool
    warning : str or None
    """
    n_wells = int(np.isfinite(levels).any(axis=1).sum())
    sill = variogram.nugget + variogram.psill
    share = variogram.nugget / sill if sill > 0 else 1.0
    with np.errstate(invalid="ignore"):
        counts = np.isfinite(levels).sum(axis=0)
        per_epoch = np.nanvar(np.where(counts >= 2, levels, np.nan), axis=0, ddof=1) if levels.size else []
    finite = np.asarray(per_epoch)[np.isfinite(per_epoch)]
    spread = float(np.sqrt(np.mean(finite))) if len(finite) else 0.0
    reasons = []
    if n_wells < MIN_INFORMATIVE_WELLS:
        reasons.append(
            f"only {n_wells} wells report (at least {MIN_INFORMATIVE_WELLS} are needed to map a pattern)"
        )
    if share > NUGGET_SHARE_LIMIT:
        reasons.append(
            f"the variogram's nugget is {share:.0%} of its sill (nearby wells are no more alike than distant ones)"
        )
    if np.isfinite(loo_rmse_m) and loo_rmse_m >= LOO_SPREAD_LIMIT * spread:
        reasons.append(
            f"leaving one well out, its level is predicted to {loo_rmse_m:.2f} m, no better than the "
            f"{spread:.2f} m spread between wells"
        )
    if not reasons:
        return True, None
    return False, (
        "The groundwater-level map carries no information about where levels differ: "
        + "; ".join(reasons)
        + ". Read it as the wells' average level, not as a pattern."
    )


# --- the kriging system ----------------------------------------------------------------------


def _system(variogram: Variogram, xy: np.ndarray) -> np.ndarray:
    """PyKrige's ordinary kriging matrix, shape (m + 1, m + 1)."""
    m = len(xy)
    a = np.zeros((m + 1, m + 1))
    a[:m, :m] = -variogram.gamma(cdist(xy, xy))
    np.fill_diagonal(a, 0.0)
    a[m, :] = 1.0
    a[:, m] = 1.0
    a[m, m] = 0.0
    return a


def _rhs(variogram: Variogram, targets: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Right-hand sides ``[-gamma(x, x_i), 1]`` for every target, shape (n_targets, m + 1)."""
    d = cdist(targets, xy)
    b = np.empty((len(targets), len(xy) + 1))
    g = variogram.gamma(d)
    g[d <= ZERO_DISTANCE_M] = 0.0
    b[:, :-1] = -g
    b[:, -1] = 1.0
    return b


@dataclass(frozen=True)
class _Group:
    """Epochs sharing one set of sites: ``sites`` (indices), ``epochs``, ``inverse`` of the system."""

    sites: np.ndarray
    epochs: np.ndarray
    inverse: np.ndarray


def _epoch_label(dates: pd.DatetimeIndex | None, e: int) -> str:
    return f"epoch {e + 1}" if dates is None else f"{dates[e].date()}"


def _check_sites(xy: np.ndarray, names: np.ndarray, label: str, what: str) -> None:
    """Duplicate or collinear sites make the kriging system singular or one-dimensional."""
    d = cdist(xy, xy)
    np.fill_diagonal(d, np.inf)
    if d.min() <= DUPLICATE_DISTANCE_M:
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        raise SubsidenceError(
            f"{what} {names[i]!s} and {names[j]!s} are at the same place (at {label}); expected distinct "
            f"locations: merge them or remove one"
        )
    s = np.linalg.svd(xy - xy.mean(axis=0), compute_uv=False)
    if s[1] <= 1e-6 * s[0]:
        raise SubsidenceError(
            f"the {len(xy)} {what}s reporting at {label} ({', '.join(map(str, names[:6]))}"
            f"{', ...' if len(xy) > 6 else ''}) lie on one line; expected {what}s spread in two dimensions "
            f"to krige a map"
        )


def _presence(
    xy: np.ndarray, values: np.ndarray, dates: pd.DatetimeIndex | None, names: np.ndarray, what: str
) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Epochs grouped by the sites present: (sites, epochs, label of the first epoch), checked.

    Raises
    ------
    SubsidenceError
        Fewer than 3 sites at an epoch (naming it), or duplicate or collinear sites in a group.
    """
    present = np.isfinite(values)
    count = present.sum(axis=0)
    if (count < MIN_WELLS_PER_EPOCH).any():
        e = int(np.flatnonzero(count < MIN_WELLS_PER_EPOCH)[0])
        raise SubsidenceError(
            f"{int(count[e])} {what}(s) report at {_epoch_label(dates, e)}; expected at least "
            f"{MIN_WELLS_PER_EPOCH} to krige (add readings around that date, or krige the model period: "
            f"subsidence.coverage.restrict(area), which leaves such dates out)"
        )
    patterns, which = np.unique(present.T, axis=0, return_inverse=True)
    out = []
    for g, pattern in enumerate(patterns):
        sites = np.flatnonzero(pattern)
        epochs = np.flatnonzero(which.ravel() == g)
        label = _epoch_label(dates, int(epochs[0]))
        _check_sites(xy[sites], names[sites], label, what)
        out.append((sites, epochs, label))
    return out


def _groups(
    xy: np.ndarray,
    values: np.ndarray,
    variogram: Variogram,
    dates: pd.DatetimeIndex | None,
    names: np.ndarray,
    what: str,
) -> list[_Group]:
    """Group the epochs by the sites present and invert each group's system once."""
    return [
        _Group(sites, epochs, _inverse(variogram, xy[sites], f"the {len(sites)} {what}s at {label}"))
        for sites, epochs, label in _presence(xy, values, dates, names, what)
    ]


def _inverse(variogram: Variogram, xy: np.ndarray, label: str) -> np.ndarray:
    """Inverse of the kriging system; an error when it is singular or too ill-conditioned."""
    a = _system(variogram, xy)
    inverse = _inverse_if_conditioned(a, _UNUSABLE_CONDITION)
    if inverse is None:
        raise SubsidenceError(
            f"the kriging system of {label} is singular or too ill-conditioned with {variogram.describe()} "
            f"(usual with a Gaussian model of long range and no nugget); choose another model or add a nugget"
        )
    return inverse


def _inverse_if_conditioned(a: np.ndarray, limit: float) -> np.ndarray | None:
    """The inverse of ``a`` when its 1-norm condition number is below ``limit``, else None."""
    try:
        inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return None
    cond = np.abs(a).sum(axis=0).max() * np.abs(inverse).sum(axis=0).max()
    return inverse if np.isfinite(cond) and cond < limit else None


def _dual_coefficients(groups: list[_Group], values: np.ndarray) -> np.ndarray:
    """Dual kriging coefficients of every epoch, shape (n_sites + 1, n_epochs); 0 for absent sites."""
    n, n_epochs = values.shape
    coef = np.zeros((n + 1, n_epochs))
    for g in groups:
        rows = np.r_[g.sites, n]
        z = np.zeros((len(rows), len(g.epochs)))
        z[:-1] = values[np.ix_(g.sites, g.epochs)]
        coef[np.ix_(rows, g.epochs)] = g.inverse @ z
    return coef


def _chunks(n: int, width: int, entries: int) -> Iterator[slice]:
    step = max(256, entries // max(width, 1))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


class _Variance:
    """Kriging variances of every group from the inverse of the all-sites system.

    For a group lacking sites R (kept K), ``(A_K)^-1 = P_KK - P_KR P_RR^-1 P_RK`` with
    ``P = A^-1`` of all sites, which gives ``b_K^T A_K^-1 b_K = b^T P b - y_R^T P_RR^-1 y_R``
    with ``y = P b`` (the downdate of a quadratic form). The groups' R columns are stacked so
    that all groups take one (block-diagonal) matrix product per chunk. Groups for which this
    is ill-conditioned, or which lack most sites, are computed directly.
    """

    def __init__(self, variogram: Variogram, xy: np.ndarray, groups: list[_Group]) -> None:
        n = len(xy)
        self.groups = groups
        self.full: np.ndarray | None = None
        self.full = _inverse_if_conditioned(_system(variogram, xy), _CONDITION_LIMIT)
        self.direct: list[int] = []
        columns: list[np.ndarray] = []
        owner: list[np.ndarray] = []
        blocks: list[np.ndarray] = []
        for k, g in enumerate(groups):
            r = np.setdiff1d(np.arange(n), g.sites)
            if self.full is None:
                self.direct.append(k)
                continue
            if len(r) == 0:
                continue
            p_rr_inv = _inverse_if_conditioned(self.full[np.ix_(r, r)], _CONDITION_LIMIT)
            if len(r) > len(g.sites) or p_rr_inv is None:
                self.direct.append(k)
                continue
            columns.append(r)
            owner.append(np.full(len(r), k))
            blocks.append(p_rr_inv)
        self.columns = np.concatenate(columns) if columns else np.empty(0, int)
        width = len(self.columns)
        self.p_inv_blk = np.zeros((width, width))
        at = 0
        for p_inv in blocks:
            sl = slice(at, at + len(p_inv))
            self.p_inv_blk[sl, sl] = p_inv
            at += len(p_inv)
        self.segments = np.zeros((width, len(groups)))
        if width:
            self.segments[np.arange(width), np.concatenate(owner)] = 1.0

    def __call__(self, b: np.ndarray) -> np.ndarray:
        """Variances (n_targets, n_groups) for right-hand sides ``b`` (n_targets, n_sites + 1)."""
        n = b.shape[1] - 1
        out = np.empty((len(b), len(self.groups)))
        if self.full is not None:
            y = b @ self.full
            q = np.einsum("ij,ij->i", b, y)
            correction = np.zeros((len(b), len(self.groups)))
            if len(self.columns):
                y_r = y[:, self.columns]
                correction = (y_r * (y_r @ self.p_inv_blk)) @ self.segments
            out[:] = -(q[:, None] - correction)
        for k in self.direct:
            g = self.groups[k]
            bk = b[:, np.r_[g.sites, n]]
            out[:, k] = -np.einsum("ij,ij->i", bk, bk @ g.inverse)
        return out


def krige_epochs(
    xy_m: np.ndarray,
    values: np.ndarray,
    targets_m: np.ndarray,
    variogram: Variogram,
    *,
    variance: bool = True,
    dates: pd.DatetimeIndex | None = None,
    site_names: np.ndarray | None = None,
    chunk_entries: int = 4_000_000,
    progress: ProgressCallback | None = None,
    epochs_first: bool = False,
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Ordinary kriging of many epochs at once (epochs grouped by the sites present).

    Parameters
    ----------
    xy_m : ndarray, shape (n_sites, 2)
        Site (well) locations, metres in ``work_crs``.
    values : ndarray, shape (n_sites, n_epochs)
        Values at the sites; NaN where a site is absent at an epoch.
    targets_m : ndarray, shape (n_targets, 2)
        Where to estimate, metres in ``work_crs``.
    variogram : Variogram
    variance : bool
        Also return the kriging variance.
    dates : DatetimeIndex, optional
        Names epochs in error messages.
    site_names : ndarray, optional
        Names sites in error messages.
    chunk_entries : int
        Targets are processed in chunks of about this many (targets x sites) entries.
    progress : callable, optional
        ``progress(fraction, message)`` after each chunk.
    epochs_first : bool
        Return arrays shaped (n_epochs, n_targets) instead (maps: no transposed copy).
    dtype : numpy float type
        Of the returned arrays (float32 halves the memory of large grids).

    Returns
    -------
    estimate : ndarray, shape (n_targets, n_epochs)
    variance : ndarray, shape (n_targets, n_epochs), or None
        Kriging variance (values' unit squared), as PyKrige's ``sigmasq``.

    Raises
    ------
    SubsidenceError
        Fewer than 3 sites at an epoch (naming it), duplicate or collinear sites.
    """
    xy = np.asarray(xy_m, dtype=float)
    z = np.asarray(values, dtype=float)
    z = z[:, None] if z.ndim == 1 else z
    targets = np.asarray(targets_m, dtype=float)
    if (
        xy.ndim != 2
        or xy.shape[1] != 2
        or z.shape[0] != len(xy)
        or targets.ndim != 2
        or targets.shape[1] != 2
    ):
        raise SubsidenceError(
            f"krige_epochs: expected sites (n, 2), values (n, n_epochs) and targets (k, 2), found "
            f"{xy.shape}, {z.shape} and {targets.shape}"
        )
    used = np.isfinite(z).any(axis=1)  # sites never present play no part
    xy, z = xy[used], z[used]
    names = np.arange(len(used)).astype(str) if site_names is None else np.asarray(site_names)
    groups = _groups(xy, z, variogram, dates, names[used], "site" if site_names is None else "well")
    coef = _dual_coefficients(groups, z)
    var_of = _Variance(variogram, xy, groups) if variance else None
    group_of = np.empty(z.shape[1], dtype=int)
    for k, g in enumerate(groups):
        group_of[g.epochs] = k
    shape = (z.shape[1], len(targets)) if epochs_first else (len(targets), z.shape[1])
    est = np.empty(shape, dtype=dtype)
    var = np.empty(shape, dtype=dtype) if variance else None
    for part in _chunks(len(targets), len(xy) + 1, chunk_entries):
        b = _rhs(variogram, targets[part], xy)
        (est[:, part].T if epochs_first else est[part])[...] = b @ coef
        if var_of is not None and var is not None:
            (var[:, part].T if epochs_first else var[part])[...] = var_of(b)[:, group_of]
        if progress is not None:
            progress(part.stop / len(targets), f"kriged {part.stop:,} of {len(targets):,} locations")
    return est, var


def loo_residuals(
    xy_m: np.ndarray,
    values: np.ndarray,
    variogram: Variogram,
    *,
    dates: pd.DatetimeIndex | None = None,
    site_names: np.ndarray | None = None,
) -> np.ndarray:
    """Leave-one-out residuals (observed minus prediction without the site), closed form.

    Parameters
    ----------
    xy_m : ndarray, shape (n_sites, 2)
    values : ndarray, shape (n_sites, n_epochs) or (n_sites,)
        NaN where a site is absent.
    variogram : Variogram

    Returns
    -------
    ndarray, same shape as ``values``
        NaN where ``values`` is NaN.
    """
    z = np.asarray(values, dtype=float)
    flat = z.ndim == 1
    z = z[:, None] if flat else z
    xy = np.asarray(xy_m, dtype=float)
    names = np.arange(len(xy)).astype(str) if site_names is None else np.asarray(site_names)
    out = np.full(z.shape, np.nan)
    used = np.flatnonzero(np.isfinite(z).any(axis=1))
    what = "site" if site_names is None else "well"
    for g in _groups(xy[used], z[used], variogram, dates, names[used], what):
        rows = used[g.sites]
        rhs = np.zeros((len(g.sites) + 1, len(g.epochs)))
        rhs[:-1] = z[np.ix_(rows, g.epochs)]
        c = g.inverse @ rhs
        out[np.ix_(rows, g.epochs)] = c[:-1] / np.diag(g.inverse)[:-1, None]
    return out[:, 0] if flat else out


def _rmse_mae(r: np.ndarray) -> tuple[float, float, int]:
    ok = r[np.isfinite(r)]
    if len(ok) == 0:
        return float("nan"), float("nan"), 0
    return float(np.sqrt(np.mean(ok**2))), float(np.mean(np.abs(ok))), len(ok)


def _choose_variogram(
    xy: np.ndarray,
    values: np.ndarray,
    experimental: ExperimentalVariogram,
    model: str,
    dates: pd.DatetimeIndex | None,
    names: np.ndarray | None,
) -> tuple[Variogram, dict[str, float]]:
    """Fit the candidate models and keep the one with the lowest leave-one-out RMSE."""
    candidates = AUTO_CANDIDATES if model == "auto" else (model,)
    scores: dict[str, float] = {}
    fits: dict[str, Variogram] = {}
    for name in candidates:
        fitted = fit_variogram(experimental, name)
        try:
            rmse = _rmse_mae(loo_residuals(xy, values, fitted, dates=dates, site_names=names))[0]
        except SubsidenceError:
            if model != "auto":
                raise
            continue
        if np.isfinite(rmse):
            scores[name], fits[name] = rmse, fitted
    if not fits:
        raise SubsidenceError(f"no variogram model among {candidates} gives a usable kriging system")
    best = min(scores, key=scores.__getitem__)
    return fits[best], scores


def _head_cv(residuals: np.ndarray, wells: Wells, dates: pd.DatetimeIndex) -> LooCrossValidation:
    rmse, mae, n = _rmse_mae(residuals)
    ok = np.isfinite(residuals)
    r0 = np.where(ok, residuals, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_epoch = pd.DataFrame(
            {
                "date": dates,
                "n_wells": ok.sum(axis=0),
                "rmse": np.sqrt((r0**2).sum(axis=0) / ok.sum(axis=0)),
                "mae": np.abs(r0).sum(axis=0) / ok.sum(axis=0),
                "bias": r0.sum(axis=0) / ok.sum(axis=0),
            }
        )
        per_site = pd.DataFrame(
            {
                "well_id": wells.ids.astype(str),
                "x_m": wells.x,
                "y_m": wells.y,
                "n": ok.sum(axis=1),
                "rmse": np.sqrt((r0**2).sum(axis=1) / ok.sum(axis=1)),
                "mae": np.abs(r0).sum(axis=1) / ok.sum(axis=1),
                "bias": r0.sum(axis=1) / ok.sum(axis=1),
            }
        )
    return LooCrossValidation("m", rmse, mae, n, residuals, per_epoch, per_site)


# --- the grid --------------------------------------------------------------------------------


def _round_sizes() -> Iterator[float]:
    for k in range(-1, 8):
        for mantissa in _ROUND_MANTISSAS:
            yield mantissa * 10.0**k


def grid_axes(
    extent_m: tuple[float, float, float, float],
    cell_size_m: float | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    margin_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Cell-centre coordinates of the map grid over an extent plus a margin.

    Parameters
    ----------
    extent_m : (xmin, ymin, xmax, ymax)
        Metres in ``work_crs`` (e.g. ``StudyArea.extent_m``).
    cell_size_m : float, optional
        The user's cell size; default 20 m when that gives at most ``max_cells`` cells, else
        the finest round size that does.
    max_cells : int
    margin_m : float, optional
        Default 2 % of the larger side.

    Returns
    -------
    x_m : ndarray, shape (nx,)
    y_m : ndarray, shape (ny,)
    cell_size_m : float

    Raises
    ------
    SubsidenceError
        When the user's ``cell_size_m`` gives more than ``max_cells`` cells.
    """
    xmin, ymin, xmax, ymax = extent_m
    if margin_m is None:
        margin_m = 0.02 * max(xmax - xmin, ymax - ymin, 1.0)

    def axes(cell: float) -> tuple[np.ndarray, np.ndarray]:
        x0, y0 = np.floor((xmin - margin_m) / cell) * cell, np.floor((ymin - margin_m) / cell) * cell
        nx = max(1, int(np.ceil((xmax + margin_m - x0) / cell)))
        ny = max(1, int(np.ceil((ymax + margin_m - y0) / cell)))
        return x0 + (np.arange(nx) + 0.5) * cell, y0 + (np.arange(ny) + 0.5) * cell

    def n_cells(cell: float) -> int:
        return int(np.ceil((xmax - xmin + 2 * margin_m) / cell) + 1) * int(
            np.ceil((ymax - ymin + 2 * margin_m) / cell) + 1
        )

    if cell_size_m is not None:
        if n_cells(cell_size_m) > max_cells:
            raise SubsidenceError(
                f"a {cell_size_m:g} m grid over the study area has about {n_cells(cell_size_m):,} cells; "
                f"expected at most {max_cells:,}: choose a larger cell size"
            )
        return (*axes(float(cell_size_m)), float(cell_size_m))
    for cell in _round_sizes():
        if cell >= DEFAULT_CELL_SIZE_M and n_cells(cell) <= max_cells:
            return (*axes(cell), cell)
    raise SubsidenceError(f"no round cell size keeps the grid under {max_cells:,} cells")  # pragma: no cover


def _grid_targets(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    gx, gy = np.meshgrid(x, y)
    return np.column_stack([gx.ravel(), gy.ravel()])


# --- layers ----------------------------------------------------------------------------------


def sample_raster(raster: Raster, x_m: np.ndarray, y_m: np.ndarray, work_crs: str) -> np.ndarray:
    """Bilinear values of a raster at points given in ``work_crs`` (NaN outside or on no-data).

    Parameters
    ----------
    raster : Raster
    x_m, y_m : ndarray, shape (n,)
        Metres in ``work_crs``; transformed to the raster's CRS first.
    work_crs : str

    Returns
    -------
    ndarray, shape (n,)
        Bilinear between the four surrounding cell centres; nearest cell where one of them is
        no-data; NaN outside the raster or on a no-data cell.
    """
    from pyproj import CRS, Transformer

    rx, ry = np.asarray(x_m, float), np.asarray(y_m, float)
    if not CRS.from_user_input(raster.crs).equals(CRS.from_user_input(work_crs)):
        rx, ry = (
            np.asarray(v)
            for v in Transformer.from_crs(work_crs, raster.crs, always_xy=True).transform(rx, ry)
        )
    a, b, c, d, e, f = raster.transform
    inv = np.linalg.inv(np.array([[a, b], [d, e]]))
    col = inv[0, 0] * (rx - c) + inv[0, 1] * (ry - f) - 0.5  # in cell-centre units
    row = inv[1, 0] * (rx - c) + inv[1, 1] * (ry - f) - 0.5
    values = raster.values
    rows, cols = values.shape
    out = np.full(len(rx), np.nan)
    inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
    c0 = np.clip(np.floor(col), 0, max(cols - 2, 0)).astype(int)
    r0 = np.clip(np.floor(row), 0, max(rows - 2, 0)).astype(int)
    c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
    fc, fr = np.clip(col - c0, 0, 1), np.clip(row - r0, 0, 1)
    bilinear = (
        values[r0, c0] * (1 - fc) * (1 - fr)
        + values[r0, c1] * fc * (1 - fr)
        + values[r1, c0] * (1 - fc) * fr
        + values[r1, c1] * fc * fr
    )
    nearest = values[
        np.clip(np.round(row), 0, rows - 1).astype(int), np.clip(np.round(col), 0, cols - 1).astype(int)
    ]
    out[inside] = np.where(np.isfinite(bilinear), bilinear, nearest)[inside]
    return out


def _floor(name: str, v: np.ndarray) -> np.ndarray:
    return np.maximum(v, 0.0) if name == THICKNESS else np.maximum(v, PERMEABILITY_FLOOR_M_PER_DAY)


def _layer_samples(layer: Layer, most: int) -> tuple[np.ndarray, np.ndarray]:
    """Finite samples, duplicates (same mm) averaged, thinned evenly to at most ``most``."""
    ok = np.isfinite(layer.x) & np.isfinite(layer.y) & np.isfinite(layer.values)
    frame = pd.DataFrame(
        {"x": np.round(layer.x[ok], 3), "y": np.round(layer.y[ok], 3), "v": layer.values[ok]}
    )
    frame = frame.groupby(["x", "y"], sort=False)["v"].mean().reset_index()
    keep = np.unique(np.linspace(0, len(frame) - 1, min(most, len(frame))).round().astype(int))
    frame = frame.iloc[keep]
    return frame[["x", "y"]].to_numpy(float), frame["v"].to_numpy(float)


@dataclass(frozen=True)
class _LayerOut:
    at_points: np.ndarray
    on_grid: np.ndarray | None
    variogram: Variogram | None = None
    experimental: ExperimentalVariogram | None = None
    cv: LooCrossValidation | None = None
    note: str = ""


def _krige_layer(
    layer: Layer,
    points: np.ndarray,
    grid_xy: tuple[np.ndarray, np.ndarray] | None,
    work_crs: str,
    config: KrigingConfig,
) -> _LayerOut:
    """A layer at the PS points and on the grid: raster sampled, samples kriged."""
    name = layer.name
    if layer.raster is not None:
        tree_xy = np.column_stack([layer.x, layer.y])
        tree = cKDTree(tree_xy) if len(tree_xy) else None

        def sample(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            v = sample_raster(layer.raster, x, y, work_crs)  # type: ignore[arg-type]
            gap = ~np.isfinite(v)
            if gap.any() and tree is not None:  # outside the raster: nearest valid sample
                v[gap] = layer.values[tree.query(np.column_stack([x[gap], y[gap]]))[1]]
            return _floor(name, v)

        grid = None
        if grid_xy is not None:
            t = _grid_targets(*grid_xy)
            grid = sample(t[:, 0], t[:, 1]).reshape(len(grid_xy[1]), len(grid_xy[0]))
        return _LayerOut(sample(points[:, 0], points[:, 1]), grid, note=f"{name}: raster sampled bilinearly")

    xy, v = _layer_samples(layer, config.max_layer_samples)
    log = name == PERMEABILITY and config.log_permeability
    z = np.log10(np.maximum(v, PERMEABILITY_FLOOR_M_PER_DAY)) if log else v
    experimental = experimental_variogram(xy, z, n_lags=config.n_lags)
    variogram, coef, residual = _fit_layer(xy, z, experimental, config.variogram_model, name)

    def krige(targets: np.ndarray) -> np.ndarray:
        est = np.empty(len(targets))
        for part in _chunks(len(targets), len(xy) + 1, config.chunk_entries):
            est[part] = _rhs(variogram, targets[part], xy) @ coef
        return _floor(name, 10.0**est if log else est)

    grid = None
    if grid_xy is not None:
        gx, gy = grid_xy
        if len(gx) * len(gy) <= config.layer_max_cells:
            grid = krige(_grid_targets(gx, gy)).reshape(len(gy), len(gx))
        else:  # krige coarser, then bilinear: layers are smooth at the grid's scale
            extent = (float(gx[0]), float(gy[0]), float(gx[-1]), float(gy[-1]))
            cx, cy, _ = grid_axes(extent, max_cells=config.layer_max_cells, margin_m=0.0)
            coarse = krige(_grid_targets(cx, cy)).reshape(len(cy), len(cx))
            interp = RegularGridInterpolator((cy, cx), coarse, bounds_error=False, fill_value=None)
            grid = _floor(name, interp(_grid_targets(gx, gy)[:, ::-1]).reshape(len(gy), len(gx)))
    predicted = z - residual
    predicted = 10.0**predicted if log else predicted
    errors = v - predicted
    rmse, mae, n = _rmse_mae(errors)
    per_site = pd.DataFrame(
        {"x_m": xy[:, 0], "y_m": xy[:, 1], "observed": v, "predicted": predicted, "error": errors}
    )
    cv = LooCrossValidation(layer.unit, rmse, mae, n, errors, None, per_site)
    note = f"{name}: {len(v)} samples kriged{' (log10)' if log else ''} with {variogram.describe()}"
    return _LayerOut(krige(points), grid, variogram, experimental, cv, note)


def _fit_layer(
    xy: np.ndarray, z: np.ndarray, experimental: ExperimentalVariogram, model: str, name: str
) -> tuple[Variogram, np.ndarray, np.ndarray]:
    """Variogram (lowest LOO RMSE among the candidates), dual coefficients and LOO residuals.

    One system of all samples serves the estimate and the closed-form cross-validation.
    """
    _check_sites(xy, np.array([f"sample {i}" for i in range(len(xy))]), "the layer", f"{name} sample")
    best: tuple[float, Variogram, np.ndarray, np.ndarray] | None = None
    for candidate in AUTO_CANDIDATES if model == "auto" else (model,):
        variogram = fit_variogram(experimental, candidate)
        try:
            inverse = _inverse(variogram, xy, f"the {len(xy)} {name} samples")
        except SubsidenceError:
            if model != "auto":
                raise
            continue
        coef = inverse @ np.r_[z, 0.0]
        residual = coef[:-1] / np.diag(inverse)[:-1]
        rmse = _rmse_mae(residual)[0]
        if np.isfinite(rmse) and (best is None or rmse < best[0]):
            best = (rmse, variogram, coef, residual)
    if best is None:
        raise SubsidenceError(
            f"{name}: no variogram model gives a usable kriging system for the layer samples"
        )
    return best[1], best[2], best[3]


# --- the study area --------------------------------------------------------------------------


def krige_study_area(
    area: StudyArea, config: KrigingConfig = KrigingConfig(), progress: ProgressCallback | None = None
) -> KrigingResult:
    """Krige heads (every epoch), thickness and permeability at the PS points and on a grid.

    Parameters
    ----------
    area : StudyArea
    config : KrigingConfig
    progress : callable, optional
        ``progress(fraction, message)``.

    Returns
    -------
    KrigingResult

    Raises
    ------
    SubsidenceError
        Fewer than 3 wells at an acquisition date (naming it), duplicate or collinear wells,
        a grid over ``config.max_cells``.
    """
    start = time.perf_counter()

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(min(1.0, fraction), message)

    dates = area.dates
    wells = area.wells
    wxy = np.column_stack([wells.x, wells.y])
    levels = interpolate_wells_in_time(wells, dates)
    names = wells.ids.astype(str)
    used = np.isfinite(levels).any(axis=1)
    _presence(wxy[used], levels[used], dates, names[used], "well")  # data errors before model errors
    report(0.02, "well levels interpolated to the acquisition dates")

    experimental = _head_experimental(wxy[used], levels[used], config)
    if config.head_variogram is not None:
        pooled = config.head_variogram
        scores = {
            pooled.model: _rmse_mae(loo_residuals(wxy, levels, pooled, dates=dates, site_names=names))[0]
        }
    else:
        pooled, scores = _choose_variogram(wxy, levels, experimental, config.variogram_model, dates, names)
    per_epoch = tuple([pooled] * len(dates))
    if not config.pooled and config.head_variogram is None:
        per_epoch = tuple(_epoch_variogram(wxy, levels[:, e], pooled, config) for e in range(len(dates)))
    report(0.1, f"head variogram: {pooled.describe()}")

    points = area.xy_m
    grid_axes_xy: tuple[np.ndarray, np.ndarray] | None = None
    cell = float("nan")
    if config.grid:
        gx, gy, cell = grid_axes(area.extent_m, config.cell_size_m, config.max_cells, config.margin_m)
        grid_axes_xy = (gx, gy)
    heads = _HeadKriging(wxy, levels, per_epoch, dates, names, config)
    est, var = heads.krige(points, np.float64, False, lambda f, m: report(0.1 + 0.2 * f, f"heads at PS: {m}"))
    head_cv = _head_cv(heads.loo(), wells, dates)
    sd = np.sqrt(np.maximum(var, 0.0))

    g_est = g_var = None
    if grid_axes_xy is not None:
        gx, gy = grid_axes_xy
        g_est, g_var = heads.krige(
            _grid_targets(gx, gy), np.float32, True, lambda f, m: report(0.3 + 0.5 * f, f"head maps: {m}")
        )
        np.maximum(g_var, 0.0, out=g_var)

    layers: dict[str, _LayerOut] = {}
    for k, (name, layer) in enumerate(area.layers.items()):
        report(0.8 + 0.08 * k, f"kriging {name}")
        layers[name] = _krige_layer(layer, points, grid_axes_xy, area.work_crs, config)

    grid = None
    if grid_axes_xy is not None and g_est is not None and g_var is not None:
        gx, gy = grid_axes_xy
        shape = (len(dates), len(gy), len(gx))
        grid = KrigingGrid(
            x_m=gx,
            y_m=gy,
            cell_size_m=cell,
            work_crs=area.work_crs,
            dates=dates,
            head_m=g_est.reshape(shape),
            head_var_m2=g_var.reshape(shape),
            thickness_m=_as32(layers.get(THICKNESS)),
            permeability_m_per_day=_as32(layers.get(PERMEABILITY)),
        )
    factors = Factors(
        head_m=est,
        head_sd_m=sd,
        thickness_m=layers[THICKNESS].at_points if THICKNESS in layers else None,
        permeability_m_per_day=layers[PERMEABILITY].at_points if PERMEABILITY in layers else None,
    )
    notes = [
        f"head variogram ({'pooled over epochs' if config.pooled else 'per epoch'}): {pooled.describe()}"
    ]
    if grid is not None:
        notes.append(f"grid: {grid.shape[1]} x {grid.shape[0]} cells of {cell:g} m")
    notes += [out.note for out in layers.values()]
    informative, warning = head_information(pooled, head_cv.rmse, levels)
    if warning is not None:
        notes.append(warning)
    report(1.0, "kriging done")
    kriged = {k: v for k, v in layers.items() if v.variogram is not None}
    return KrigingResult(
        factors=factors,
        dates=dates,
        well_levels_m=levels,
        head_variogram=pooled,
        head_variograms=per_epoch,
        head_experimental=experimental,
        head_model_scores=scores,
        head_cv=head_cv,
        layer_variograms={k: v.variogram for k, v in kriged.items()},  # type: ignore[misc]
        layer_experimental={k: v.experimental for k, v in kriged.items()},  # type: ignore[misc]
        layer_cv={k: v.cv for k, v in kriged.items()},  # type: ignore[misc]
        grid=grid,
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
        head_informative=informative,
        head_warning=warning,
    )


def _head_experimental(xy: np.ndarray, levels: np.ndarray, config: KrigingConfig) -> ExperimentalVariogram:
    """The pooled head variogram; a small network (too few pairs within half the largest
    distance to fill two bins) is binned over every distance instead."""
    experimental = experimental_variogram(xy, levels, n_lags=config.n_lags, detrend=config.detrend)
    if len(experimental.lag_m) >= 2:
        return experimental
    reach = float(cdist(xy, xy).max()) * (1 + 1e-9)
    return experimental_variogram(xy, levels, n_lags=config.n_lags, max_lag_m=reach, detrend=config.detrend)


def _as32(out: _LayerOut | None) -> np.ndarray | None:
    return None if out is None or out.on_grid is None else out.on_grid.astype(np.float32)


def _epoch_variogram(xy: np.ndarray, z: np.ndarray, pooled: Variogram, config: KrigingConfig) -> Variogram:
    """The pooled family refitted to one epoch (the pooled fit where one epoch is too sparse)."""
    ok = np.isfinite(z)
    try:
        experimental = experimental_variogram(xy[ok], z[ok], n_lags=config.n_lags, detrend=config.detrend)
        return fit_variogram(experimental, pooled.model)
    except SubsidenceError:
        return pooled


@dataclass(frozen=True)
class _HeadKriging:
    """Heads of every epoch: one batch of epochs per distinct variogram (one batch when pooled)."""

    wxy: np.ndarray
    levels: np.ndarray
    variograms: tuple[Variogram, ...]
    dates: pd.DatetimeIndex
    names: np.ndarray
    config: KrigingConfig

    def _batches(self) -> list[tuple[Variogram, np.ndarray]]:
        distinct = list(dict.fromkeys(self.variograms))
        return [(v, np.array([e for e, w in enumerate(self.variograms) if w == v])) for v in distinct]

    def krige(
        self, targets: np.ndarray, dtype: type, epochs_first: bool, report: ProgressCallback
    ) -> tuple[np.ndarray, np.ndarray]:
        """Estimates and variances, (n_targets, E) or (E, n_targets) when ``epochs_first``."""
        n_e = len(self.dates)
        shape = (n_e, len(targets)) if epochs_first else (len(targets), n_e)
        batches = self._batches()
        if len(batches) > 1:
            est, var = np.empty(shape, dtype=dtype), np.empty(shape, dtype=dtype)
        for k, (variogram, cols) in enumerate(batches):

            def step(fraction: float, message: str, k: int = k) -> None:
                report((k + fraction) / len(batches), message)

            e_part, v_part = krige_epochs(
                self.wxy,
                self.levels[:, cols],
                targets,
                variogram,
                dates=self.dates[cols],
                site_names=self.names,
                chunk_entries=self.config.chunk_entries,
                progress=step,
                epochs_first=epochs_first,
                dtype=dtype,
            )
            if len(batches) == 1:
                return e_part, v_part  # type: ignore[return-value]
            if epochs_first:
                est[cols], var[cols] = e_part, v_part
            else:
                est[:, cols], var[:, cols] = e_part, v_part
        return est, var

    def loo(self) -> np.ndarray:
        """Leave-one-out residuals (n_wells, E), NaN where a well is absent."""
        out = np.full(self.levels.shape, np.nan)
        for variogram, cols in self._batches():
            out[:, cols] = loo_residuals(
                self.wxy, self.levels[:, cols], variogram, dates=self.dates[cols], site_names=self.names
            )
        return out


# --- output ----------------------------------------------------------------------------------


def summary(result: KrigingResult) -> dict[str, Any]:
    """JSON-safe summary with the CLI's ``krige --json`` keys and a few more.

    Keys: ``n_epochs``, ``head_loo_rmse_m``, ``thickness_loo_rmse_m`` (None without a kriged
    thickness layer), ``seconds``, ``head_loo_mae_m``, ``permeability_loo_rmse_m_per_day``,
    ``head_variogram`` (dict), ``head_model_scores``, ``cell_size_m`` and ``grid_shape``
    (None without a grid), ``head_informative`` (bool) and ``head_warning`` (a sentence or
    None, see :func:`head_information`), ``notes``.
    """
    perm = result.layer_cv.get(PERMEABILITY)
    v = result.head_variogram
    return {
        "n_epochs": len(result.dates),
        "head_loo_rmse_m": round(result.head_loo_rmse_m, 4),
        "thickness_loo_rmse_m": None
        if result.thickness_loo_rmse_m is None
        else round(result.thickness_loo_rmse_m, 4),
        "seconds": round(result.seconds, 3),
        "head_loo_mae_m": round(result.head_cv.mae, 4),
        "permeability_loo_rmse_m_per_day": None if perm is None else round(perm.rmse, 5),
        "head_variogram": {"model": v.model, "psill": v.psill, "range_m": v.range_m, "nugget": v.nugget},
        "head_model_scores": {k: round(s, 4) for k, s in result.head_model_scores.items()},
        "cell_size_m": None if result.grid is None else result.grid.cell_size_m,
        "grid_shape": None if result.grid is None else list(result.grid.shape),
        "head_informative": bool(result.head_informative),
        "head_warning": result.head_warning,
        "notes": list(result.notes),
    }


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary name in the same folder, then rename (never a half file)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_tif(path: Path, grid: KrigingGrid, bands: np.ndarray, descriptions: list[str]) -> Path:
    """North-up float32 GeoTIFF in ``work_crs`` with one band per row of ``bands`` (b, ny, nx)."""
    import rasterio
    from rasterio.transform import from_origin

    cell = grid.cell_size_m
    transform = from_origin(grid.x_m[0] - cell / 2, grid.y_m[-1] + cell / 2, cell, cell)

    def write(tmp: Path) -> None:
        profile = {
            "driver": "GTiff",
            "width": len(grid.x_m),
            "height": len(grid.y_m),
            "count": len(bands),
            "dtype": "float32",
            "crs": grid.work_crs,
            "transform": transform,
            "compress": "deflate",
            "nodata": np.nan,
        }
        with rasterio.open(tmp, "w", **profile) as dst:
            for i, (band, text) in enumerate(zip(bands, descriptions, strict=True), start=1):
                dst.write(band[::-1].astype(np.float32), i)  # rows north to south
                dst.set_band_description(i, text)

    return _atomic(path, write)


def write_kriging(result: KrigingResult, area: StudyArea, out_dir: str | Path) -> list[Path]:
    """Write the kriged values to ``out_dir`` (created if needed).

    Files: ``kriged_ps.csv`` (``ps_id``, ``thickness_m``, ``permeability_m_per_day``, then
    ``head_m_YYYY-MM-DD`` per epoch), ``head_cv_per_epoch.csv``, ``head_cv_per_well.csv``,
    ``kriging_summary.json`` and, with a grid, GeoTIFFs in ``work_crs``: ``head_m.tif`` and
    ``head_variance_m2.tif`` (one band per epoch, the date in the band description),
    ``thickness_m.tif``, ``permeability_m_per_day.tif``. Each file is written atomically.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    f = result.factors
    stamps = [d.strftime("%Y-%m-%d") for d in result.dates]
    table = pd.DataFrame({"ps_id": area.points["ps_id"].astype(str).to_numpy()})
    if f.thickness_m is not None:
        table["thickness_m"] = f.thickness_m
    if f.permeability_m_per_day is not None:
        table["permeability_m_per_day"] = f.permeability_m_per_day
    heads = pd.DataFrame(f.head_m, columns=[f"head_m_{s}" for s in stamps])
    table = pd.concat([table, heads], axis=1)
    written = [
        _atomic(out / "kriged_ps.csv", lambda p: table.to_csv(p, index=False, float_format="%.4f")),
        _atomic(out / "head_cv_per_epoch.csv", lambda p: result.head_cv.per_epoch.to_csv(p, index=False)),  # type: ignore[union-attr]
        _atomic(out / "head_cv_per_well.csv", lambda p: result.head_cv.per_site.to_csv(p, index=False)),
    ]
    grid = result.grid
    if grid is not None:
        written.append(_write_tif(out / "head_m.tif", grid, grid.head_m, stamps))
        written.append(_write_tif(out / "head_variance_m2.tif", grid, grid.head_var_m2, stamps))
        for name, values in (
            ("thickness_m", grid.thickness_m),
            ("permeability_m_per_day", grid.permeability_m_per_day),
        ):
            if values is not None:
                written.append(_write_tif(out / f"{name}.tif", grid, values[None], [name]))
    text = json.dumps(summary(result), indent=1)
    written.append(_atomic(out / "kriging_summary.json", lambda p: p.write_text(text)))
    return written
