from __future__ import annotations

import csv
import errno
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
import pytest

from subsidence.errors import StorageError
from subsidence.io import atomic
from subsidence.io.exports import csv_bytes, figure_html, geopackage_bytes, results_geodataframe, write_atomic
from subsidence.io.reader import load_study_area

TINY = Path(__file__).parents[1] / "data" / "tiny"


def test_geopackage_round_trip_keeps_one_row_per_point(tmp_path: Path) -> None:
    area = load_study_area(TINY)
    table = pd.DataFrame({"ps_id": area.points["ps_id"], "rmse_change_mm": range(area.n_points)})
    frame = results_geodataframe(area, table)
    path = write_atomic(tmp_path / "r.gpkg", geopackage_bytes(frame))
    back = gpd.read_file(path)
    assert len(back) == area.n_points and back.crs == area.work_crs
    assert list(back["rmse_change_mm"]) == list(range(area.n_points))


def test_write_atomic_leaves_the_old_file_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_atomic(tmp_path / "a.csv", b"old")

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(StorageError, match=r"a\.csv: could not write \(No space left on device\)"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "ps_id": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "P1"],
            "rmse_mm": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode())))
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "P1"]
    assert rows[1][1] == "-1.5"  # numbers stay numbers


def test_csv_and_html() -> None:
    assert csv_bytes(pd.DataFrame({"a": [1]})).decode().splitlines() == ["a", "1"]
    page = figure_html(go.Figure(go.Scatter(x=[1], y=[2]))).decode()
    assert "<html>" in page and "plotly" in page.lower()
