"""train --chunked and --dask local: the same figures as the in-memory pipeline, GeoParquet out."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from subsidence import pipeline
from subsidence.cli import main
from subsidence.errors import SubsidenceError
from subsidence.io.ps_stream import open_stream
from subsidence.io.reader import load_study_area
from subsidence.models import make_model
from subsidence.models.base import ONE_STEP
from subsidence.scale.sampling import stratified_sample
from subsidence.validation import evaluation
from tests.conftest import SMALL_DEMO

ARGS = ["--model", "paper-lstm", "--max-epochs", "1", "--sample", "300", "--chunk-rows", "600", "--seed", "2"]
FIGURES = ("rmse_change_mm", "mae_change_mm", "rmse_cumulative_mm", "rmse_cumulative_last_mm")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def in_memory() -> dict[str, float]:
    """Whole area in memory, the model fitted on the same sample, scored on every other point."""
    area = load_study_area(SMALL_DEMO)
    data = pipeline.prepare(area)
    stream = open_stream(SMALL_DEMO)
    rows = stratified_sample(stream.xy_m, stream.last_mm, 300, 2)
    fitted = make_model("paper-lstm", max_epochs=1).fit(data, rows, seed=2)
    test = np.setdiff1d(np.arange(data.n_points), rows)
    return evaluation.metrics(data, fitted.predict(data, ONE_STEP), test)


def test_chunked_train_scores_like_the_in_memory_run_and_writes_geoparquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], in_memory: dict[str, float]
) -> None:
    out = run(capsys, "train", str(SMALL_DEMO), *ARGS, "--chunked", "--out", str(tmp_path / "m"),
              "--predictions", str(tmp_path / "p.parquet"))  # fmt: skip
    assert out["n_points"] == 2000 and out["n_sample"] == 300 and out["n_test_points"] == 1700
    for key in FIGURES:
        assert out[key] == pytest.approx(in_memory[key], abs=1e-3)
    assert sum(r["n"] for r in out["by_severity"]) == 1700
    frame = gpd.read_parquet(tmp_path / "p.parquet")
    assert len(frame) == 2000 and frame.crs.to_epsg() == 32650 and int(frame["in_sample"].sum()) == 300
    assert np.allclose(frame.geometry.x, frame["x_m"]) and "modelled_mm_2015-12-07" in frame
    assert (tmp_path / "m" / "model.json").is_file()


def test_dask_local_gives_the_same_metrics_as_the_in_process_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], in_memory: dict[str, float]
) -> None:
    out = run(capsys, "train", str(SMALL_DEMO), *ARGS, "--dask", "local", "--dask-workers", "1",
              "--out", str(tmp_path / "m"), "--predictions", str(tmp_path / "parts"))  # fmt: skip
    assert out["n_test_points"] == 1700 and out["workers"] == 1 and out["n_partitions"] > 1
    for key in FIGURES:
        assert out[key] == pytest.approx(in_memory[key], abs=1e-3)
    parts = sorted((tmp_path / "parts").glob("part-*.parquet"))
    assert len(parts) == out["n_partitions"] and not (tmp_path / "parts" / "_staging").exists()
    frame = gpd.read_parquet(tmp_path / "parts")
    assert sorted(frame["ps_id"]) == sorted(open_stream(SMALL_DEMO).ps_ids) and frame.crs.to_epsg() == 32650


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--chunked", "--predictions", "p.csv"], "expected a file ending in .parquet"),
        (["--dask", "local"], "give --predictions FOLDER"),
        (["--dask", "tcp://127.0.0.1:9", "--predictions", "parts"], "no Dask scheduler answers there"),
        (["--chunked", "--split", "spatial"], "leave out --split"),
        (["--chunked", "--sample", "0"], "--sample 0: expected a number of sample points of at least 1"),
    ],
)
def test_bad_scaled_runs_are_one_line(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["train", str(SMALL_DEMO), "--model", "paper-lstm", "--out", str(tmp_path / "m"), *extra]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_a_cluster_run_stopped_by_the_user_keeps_nothing(tmp_path: Path) -> None:
    from subsidence.scale.dask_pipeline import ClusterRunStopped, run_on_cluster

    told: list[tuple[float, str]] = []

    def stop() -> bool:  # the user presses Stop once the first tile is done
        return any(m.startswith("1 of") for _, m in told)

    with pytest.raises(ClusterRunStopped, match="no predictions were kept"):
        run_on_cluster(SMALL_DEMO, make_model("linear-trend"), "local", tmp_path / "parts", workers=1,
                       sample=300, chunk_rows=300, progress=lambda f, m: told.append((f, m)), stop=stop)  # fmt: skip
    assert [m for _, m in told][:3] == [
        "writing 2,000 points as spatial tiles",
        "kriging the sample of 300 points",
        "training on one worker",
    ]
    assert (
        not list((tmp_path / "parts").glob("part-*.parquet"))
        and not (tmp_path / "parts" / "_staging").exists()
    )


@pytest.mark.parametrize("text", ["local", " tcp://10.0.0.5:8786 ", "tls://[::1]:8786", "inproc://x"])
def test_scheduler_addresses_are_accepted(text: str) -> None:
    from subsidence.scale.dask_pipeline import check_address

    assert check_address(text) == text.strip()


@pytest.mark.parametrize("text", ["", "my laptop", "http://x:8786", "tcp://a b", "tcp://x;rm -rf /"])
def test_anything_else_is_one_line_naming_the_form(text: str) -> None:
    from subsidence.scale.dask_pipeline import check_address

    with pytest.raises(SubsidenceError, match="not a Dask scheduler address; expected e.g. tcp://"):
        check_address(text)


REAL = SMALL_DEMO.parents[1] / "tests" / "data" / "real"


def test_wells_that_stop_before_the_insar_give_the_model_period_not_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The P-SBAS-shaped bundle: its wells stop before its last acquisitions. The scaled routes
    model the same period as the in-memory one (and the user's --start/--end are taken)."""
    from subsidence.coverage import default_period

    bundle = REAL / "psbas_like"
    expected = default_period(load_study_area(bundle))
    assert expected.left_out  # the case under test
    out = run(capsys, "train", str(bundle), "--model", "linear-trend", "--chunked", "--sample", "300",
              "--out", str(tmp_path / "m"), "--predictions", str(tmp_path / "p.parquet"))  # fmt: skip
    assert out["model_period"] == expected.to_json() and out["n_test_points"] == 600
    frame = gpd.read_parquet(tmp_path / "p.parquet")
    assert f"modelled_mm_{expected.last.date()}" in frame and not any(
        c.endswith(d) for c in frame.columns for d, _ in expected.left_out
    )
    out = run(capsys, "train", str(bundle), "--model", "linear-trend", "--chunked", "--sample", "300",
              "--start", "2016-01-01", "--end", "2018-12-31", "--out", str(tmp_path / "m2"))  # fmt: skip
    assert out["model_period"]["first"] >= "2016-01-01" and out["model_period"]["last"] <= "2018-12-31"


def test_a_sample_as_large_as_the_area_is_capped_so_that_the_rest_is_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", str(REAL / "levelling_like"), "--model", "linear-trend", "--sample", "300"]
    out = run(capsys, *argv, "--chunked", "--out", str(tmp_path / "m"))
    assert out["n_points"] == 20 and out["n_sample"] == 14 and out["n_test_points"] == 6
    assert "capped at 70% of the 20 points" in out["sample_note"] and out["rmse_cumulative_mm"] > 0
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["sample"]["n"] == 14


def test_stop_is_answered_while_the_model_trains(tmp_path: Path) -> None:
    from subsidence.scale.dask_pipeline import ClusterRunStopped, run_on_cluster

    told: list[str] = []
    with pytest.raises(ClusterRunStopped):
        run_on_cluster(SMALL_DEMO, make_model("paper-lstm", max_epochs=3), "local", tmp_path / "parts", workers=1,
                       sample=300, progress=lambda f, m: told.append(m),
                       stop=lambda: told[-1].startswith("training on one worker ("))  # fmt: skip
    assert told[-1] == "training on one worker (300 points)"
    assert not (tmp_path / "parts" / "_staging").exists() and not list((tmp_path / "parts").glob("part-*"))
