"""The decision pack: every section, self-contained (no web address loaded), user text escaped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import pytest

from subsidence.errors import SubsidenceError
from subsidence.pack import SECTIONS, Pack, file_hashes, fingerprint, pack_from_bundle, write_pack

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
    assert "paper (Li et al. 2020)" in pack.html and "67.599" in pack.html


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
    with pytest.raises(SubsidenceError, match=r"\.html"):
        write_pack(pack, tmp_path / "pack.pdf")


def test_unknown_pick_is_one_clear_error(evil_bundle: Path) -> None:
    with pytest.raises(SubsidenceError, match="NOPE"):
        pack_from_bundle(evil_bundle, ROOT / "models" / "paper-lstm-demo", ["trend"], ["NOPE"])
