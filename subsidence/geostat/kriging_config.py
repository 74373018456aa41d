"""Settings of the kriging step (:func:`subsidence.geostat.kriging.krige_study_area`)."""

from __future__ import annotations

from dataclasses import dataclass

from subsidence.errors import SubsidenceError
from subsidence.geostat.grids import DEFAULT_MAX_CELLS
from subsidence.geostat.variogram import DETRENDS, MODELS, Variogram

SCREEN_MAX_CELLS = 60_000  # for maps drawn in the browser


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
    fill_silent_wells : bool
        Estimate a well at the acquisitions where it is silent (before it starts, after it
        stops, beyond its gaps) from the change of head at the other wells plus its own mean
        offset from them, so that the same wells enter every epoch's head map: wells entering
        and leaving no longer make steps in the heads (``docs/coverage.md``). The
        cross-validation and the kriging variance use the wells' own readings only.
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
    fill_silent_wells: bool = True

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
