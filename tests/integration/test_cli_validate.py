"""The command line's validate: the demo's figures, and exit 2 with one line for every bad bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidence.cli import main

ROOT = Path(__file__).parents[2]
BAD = ROOT / "tests" / "data" / "bad"
EXPECTED = json.loads((BAD / "expected.json").read_text())
KEYS = {"name", "crs", "n_points", "n_epochs", "first_date", "last_date", "n_wells", "max_cumulative_mm"}


def test_validate_the_full_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "data" / "demo_beijing"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert KEYS <= set(out)
    assert (out["n_points"], out["n_epochs"], out["n_wells"]) == (16487, 38, 60)
    assert 500 <= out["max_cumulative_mm"] <= 650
    period = out["model_period"]  # the demo's wells cover every acquisition
    assert (period["first"], period["last"]) == (out["first_date"], out["last_date"])
    assert period["n_left_out"] == 0 and period["heads"] == "observed"


def test_validate_rejects_unreadable_dates_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "tests" / "data" / "tiny"), "--start", "spring 2012"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "start date: expected YYYY-MM-DD, found 'spring 2012'" in err


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_bad_bundle_exits_2_with_one_line(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BAD / case), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and EXPECTED[case] in lines[0] and "Traceback" not in captured.err
