"""AppTest: a sample of the hostile corpus uploaded in the sidebar: one error line, no traceback.

The uploads go through the sidebar's file uploader (``AppTest.file_uploader(...).set_value``),
so they take the path a browser upload takes (``ui/area.py``).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import keys
from ui.area import UPLOAD

ROOT = Path(__file__).parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile"
CASES = json.loads((HOSTILE / "expected.json").read_text())
SAMPLE = [
    "zip_bad_crc.zip",
    "zip_password.zip",
    "zip_bomb_nul.zip",
    "zip_two_bundles.zip",
    "zip_dotdot_member.zip",
    "dotdot_ps",
    "ps_nul_bytes",
    "ps_inf",
    "manifest_typo_unit",
]


def _upload_bytes(case: str) -> bytes:
    path = HOSTILE / "cases" / case
    if path.is_file():
        return path.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(path.iterdir()):
            z.write(f, f"{case}/{f.name}")
    return buf.getvalue()


def test_hostile_uploads_show_one_error_line_and_keep_the_area() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Study_area.py"), default_timeout=120).run()
    before = at.session_state[keys.AREA_PATH]
    at.selectbox(key=keys.AREA_CHOICE).set_value(UPLOAD).run()
    for case in SAMPLE:
        expected = CASES[case][1].partition(": ")[2]
        at.file_uploader(key=keys.AREA_UPLOAD).set_value(
            (f"{case}.zip", _upload_bytes(case), "application/zip")
        ).run()
        assert not at.exception, case
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "\n" not in errors[0], (case, errors)
        assert expected in errors[0].replace("\\", ""), (case, errors)
        assert "Traceback" not in errors[0] and "SECRET" not in errors[0]
        assert at.session_state[keys.AREA_PATH] == before


def _page_with_failures() -> None:
    import streamlit as st

    from subsidence.errors import BundleError
    from ui.errors import shown_errors

    with shown_errors("test"):
        raise BundleError("ps.csv, row 2 ([x](http://evil.example)): expected a number")
    with shown_errors("test"):
        raise KeyError("/srv/secret/path")
    st.write("still drawn")


def test_errors_show_one_escaped_line_or_an_apology(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SUBSIDENCE_LOG_DIR", str(tmp_path))
    at = AppTest.from_function(_page_with_failures, default_timeout=60).run()
    assert not at.exception
    first, second = (e.value for e in at.error)
    assert first == "ps\\.csv, row 2 \\(\\[x\\]\\(http\\:\u200b//evil\\.example\\)\\)\\: expected a number"
    assert "secret" not in second and "Traceback" not in second
    error_id = second.split("under id ")[1].split(",")[0]
    assert f"error {error_id}" in (tmp_path / "errors.log").read_text()
    assert at.markdown[-1].value == "still drawn"


def test_streamlit_never_shows_tracebacks() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


MODEL_SAMPLE = [
    "model_meta_spaces.zip",
    "model_meta_understated.zip",
    "model_password.zip",
    "model_hidden_30000",
]


def test_hostile_model_uploads_show_one_error_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.models
    import ui.training

    shutil.copytree(ROOT / "models" / "paper-lstm-demo", tmp_path / "paper-lstm-demo")
    monkeypatch.setattr(ui.models, "MODELS_DIR", tmp_path)
    monkeypatch.setattr(ui.training, "MODELS_DIR", tmp_path)
    at = AppTest.from_file(str(ROOT / "pages" / "3_Model.py"), default_timeout=240).run()
    at.radio(key=keys.MODEL_MODE).set_value("Load a saved model").run()
    for case in MODEL_SAMPLE:
        expected = CASES[case][1].partition(": ")[2]
        at.file_uploader(key=keys.MODEL_UPLOAD).set_value(
            (f"{case}.zip", _upload_bytes(case), "application/zip")
        ).run()
        assert not at.exception, case
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "\n" not in errors[0] and "Traceback" not in errors[0], (case, errors)
        assert expected in errors[0].replace("\\", ""), (case, errors)
