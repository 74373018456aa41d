"""The one helper for crash-safe writes: a writer that fails leaves the old file and no leftover."""

from __future__ import annotations

from pathlib import Path

import pytest

from subsidence.io.atomic import atomic_write, atomic_write_via, is_leftover


def test_a_failing_writer_leaves_the_old_file_and_no_leftover(tmp_path: Path) -> None:
    target = atomic_write(tmp_path / "kriged_ps.csv", "old\n")

    def half(tmp: Path) -> None:
        tmp.write_text("new, half writ")
        raise RuntimeError("killed while writing")

    with pytest.raises(RuntimeError, match="killed"):
        atomic_write_via(target, half)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kriged_ps.csv"]


def test_a_writer_that_wants_a_path_replaces_the_file(tmp_path: Path) -> None:
    target = atomic_write(tmp_path / "out" / "a.json", b"{}")
    seen: list[str] = []

    def write(tmp: Path) -> None:
        seen.append(tmp.name)
        tmp.write_text('{"new": 1}')

    assert atomic_write_via(target, write) == target
    assert target.read_text() == '{"new": 1}' and is_leftover(seen[0])


def test_the_temporary_file_keeps_the_suffix_for_writers_that_read_it(tmp_path: Path) -> None:
    """GeoPackage writers warn (an error here) on a file not ending in .gpkg."""
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"v": [1.0]}, geometry=[Point(0.0, 0.0)], crs="EPSG:32650")
    target = atomic_write_via(
        tmp_path / "f.gpkg", lambda tmp: frame.to_file(tmp, layer="forecast", driver="GPKG")
    )
    assert gpd.read_file(target, layer="forecast")["v"].tolist() == [1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["f.gpkg"]
