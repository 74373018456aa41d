"""Variogram models, experimental variograms and their fitting.

The model formulas and parameter conventions are exactly PyKrige's
(``pykrige/variogram_models.py``), so that our kriging can be checked against
``pykrige.ok.OrdinaryKriging`` to rounding: ``psill`` is the partial sill (sill minus nugget),
``range_m`` the practical range in metres (PyKrige's ``range``: the exponential model reaches
95 % of the sill at ``range_m``, its scale being ``range_m / 3``; the Gaussian's scale is
``range_m * 4 / 7``), and the linear model is ``slope * h + nugget`` with
``slope = psill / range_m``.

All distances are in metres of the study area's metric ``work_crs``; semivariances in the
squared unit of the values (m² for groundwater levels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.distance import pdist

from subsidence.errors import SubsidenceError
from subsidence.thinning import thin

SPHERICAL = "spherical"
EXPONENTIAL = "exponential"
GAUSSIAN = "gaussian"
LINEAR = "linear"
MODELS = (SPHERICAL, EXPONENTIAL, GAUSSIAN, LINEAR)
AUTO_CANDIDATES = (SPHERICAL, EXPONENTIAL, GAUSSIAN)
DETRENDS = ("mean", "plane")


@dataclass(frozen=True)
class Variogram:
    """An isotropic variogram model with PyKrige's parameter conventions.

    Attributes
    ----------
    model : {"spherical", "exponential", "gaussian", "linear"}
    psill : float
        Partial sill (sill - nugget), in the values' unit squared. For ``linear`` the
        semivariance at ``range_m`` above the nugget (slope = psill / range_m).
    range_m : float
        (Practical) range in metres, > 0.
    nugget : float
        Nugget, >= 0, in the values' unit squared.
    """

    model: str
    psill: float
    range_m: float
    nugget: float = 0.0

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise SubsidenceError(f"variogram model must be one of {MODELS}, found {self.model!r}")
        if not (np.isfinite(self.range_m) and self.range_m > 0):
            raise SubsidenceError(f"variogram range_m must be a positive number, found {self.range_m}")
        if not (
            np.isfinite(self.psill) and self.psill >= 0 and np.isfinite(self.nugget) and self.nugget >= 0
        ):
            raise SubsidenceError(
                f"variogram psill and nugget must be numbers >= 0, found psill={self.psill}, nugget={self.nugget}"
            )

    @property
    def sill(self) -> float:
        """Total sill (psill + nugget); for ``linear`` the value at ``range_m``."""
        return self.psill + self.nugget

    @property
    def slope(self) -> float:
        """Slope of the linear model (unit² per metre)."""
        return self.psill / self.range_m

    def pykrige_parameters(self) -> dict[str, float]:
        """The ``variogram_parameters`` dict PyKrige's ``OrdinaryKriging`` takes for this model.

        (A dict, not a list: PyKrige reads a list as ``[sill, range, nugget]``, a full sill.)
        """
        if self.model == LINEAR:
            return {"slope": self.slope, "nugget": self.nugget}
        return {"psill": self.psill, "range": self.range_m, "nugget": self.nugget}

    def gamma(self, h_m: np.ndarray | float) -> np.ndarray:
        """Semivariance at lag distances ``h_m`` (metres, any shape); same shape out.

        At ``h = 0`` the formula gives the nugget, as PyKrige's does; kriging systems set the
        semivariance of coincident points to 0 themselves (an exact interpolator).
        """
        h = np.asarray(h_m, dtype=float)
        p, r, n = self.psill, self.range_m, self.nugget
        if self.model == SPHERICAL:  # PyKrige's formula, with s = min(h, r) giving the sill beyond r
            s = np.minimum(h, r)
            return np.asarray(p * ((3.0 * s) / (2.0 * r) - (s * s * s) / (2.0 * r**3.0)) + n)
        if self.model == EXPONENTIAL:
            return p * (1.0 - np.exp(-h / (r / 3.0))) + n
        if self.model == GAUSSIAN:
            return np.asarray(p * (1.0 - np.exp(-(h * h) / (r * 4.0 / 7.0) ** 2.0)) + n)
        return (p / r) * h + n

    def describe(self) -> str:
        """One line for captions: model, sill, range and nugget with units (values in m)."""
        return (
            f"{self.model}: partial sill {self.psill:.3g}, range {self.range_m / 1000:.3g} km, "
            f"nugget {self.nugget:.3g}"
        )


@dataclass(frozen=True)
class ExperimentalVariogram:
    """A binned experimental variogram.

    Attributes
    ----------
    lag_m : ndarray, shape (n_bins,)
        Mean pair distance in each non-empty bin (metres).
    gamma : ndarray, shape (n_bins,)
        Mean semivariance 0.5 * (z_i - z_j)² of the pairs in the bin.
    n_pairs : ndarray of int, shape (n_bins,)
        Pairs in each bin (summed over epochs when pooled).
    detrend : {"mean", "plane"}
        What was removed from the values of each epoch before pairing.
    """

    lag_m: np.ndarray
    gamma: np.ndarray
    n_pairs: np.ndarray
    detrend: str


def detrend_values(xy_m: np.ndarray, values: np.ndarray, detrend: str = "mean") -> np.ndarray:
    """Remove the mean or a least-squares plane from each column of ``values``.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        Sample locations (metres).
    values : ndarray, shape (n, n_epochs)
        Values; NaN where a sample is absent at an epoch (ignored).
    detrend : {"mean", "plane"}

    Returns
    -------
    ndarray, shape (n, n_epochs)
        Residuals, NaN where ``values`` is NaN.
    """
    if detrend not in DETRENDS:
        raise SubsidenceError(f"detrend must be one of {DETRENDS}, found {detrend!r}")
    out = np.full(values.shape, np.nan)
    centred = xy_m - xy_m.mean(axis=0)
    for e in range(values.shape[1]):
        ok = np.isfinite(values[:, e])
        z = values[ok, e]
        if detrend == "mean" or ok.sum() < 4:
            out[ok, e] = z - z.mean()
            continue
        design = np.column_stack([np.ones(ok.sum()), centred[ok]])
        coef, *_ = np.linalg.lstsq(design, z, rcond=None)
        out[ok, e] = z - design @ coef
    return out


def experimental_variogram(
    xy_m: np.ndarray,
    values: np.ndarray,
    n_lags: int = 12,
    max_lag_m: float | None = None,
    detrend: str = "mean",
) -> ExperimentalVariogram:
    """Binned experimental variogram, pooled over the columns (epochs) of ``values``.

    Pairs are formed within each epoch only (on values detrended per epoch), then the
    semivariances of all epochs are binned together by distance.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        Sample locations in ``work_crs`` (metres).
    values : ndarray, shape (n,) or (n, n_epochs)
        Values; NaN where a sample is absent at an epoch.
    n_lags : int
        Number of equal-width distance bins.
    max_lag_m : float, optional
        Largest distance binned; default half the largest distance between samples.
    detrend : {"mean", "plane"}
        Removed from each epoch's values first.

    Returns
    -------
    ExperimentalVariogram
    """
    xy = np.asarray(xy_m, dtype=float)
    z = np.asarray(values, dtype=float)
    z = z[:, None] if z.ndim == 1 else z
    if xy.ndim != 2 or xy.shape[1] != 2 or z.shape[0] != xy.shape[0]:
        raise SubsidenceError(
            f"experimental_variogram: expected xy (n, 2) and values (n, ...) with the same n, "
            f"found {xy.shape} and {z.shape}"
        )
    if len(xy) < 3:
        raise SubsidenceError(f"a variogram needs at least 3 samples, found {len(xy)}")
    resid = detrend_values(xy, z, detrend)
    d = pdist(xy)
    if max_lag_m is None:
        max_lag_m = 0.5 * float(d.max())
    if not max_lag_m > 0:
        raise SubsidenceError(f"max_lag_m must be > 0, found {max_lag_m} (are all samples at one place?)")
    iu, ju = np.triu_indices(len(xy), k=1)
    edges = np.linspace(0.0, max_lag_m, n_lags + 1)
    which = np.digitize(d, edges) - 1
    inside = (which >= 0) & (which < n_lags)
    sum_g = np.zeros(n_lags)
    sum_d = np.zeros(n_lags)
    count = np.zeros(n_lags)
    for e in range(z.shape[1]):
        r = resid[:, e]
        g = 0.5 * (r[iu] - r[ju]) ** 2
        ok = inside & np.isfinite(g)
        sum_g += np.bincount(which[ok], weights=g[ok], minlength=n_lags)
        sum_d += np.bincount(which[ok], weights=d[ok], minlength=n_lags)
        count += np.bincount(which[ok], minlength=n_lags)
    full = count > 0
    return ExperimentalVariogram(
        lag_m=sum_d[full] / count[full],
        gamma=sum_g[full] / count[full],
        n_pairs=count[full].astype(int),
        detrend=detrend,
    )


def fit_variogram(experimental: ExperimentalVariogram, model: str, nugget: float | None = None) -> Variogram:
    """Fit a variogram model to an experimental variogram (bounded least squares).

    Residuals are weighted by the square root of each bin's pair count. Bounds: partial sill
    in [0, 10 * max gamma], range in [first lag / 2, 10 * last lag], nugget in
    [0, max gamma].

    Parameters
    ----------
    experimental : ExperimentalVariogram
    model : {"spherical", "exponential", "gaussian", "linear"}
    nugget : float, optional
        Fix the nugget at this value instead of fitting it.

    Returns
    -------
    Variogram
    """
    if model not in MODELS:
        raise SubsidenceError(f"variogram model must be one of {MODELS}, found {model!r}")
    lag, gam = experimental.lag_m, experimental.gamma
    if len(lag) < 2:
        raise SubsidenceError(
            f"cannot fit a variogram to {len(lag)} non-empty distance bin(s); expected at least 2"
        )
    gmax = max(float(gam.max()), 1e-12)
    w = np.sqrt(experimental.n_pairs.astype(float))
    r_lo, r_hi = 0.5 * float(lag[0]), 10.0 * float(lag[-1])
    fixed = nugget is not None
    has_range = model != LINEAR  # the linear model's range only scales its slope: held at the last lag

    def unpack(p: np.ndarray) -> Variogram:
        nug = float(nugget) if nugget is not None else float(p[-1])
        range_m = float(p[1]) if has_range else float(lag[-1])
        return Variogram(model, float(p[0]), range_m, nug)

    start, lower, upper = [max(gmax - float(gam.min()), 1e-12)], [0.0], [10.0 * gmax]
    if has_range:
        start.append(float(np.clip(0.5 * lag[-1], r_lo, r_hi)))
        lower.append(r_lo)
        upper.append(r_hi)
    if not fixed:
        start.append(float(np.clip(gam.min(), 0.0, gmax)) * 0.5)
        lower.append(0.0)
        upper.append(gmax)
    x0 = np.clip(start, lower, np.asarray(upper) * (1 - 1e-9))
    fit = least_squares(lambda p: w * (unpack(p).gamma(lag) - gam), x0, bounds=(lower, upper))
    return unpack(fit.x)


def practical_range_m(
    xy_m: np.ndarray, values: np.ndarray, *, max_points: int = 2000, seed: int = 0, n_lags: int = 20
) -> float:
    """Practical range (m) of an exponential variogram fitted to ``values`` at ``xy_m``.

    Up to ``max_points`` samples (a seeded random subsample) are binned in ``n_lags`` distance
    classes up to half the diagonal of their extent (:func:`experimental_variogram`) and an
    exponential model with nugget is fitted (:func:`fit_variogram`). Used to size spatial
    cross-validation blocks by the scale of the subsidence pattern.

    Raises
    ------
    SubsidenceError
        Fewer than 10 samples, or too few non-empty distance classes to fit.
    """
    idx = thin(len(xy_m), max_points, seed)
    if len(idx) < 10:
        raise SubsidenceError(f"need at least 10 points to fit a variogram, found {len(idx)}")
    xy = np.asarray(xy_m, dtype=float)[idx]
    half_diagonal = 0.5 * float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
    experimental = experimental_variogram(xy, np.asarray(values, dtype=float)[idx], n_lags, half_diagonal)
    return fit_variogram(experimental, EXPONENTIAL).range_m
