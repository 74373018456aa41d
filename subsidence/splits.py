"""Train/test splits of PS points: the paper's random split and spatial blocks.

A random split puts neighbours from the same subsidence bowl on both sides, so it measures
interpolation between points; spatial blocks hold out whole squares of the study area (with an
optional buffer of dropped training points around them) and measure how a model does where it
saw no points. Both are seeded and return sorted integer row positions.
"""

from __future__ import annotations

import numpy as np

from subsidence.errors import SubsidenceError


def _check_fraction(test_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise SubsidenceError(f"test_fraction must be between 0 and 1 (exclusive); found {test_fraction}")


def random_split(n: int, test_fraction: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random split of ``n`` points (the paper's 70/30).

    Returns
    -------
    train, test : ndarray of int64
        Sorted row positions; ``round(n * test_fraction)`` test points (at least one of each).
    """
    _check_fraction(test_fraction)
    if n < 2:
        raise SubsidenceError(f"need at least 2 points to split; found {n}")
    n_test = min(max(int(round(n * test_fraction)), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_test:]).astype(np.int64), np.sort(order[:n_test]).astype(np.int64)


def _block_index(xy_m: np.ndarray, block_size_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xy = np.asarray(xy_m, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
        raise SubsidenceError(f"xy_m: expected finite coordinates of shape (n, 2), found shape {xy.shape}")
    if not block_size_m > 0:
        raise SubsidenceError(f"block_size_m must be positive; found {block_size_m}")
    origin = xy.min(axis=0)
    index = np.floor((xy - origin) / block_size_m).astype(np.int64)
    return index[:, 0], index[:, 1], origin


def block_ids(xy_m: np.ndarray, block_size_m: float) -> np.ndarray:
    """Square block of each point, for block splits and block cross-validation.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        Point coordinates in a metric CRS (metres).
    block_size_m : float
        Side of the square blocks, metres; the grid starts at the points' minimum x and y.

    Returns
    -------
    ndarray of int64, shape (n,)
        Block id of each point (``column * n_rows + row``); equal ids share a block.
    """
    ix, iy, _ = _block_index(xy_m, block_size_m)
    return ix * (int(iy.max()) + 1) + iy


def spatial_block_split(
    xy_m: np.ndarray,
    block_size_m: float,
    test_fraction: float = 0.3,
    seed: int = 0,
    buffer_m: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Hold out whole square blocks of points.

    Blocks are taken in a seeded random order until at least ``test_fraction`` of the points
    are test points. Training points closer than ``buffer_m`` to a test block (Euclidean
    distance to the square) are dropped from both sides.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        Coordinates in a metric CRS, metres.
    block_size_m : float
        Side of the blocks, metres (near the variogram range of subsidence is a sound choice).
    test_fraction : float
    seed : int
    buffer_m : float
        Width of the band around test blocks whose training points are dropped, metres.

    Returns
    -------
    train, test : ndarray of int64
        Sorted row positions.

    Raises
    ------
    SubsidenceError
        When the points fall in fewer than two blocks, or the buffer leaves no training point.
    """
    _check_fraction(test_fraction)
    if buffer_m < 0:
        raise SubsidenceError(f"buffer_m must be >= 0; found {buffer_m}")
    ix, iy, origin = _block_index(xy_m, block_size_m)
    ids = ix * (int(iy.max()) + 1) + iy
    blocks, counts = np.unique(ids, return_counts=True)
    if len(blocks) < 2:
        raise SubsidenceError(
            f"all points fall in one block of {block_size_m:g} m; use a smaller block_size_m"
        )
    order = np.random.default_rng(seed).permutation(len(blocks))
    target = test_fraction * len(ids)
    n_blocks = int(np.searchsorted(np.cumsum(counts[order]), target) + 1)
    n_blocks = min(n_blocks, len(blocks) - 1)
    is_test = np.isin(ids, blocks[order[:n_blocks]])
    keep = ~is_test
    if buffer_m > 0:
        keep &= (
            _distance_to_blocks(np.asarray(xy_m, float), ix, iy, origin, block_size_m, is_test, buffer_m)
            >= buffer_m
        )
    if not keep.any():
        raise SubsidenceError(f"buffer_m = {buffer_m:g} m leaves no training point; use a smaller buffer")
    return np.flatnonzero(keep).astype(np.int64), np.flatnonzero(is_test).astype(np.int64)


def _distance_to_blocks(
    xy: np.ndarray,
    ix: np.ndarray,
    iy: np.ndarray,
    origin: np.ndarray,
    size: float,
    is_test: np.ndarray,
    reach_m: float,
) -> np.ndarray:
    """Distance (m) from each point to the nearest test block within ``reach_m``; inf beyond."""
    test_cells = {(int(a), int(b)) for a, b in zip(ix[is_test], iy[is_test], strict=True)}
    k = int(np.ceil(reach_m / size))
    best = np.full(len(xy), np.inf)
    for dx in range(-k, k + 1):
        for dy in range(-k, k + 1):
            cx, cy = ix + dx, iy + dy
            hit = np.fromiter(
                ((int(a), int(b)) in test_cells for a, b in zip(cx, cy, strict=True)), bool, len(cx)
            )
            if not hit.any():
                continue
            x0, y0 = origin[0] + cx[hit] * size, origin[1] + cy[hit] * size
            gx = np.maximum.reduce([x0 - xy[hit, 0], np.zeros(hit.sum()), xy[hit, 0] - x0 - size])
            gy = np.maximum.reduce([y0 - xy[hit, 1], np.zeros(hit.sum()), xy[hit, 1] - y0 - size])
            best[hit] = np.minimum(best[hit], np.hypot(gx, gy))
    return best
