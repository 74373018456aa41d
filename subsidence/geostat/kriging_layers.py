"""Kriging of the geology layers (thickness, permeability) at the PS points and on the grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator
from scipy.spatial import cKDTree

from subsidence.errors import SubsidenceError
from subsidence.geostat.grids import _grid_targets, grid_axes, sample_raster
from subsidence.geostat.kriging_config import KrigingConfig
from subsidence.geostat.kriging_cv import LooCrossValidation, _rmse_mae
from subsidence.geostat.kriging_solver import _check_sites, _chunks, _inverse, _rhs
from subsidence.geostat.variogram import (
    AUTO_CANDIDATES,
    ExperimentalVariogram,
    Variogram,
    experimental_variogram,
    fit_variogram,
)
from subsidence.io.studyarea import PERMEABILITY, THICKNESS, Layer

PERMEABILITY_FLOOR_M_PER_DAY = 1e-6

# --- layers ----------------------------------------------------------------------------------


def _floor(name: str, v: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(v, 0.0 if name == THICKNESS else PERMEABILITY_FLOOR_M_PER_DAY))


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
    raster = layer.raster
    if raster is not None:
        tree_xy = np.column_stack([layer.x, layer.y])
        tree = cKDTree(tree_xy) if len(tree_xy) else None

        def sample(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            v = sample_raster(raster, x, y, work_crs)
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
