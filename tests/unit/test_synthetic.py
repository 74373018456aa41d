"""The synthetic demo: its statistics, its physics and its determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from subsidence.reader import load_study_area
from subsidence.synthetic import (
    SyntheticConfig,
    compaction_mm,
    degree_of_consolidation,
    generate,
    load_truth,
    write_bundle,
)

ROOT = Path(__file__).parents[2]
FULL = ROOT / "data" / "demo_beijing"
SMALL = ROOT / "data" / "demo_small"


@pytest.fixture(scope="module")
def small() -> object:
    return generate(SyntheticConfig(n_points=600, seed=7))


def test_bundled_full_demo_matches_the_paper_scale() -> None:
    ps = pd.read_csv(FULL / "ps.csv")
    dates = [c for c in ps.columns if c[:2] == "20"]
    assert len(ps) == 16487 and len(dates) == 38
    d = pd.to_datetime(dates)
    assert d[0] >= pd.Timestamp("2011-09-01") and d[-1] <= pd.Timestamp("2015-12-31")
    gaps = np.diff(d.values).astype("timedelta64[D]").astype(int)
    assert np.all(gaps % 24 == 0) and gaps.max() > 24  # 24-day repeat with gaps
    cumulative = -ps[dates[-1]]  # negative_down in the file
    assert 500 <= cumulative.max() <= 650  # the paper: 624.42 mm
    assert (cumulative < 100).mean() > 0.4  # most points subside little
    x, y = ps["x"], ps["y"]
    assert 55_000 < x.max() - x.min() < 65_000 and 45_000 < y.max() - y.min() < 55_000


def test_noise_is_a_few_mm_and_truth_is_kept_beside(small) -> None:  # type: ignore[no-untyped-def]
    err = small.subsidence_mm - small.truth_mm
    assert 3.0 < np.nanstd(err) < 6.5
    assert np.isnan(small.subsidence_mm).sum() > 0  # a few gaps, as real data has
    truth = load_truth(FULL)
    area = load_study_area(FULL)
    assert truth.subsidence_mm.shape == area.subsidence_mm.shape
    np.testing.assert_allclose(np.nanstd(area.subsidence_mm - truth.subsidence_mm), 4.6, atol=0.6)


def test_wells_fall_with_cones_gaps_and_late_starts(small) -> None:  # type: ignore[no-untyped-def]
    w = small.wells.assign(date=lambda f: pd.to_datetime(f["date"]))
    assert w["well_id"].nunique() == 60
    years = (w["date"] - w["date"].min()).dt.days / 365.25
    rates = w.assign(t=years).groupby("well_id").apply(lambda g: -np.polyfit(g["t"], g["head_m"], 1)[0])
    assert rates.median() > 0.8 and 2.5 < rates.max() < 5  # metres per year
    span = w.groupby("well_id")["date"].agg(["min", "max"])
    assert (span["min"] > small.dates[0]).sum() >= 3 and (span["max"] < small.dates[-1]).sum() >= 3
    assert not set(w["date"]) <= set(small.dates)  # read on their own dates


def test_layers_have_physical_ranges(small) -> None:  # type: ignore[no-untyped-def]
    assert small.thickness_grid_m.min() >= 0 and 100 < small.thickness_grid_m.max() <= 150
    assert small.permeability_grid_m_per_day.min() >= 0.1 and small.permeability_grid_m_per_day.max() <= 50


def test_generation_is_deterministic_and_independent_of_point_count() -> None:
    a = generate(SyntheticConfig(n_points=300, seed=3))
    b = generate(SyntheticConfig(n_points=300, seed=3))
    c = generate(SyntheticConfig(n_points=500, seed=3))
    np.testing.assert_array_equal(a.subsidence_mm, b.subsidence_mm)
    pd.testing.assert_frame_equal(a.wells, c.wells)
    assert list(a.dates) == list(c.dates)


def test_consolidation_physics() -> None:
    assert degree_of_consolidation(np.array([0.0]))[0] == 0
    u = degree_of_consolidation(np.linspace(0, 5, 200))
    assert np.all(np.diff(u) >= -1e-9) and abs(u[-1] - 1) < 1e-3
    # continuity where the small-time form hands over to the series
    assert (
        abs(degree_of_consolidation(np.array([0.1999]))[0] - degree_of_consolidation(np.array([0.2001]))[0])
        < 2e-3
    )
    # a 1 m head drop below the pre-consolidation head compacts S_skv * b * 1 m in the long run
    heads = np.array([[10.0, 9.0, 9.0]])
    t = np.array([0.0, 1.0, 2.0])
    s = compaction_mm(heads, t, np.array([1e6]), np.array([50.0]), np.array([1e-3]), np.array([100.0]))
    assert s[0, 0] == pytest.approx(1e-3 * 50 * 1 * 1000, rel=1e-6)
    # a rise then the same fall back acts elastically: 40 times less
    heads = np.array([[10.0, 11.0, 10.0]])
    s = compaction_mm(heads, t, np.array([1e6]), np.array([50.0]), np.array([1e-3]), np.array([100.0]))
    assert s[0, 0] == pytest.approx(0.0, abs=1e-9)


def test_small_bundle_and_variants_load_with_the_same_mm(small, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = load_study_area(write_bundle(small, tmp_path / "a"))
    b = load_study_area(write_bundle(small, tmp_path / "b", crs="EPSG:4326", unit="m", sign="positive_down"))
    np.testing.assert_allclose(a.subsidence_mm, b.subsidence_mm, atol=0.051)  # written to 0.1 mm
    assert b.work_crs == "EPSG:32650"
    g = load_study_area(write_bundle(small, tmp_path / "g", layer_format="geotiff", ps_format="parquet"))
    assert g.thickness is not None and g.thickness.kind == "raster"
    assert load_study_area(write_bundle(small, tmp_path / "n", layer_format="none")).layers == {}
    assert load_study_area(SMALL).n_points == 2000
