"""The decision pack: every section, self-contained (no web address loaded), user text escaped."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pytest

from subsidence.errors import SubsidenceError
from subsidence.report.pack import (
    SECTIONS,
    Pack,
    build_pack,
    file_hashes,
    fingerprint,
    inputs_from_bundle,
    pack_from_bundle,
    write_pack,
)

ROOT = Path(__file__).parents[2]
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def evil_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("evil") / "tiny"
    shutil.copytree(ROOT / "tests" / "data" / "tiny", folder)
    ps = folder / "ps.csv"
    ps.write_text(ps.read_text().replace("\nP00,", f"\n{EVIL},", 1))
    return folder


@pytest.fixture(scope="module")
def pack(evil_bundle: Path) -> Pack:
    return pack_from_bundle(evil_bundle, ROOT / "models" / "paper-lstm-demo", ["trend", "1"], [EVIL, "P01"])


def test_every_section_present_in_order(pack: Pack) -> None:
    assert pack.sections == SECTIONS
    positions = [pack.html.index(f"<h2>{s.replace(':', ':')}</h2>") for s in SECTIONS]
    assert positions == sorted(positions)
    assert "Bjerrum (1963)" in pack.html and "do not use" in pack.html


def test_self_contained_plotly_embedded_once_no_web_address_loaded(pack: Pack) -> None:
    assert not re.search(r"<script[^>]+src=", pack.html, re.I)
    assert not re.search(r"<link[^>]+href=\s*['\"]?https?:", pack.html, re.I)
    assert pack.html.count("plotly.js v") <= 2  # the library's own banner, once
    assert pack.html.count("Plotly.newPlot") >= 7  # six maps and the picked points
    assert len(re.findall(r"define\(\"plotly\"|window\.Plotly=|\(function\(\)\{var Plotly", pack.html)) <= 1


def test_user_ids_escaped_everywhere(pack: Pack) -> None:
    assert EVIL not in pack.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pack.html


def test_fingerprint_changes_with_the_data(pack: Pack, evil_bundle: Path) -> None:
    rows = file_hashes([evil_bundle, ROOT / "models" / "paper-lstm-demo"])
    assert pack.fingerprint == fingerprint(rows)
    assert any(name.endswith("ps.csv") for name, _, _ in rows)
    changed = [(n, s, "0" * 64 if n.endswith("ps.csv") else h) for n, s, h in rows]
    assert fingerprint(changed) != pack.fingerprint
    assert pack.fingerprint in pack.html


def test_paper_metrics_beside_ours_for_the_shipped_demo_model(pack: Pack) -> None:
    assert "paper (Li et al. 2020" in pack.html and "67.599" in pack.html


def test_without_a_hindcast_the_pack_says_so_plainly(pack: Pack) -> None:
    assert "No hindcast run." in pack.html


def test_a_hindcast_is_reported_with_its_band_coverage(evil_bundle: Path) -> None:
    import numpy as np
    import pandas as pd

    from subsidence.validation.evaluation import severity_labels
    from subsidence.validation.hindcast import Hindcast

    inputs = inputs_from_bundle(evil_bundle, ROOT / "models" / "paper-lstm-demo", ["held"], ["P01"])
    observed = np.tile(np.arange(1.0, 5.0), (3, 1))  # 3 points, 4 acquisitions after the cut
    h = Hindcast(
        model="linear-trend",
        cut=pd.Timestamp("2012-03-01"),
        ps_ids=np.array(["a", "b", "c"]),
        xy_m=np.zeros((3, 2)),
        dates=pd.date_range("2012-04-01", periods=4, freq="MS"),
        forecast_mm=observed + 1.0,
        low_mm=observed - 2.0,
        high_mm=observed + 0.5,  # every InSAR value inside the band
        observed_mm=observed,
        references={"it stops": np.zeros_like(observed), "velocity": observed * 0.5},
        severity=np.array([severity_labels()[0]] * 3),
    )
    html = build_pack(replace(inputs, hindcast=h)).html
    assert "No hindcast run." not in html
    assert "learnt up to <b>2012-03-01</b>" in html and "inside the 90 % band for 100%" in html
    assert "it stops" in html and "velocity" in html


def test_interactive_map_escapes_ids_shows_numbers_wells_picks_and_needs_internet(pack: Pack) -> None:
    m = pack.map_html
    assert EVIL not in m and "&lt;script&gt;alert(1)&lt;/script&gt;" in m  # popups escape the ids
    assert "InSAR cumulative on" in m and "confidence" in m and "velocity (mm/yr)" in m
    assert "well W" in m or "<b>well " in m
    assert "picked: PS P01" in m
    assert "streets (needs internet)" in m and "needs internet" not in pack.html.split("<h2>")[0]
    tiles = re.search(r"var (tile_layer_\w+) = L\.tileLayer\(", m)
    assert (
        tiles is not None and f"{tiles.group(1)}.addTo(" not in m
    )  # streets start off: ticked on by the user
    assert "Its web basemap needs the internet" in pack.html  # the pack says so


def test_write_pack_html_and_geopackage_with_every_layer(pack: Pack, tmp_path: Path) -> None:
    html_path, gpkg = write_pack(pack, tmp_path / "out" / "pack.html")
    assert html_path.read_text(encoding="utf-8") == pack.html
    layers = set(gpd.list_layers(gpkg)["name"])
    assert {
        "subsidence",
        "confidence",
        "time_to_threshold",
        "angular_distortion",
        "scenarios",
        "wells",
    } <= layers
    ttt = gpd.read_file(gpkg, layer="time_to_threshold")
    assert len(ttt) == 12 and EVIL in set(ttt["ps_id"])  # the data keeps the raw id
    assert (tmp_path / "out" / "pack-map.html").read_text(encoding="utf-8") == pack.map_html
    with pytest.raises(SubsidenceError, match=r"\.html"):
        write_pack(pack, tmp_path / "pack.pdf")


def test_unknown_pick_is_one_clear_error(evil_bundle: Path) -> None:
    with pytest.raises(SubsidenceError, match="NOPE"):
        pack_from_bundle(evil_bundle, ROOT / "models" / "paper-lstm-demo", ["trend"], ["NOPE"])
