"""Leave-one-out cross-validation results and the choice of variogram model by their RMSE."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from subsidence.errors import SubsidenceError
from subsidence.geostat.kriging_solver import loo_residuals
from subsidence.geostat.variogram import AUTO_CANDIDATES, ExperimentalVariogram, Variogram, fit_variogram


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
