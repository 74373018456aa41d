"""AppTest: the sidebar's Dask scheduler and the Model page's cluster run (a local cluster)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import wait_for_training
from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "3_Model.py")


def test_a_wrong_address_is_one_line_and_no_run_is_offered(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert any("Set a Dask scheduler in the sidebar" in i.value for i in at.info)
    at.text_input(key=keys.DASK_ADDRESS).set_value("my laptop").run()
    assert [e.value.replace("\\", "").replace("\u200b", "") for e in at.sidebar.error] == [
        "'my laptop' is not a Dask scheduler address; expected e.g. tcp://10.0.0.5:8786, or local"
    ]
    assert not [b for b in at.button if b.key == "cluster_run"]


def test_local_cluster_run_predicts_every_point_and_saves_the_model(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.text_input(key=keys.DASK_ADDRESS).set_value(" local ").run()
    assert not at.sidebar.error
    at.selectbox(key=keys.CLUSTER_MODEL).set_value("linear-trend")
    at.number_input(key=keys.CLUSTER_SAMPLE).set_value(300)
    at.button(key="cluster_run").click().run()
    at = wait_for_training(at, key=keys.CLUSTER_JOB)
    assert not at.exception and not at.error
    done = [s.value for s in at.success if s.value.startswith("Done in")]
    assert done and "trained on 300 points, 2,000 predicted" in done[0]
    measures = at.dataframe[-1].value
    assert "rmse cumulative mm" in set(measures["measure"])
    assert any(b.label.startswith("Download the predictions") for b in at.get("download_button"))
    at.text_input(key=keys.CLUSTER_SAVE_NAME).set_value("cluster-run")
    at.button(key="cluster_save").click().run()
    assert (models_dir / "cluster-run" / "model.json").is_file()
    assert any("Saved as cluster-run" in s.value.replace("\\", "") for s in at.success)
    # the address is kept when the page is left and opened again
    at.switch_page("1_Study_area.py").run()
    at.switch_page("3_Model.py").run()
    assert at.text_input(key=keys.DASK_ADDRESS).value.strip() == "local"


def test_a_remote_scheduler_must_be_one_the_operator_trusts(models_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Dask exchanges pickled Python objects: a browser user may not point the server at any host."""
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.text_input(key=keys.DASK_ADDRESS).set_value("tcp://10.0.0.5:8786").run()
    assert "SUBSIDENCE_DASK_ADDRESSES" in at.sidebar.error[0].value
    assert not [b for b in at.button if b.key == "cluster_run"]
    monkeypatch.setenv("SUBSIDENCE_DASK_ADDRESSES", "tcp://10.0.0.9:8786, tcp://10.0.0.5:8786")
    at.run()
    assert not at.sidebar.error and [b for b in at.button if b.key == "cluster_run"]
