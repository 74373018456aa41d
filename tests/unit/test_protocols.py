"""Validation protocols chosen from the data: real-shaped bundles, small areas, tiny networks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from subsidence.coverage import apply_period, default_period
from subsidence.errors import SubsidenceError
from subsidence.io.reader import load_study_area
from subsidence.pipeline import prepare
from subsidence.validation.crossval import cross_validate
from subsidence.validation.protocols import (
    LEAVE_ONE_OUT,
    RANDOM,
    SPATIAL,
    TEMPORAL,
    ProtocolError,
    default_protocol,
    default_test_epochs,
    make_folds,
)
from subsidence.validation.splits import block_ids
from tests.unit.test_consolidation import synthetic

REAL = "tests/data/real"


def real(name: str):  # type: ignore[no-untyped-def]
    area = load_study_area(f"{REAL}/{name}")
    return prepare(apply_period(area, default_period(area)))


@pytest.fixture(scope="module")
def psbas():  # type: ignore[no-untyped-def]
    return real("psbas_like")


@pytest.fixture(scope="module")
def levelling():  # type: ignore[no-untyped-def]
    return real("levelling_like")


def test_a_small_survey_gets_spatial_folds_that_fit(psbas) -> None:  # type: ignore[no-untyped-def]
    p = default_protocol(psbas)
    assert p.kind == SPATIAL and 2 <= p.n_folds <= 5
    assert p.block_m is not None and p.buffer_m is not None and p.buffer_m > 0
    assert f"{p.block_m / 1000:.1f} km" in p.note and "buffer" in p.note
    folds = make_folds(psbas)  # the default call never fails
    assert len(folds) == p.n_folds
    tested = np.sort(np.concatenate([f.test_idx for f in folds]))
    assert np.array_equal(tested, np.arange(psbas.n_points))
    ids = block_ids(psbas.xy_m, p.block_m)
    for f in folds:
        assert not set(ids[f.train_idx]) & set(ids[f.test_idx])
        assert f.train_idx.size >= 0.5 * (psbas.n_points - f.test_idx.size)


def test_more_folds_than_range_blocks_shrink_the_blocks_and_say_why(psbas) -> None:  # type: ignore[no-untyped-def]
    p = default_protocol(psbas, SPATIAL, n_folds=5)
    assert p.n_folds == 5 and p.block_m < p.range_m
    assert "too few blocks as wide as the subsidence range" in p.note
    assert len(make_folds(psbas, SPATIAL, 5)) == 5


def test_a_levelling_network_gets_leave_one_out(levelling) -> None:  # type: ignore[no-untyped-def]
    p = default_protocol(levelling)
    assert p.kind == LEAVE_ONE_OUT and p.n_folds == levelling.n_points
    assert "leave-one-out" in p.note and TEMPORAL in p.alternatives
    folds = make_folds(levelling)
    assert all(f.test_idx.size == 1 and f.train_idx.size == levelling.n_points - 1 for f in folds)
    with pytest.raises(ProtocolError, match="no honest spatial split with 20 points.*leave-one-out"):
        default_protocol(levelling, SPATIAL)
    cv = cross_validate(levelling, ["persistence", "seasonal-trend"])
    assert cv.kind == LEAVE_ONE_OUT and len(cv.folds) == levelling.n_points


def test_temporal_holds_out_the_last_acquisitions(levelling, psbas) -> None:  # type: ignore[no-untyped-def]
    assert default_test_epochs(9) == 1 and default_test_epochs(38) == 6 and default_test_epochs(5) == 1
    p = default_protocol(levelling, TEMPORAL)
    (fold,) = p.folds(levelling)
    assert fold.fit_epochs == levelling.n_epochs - p.n_test_epochs
    assert str(levelling.dates[fold.fit_epochs].date()) in p.note
    short = replace(
        psbas,
        dates=psbas.dates[:4],
        subsidence_mm=psbas.subsidence_mm[:, :4],
        head_m=psbas.head_m[:, :4],
        observed=None,
    )
    with pytest.raises(ProtocolError, match="at least 5 acquisitions"):
        default_protocol(short, TEMPORAL)


def test_an_area_without_room_for_blocks_falls_back_to_random_and_says_so() -> None:
    data = synthetic(200)
    line = replace(data, xy_m=np.column_stack([np.linspace(0, 50, 200), np.zeros(200)]))  # all in 50 m
    p = default_protocol(line, block_m=1000.0)
    assert p.kind == RANDOM and p.note.startswith("No honest spatial split") and "temporal" in p.note
    with pytest.raises(ProtocolError, match="no honest spatial split.*choose random, temporal"):
        default_protocol(line, SPATIAL, block_m=1000.0)
    with pytest.raises(SubsidenceError, match="unknown split kind"):
        default_protocol(line, "blocks")


def test_protocols_are_plain_json(psbas) -> None:  # type: ignore[no-untyped-def]
    import json

    out = json.loads(json.dumps(default_protocol(psbas).to_json()))
    assert out["kind"] == SPATIAL and out["note"] == default_protocol(psbas).sentence()
