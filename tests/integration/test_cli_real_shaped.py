"""Every CLI step on the real-shaped bundles: the model period, honest kriging, every model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidence.cli import main
from subsidence.models import model_names

REAL = Path(__file__).parents[1] / "data" / "real"
PSBAS = REAL / "psbas_like"
LEVELLING = REAL / "levelling_like"
SLOW = {"consolidation", "physics-lstm"}  # per-point physics fits: about 30 s each on the P-SBAS shape


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out.strip().splitlines()[-1])


def test_validate_states_the_model_period(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "validate", str(PSBAS))
    assert (out["n_points"], out["n_epochs"], out["n_wells"]) == (900, 146, 6)
    period = out["model_period"]
    assert (period["first"], period["last"], period["n_left_out"]) == ("2014-10-27", "2019-08-14", 11)
    assert period["heads"] == "observed" and len(period["left_out"]) == 11
    assert period["left_out"][0] == {
        "date": "2019-08-26",
        "reason": "only 0 well(s) have readings near this date (3 needed)",
    }
    main(["validate", str(PSBAS)])
    assert capsys.readouterr().out.startswith("model_period: Model period 2014-10-27 to 2019-08-14")
    full = run(capsys, "validate", str(LEVELLING))["model_period"]
    assert full["n_left_out"] == 0 and full["left_out"] == []


@pytest.mark.parametrize("bundle", [PSBAS, LEVELLING], ids=lambda p: p.name)
def test_krige_runs_and_says_the_heads_carry_no_information(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "krige", str(bundle), "--out", str(tmp_path / "k"), "--cell-size", "250")
    assert out["n_epochs"] == out["model_period"]["n_kept"]
    assert out["head_informative"] is False
    assert "carries no information" in out["head_warning"]
    assert out["files"] and all(Path(f).is_file() for f in out["files"])


def test_krige_with_dates_and_extended_heads(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "krige", str(PSBAS), "--extend-heads")
    assert out["n_epochs"] == 146 and out["model_period"]["heads"] == "extrapolated"
    out = run(capsys, "krige", str(PSBAS), "--start", "2016-01-01", "--end", "2018-12-31")
    assert out["model_period"]["first"] >= "2016-01-01" and out["model_period"]["last"] <= "2018-12-31"
    assert main(["krige", str(PSBAS), "--start", "2019-09-01"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--extend-heads" in err


CASES = [
    pytest.param(bundle, name, split, marks=[pytest.mark.slow] if (name in SLOW and bundle == PSBAS) else [])
    for bundle, split in ((PSBAS, "spatial"), (LEVELLING, "random"))
    for name in model_names()
]


@pytest.mark.parametrize(("bundle", "name", "split"), CASES, ids=lambda v: getattr(v, "name", v))
def test_train_then_evaluate_every_model(
    bundle: Path, name: str, split: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model"
    trained = run(capsys, "train", str(bundle), "--model", name, "--split", split, "--out", str(out),
                  "--max-epochs", "2")  # fmt: skip
    assert trained["model"] == name and trained["model_period"]["last"] <= "2019-09-11"
    assert trained["rmse_change_mm"] is None or 0 <= trained["rmse_change_mm"] < 100
    scored = run(capsys, "evaluate", str(bundle), "--model", str(out))
    assert scored["points"] == "test points of the saved split"  # same model period, same fingerprint
    assert scored["model_period"] == trained["model_period"]
    assert scored["rmse_change_mm"] == pytest.approx(trained["rmse_change_mm"], abs=1e-3)


def test_spatial_split_on_a_tiny_network_says_what_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", str(LEVELLING), "--model", "persistence", "--split", "spatial",
                 "--out", str(tmp_path / "m")])  # fmt: skip
    captured = capsys.readouterr()
    if code == 0:  # a split that adapts its blocks to the area may succeed; then it is scored
        assert "rmse_change_mm" in captured.out
    else:
        assert code == 2 and captured.err.count("\n") == 1
        assert "--split random" in captured.err and "Traceback" not in captured.err
