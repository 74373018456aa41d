"""The training sample's rule: size, determinism, every stratum represented, proportional shares."""

from __future__ import annotations

import numpy as np
import pytest

from subsidence.errors import SubsidenceError
from subsidence.scale.sampling import severity_class, stratified_sample


def _area(n: int = 4000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 8000, size=(n, 2))
    last = np.where(rng.uniform(size=n) < 0.9, rng.uniform(0, 40, size=n), 250.0)  # paper classes apply
    last[:5] = 500.0  # five points of the >= 400 mm class, all in one corner
    xy[:5] = 10.0
    return xy, last


def test_size_sorted_unique_and_the_same_for_the_same_seed() -> None:
    xy, last = _area()
    a = stratified_sample(xy, last, 300, seed=3)
    assert a.size == 300 and np.all(np.diff(a) > 0)
    assert np.array_equal(a, stratified_sample(xy, last, 300, seed=3))
    assert not np.array_equal(a, stratified_sample(xy, last, 300, seed=4))


def test_rare_severe_class_and_every_tile_are_represented() -> None:
    xy, last = _area()
    rows = stratified_sample(xy, last, 200, seed=0, tile_m=2000.0)
    assert np.isin(np.arange(5), rows).any()  # a uniform draw of 200 of 4000 misses them 77 % of the time
    tiles = {(int(x // 2000), int(y // 2000)) for x, y in xy[rows]}
    assert len(tiles) == 16


def test_shares_follow_stratum_sizes() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, size=(5000, 2))
    last = np.where(np.arange(5000) < 4000, 10.0, 300.0)  # 80 % mild, 20 % severe
    rows = stratified_sample(xy, last, 1000, seed=0, tile_m=10_000.0)
    assert (last[rows] == 10.0).sum() == 800


def test_missing_last_values_form_their_own_class_and_bad_sizes_are_refused() -> None:
    assert list(severity_class(np.array([np.nan, 10.0, 60.0]), (50.0,))) == [-1, 0, 1]
    xy, last = _area(50)
    assert np.array_equal(stratified_sample(xy, last, 80), np.arange(50))
    with pytest.raises(SubsidenceError, match="at least 1"):
        stratified_sample(xy, last, 0)
