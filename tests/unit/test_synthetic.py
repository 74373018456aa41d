"""The synthetic demo: its statistics, its physics and its determinism."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from subsidence.demo.synthetic import SyntheticArea, SyntheticConfig
from subsidence.demo.synthetic_bundle import load_truth, write_bundle
from subsidence.demo.synthetic_chunks import generate
from subsidence.demo.synthetic_physics import compaction_mm, degree_of_consolidation, time_constant_days
from subsidence.errors import SubsidenceError
from subsidence.io.reader import load_study_area

ROOT = Path(__file__).parents[2]
FULL = ROOT / "data" / "demo_beijing"
SMALL = ROOT / "data" / "demo_small"


@pytest.fixture(scope="module")
def small() -> SyntheticArea:
    return generate(SyntheticConfig(n_points=600, seed=7))


def _date_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c[:2] == "20"]


def test_bundled_full_demo_matches_the_paper_scale() -> None:
    ps = pd.read_csv(FULL / "ps.csv")
    dates = _date_columns(ps)
    assert len(ps) == 16487 and len(dates) == 38
    assert list(ps.columns[:3]) == ["ps_id", "x", "y"] and ps["ps_id"].is_unique
    d = pd.to_datetime(dates, format="%Y-%m-%d")
    assert d[0] >= pd.Timestamp("2011-09-01") and d[-1] <= pd.Timestamp("2015-12-31")
    gaps = np.diff(d.values).astype("timedelta64[D]").astype(int)
    assert np.all(gaps > 0) and np.all(gaps % 24 == 0) and gaps.max() > 24  # 24-day repeat with gaps
    assert (ps[dates[0]] == 0).all()  # relative to the first acquisition
    cumulative = -ps[dates[-1]]  # negative_down in the file
    assert 500 <= cumulative.max() <= 650  # the paper: 624.42 mm
    assert 0.15 < (cumulative > 100).mean() < 0.45  # a few bowls; most points subside little
    south = ps["y"] < ps["y"].min() + 0.25 * (ps["y"].max() - ps["y"].min())
    assert cumulative[south].median() < 0.5 * cumulative[~south].median()  # the south subsides little
    x, y = ps["x"], ps["y"]
    assert 55_000 < x.max() - x.min() < 65_000 and 45_000 < y.max() - y.min() < 55_000
    missing = ps[dates].isna().to_numpy()
    assert 0 < missing.sum() < 0.001 * missing.size  # a handful of empty cells, as real data has
    manifest = tomllib.loads((FULL / "study_area.toml").read_text())
    assert "synthetic" in manifest["name"].lower() and manifest["crs"] == "EPSG:32650"
    assert (manifest["displacement_unit"], manifest["displacement_sign"]) == ("mm", "negative_down")


def test_points_are_clustered_in_towns() -> None:
    ps = pd.read_csv(SMALL / "ps.csv", usecols=["x", "y"])
    counts, *_ = np.histogram2d(ps["x"], ps["y"], bins=(12, 10))
    # a uniform scatter of 2,000 points over 120 cells would give at most about 30 in a cell
    assert counts.max() > 3 * counts.mean() and (counts < 0.5 * counts.mean()).mean() > 0.2


def test_noise_is_a_few_mm_and_truth_is_kept_beside(small: SyntheticArea) -> None:
    err = small.subsidence_mm - small.truth_mm
    assert 3.0 < np.nanstd(err) < 6.5
    assert np.all(err[:, 0] == 0)
    assert np.isnan(small.subsidence_mm).sum() > 0  # a few gaps, as real data has
    truth = load_truth(FULL)
    area = load_study_area(FULL)
    assert truth.subsidence_mm.shape == area.subsidence_mm.shape == (16487, 38)
    assert list(truth.ps_id) == list(area.points["ps_id"]) and list(truth.dates) == list(area.dates)
    np.testing.assert_allclose(np.nanstd(area.subsidence_mm - truth.subsidence_mm), 4.6, atol=0.6)
    # the atmospheric part is spatially correlated: close neighbours share most of it
    e = (area.subsidence_mm - truth.subsidence_mm)[:, 20]
    xy = area.xy_m
    ok = np.isfinite(e)
    e, xy = e[ok], xy[ok]
    _, nearest = cKDTree(xy).query(xy, k=2)
    assert np.corrcoef(e, e[nearest[:, 1]])[0, 1] > 0.5
    far = np.roll(np.arange(len(e)), len(e) // 2)  # points in random order: mostly kilometres apart
    assert abs(np.corrcoef(e, e[far])[0, 1]) < 0.3


def test_truth_physics_is_consistent() -> None:
    full, small = load_truth(FULL), load_truth(SMALL)
    for t in (full, small):
        tau = t.sskv_per_m * (t.interbed_m / 2) ** 2 / t.kv_m_per_day
        np.testing.assert_allclose(t.tau_days, tau, rtol=1e-4)
        np.testing.assert_allclose(t.sske_per_m * 40, t.sskv_per_m, rtol=1e-5)
        assert 1e-4 < t.sskv_per_m.min() and t.sskv_per_m.max() < 3e-3
        assert 0 <= t.thickness_m.min() and t.thickness_m.max() <= 150
    # the same physics at the same places, whatever the number of points
    np.testing.assert_allclose(full.sskv_per_m[0], small.sskv_per_m[0], rtol=1e-6)
    # thicker, tighter layers lag longer
    tau = time_constant_days(np.array([10.0, 100.0, 100.0]), np.array([5.0, 5.0, 0.5]), np.full(3, 1e-3))
    assert tau[0] < tau[1] < tau[2]
    # subsidence grows with thickness times head decline, away from the anomalies
    keep = ~full.anomaly
    decline = full.head_m[keep, 0] - full.head_m[keep, -1]
    r = np.corrcoef(full.thickness_m[keep] * decline, full.subsidence_mm[keep, -1])[0, 1]
    assert r > 0.8
    assert 0 < full.anomaly.sum() < 0.05 * len(full.anomaly)


def test_wells_fall_with_cones_gaps_and_late_starts(small: SyntheticArea) -> None:
    w = small.wells.assign(date=lambda f: pd.to_datetime(f["date"]))
    assert w["well_id"].nunique() == 60
    years = (w["date"] - w["date"].min()).dt.days / 365.25
    rates = w.assign(t=years).groupby("well_id").apply(lambda g: -np.polyfit(g["t"], g["head_m"], 1)[0])
    assert rates.min() > 0.8 and 1 < rates.median() < 3 and 2.5 < rates.max() < 4.5  # metres per year
    span = w.groupby("well_id")["date"].agg(["min", "max"])
    assert (span["min"] > small.dates[0]).sum() >= 3 and (span["max"] < small.dates[-1]).sum() >= 3
    assert not set(w["date"]) <= set(small.dates)  # read on their own dates
    step = w.groupby("well_id")["date"].diff().dt.days.dropna()
    assert 25 <= step.median() <= 35 and step.max() >= 90  # about monthly, with gaps
    bundled = pd.read_csv(FULL / "wells.csv")
    assert list(bundled.columns) == ["well_id", "x", "y", "date", "head_m"]
    pd.testing.assert_frame_equal(bundled, pd.read_csv(SMALL / "wells.csv"))  # the same wells


def test_layers_have_physical_ranges(small: SyntheticArea) -> None:
    assert small.thickness_grid_m.min() >= 0 and 100 < small.thickness_grid_m.max() <= 150
    assert small.permeability_grid_m_per_day.min() >= 0.1 and small.permeability_grid_m_per_day.max() <= 50
    import geopandas as gpd

    for name, low, high in (("thickness", 0, 150), ("permeability", 0.1, 50)):
        lines = gpd.read_file(FULL / f"{name}.geojson")
        assert set(lines.geom_type) <= {"LineString", "MultiLineString"} and len(lines) >= 5
        assert lines["value"].between(low, high).all() and lines.crs.to_epsg() == 32650


def test_generation_is_deterministic_and_independent_of_point_count() -> None:
    a = generate(SyntheticConfig(n_points=300, seed=3))
    b = generate(SyntheticConfig(n_points=300, seed=3))
    c = generate(SyntheticConfig(n_points=500, seed=3))
    d = generate(SyntheticConfig(n_points=300, seed=4))
    np.testing.assert_array_equal(a.subsidence_mm, b.subsidence_mm)
    pd.testing.assert_frame_equal(a.ps, b.ps)
    pd.testing.assert_frame_equal(a.wells, c.wells)
    assert list(a.dates) == list(c.dates) and a.sskv_per_m[0] == c.sskv_per_m[0]
    assert not np.allclose(a.truth_mm, d.truth_mm)


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
    # ... and half of it after about 0.2 tau (U(0.197) = 0.5)
    s = compaction_mm(heads, t, np.array([1 + 19.7]), np.array([50.0]), np.array([1e-3]), np.array([100.0]))
    assert s[0, 0] == pytest.approx(25.0, rel=0.01)
    # a rise then the same fall back acts elastically: nothing is left
    heads = np.array([[10.0, 11.0, 10.0]])
    s = compaction_mm(heads, t, np.array([1e6]), np.array([50.0]), np.array([1e-3]), np.array([100.0]))
    assert s[0, 0] == pytest.approx(0.0, abs=1e-9)
    # a fall within the elastic range compacts 40 times less, at once
    heads = np.array([[10.0, 8.0, 9.0, 8.0]])
    s = compaction_mm(
        heads, np.arange(4.0), np.array([3.0]), np.array([50.0]), np.array([1e-3]), np.array([1e-9])
    )
    assert s[0, 0] == pytest.approx(1e-3 * 50 * 2 * 1000, rel=1e-6)  # the elastic part nets out


def test_small_bundle_and_variants_load_with_the_same_mm(small: SyntheticArea, tmp_path: Path) -> None:
    a = load_study_area(write_bundle(small, tmp_path / "a"))
    b = load_study_area(write_bundle(small, tmp_path / "b", crs="EPSG:4326", unit="m", sign="positive_down"))
    np.testing.assert_allclose(a.subsidence_mm, b.subsidence_mm, atol=0.051)  # written to 0.1 mm
    np.testing.assert_allclose(a.subsidence_mm, small.subsidence_mm, atol=0.051)
    assert b.work_crs == "EPSG:32650"
    g = load_study_area(write_bundle(small, tmp_path / "g", layer_format="geotiff", ps_format="parquet"))
    assert g.thickness is not None and g.thickness.kind == "raster"
    p = load_study_area(write_bundle(small, tmp_path / "p", crs="EPSG:4326", layer_format="points"))
    assert p.thickness is not None and p.permeability is not None
    assert load_study_area(write_bundle(small, tmp_path / "n", layer_format="none")).layers == {}
    assert load_study_area(SMALL).n_points == 2000


def test_egms_variant(small: SyntheticArea, tmp_path: Path) -> None:
    folder = write_bundle(small, tmp_path / "egms", ps_format="egms", truth=False)
    assert 'crs = "EPSG:3035"' in (folder / "study_area.toml").read_text()
    header = (folder / "ps.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["pid", "easting", "northing"] and "20111110" in header
    area = load_study_area(folder)
    np.testing.assert_allclose(area.subsidence_mm, small.subsidence_mm, atol=0.051)
    assert not (folder / "truth").exists()


def test_bad_options_are_refused_and_leave_nothing(small: SyntheticArea, tmp_path: Path) -> None:
    with pytest.raises(SubsidenceError, match="layer_format"):
        write_bundle(small, tmp_path / "x", layer_format="shapefile")
    with pytest.raises(SubsidenceError, match="EGMS"):
        write_bundle(small, tmp_path / "x", ps_format="egms", unit="m")
    with pytest.raises(SubsidenceError, match="n_epochs"):
        SyntheticConfig(n_epochs=500)
    assert list(tmp_path.iterdir()) == []


def test_recovery_variant_turns_heads_and_slows_subsidence_with_a_lag() -> None:
    from subsidence.demo.synthetic_physics import TURN

    demo = generate(SyntheticConfig(n_points=600, seed=7))
    rec = generate(SyntheticConfig(n_points=600, seed=7, recovery=True))
    before = demo.dates <= TURN
    # the same plain until the turn (points, layers, storage), then the heads rise
    np.testing.assert_array_equal(rec.ps["x"], demo.ps["x"])
    np.testing.assert_allclose(rec.head_m[:, before], demo.head_m[:, before])
    k = int(np.flatnonzero(before)[-1])
    trend = np.polyfit((rec.dates[k:] - rec.dates[k]).days, rec.head_m[:, k:].T, 1)[0]
    assert np.all(trend > 0)  # every point's head rises after the turn
    t = (rec.dates - rec.dates[0]).days.to_numpy(float)
    fast = demo.truth_mm[:, -1] > 150
    v_before = (rec.truth_mm[fast, k] - rec.truth_mm[fast, 0]) / t[k]
    v_after = (rec.truth_mm[fast, -1] - rec.truth_mm[fast, k]) / (t[-1] - t[k])
    assert np.median(v_after / v_before) < 0.7  # slows ...
    lag = rec.tau_days[fast] > 365
    assert np.all(v_after[lag] > 0)  # ... but slow clays keep compacting after the turn (residual)
    assert rec.truth_mm[:, -1].sum() < demo.truth_mm[:, -1].sum()


def test_make_demo_variant(tmp_path: Path) -> None:
    from subsidence.cli import main
    from subsidence.demo.synthetic_chunks import write_demo

    assert main(["make-demo", "--out", str(tmp_path / "r"), "--points", "300", "--variant", "recovery"]) == 0
    assert "recovery" in tomllib.loads((tmp_path / "r" / "study_area.toml").read_text())["name"]
    with pytest.raises(SubsidenceError, match="unknown demo variant"):
        write_demo(tmp_path / "x", n_points=10, variant="wet")
