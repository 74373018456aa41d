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
TINY = ROOT / "tests" / "data" / "tiny"
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


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["train", str(TINY), "--model", "persistence", "--out", "x", "--seed", "-1"],
            "--seed -1: expected a random seed",
        ),
        (["train", str(TINY), "--model", "persistence", "--out", "x", "--max-epochs", "0"], "--max-epochs 0"),
        (["validate", str(TINY), "--bogus"], "unrecognized arguments: --bogus"),
        (["krige", str(TINY), "--cell-size", "nan"], "--cell-size nan: expected a positive number"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_bad_command_lines_are_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse exits itself
        status = int(exc.code or 0)
    assert status == 2 and expected in _one_line(capsys.readouterr().err)


def test_train_needs_overwrite_to_replace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from subsidence.models.baselines import Persistence
    from subsidence.models.model_checks import read_meta
    from subsidence.models.modelio import save_model

    target = save_model(Persistence(), tmp_path / "m", meta={"seed": 7})
    start = time.perf_counter()
    assert main(["train", str(SMALL), "--model", "persistence", "--out", str(target)]) == 2
    assert "a saved model of that name exists" in _one_line(capsys.readouterr().err)
    assert time.perf_counter() - start < 5  # refused before loading or training
    assert main(["train", str(SMALL), "--model", "persistence", "--out", str(target), "--overwrite"]) == 0
    assert read_meta(target)["seed"] == 0


def test_an_unexpected_failure_is_one_line_with_an_id_and_a_logged_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from subsidence import cli

    def broken(args: object) -> dict[str, object]:
        raise KeyError("boom")

    monkeypatch.setattr(cli, "_validate", broken)
    monkeypatch.setenv("SUBSIDENCE_LOG_DIR", str(tmp_path))
    assert main(["validate", str(TINY)]) == 1
    err = _one_line(capsys.readouterr().err)
    error_id = err.split("under id ")[1].split(",")[0]
    log = (tmp_path / "errors.log").read_text()
    assert f"error {error_id}" in log and "KeyError: 'boom'" in log and "Traceback" in log
