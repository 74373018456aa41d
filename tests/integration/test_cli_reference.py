"""CLI ``--reference`` (train/evaluate/hindcast): scores change with the reference; a bad id exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SMALL = ROOT / "data" / "demo_small"
MODEL = ROOT / "models" / "paper-lstm-demo"


def _evaluate(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "subsidence", "evaluate", str(SMALL), "--model", str(MODEL), "--json", *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_evaluate_relative_to_a_reference_point() -> None:
    plain, relative = _evaluate(), _evaluate("--reference", "PS000010")
    assert plain.returncode == 0 and relative.returncode == 0, relative.stderr
    a, b = (json.loads(p.stdout.strip().splitlines()[-1]) for p in (plain, relative))
    assert "reference" not in a and b["reference"] == "PS000010"
    assert a["rmse_cumulative_mm"] != b["rmse_cumulative_mm"]


def test_unknown_reference_exits_2_in_one_line() -> None:
    done = _evaluate("--reference", "nope")
    assert done.returncode == 2
    assert "'nope' is not a PS id" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_train_records_the_reference_in_the_saved_model(tmp_path: Path) -> None:
    out = tmp_path / "m"
    done = subprocess.run(
        [sys.executable, "-m", "subsidence", "train", str(ROOT / "tests" / "data" / "tiny"), "--model",
         "persistence", "--reference", "P01", "--out", str(out), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "model.json").read_text())["reference"] == "PS P01"
