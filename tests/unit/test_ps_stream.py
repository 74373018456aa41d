"""The PS table read in chunks: the same numbers as the whole-table reader, from CSV and GeoParquet."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from subsidence.errors import BundleError
from subsidence.io.ps_stream import open_stream
from subsidence.io.reader import load_study_area
from tests.conftest import SMALL_DEMO


@pytest.fixture(scope="module")
def whole() -> object:
    return load_study_area(SMALL_DEMO)


def _parquet_bundle(tmp: Path) -> Path:
    """The small demo with its PS table as GeoParquet (WKB points, no x/y columns)."""
    folder = tmp / "pq"
    shutil.copytree(SMALL_DEMO, folder)
    frame = pd.read_csv(folder / "ps.csv", dtype={"ps_id": str})
    points = gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs="EPSG:32650"
    )
    points.to_parquet(folder / "ps.parquet", row_group_size=300)
    (folder / "ps.csv").unlink()
    toml = (folder / "study_area.toml").read_text()
    (folder / "study_area.toml").write_text(toml.replace('"ps.csv"', '"ps.parquet"'))
    return folder


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_chunks_hold_the_same_points_and_values_as_the_whole_reader(kind: str, whole, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bundle = SMALL_DEMO if kind == "csv" else _parquet_bundle(tmp_path)
    stream = open_stream(bundle, chunk_rows=700)
    assert np.array_equal(stream.ps_ids, whole.points["ps_id"].to_numpy())
    assert np.allclose(stream.xy_m, whole.xy_m)
    assert np.allclose(stream.last_mm, whole.subsidence_mm[:, -1], equal_nan=True)
    chunks = list(stream.chunks(700))
    assert [c.start for c in chunks] == [0, 700, 1400]
    values = np.concatenate([c.subsidence_mm for c in chunks])
    assert np.allclose(values, whole.subsidence_mm, equal_nan=True)
    rows = np.array([3, 699, 700, 1999])
    picked = list(stream.chunks(700, rows))
    assert np.array_equal(np.concatenate([c.ps_ids for c in picked]), whole.points["ps_id"].to_numpy()[rows])


def test_a_bad_cell_names_the_file_row_and_column(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(SMALL_DEMO, folder)
    lines = (folder / "ps.csv").read_text().splitlines()
    cells = lines[1500].split(",")
    cells[7] = "n/a"
    lines[1500] = ",".join(cells)
    (folder / "ps.csv").write_text("\n".join(lines) + "\n")
    column = lines[0].split(",")[7]
    with pytest.raises(
        BundleError, match=rf"ps.csv, row 1501, column '{column}': expected a number, found 'n/a'"
    ):
        list(open_stream(folder, chunk_rows=500).chunks(500))


def test_egms_column_names_and_compact_dates_read_in_chunks(whole, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "egms"
    shutil.copytree(SMALL_DEMO, folder)
    frame = pd.read_csv(folder / "ps.csv", dtype={"ps_id": str})
    renamed = {"ps_id": "pid", "x": "easting", "y": "northing"}
    renamed.update({c: c.replace("-", "") for c in frame.columns if c[:2] == "20"})
    frame.rename(columns=renamed).to_csv(folder / "ps.csv", index=False)
    stream = open_stream(folder, chunk_rows=900)
    assert np.array_equal(stream.ps_ids, whole.points["ps_id"].to_numpy())
    assert np.allclose(
        np.concatenate([c.subsidence_mm for c in stream.chunks(900)]), whole.subsidence_mm, equal_nan=True
    )
