"""The training sample of a large study area: stratified by severity class and spatial tile.

A million points do not all need to train a small LSTM, and holding their sequences does not
fit in memory; a sample does. :func:`stratified_sample` states the rule:

1. **Strata.** Every point falls in one severity class (its cumulative subsidence at the last
   acquisition, classes of :func:`subsidence.validation.evaluation.severity_edges`; points without a last
   value form their own class) and one spatial tile (squares of ``tile_m`` metres; default the
   larger side of the extent / :data:`DEFAULT_TILES_PER_SIDE`). A stratum is a (class, tile) pair.
2. **Allocation.** The sample size ``n`` is shared among the non-empty strata in proportion to
   their number of points (largest remainders), with at least one point per stratum when ``n``
   allows it, so that rare severe classes and sparse tiles are always represented.
3. **Draw.** Within each stratum, points are drawn uniformly without replacement with
   ``numpy.random.default_rng(seed)``; strata are visited in a fixed order, so the same
   points, severity and seed always give the same sample.
"""

from __future__ import annotations

import numpy as np

from subsidence.errors import SubsidenceError
from subsidence.validation.evaluation import severity_edges

DEFAULT_TILES_PER_SIDE = 8
"""Default tiles along the larger side of the extent (64 tiles on a square area)."""


def tile_index(xy_m: np.ndarray, tile_m: float, origin: tuple[float, float]) -> np.ndarray:
    """Tile of each point: squares of ``tile_m`` metres from ``origin``, as one int64 key."""
    col = np.floor((xy_m[:, 0] - origin[0]) / tile_m).astype(np.int64)
    row = np.floor((xy_m[:, 1] - origin[1]) / tile_m).astype(np.int64)
    return row * 1_000_003 + col


def default_tile_m(xy_m: np.ndarray, tiles_per_side: int = DEFAULT_TILES_PER_SIDE) -> float:
    """Tile side (m): the larger side of the points' extent over ``tiles_per_side`` (at least 1 m)."""
    span = float(np.max(np.ptp(xy_m, axis=0))) if len(xy_m) else 0.0
    return max(span / tiles_per_side, 1.0)


def severity_class(last_mm: np.ndarray, edges: tuple[float, ...] | None = None) -> np.ndarray:
    """Severity class of each point (0 .. len(edges)); -1 where the last value is missing."""
    v = np.asarray(last_mm, dtype=float)
    edges = severity_edges(v) if edges is None else edges
    out = np.digitize(np.where(np.isfinite(v), v, 0.0), edges).astype(np.int64)
    out[~np.isfinite(v)] = -1
    return out


def stratified_sample(
    xy_m: np.ndarray,
    last_mm: np.ndarray,
    n: int,
    seed: int = 0,
    *,
    tile_m: float | None = None,
) -> np.ndarray:
    """Row positions of a training sample of ``n`` points, stratified by severity and tile.

    Parameters
    ----------
    xy_m : ndarray, shape (N, 2)
        Point coordinates in a metric CRS.
    last_mm : ndarray, shape (N,)
        Cumulative subsidence at the last acquisition, mm, positive = down (NaN allowed).
    n : int
        Sample size; all points when ``n >= N``.
    seed : int
    tile_m : float, optional
        Tile side in metres; default :func:`default_tile_m`.

    Returns
    -------
    ndarray of int64
        Sorted row positions, ``min(n, N)`` of them (the rule is in the module docstring).

    Raises
    ------
    SubsidenceError
        When ``n < 1``, or the inputs' lengths differ.
    """
    total = len(xy_m)
    if n < 1:
        raise SubsidenceError(f"sample size {n}: expected at least 1 point")
    if len(last_mm) != total:
        raise SubsidenceError(f"{len(last_mm)} last values for {total} points; expected one per point")
    if n >= total:
        return np.arange(total, dtype=np.int64)
    side = default_tile_m(xy_m) if tile_m is None else float(tile_m)
    origin = (float(np.min(xy_m[:, 0])), float(np.min(xy_m[:, 1])))
    key = tile_index(xy_m, side, origin) * 16 + (severity_class(last_mm) + 1)
    strata, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    take = _allocate(counts, n)
    order = np.argsort(inverse, kind="stable")
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(order[s : s + c], size=k, replace=False)
        for s, c, k in zip(starts, counts, take, strict=True)
        if k > 0
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _allocate(counts: np.ndarray, n: int) -> np.ndarray:
    """Points drawn per stratum: proportional (largest remainders), at least one each when n allows."""
    floor = np.minimum(counts, 1) if n >= len(counts) else np.zeros_like(counts)
    rest = n - int(floor.sum())
    share = (counts - floor) * rest / max(int((counts - floor).sum()), 1)
    take = floor + np.floor(share).astype(np.int64)
    left = n - int(take.sum())
    if left > 0:
        room = counts - take
        remainder = np.where(room > 0, share - np.floor(share), -1.0)
        for i in np.argsort(-remainder, kind="stable")[:left]:
            take[i] += 1 if room[i] > 0 else 0
    return np.asarray(np.minimum(take, counts), dtype=np.int64)
