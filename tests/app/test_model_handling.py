"""AppTest: Stop keeps the current model unless asked; saving asks before replacing; downloads."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import wait_for_training
from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "3_Model.py")


def _current(at: AppTest):  # type: ignore[no-untyped-def]
    store = at.session_state[keys.CURRENT_MODEL] if keys.CURRENT_MODEL in at.session_state else {}
    return store.get(next(iter(store), None)) if store else None


def test_stop_keeps_the_previous_model_until_chosen(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.selectbox(key=keys.MODEL_NAME).set_value("persistence")
    at.button(key="train_submit").click().run()
    at = wait_for_training(at)
    before = _current(at)
    assert before is not None and before.source == "trained in this session"

    at.selectbox(key=keys.MODEL_NAME).set_value("paper-lstm")
    at.number_input(key=keys.MAX_EPOCHS).set_value(300)
    at.button(key="train_submit").click().run()
    while not at.session_state[keys.TRAIN_JOB].reports:
        time.sleep(0.2)
    at.run()
    at.button(key="stop_training").click().run()
    at = wait_for_training(at)
    assert any("stopped early by you" in s.value for s in at.success)
    assert _current(at).token == before.token  # the stopped model did not replace it
    assert any("stays current" in c.value for c in at.caption)
    at.button(key="use_stopped").click().run()
    now = _current(at)
    assert now.token != before.token and now.source == "stopped early in this session"


def test_save_asks_before_replacing_and_offers_a_download(models_dir: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.selectbox(key=keys.MODEL_NAME).set_value("linear-trend")
    at.button(key="train_submit").click().run()
    at = wait_for_training(at)
    at.text_input(key=keys.SAVE_NAME).set_value("mine")
    next(b for b in at.button if b.label == "Save model").click().run()
    assert any(s.value.replace("\\", "") == "Saved as mine" for s in at.success)
    assert not any(str(models_dir) in s.value for s in at.success)  # never a server path
    first = (models_dir / "mine" / "model.json").stat().st_mtime_ns
    download = at.get("download_button")
    assert download and download[0].proto.label == "Download the model (.zip)"

    next(b for b in at.button if b.label == "Save model").click().run()  # the same name again
    assert any("already called" in w.value for w in at.warning)
    assert (models_dir / "mine" / "model.json").stat().st_mtime_ns == first  # not replaced yet
    at.button(key="replace_model").click().run()
    assert any(s.value.replace("\\", "") == "Saved as mine" for s in at.success)
    assert (models_dir / "mine" / "model.json").stat().st_mtime_ns != first

    at.text_input(key=keys.SAVE_NAME).set_value("paper-lstm-demo")
    next(b for b in at.button if b.label == "Save model").click().run()
    assert any("shipped" in e.value for e in at.error)


def test_the_downloaded_zip_is_accepted_by_the_upload(models_dir: Path) -> None:
    from ui.training import model_zip

    data = model_zip(ROOT / "models" / "paper-lstm-demo")
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.radio(key=keys.MODEL_MODE).set_value("Load a saved model").run()
    at.file_uploader(key=keys.MODEL_UPLOAD).set_value(("m.zip", data, "application/zip")).run()
    assert not at.exception and not at.error
    assert any("Loaded paper-lstm" in s.value.replace("\\", "") for s in at.success)
