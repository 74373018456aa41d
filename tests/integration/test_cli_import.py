"""import: MintPy timeseries.h5 (geocoded and radar) and GeoTIFF stacks become bundles that load."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from subsidence.cli import main
from subsidence.io.reader import load_study_area
from tests.conftest import SMALL_DEMO

WELLS = str(SMALL_DEMO / "wells.csv")
DATES = ["20111110", "20121128", "20131123", "20141212", "20151207"]
ROWS, COLS = 5, 6


def _values() -> np.ndarray:
    """(dates, rows, cols) metres: subsidence growing with time and column; one empty pixel."""
    v = (
        -0.002
        * np.arange(len(DATES))[:, None, None]
        * (1 + np.arange(COLS))[None, None, :]
        * np.ones((1, ROWS, 1))
    )
    v[:, 0, 0] = np.nan
    return v.astype(np.float32)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_geocoded_mintpy_becomes_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ts = tmp_path / "timeseries.h5"
    with h5py.File(ts, "w") as h5:
        h5["timeseries"] = _values()
        h5["date"] = np.array([d.encode() for d in DATES])
        h5.attrs.update(
            {"X_FIRST": 460000.0, "Y_FIRST": 4430000.0, "X_STEP": 4000.0, "Y_STEP": -4000.0, "EPSG": "32650"}
        )
    out = run(capsys, "import", str(ts), "--wells", WELLS, "--out", str(tmp_path / "b"), "--block-rows", "2")
    assert out["n_points"] == ROWS * COLS - 1 and out["format"] == "mintpy"
    area = load_study_area(out["path"])
    assert area.n_points == 29 and area.n_epochs == 5 and str(area.dates[0].date()) == "2011-11-10"
    row = area.points["ps_id"].tolist().index("r1c2")
    assert area.points["x"].iloc[row] == pytest.approx(460000 + 2.5 * 4000)
    assert area.subsidence_mm[row, -1] == pytest.approx(
        2 * 4 * 3, abs=1e-3
    )  # 24 mm down, metres and sign converted


def test_radar_mintpy_takes_lat_lon_from_the_geometry_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ts, geo = tmp_path / "timeseries.h5", tmp_path / "geometryRadar.h5"
    with h5py.File(ts, "w") as h5:
        h5["timeseries"] = _values()
        h5["date"] = np.array([d.encode() for d in DATES])
    wells = pd.read_csv(WELLS)  # the bundle's CRS is then WGS 84: wells in longitude/latitude
    wells["x"], wells["y"] = Transformer.from_crs(32650, 4326, always_xy=True).transform(
        wells["x"], wells["y"]
    )
    wells.to_csv(tmp_path / "wells.csv", index=False)
    base = ["import", str(ts), "--wells", str(tmp_path / "wells.csv"), "--out", str(tmp_path / "b")]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "radar coordinates" in err and "--geometry geometryRadar.h5" in err
    lat, lon = np.meshgrid(np.linspace(40.1, 39.85, ROWS), np.linspace(116.6, 116.9, COLS), indexing="ij")
    with h5py.File(geo, "w") as h5:
        h5["latitude"], h5["longitude"] = lat, lon
    out = run(capsys, *base, "--geometry", str(geo))
    area = load_study_area(out["path"])
    row = area.points["ps_id"].tolist().index("r4c5")
    assert area.points["lon"].iloc[row] == pytest.approx(116.9) and area.points["lat"].iloc[
        row
    ] == pytest.approx(39.85)


def test_geotiff_folder_and_multiband_file_give_the_same_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = _values() * 1000  # mm
    profile = {"driver": "GTiff", "height": ROWS, "width": COLS, "dtype": "float32", "crs": "EPSG:32650",
               "transform": from_origin(460000, 4430000, 4000, 4000), "nodata": -9999.0}  # fmt: skip
    folder = tmp_path / "tifs"
    folder.mkdir()
    for k, d in enumerate(DATES):
        with rasterio.open(folder / f"disp_{d}.tif", "w", count=1, **profile) as dst:
            dst.write(np.nan_to_num(values[k], nan=-9999.0), 1)
    stack = tmp_path / "stack.tif"
    with rasterio.open(stack, "w", count=len(DATES), **profile) as dst:
        for k, d in enumerate(DATES):
            dst.write(np.nan_to_num(values[k], nan=-9999.0), k + 1)
            dst.set_band_description(k + 1, d)
    a = load_study_area(
        run(capsys, "import", str(folder), "--wells", WELLS, "--out", str(tmp_path / "a"))["path"]
    )
    b = load_study_area(
        run(
            capsys, "import", str(stack), "--wells", WELLS, "--out", str(tmp_path / "b"), "--block-rows", "2"
        )["path"]
    )
    assert a.n_points == b.n_points == 29
    assert np.allclose(a.subsidence_mm, b.subsidence_mm) and np.allclose(a.xy_m, b.xy_m)
    assert a.subsidence_mm[:, -1].max() == pytest.approx(48.0, abs=1e-3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("no_timeseries", "timeseries.h5: no dataset 'timeseries'"),
        ("bad_date", "dataset 'date': '2012-13-45' is not a date"),
        ("undated_band", "stack.tif, band 1: no date; set the band description or DATE tag to YYYYMMDD"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(
    make: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if make == "undated_band":
        source = tmp_path / "stack.tif"
        with rasterio.open(source, "w", driver="GTiff", height=2, width=2, count=1, dtype="float32",
                           crs="EPSG:32650", transform=from_origin(460000, 4430000, 10, 10)) as dst:  # fmt: skip
            dst.write(np.zeros((2, 2), np.float32), 1)
    else:
        source = tmp_path / "timeseries.h5"
        with h5py.File(source, "w") as h5:
            h5["date"] = np.array([b"20120101", b"2012-13-45"])
            if make == "bad_date":
                h5["timeseries"] = np.zeros((2, 2, 2), np.float32)
    assert main(["import", str(source), "--wells", WELLS, "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
