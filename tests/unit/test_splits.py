"""Splits: the paper's random 70/30 and spatial blocks with buffers, seeded."""

from __future__ import annotations

import numpy as np
import pytest

from subsidence.errors import SubsidenceError
from subsidence.validation.splits import block_ids, random_split, spatial_block_split

XY = np.random.default_rng(3).uniform(0, 20_000, (2000, 2))


def test_random_split_is_a_seeded_70_30_partition() -> None:
    train, test = random_split(1000, 0.3, seed=1)
    assert test.size == 300 and train.size == 700
    assert np.array_equal(np.sort(np.r_[train, test]), np.arange(1000))
    assert np.array_equal(test, random_split(1000, 0.3, seed=1)[1])
    assert not np.array_equal(test, random_split(1000, 0.3, seed=2)[1])
    with pytest.raises(SubsidenceError, match="test_fraction"):
        random_split(10, 1.5)


def test_block_ids_group_points_in_squares() -> None:
    ids = block_ids(np.array([[0.0, 0.0], [999.0, 999.0], [1001.0, 0.0], [0.0, 1500.0]]), 1000.0)
    assert ids[0] == ids[1] and len(set(ids)) == 3


def test_spatial_split_holds_out_whole_blocks() -> None:
    train, test = spatial_block_split(XY, 4000.0, 0.3, seed=0)
    ids = block_ids(XY, 4000.0)
    assert not set(ids[train]) & set(ids[test])
    assert 0.3 <= test.size / len(XY) < 0.45
    assert np.array_equal(test, spatial_block_split(XY, 4000.0, 0.3, seed=0)[1])
    assert not np.array_equal(test, spatial_block_split(XY, 4000.0, 0.3, seed=5)[1])


def test_buffer_drops_training_points_near_test_blocks() -> None:
    size, buffer = 4000.0, 700.0
    train0, test0 = spatial_block_split(XY, size, 0.3, seed=0)
    train, test = spatial_block_split(XY, size, 0.3, seed=0, buffer_m=buffer)
    assert np.array_equal(test, test0) and set(train) < set(train0)
    # brute force: distance from each kept training point to every test block square
    origin = XY.min(axis=0)
    cells = np.unique(np.floor((XY[test] - origin) / size), axis=0)
    lo, hi = origin + cells * size, origin + (cells + 1) * size
    for idx, expect_far in ((train, True), (np.setdiff1d(train0, train), False)):
        gap = np.maximum(np.maximum(lo[None] - XY[idx, None], 0), XY[idx, None] - hi[None])
        nearest = np.hypot(gap[..., 0], np.maximum(gap[..., 1], 0)).min(axis=1)
        assert ((nearest >= buffer) == expect_far).all()


def test_spatial_split_refuses_a_single_block() -> None:
    with pytest.raises(SubsidenceError, match="smaller block_size_m"):
        spatial_block_split(XY, 1e6)
