"""Train/test splits of PS points: the paper's random split and spatial blocks.

A random split puts neighbours from the same subsidence bowl on both sides, so it measures
interpolation between points; spatial blocks hold out whole squares of the study area (with an
optional buffer of dropped training points around them) and measure how a model does where it
saw no points. Both are seeded and return sorted integer row positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from subsidence.errors import SubsidenceError

SPATIAL = "spatial-block"
RANDOM = "random"
TEMPORAL = "temporal"
LEAVE_ONE_OUT = "leave-one-out"
KINDS = (SPATIAL, RANDOM, TEMPORAL, LEAVE_ONE_OUT)


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
    return np.asarray(ix * (int(iy.max()) + 1) + iy)


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


@dataclass(frozen=True)
class Fold:
    """One train/test division.

    Attributes
    ----------
    train_idx, test_idx : ndarray of int64
        Row positions of the training and the scored points.
    fit_epochs : int or None
        The model is fitted on the first ``fit_epochs`` epochs only (None: all).
    score_from_column : int
        First change column scored (1 for one-step models; later for the temporal hold-out).
    """

    train_idx: np.ndarray
    test_idx: np.ndarray
    fit_epochs: int | None = None
    score_from_column: int = 1


def spatial_block_folds(
    xy_m: np.ndarray, block_size_m: float, n_folds: int = 5, seed: int = 0, buffer_m: float = 0.0
) -> list[Fold]:
    """K folds of whole square blocks, each fold the test set once.

    Blocks (:func:`subsidence.validation.splits.block_ids`) are shuffled (seeded) and dealt, largest first,
    to the fold with the fewest points so far, so folds hold similar numbers of points. For each
    fold, training points closer than ``buffer_m`` to any of its test points are dropped.

    Parameters
    ----------
    xy_m : ndarray, shape (n, 2)
        Point coordinates, metric CRS.
    block_size_m, buffer_m : float
        Block side and buffer width, metres.
    n_folds : int
        At least 2, at most the number of occupied blocks.
    """
    ids = block_ids(xy_m, block_size_m)
    blocks, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    if not 2 <= n_folds <= len(blocks):
        raise SubsidenceError(
            f"n_folds must be in 2..{len(blocks)} (occupied blocks of {block_size_m:g} m), found {n_folds}"
        )
    order = np.random.default_rng(seed).permutation(len(blocks))
    order = order[np.argsort(-counts[order], kind="stable")]
    fold_of_block = np.empty(len(blocks), dtype=np.int64)
    load = np.zeros(n_folds)
    for b in order:
        f = int(np.argmin(load))
        fold_of_block[b] = f
        load[f] += counts[b]
    fold = fold_of_block[inverse]
    tree = cKDTree(np.asarray(xy_m, float))
    out = []
    for f in range(n_folds):
        test = np.flatnonzero(fold == f)
        keep = fold != f
        if buffer_m > 0:
            near = np.unique(np.concatenate(tree.query_ball_point(xy_m[test], r=buffer_m)).astype(np.int64))
            keep[near] = False
        if not keep.any():
            raise SubsidenceError(f"buffer_m = {buffer_m:g} m leaves fold {f} no training point")
        out.append(Fold(np.flatnonzero(keep).astype(np.int64), test.astype(np.int64)))
    return out


def folds_of(
    kind: str,
    xy_m: np.ndarray,
    n_epochs: int,
    seed: int = 0,
    *,
    n_folds: int = 5,
    block_m: float | None = None,
    buffer_m: float | None = None,
    n_test_epochs: int | None = None,
) -> list[Fold]:
    """The folds of one split ``kind`` (one of :data:`KINDS`) of the points at ``xy_m``.

    ``random``: the paper's 70/30 split (one fold); ``temporal``: every point fitted on its
    first ``n_epochs - n_test_epochs`` epochs and scored after; ``leave-one-out``: one fold per
    point; ``spatial-block``: :func:`spatial_block_folds` with ``block_m`` and ``buffer_m``.
    Which kind and which sizes suit a study area is :mod:`subsidence.validation.protocols`' job.
    """
    n = len(xy_m)
    every = np.arange(n, dtype=np.int64)
    if kind == RANDOM:
        train, test = random_split(n, 0.3, seed)
        return [Fold(train, test)]
    if kind == TEMPORAL:
        if n_test_epochs is None:
            raise SubsidenceError("a temporal split needs n_test_epochs (acquisitions held out at the end)")
        fit_epochs = n_epochs - n_test_epochs
        return [Fold(every, every, fit_epochs=fit_epochs, score_from_column=fit_epochs - 1)]
    if kind == LEAVE_ONE_OUT:
        return [Fold(np.delete(every, i), every[i : i + 1]) for i in range(n)]
    if kind == SPATIAL:
        if block_m is None:
            raise SubsidenceError("a spatial-block split needs block_m (the block side, metres)")
        return spatial_block_folds(xy_m, block_m, n_folds, seed, buffer_m or 0.0)
    raise SubsidenceError(f"unknown split kind {kind!r}: expected one of {', '.join(KINDS)}")
