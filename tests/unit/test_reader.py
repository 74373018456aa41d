"""The bundle reader: every variant of the format loads the same data; every broken rule is named."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from subsidence.errors import BundleError
from subsidence.io.reader import load_study_area

DATA = Path(__file__).parents[1] / "data"
TINY = DATA / "tiny"
BAD = DATA / "bad"
EXPECTED = json.loads((BAD / "expected.json").read_text())


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def test_tiny_bundle_loads_in_library_conventions() -> None:
    area = load_study_area(TINY)
    assert (area.n_points, area.n_epochs, area.wells.n_wells) == (12, 5, 4)
    assert area.work_crs == "EPSG:32650"
    raw = pd.read_csv(TINY / "ps.csv")
    # negative_down in the file becomes positive = down, relative to the first epoch
    np.testing.assert_allclose(area.subsidence_mm[:, -1], -raw["2012-05-09"].to_numpy())
    assert np.all(area.subsidence_mm[:, 0] == 0)
    assert set(area.layers) == {"thickness", "permeability"}
    assert area.thickness is not None and area.thickness.kind == "contours"
    assert area.thickness.values.min() == 10 and area.thickness.values.max() == 90
    assert len(area.thickness.x) > 4 * 3  # contour vertices were densified into points
    assert "coherence" in area.points and area.points["lat"].between(39, 41).all()


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_bad_bundle_gets_its_message(case: str) -> None:
    with pytest.raises(BundleError) as info:
        load_study_area(BAD / case)
    assert EXPECTED[case] in str(info.value)
    assert "\n" not in str(info.value)


def test_zip_of_the_folder_loads_the_same(tiny: Path, tmp_path: Path) -> None:
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in tiny.iterdir():
            z.write(f, f"tiny/{f.name}")
    a, b = load_study_area(tiny), load_study_area(archive)
    np.testing.assert_array_equal(a.subsidence_mm, b.subsidence_mm)
    assert a.fingerprint == b.fingerprint


def test_zip_that_escapes_its_folder_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../evil.txt", "x")
    with pytest.raises(BundleError, match="outside the archive"):
        load_study_area(archive)


def test_lonlat_metres_positive_down_twin_reports_the_same_mm(tiny: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(tiny, twin)
    to_ll = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
    ps = pd.read_csv(tiny / "ps.csv")
    ps["x"], ps["y"] = to_ll.transform(ps["x"].to_numpy(), ps["y"].to_numpy())
    dates = [c for c in ps.columns if c[:2] == "20"]
    ps[dates] = -ps[dates] / 1000.0  # metres, positive = down
    ps.to_csv(twin / "ps.csv", index=False, float_format="%.10g")
    wells = pd.read_csv(tiny / "wells.csv")
    wells["x"], wells["y"] = to_ll.transform(wells["x"].to_numpy(), wells["y"].to_numpy())
    wells.to_csv(twin / "wells.csv", index=False, float_format="%.10g")
    for name in ("thickness", "permeability"):
        gpd.read_file(tiny / f"{name}.geojson").to_crs("EPSG:4326").to_file(twin / f"{name}.geojson")
    (twin / "study_area.toml").write_text(
        'name = "twin"\ncrs = "EPSG:4326"\ndisplacement_unit = "m"\ndisplacement_sign = "positive_down"\n'
    )
    a, b = load_study_area(tiny), load_study_area(twin)
    np.testing.assert_allclose(a.subsidence_mm, b.subsidence_mm, atol=1e-9)
    assert b.work_crs == "EPSG:32650"  # geographic bundles are worked on in their UTM zone
    np.testing.assert_allclose(a.xy_m, b.xy_m, atol=0.01)


@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_ps_as_geopackage_or_geoparquet(tiny: Path, fmt: str) -> None:
    ps = pd.read_csv(tiny / "ps.csv")
    frame = gpd.GeoDataFrame(
        ps.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(ps["x"], ps["y"]), crs="EPSG:32650"
    )
    if fmt == "gpkg":
        frame.to_file(tiny / "ps.gpkg")
    else:
        frame.to_parquet(tiny / "ps.parquet")
    manifest = (tiny / "study_area.toml").read_text() + f'\n[files]\nps = "ps.{fmt}"\n'
    (tiny / "study_area.toml").write_text(manifest)
    (tiny / "ps.csv").unlink()
    area = load_study_area(tiny)
    np.testing.assert_allclose(area.subsidence_mm, load_study_area(TINY).subsidence_mm)


def test_egms_csv_loads_as_the_ps_part(tiny: Path) -> None:
    # The tiny area moved to the Po plain (EPSG:3035 is only valid over Europe), written as
    # an EGMS L2b CSV: pid, easting, northing, YYYYMMDD columns, mm, negative = away.
    ps = pd.read_csv(tiny / "ps.csv")
    dx, dy = 4_420_000 - 440_000, 2_400_000 - 4_420_000
    dates = [c for c in ps.columns if c[:2] == "20"]
    egms = pd.DataFrame(
        {"pid": ps["ps_id"], "easting": ps["x"] + dx, "northing": ps["y"] + dy, "mean_velocity": 1.0}
    )
    for d in dates:
        egms[d.replace("-", "")] = ps[d]
    egms.to_csv(tiny / "ps.csv", index=False)
    wells = pd.read_csv(tiny / "wells.csv")
    wells.assign(x=wells["x"] + dx, y=wells["y"] + dy).to_csv(tiny / "wells.csv", index=False)
    for name in ("thickness", "permeability"):
        (tiny / f"{name}.geojson").unlink()
    (tiny / "study_area.toml").write_text('name = "egms"\ncrs = "EPSG:3035"\n')
    area = load_study_area(tiny)
    assert area.work_crs == "EPSG:3035" and list(area.points["ps_id"]) == list(ps["ps_id"])
    np.testing.assert_allclose(area.subsidence_mm, load_study_area(TINY).subsidence_mm)
    assert area.points["lat"].between(43, 47).all()  # northern Italy


def test_layers_absent_or_as_points_or_geotiff(tiny: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    (tiny / "permeability.geojson").unlink()
    pts = gpd.read_file(tiny / "thickness.geojson")
    pts = gpd.GeoDataFrame({"value": pts["value"]}, geometry=pts.geometry.centroid, crs=pts.crs)
    pts.to_file(tiny / "thickness.geojson")
    area = load_study_area(tiny)
    assert area.permeability is None and any("no permeability layer" in n for n in area.notes)
    assert area.thickness is not None and area.thickness.kind == "points"

    (tiny / "thickness.geojson").unlink()
    grid = np.arange(20 * 30, dtype="float32").reshape(20, 30)
    with rasterio.open(
        tiny / "thickness.tif",
        "w",
        driver="GTiff",
        height=20,
        width=30,
        count=1,
        dtype="float32",
        crs="EPSG:32650",
        transform=from_origin(439000, 4425000, 250, 250),
    ) as dst:
        dst.write(grid, 1)
    area = load_study_area(tiny)
    assert area.thickness is not None and area.thickness.kind == "raster"
    assert area.thickness.raster is not None and area.thickness.raster.values.shape == (20, 30)


def test_layer_features_without_geometry_keep_values_aligned(tiny: Path) -> None:
    layer = json.loads((tiny / "thickness.geojson").read_text())
    layer["features"][0]["geometry"] = None  # value 10 loses its line: 30, 60, 90 must stay with theirs
    (tiny / "thickness.geojson").write_text(json.dumps(layer))
    area = load_study_area(tiny)
    assert area.thickness is not None
    assert list(area.thickness.line_values) == [30, 60, 90]
    assert set(np.unique(area.thickness.values)) == {30, 60, 90}


def test_files_over_the_limit_are_refused_before_reading(tiny: Path) -> None:
    with open(tiny / "ps.csv", "r+b") as f:
        f.truncate(400_000_001)  # sparse: costs no disk, but is over the PS limit
    with pytest.raises(
        BundleError, match=r"ps\.csv: 400,000,001 bytes; the limit for this file is 400,000,000"
    ):
        load_study_area(tiny)


@pytest.mark.parametrize("entry", ["/etc/passwd", "../tiny/ps.csv", "sub/../../x.csv", "C:/data/ps.csv"])
def test_manifest_paths_outside_the_bundle_are_refused(tiny: Path, entry: str) -> None:
    (tiny / "study_area.toml").write_text(
        (tiny / "study_area.toml").read_text() + f"\n[files]\nps = {json.dumps(entry)}\n"
    )
    with pytest.raises(BundleError, match="points outside the bundle") as info:
        load_study_area(tiny)
    assert "P00" not in str(info.value)  # no content of any file is echoed


def test_a_link_inside_the_bundle_is_followed(tiny: Path) -> None:
    (tiny / "ps.csv").rename(tiny / "points.csv")
    (tiny / "ps.csv").symlink_to("points.csv")
    assert load_study_area(tiny).n_points == 12


def test_a_zip_member_clashing_with_a_folder_is_one_error(tmp_path: Path) -> None:
    archive = tmp_path / "clash.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(TINY.iterdir()):
            z.write(p, p.name)
        z.writestr("extra", "x")
        z.writestr("extra/inner.txt", "y")
    with pytest.raises(BundleError, match="cannot be unpacked"):
        load_study_area(archive)
