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

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from subsidence.coverage import levels_at
from subsidence.geostat.factors import Factors
from subsidence.geostat.grids import _grid_targets, grid_axes
from subsidence.geostat.kriging_config import SCREEN_MAX_CELLS as SCREEN_MAX_CELLS  # with the settings
from subsidence.geostat.kriging_config import KrigingConfig as KrigingConfig  # krige_study_area's settings
from subsidence.geostat.kriging_cv import LooCrossValidation, _choose_variogram, _rmse_mae
from subsidence.geostat.kriging_heads import (
    _epoch_variogram,
    _head_cv,
    _head_experimental,
    _HeadKriging,
    fill_silent_wells,
    head_information,
)
from subsidence.geostat.kriging_layers import _krige_layer, _LayerOut
from subsidence.geostat.kriging_solver import ProgressCallback, _presence, loo_residuals
from subsidence.geostat.variogram import ExperimentalVariogram, Variogram
from subsidence.io.studyarea import PERMEABILITY, THICKNESS, StudyArea


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
    filled_levels_m : ndarray, shape (n_wells, n_epochs), or None
        ``well_levels_m`` with silent wells filled in (:func:`fill_silent_wells`): what the head
        estimates use (None when ``fill_silent_wells`` is off).
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
    filled_levels_m: np.ndarray | None = None

    @property
    def n_filled_wells(self) -> int:
        """Wells silent at some acquisitions whose level was filled there for the head maps."""
        if self.filled_levels_m is None:
            return 0
        return int((np.isfinite(self.filled_levels_m) & ~np.isfinite(self.well_levels_m)).any(axis=1).sum())

    @property
    def head_loo_rmse_m(self) -> float:
        """Leave-one-out RMSE of groundwater level over all wells and epochs (m)."""
        return self.head_cv.rmse

    @property
    def thickness_loo_rmse_m(self) -> float | None:
        """Leave-one-out RMSE of thickness (m); None without a kriged thickness layer."""
        cv = self.layer_cv.get(THICKNESS)
        return None if cv is None else cv.rmse


FILLED_NOTE = (
    "{n} well(s) silent at some acquisitions were filled there from the change at the other "
    "wells, so that wells starting, stopping or pausing make no steps in the heads"
)

# --- time ------------------------------------------------------------------------------------


interpolate_wells_in_time = levels_at  # well levels at the acquisition dates (the coverage policy)


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
    loo = heads.loo()  # the cross-validation, and each silent well's offset from the others
    filled = None
    if config.fill_silent_wells:
        filled = fill_silent_wells(wxy, levels, pooled, dates, names, residuals=loo)
        heads = replace(heads, filled=filled)
    est, var = heads.krige(points, np.float64, False, lambda f, m: report(0.1 + 0.2 * f, f"heads at PS: {m}"))
    head_cv = _head_cv(loo, wells, dates)
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
    n_filled = 0 if filled is None else int((np.isfinite(filled) & ~np.isfinite(levels)).any(axis=1).sum())
    if n_filled:
        notes.append(FILLED_NOTE.format(n=n_filled))
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
        layer_variograms={k: v.variogram for k, v in kriged.items() if v.variogram is not None},
        layer_experimental={k: v.experimental for k, v in kriged.items() if v.experimental is not None},
        layer_cv={k: v.cv for k, v in kriged.items() if v.cv is not None},
        grid=grid,
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
        head_informative=informative,
        head_warning=warning,
        filled_levels_m=filled,
    )


def _as32(out: _LayerOut | None) -> np.ndarray | None:
    return None if out is None or out.on_grid is None else out.on_grid.astype(np.float32)


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
