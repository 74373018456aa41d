"""CLI ``report``: writes the pack and the GeoPackage, JSON keys of the contract; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
TINY = ROOT / "tests" / "data" / "tiny"
MODEL = ROOT / "models" / "paper-lstm-demo"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "subsidence", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_report_writes_the_pack_and_prints_the_contract_keys(tmp_path: Path) -> None:
    out = tmp_path / "pack.html"
    done = _run("report", str(TINY), "--model", str(MODEL), "--scenario", "held", "--picks", "P01,P02",
                "--out", str(out), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["sections"][0] == "Study area and inputs" and "Caveats" in result["sections"]
    assert result["bytes"] == out.stat().st_size > 1_000_000  # plotly.js is embedded
    assert len(result["fingerprint"]) == 64 and result["fingerprint"] in out.read_text(encoding="utf-8")
    assert out.with_suffix(".gpkg").stat().st_size > 0
    assert result["map"] == str(tmp_path / "pack-map.html") and Path(result["map"]).stat().st_size > 0
    assert "levels held" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--out", "pack.pdf"], ".html"),
        (["--picks", "NOPE", "--out", "p.html"], "NOPE"),
        (["--scenario", "sideways", "--out", "p.html"], "sideways"),
        (["--threshold", "-5", "--out", "p.html"], "--threshold"),
    ],
)
def test_report_bad_input_is_one_line_exit_2(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from subsidence.cli import main

    args = [str(tmp_path / a) if a.endswith(("html", "pdf")) else a for a in args]
    assert main(["report", str(TINY), "--model", str(MODEL), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_report_relative_to_a_reference_point(tmp_path: Path) -> None:
    out = tmp_path / "pack.html"
    done = _run("report", str(TINY), "--model", str(MODEL), "--scenario", "held", "--reference", "P01",
                "--out", str(out), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "displacements relative to</td><td>PS P01" in text.replace("\n", "").replace("  ", "")
