"""Each confidence rule on hand-made points: one rule fails at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from subsidence.errors import SubsidenceError
from subsidence.planning import confidence
from subsidence.planning.confidence import CARE, DO_NOT_USE, GOOD, Rules

RULES = Rules(density_radius_m=100.0)


def _grid() -> np.ndarray:
    """A 5 x 5 grid 50 m apart (the centre point has 12 neighbours within 100 m)."""
    g = np.arange(5) * 50.0
    return np.array([[x, y] for x in g for y in g])


def _run(**kw: object) -> object:
    xy = kw.pop("xy", _grid())
    n = len(xy)  # type: ignore[arg-type]
    args = {"head_sd_m": np.full(n, 1.0), "well_xy_m": np.array([[100.0, 100.0]]), "rules": RULES}
    args.update(kw)
    return confidence.confidence(xy, **args)  # type: ignore[arg-type]


def test_all_good() -> None:
    out = _run()
    assert set(out["confidence"]) == {GOOD}
    assert set(out["reasons"]) == {"every check good"}


def test_head_sd_rule() -> None:
    sd = np.full(25, 1.0)
    sd[0], sd[1] = 5.0, 9.0
    out = _run(head_sd_m=sd)
    assert out["confidence"][:3].tolist() == [CARE, DO_NOT_USE, GOOD]
    assert "head uncertain (5.0 m)" in out["reasons"][0]


def test_head_sd_per_epoch_uses_the_median() -> None:
    sd = np.ones((25, 3))
    sd[0] = [1.0, 9.0, 9.0]
    assert _run(head_sd_m=sd)["confidence"][0] == DO_NOT_USE


def test_well_distance_rule() -> None:
    out = _run(well_xy_m=np.array([[100.0, 5100.0]]))  # about 5 km from every point
    assert set(out["confidence"]) == {CARE}
    out = _run(well_xy_m=np.array([[100.0, 9100.0]]))
    assert set(out["confidence"]) == {DO_NOT_USE}
    assert "far from a well" in out["reasons"][0]


def test_density_rule() -> None:
    xy = np.vstack([_grid(), [[5000.0, 0.0]], [[9000.0, 0.0], [9050.0, 0.0]]])
    out = _run(xy=xy, well_xy_m=np.array([[100.0, 100.0], [5000.0, 0.0], [9000.0, 0.0]]))
    assert out["confidence"].iloc[12] == GOOD  # grid centre: many neighbours
    assert out["confidence"].iloc[25] == DO_NOT_USE  # alone
    assert out["confidence"].iloc[26] == CARE  # one neighbour
    assert out["ps_neighbours"].iloc[26] == 1


def test_adaptive_density_radius_follows_the_spacing() -> None:
    assert confidence.density_radius(_grid()) == pytest.approx(150.0)  # 3 x 50 m


def test_cv_error_nearby_rule() -> None:
    cv = np.full(25, np.nan)
    cv[0] = 30.0  # one held-out point at the corner with a 30 mm error
    out = _run(cv_error_mm=cv, rules=Rules(density_radius_m=100.0, cv_radius_m=60.0))
    assert out["confidence"][0] == CARE  # its own error
    assert out["confidence"][1] == CARE  # 50 m away: nearby
    assert out["confidence"][2] == GOOD  # 100 m away: no evidence, not counted
    cv[0] = -50.0  # errors count by size
    assert _run(cv_error_mm=cv)["confidence"][0] == DO_NOT_USE


def test_band_rule() -> None:
    band = np.full(25, 10.0)
    band[3], band[4] = 100.0, 200.0
    out = _run(band_mm=band)
    assert out["confidence"][3:5].tolist() == [CARE, DO_NOT_USE]
    assert "wide forecast band (200 mm)" in out["reasons"][4]


def test_worst_rule_wins_and_all_reasons_named() -> None:
    sd = np.full(25, 5.0)
    band = np.full(25, 200.0)
    out = _run(head_sd_m=sd, band_mm=band)
    assert set(out["confidence"]) == {DO_NOT_USE}
    assert "head uncertain" in out["reasons"][0] and "wide forecast band" in out["reasons"][0]


def test_bad_shapes_and_no_wells_are_clear_errors() -> None:
    with pytest.raises(SubsidenceError, match="one value per point"):
        _run(band_mm=np.ones(3))
    with pytest.raises(SubsidenceError, match="no wells"):
        _run(well_xy_m=np.empty((0, 2)))


def test_explanation_is_in_the_docs() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "hazard.md").read_text(encoding="utf-8")
    assert " ".join(confidence.EXPLANATION.split()) in " ".join(doc.split())
    assert "3 m" in confidence.EXPLANATION and "8 km" in confidence.EXPLANATION
