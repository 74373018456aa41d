"""The hostile-input corpus through the command line: one line, exit 2, never a traceback.

Cases and expected outcomes: ``tests/data/hostile/make_hostile.py`` (``CASES``). Each runs
``subsidence.cli.main`` in-process (``validate`` for bundles, ``evaluate --model`` for models);
two run through ``python -m subsidence`` to check the real entry point too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from subsidence.cli import main

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile"
CASES: dict[str, list[str]] = json.loads((HOSTILE / "expected.json").read_text())
SMALL = ROOT / "data" / "demo_small"
SECRET = "SECRET-LINE-THAT-MUST-NOT-BE-ECHOED"


def _argv(case: str, kind: str) -> list[str]:
    path = str(HOSTILE / "cases" / case)
    if kind == "bundle":
        return ["validate", path, "--json"]
    return ["evaluate", str(SMALL), "--model", path, "--json"]


def test_the_corpus_is_large_and_small() -> None:
    assert len(CASES) >= 60
    files = [p for p in (HOSTILE / "cases").rglob("*") if p.is_file() and not p.is_symlink()]
    assert sum(p.stat().st_size for p in files) < 5_000_000


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_through_the_cli(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    kind, expected = CASES[case]
    start = time.perf_counter()
    status = main(_argv(case, kind))
    out, err = capsys.readouterr()
    assert time.perf_counter() - start < 20
    assert "Traceback" not in out + err and SECRET not in out + err
    outcome, _, text = expected.partition(": ")
    if outcome == "refused" or (outcome not in ("accepted", "accepted with note")):
        assert status == 2, (out, err)
        assert err.count("\n") == 1 and err.startswith("error: ") and len(err) <= 1100, err
        assert text in err, err
    else:
        assert status == 0 and err == "", err
        if outcome == "accepted with note":
            notes = json.loads(out.splitlines()[-1])["notes"]
            assert any(text in note for note in notes), notes


@pytest.mark.parametrize("case", ["zip_bad_crc.zip", "model_hidden_30000"])
def test_real_entry_point_prints_one_line(case: str) -> None:
    kind, expected = CASES[case]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "subsidence", *_argv(case, kind)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and expected.partition(": ")[2] in done.stderr
