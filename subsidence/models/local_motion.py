"""Local motion that no cause explains: points that sink (or rise) unlike their neighbours.

Construction dewatering, a landfill settling, a new building's load: such motion is local (a
few hundred metres) and has nothing to do with the regional heads the wells describe, so the
consolidation physics cannot forecast it. Before this module each such point's gain absorbed
it (gains of 2 to 5 on the recovery variant), which amplified the physics after a turn of the
heads and dropped the local motion itself: the worst errors of the hindcast.

Detection, from the acquisitions up to the cut only
---------------------------------------------------
1. Each point's residual, InSAR minus ``gain x physics``, and its trend over the last
   ``window_days`` before the cut (mm/yr).
2. The trend's *local* part: minus the median trend of the points in the ``block`` x ``block``
   cells of ``cell_m`` around the point (a median of cell medians, so that a bowl of a few
   hundred metres never sets its own reference). What the heads' interpolation or the
   atmosphere get wrong moves neighbours alike and cancels here; what is local stays.
3. Flagged where the local part exceeds ``threshold`` robust standard deviations (1.4826 x the
   median absolute deviation over the area). Where fewer than :data:`MIN_CELLS` cells around a
   point hold points, or fewer than :data:`MIN_NEIGHBOURS` points, nothing is flagged (sparse
   surveys: local and regional cannot be told apart); nor below :data:`MIN_RATE_MM_PER_YR`.

The trends are read with the median gain of the cells around each point (a point's own gain is
inflated by its local motion, or merely noisy: read with it, a badly estimated gain looks like
local motion). A flagged point keeps that neighbours' gain, and its local trend is carried on
after the cut. Local motion slower than :data:`MIN_RATE_MM_PER_YR` is not carried on: on the
full demo (16,487 points) 41 of the 64 points flagged between 10 and 15 mm/yr lay outside any
dewatering bowl, 1 of the 71 above 15. Measured on the recovery variant (``docs/benchmarks.md``):
the physics' hindcast at the turn 5.30 -> 5.08 mm (seed 42), 6.24 -> 4.62 (seed 7), 8.04 -> 7.38
(seed 2024), every flagged point but one inside a bowl. A bowl that starts after the cut cannot
be seen by anything that reads only the record up to it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from subsidence.models.baselines import linear_velocity_mm_per_day
from subsidence.models.consolidation_physics import DAYS_PER_YEAR

MIN_WINDOW_EPOCHS = 4  # acquisitions in the window needed to read a trend
MIN_CELLS = 5  # cells with points around a point needed to call its motion local
MIN_NEIGHBOURS = 10  # and points in those cells
MAD_TO_SD = 1.4826
MIN_RATE_MM_PER_YR = 15.0  # slower local motion is not carried on (docstring)


@dataclass(frozen=True)
class LocalMotion:
    """What the detection found, per point (arrays of shape (n,)).

    flagged : bool, the point moves unlike its neighbours
    gain : the gain to use (the neighbours' where flagged, the point's own elsewhere)
    rate_mm_per_yr : the local trend carried on after the cut (0 where not flagged; + = down)
    """

    flagged: np.ndarray
    gain: np.ndarray
    rate_mm_per_yr: np.ndarray

    @property
    def n_flagged(self) -> int:
        return int(self.flagged.sum())


def neighbourhood_median(
    values: np.ndarray, xy_m: np.ndarray, cell_m: float, block: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median of cell medians of ``values`` over the ``block`` x ``block`` cells around each point.

    Returns the medians (n,), the number of cells holding points that entered each (n,) and the
    number of points in those cells (n,).
    """
    cells = np.floor((xy_m - xy_m.min(axis=0)) / cell_m).astype(np.int64)
    shape = tuple(int(s) + 1 for s in cells.max(axis=0))
    flat = np.ravel_multi_index((cells[:, 0], cells[:, 1]), shape)
    grid = np.full(shape[0] * shape[1], np.nan)
    per_cell = pd.Series(values).groupby(flat).median()
    grid[per_cell.index.to_numpy()] = per_cell.to_numpy()
    counts = np.bincount(flat, minlength=grid.size).reshape(shape)
    half = block // 2
    padded = np.pad(grid.reshape(shape), half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (block, block))
    used = np.isfinite(windows).sum(axis=(2, 3))
    points = np.lib.stride_tricks.sliding_window_view(np.pad(counts, half), (block, block)).sum(axis=(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty window is NaN, counted 0
        median = np.nanmedian(windows.reshape(*used.shape, -1), axis=2)
    at = (cells[:, 0], cells[:, 1])
    return median[at], used[at], points[at]


def detect(
    observed_mm: np.ndarray,
    physics_mm: np.ndarray,
    gain: np.ndarray,
    days: np.ndarray,
    xy_m: np.ndarray,
    *,
    window_days: float = 365.0,
    cell_m: float = 1500.0,
    block: int = 5,
    threshold: float = 4.0,
) -> LocalMotion:
    """Points whose motion up to the cut is local and unexplained (module docstring).

    Parameters
    ----------
    observed_mm, physics_mm : ndarray, shape (n, m)
        InSAR cumulative subsidence and the physics, at the acquisitions up to the cut (0 first).
    gain : ndarray, shape (n,)
        Each point's gain on the physics.
    days : ndarray, shape (m,)
    xy_m : ndarray, shape (n, 2)
    """
    n = len(gain)
    nothing = LocalMotion(np.zeros(n, bool), np.asarray(gain, float), np.zeros(n))
    window = days >= days[-1] - window_days
    if window.sum() < MIN_WINDOW_EPOCHS or n < MIN_CELLS:
        return nothing
    t = days[window]
    ref_gain, _, _ = neighbourhood_median(gain, xy_m, cell_m, block)
    residual = (observed_mm - ref_gain[:, None] * physics_mm)[:, window]
    trend = linear_velocity_mm_per_day(residual, t) * DAYS_PER_YEAR  # mm/yr
    reference, used, around = neighbourhood_median(trend, xy_m, cell_m, block)
    local = trend - reference
    spread = MAD_TO_SD * np.median(np.abs(local - np.median(local)))
    flagged = (
        (used >= MIN_CELLS)
        & (around >= MIN_NEIGHBOURS)
        & (np.abs(local) > max(threshold * spread, MIN_RATE_MM_PER_YR))
    )
    if not flagged.any():
        return nothing
    return LocalMotion(flagged, np.where(flagged, ref_gain, gain), np.where(flagged, local, 0.0))
