"""CLI train, evaluate and models on the small demo: the JSON keys of the contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidence.cli import main
from tests.conftest import SMALL_DEMO

TRAIN_KEYS = {
    "model",
    "split",
    "epochs_trained",
    "seconds",
    "rmse_change_mm",
    "mae_change_mm",
    "rmse_cumulative_mm",
}
EVALUATE_KEYS = {"rmse_change_mm", "mae_change_mm", "rmse_cumulative_mm", "n_test_points", "by_severity"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_train_then_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "model"
    trained = run(capsys, "train", str(SMALL_DEMO), "--model", "paper-lstm", "--split", "random", "--seed", "0",
                  "--out", str(out), "--max-epochs", "2")  # fmt: skip
    assert TRAIN_KEYS <= set(trained) and trained["epochs_trained"] == 2 and trained["model"] == "paper-lstm"
    assert 0 < trained["rmse_change_mm"] < 100 and (out / "model.json").is_file()

    scored = run(capsys, "evaluate", str(SMALL_DEMO), "--model", str(out))
    assert EVALUATE_KEYS <= set(scored)
    assert scored["n_test_points"] == 600  # the saved 30 % split of the 2,000 points
    assert scored["rmse_change_mm"] == pytest.approx(trained["rmse_change_mm"], abs=1e-3)
    assert sum(row["n"] for row in scored["by_severity"]) == 600
    assert {"class", "n", "rmse_cumulative_mm"} <= set(scored["by_severity"][0])


def test_models_lists_the_paper_lstm(capsys: pytest.CaptureFixture[str]) -> None:
    assert "paper-lstm" in run(capsys, "models")["models"]


def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", str(SMALL_DEMO), "--model", str(tmp_path / "nothing")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no such saved model" in err
    code = main(["train", str(SMALL_DEMO), "--model", "crystal-ball", "--out", str(tmp_path / "m")])
    assert code == 2 and "unknown model 'crystal-ball'" in capsys.readouterr().err
