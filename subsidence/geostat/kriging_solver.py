"""The ordinary kriging system: matrices, groups of epochs, dual coefficients, variances and
leave-one-out residuals (moved from :mod:`subsidence.geostat.kriging`; see its docstring for the method).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from subsidence.coverage import MIN_WELLS
from subsidence.errors import SubsidenceError
from subsidence.geostat.variogram import Variogram
from subsidence.io.plausibility import DUPLICATE_DISTANCE_M

ProgressCallback = Callable[[float, str], None]
"""Called with (fraction done in 0..1, message)."""

ZERO_DISTANCE_M = 1e-10  # PyKrige's eps: closer than this counts as the same place
MIN_WELLS_PER_EPOCH = MIN_WELLS
_CONDITION_LIMIT = 1e10  # above: variances computed directly rather than by Schur updates
_UNUSABLE_CONDITION = 1e13  # 1-norm condition; above, estimates lose more than about 1e-3 of their scale


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
    estimate_values: np.ndarray | None = None,
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
    estimate_values : ndarray, shape (n_sites, n_epochs), optional
        Estimate from these values instead (e.g. ``values`` with silent sites filled in); the
        variance still follows the sites present in ``values``.

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
    z_est = z if estimate_values is None else np.asarray(estimate_values, dtype=float).reshape(z.shape)
    used = np.isfinite(z).any(axis=1) | np.isfinite(z_est).any(axis=1)  # sites never present play no part
    xy, z, z_est = xy[used], z[used], z_est[used]
    names = np.arange(len(used)).astype(str) if site_names is None else np.asarray(site_names)
    what = "site" if site_names is None else "well"
    groups = _groups(xy, z, variogram, dates, names[used], what)
    est_groups = (
        groups if estimate_values is None else _groups(xy, z_est, variogram, dates, names[used], what)
    )
    coef = _dual_coefficients(est_groups, z_est)
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
