"""Keeping at most so many of ``n`` points: the one thinning rule of the library."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def thin(n: int, most: int, seed: int | None = 0, keep: Sequence[int] = ()) -> np.ndarray:
    """Sorted positions of at most ``most`` of ``n`` items (plus ``keep``, always in).

    Parameters
    ----------
    n, most : int
        Items in all and the most to keep; all ``n`` are kept when ``n <= most``.
    seed : int or None
        An int (default 0): a fixed random sample drawn with this seed (point clouds on maps);
        None: evenly spaced positions (samples along lines or raster cells).
    keep : sequence of int
        Positions added to the sample whatever it holds (e.g. points the user picked).

    Returns
    -------
    ndarray of int64
        Sorted, unique positions.
    """
    if n <= most:
        return np.arange(n, dtype=np.int64)
    if seed is None:
        chosen = np.linspace(0, n - 1, most).round().astype(np.int64)
    else:
        chosen = np.random.default_rng(seed).choice(n, size=most, replace=False)
    return np.unique(np.concatenate([chosen, np.asarray(keep, dtype=np.int64)]))
