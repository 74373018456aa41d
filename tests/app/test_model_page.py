"""AppTest: the Model page trains a few epochs on the small demo, saves, loads and deletes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import wait_for_training
from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "3_Model.py")


def test_train_save_load_and_delete(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception
    at.number_input(key=keys.MAX_EPOCHS).set_value(2)
    at.button(key="train_submit").click()  # the form's Train button
    at.run()
    at = wait_for_training(at)
    assert not at.exception and not at.error
    assert any("Trained paper-lstm" in s.value for s in at.success)
    shown = at.dataframe[0].value
    assert list(shown["paper"]) == [14.412, 10.539, 67.599]
    assert not [c for c in shown.columns if "_" in str(c)]
    assert any(c.value.startswith("**Next:**") for c in at.caption)
    assert len(at.get("plotly_chart")) >= 1  # the loss curve
    at.text_input(key=keys.SAVE_NAME).set_value("tiny-run")
    next(b for b in at.button if b.label == "Save model").click()
    at.run()
    assert (models_dir / "tiny-run" / "model.json").is_file()

    at.radio(key=keys.MODEL_MODE).set_value("Load a saved model").run()
    assert at.selectbox(key=keys.SAVED_CHOICE).value == "tiny-run"
    at.button(key="load_model").click().run()
    assert any("Loaded paper-lstm" in s.value.replace("\\", "") for s in at.success)
    at.checkbox(key=keys.CONFIRM_DELETE).check().run()
    at.button(key="delete_model").click().run()
    assert not (models_dir / "tiny-run").exists()


def test_paper_defaults_are_one_click_away(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.number_input(key=keys.HIDDEN).set_value(32)
    at.selectbox(key=keys.OPTIMIZER).set_value("adam").run()
    at.button(key="paper_defaults").click().run()
    assert at.number_input(key=keys.HIDDEN).value == 8
    assert at.selectbox(key=keys.OPTIMIZER).value == "sgd"
    assert at.number_input(key=keys.LEARNING_RATE).value == pytest.approx(0.001)


def test_stop_ends_training_early(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.number_input(key=keys.MAX_EPOCHS).set_value(300)
    at.button(key="train_submit").click()
    at.run()
    deadline = time.monotonic() + 60
    while not at.session_state[keys.TRAIN_JOB].reports and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    at.button(key="stop_training").click().run()
    at = wait_for_training(at)
    job = at.session_state[keys.TRAIN_JOB]
    assert job.stopped and job.result.epochs_trained < 300
    assert any("stopped early by you" in s.value for s in at.success)


def _zip_folder(folder: Path, tamper: bool = False) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.iterdir()):
            data = f.read_bytes()
            if tamper and f.suffix == ".safetensors":
                data = data[:-4] + b"\x00\x00\x00\x00"
            z.writestr(f"{folder.name}/{f.name}", data)
    return buf.getvalue()


def test_upload_a_model_archive_and_refuse_a_tampered_one(models_dir: Path) -> None:
    shipped = ROOT / "models" / "paper-lstm-demo"
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.radio(key=keys.MODEL_MODE).set_value("Load a saved model").run()
    at.file_uploader(key=keys.MODEL_UPLOAD).set_value(
        ("bad.zip", _zip_folder(shipped, tamper=True), "application/zip")
    ).run()
    assert not at.exception
    assert any("bad.zip cannot be used here" in e.value.replace("\\", "") for e in at.error)
    at.file_uploader(key=keys.MODEL_UPLOAD).set_value(
        ("good.zip", _zip_folder(shipped), "application/zip")
    ).run()
    assert not at.exception
    assert any("Loaded paper-lstm from good.zip" in s.value.replace("\\", "") for s in at.success)


def test_model_names_typed_by_users_cannot_be_paths() -> None:
    from subsidence.errors import SubsidenceError
    from subsidence.models.modelio import check_model_name

    assert check_model_name(" run-1.b_2 ") == "run-1.b_2"
    for bad in ("../evil", "a/b", "", "..", "with space"):
        with pytest.raises(SubsidenceError, match="letters, digits"):
            check_model_name(bad)


def test_a_model_stays_with_the_area_it_was_trained_on(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.selectbox(key=keys.MODEL_NAME).set_value("persistence")
    at.button(key="train_submit").click()
    at.run()
    at = wait_for_training(at)
    (trained_on,) = at.session_state[keys.CURRENT_MODEL]  # current models are kept per area
    assert at.session_state[keys.CURRENT_MODEL][trained_on].area == trained_on
    assert "demo_small" in trained_on
    at.selectbox(key=keys.AREA_CHOICE).set_value("demo_beijing").run()
    assert not at.exception
    assert any("trained on another study area" in w.value for w in at.warning)
    assert list(at.session_state[keys.CURRENT_MODEL]) == [trained_on]
