"""AppTest: pages 1–4 on the real-shaped bundles, and state that stays with its study area."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import keys
from ui.area import UPLOAD

ROOT = Path(__file__).parents[2]
REAL = ROOT / "tests" / "data" / "real"
APP = str(ROOT / "Home.py")
PAGES = [  # every page: a levelling network's yearly surveys broke Scenarios and Hazard when only 1-4 were walked
    "pages/1_Study_area.py",
    "pages/2_Interpolation.py",
    "pages/3_Model.py",
    "pages/5_Compare.py",
    "pages/6_Scenarios.py",
    "pages/7_Hazard.py",
    "pages/4_Results.py",
]
NAMES = {
    "psbas_like": "P-SBAS-shaped survey (generated)",
    "levelling_like": "Levelling-shaped network (generated)",
}


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"{folder.name}/{f.name}")
    return buf.getvalue()


def _sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption).replace("\\", "")


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def real_areas(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import ui.area
    import ui.models
    import ui.training

    monkeypatch.setattr(ui.area, "DATA_DIR", REAL)
    monkeypatch.setattr(ui.area, "UPLOAD_ROOT", tmp_path / "uploads")
    monkeypatch.setattr(ui.models, "MODELS_DIR", tmp_path / "models")
    monkeypatch.setattr(ui.training, "MODELS_DIR", tmp_path / "models")
    (tmp_path / "models").mkdir()
    return tmp_path


def _train(at: AppTest, model: str = "persistence") -> AppTest:
    at.switch_page("pages/3_Model.py").run()
    at.selectbox(key=keys.MODEL_NAME).set_value(model)
    at.number_input(key=keys.MAX_EPOCHS).set_value(2)
    at.button(key="train_submit").click().run()  # the form's Train button
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = at.session_state[keys.TRAIN_JOB]
        if job.finished is not None:
            break
        time.sleep(0.5)
    return at.run()


@pytest.mark.parametrize("bundle", sorted(NAMES))
def test_pages_run_on_real_shaped_bundles(
    bundle: str, real_areas: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.area

    monkeypatch.setattr(ui.area, "DEFAULT_BUNDLE", bundle)
    at = AppTest.from_file(APP, default_timeout=300).run()
    _clean(at)
    assert NAMES[bundle] in _sidebar_text(at)
    for page in PAGES:
        at.switch_page(page).run()
        _clean(at)
        assert NAMES[bundle] in _sidebar_text(at), page
    # no model fits yet: Results says so in words
    assert any("No model for this study area yet" in w.value for w in at.warning)
    at = _train(at)
    _clean(at)
    assert any("Trained persistence" in s.value for s in at.success)
    at.switch_page("pages/4_Results.py").run()
    _clean(at)
    assert len(at.get("deck_gl_json_chart")) == 1
    # off the demo, no arrows against the paper's figures unless asked
    assert all(m.proto.delta == "" for m in at.metric)
    at.toggle(key=keys.RESULTS_PAPER).set_value(True).run()
    assert any("vs paper" in m.proto.delta for m in at.metric)
    # the model period is said in the sidebar when acquisitions are left out
    if bundle == "psbas_like":
        assert any("Model period" in i.value for i in at.sidebar.info)


def test_an_upload_stays_across_page_changes(real_areas: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=300).run()
    demo = _sidebar_text(at)
    at.selectbox(key=keys.AREA_CHOICE).set_value(UPLOAD).run()
    at.file_uploader(key=keys.AREA_UPLOAD).set_value(
        ("mine.zip", _zip(REAL / "psbas_like"), "application/zip")
    ).run()
    _clean(at)
    assert NAMES["psbas_like"] in _sidebar_text(at)
    for page in [*PAGES, "Home.py", *reversed(PAGES), "pages/1_Study_area.py"]:
        at.switch_page(page).run()
        _clean(at)
        assert NAMES["psbas_like"] in _sidebar_text(at), page
        assert at.session_state[keys.AREA_PATH].endswith(".zip")
    assert demo not in _sidebar_text(at)
    # the upload is listed by its area's name: choosing another area and back needs no re-upload
    label = at.selectbox(key=keys.AREA_CHOICE).value
    assert "P-SBAS-shaped survey" in label
    at.selectbox(key=keys.AREA_CHOICE).set_value("levelling_like").run()
    assert NAMES["levelling_like"] in _sidebar_text(at)
    at.selectbox(key=keys.AREA_CHOICE).set_value(label).run()
    _clean(at)
    assert NAMES["psbas_like"] in _sidebar_text(at)
    kept = list((real_areas / "uploads").rglob("*.zip"))
    assert len(kept) == 1


def test_a_rejected_upload_is_deleted_and_stale_uploads_are_cleaned(real_areas: Path) -> None:
    from ui.area import clean_stale_uploads

    at = AppTest.from_file(APP, default_timeout=300).run()
    at.selectbox(key=keys.AREA_CHOICE).set_value(UPLOAD).run()
    bad = REAL.parent / "bad" / "duplicate_ids"
    at.file_uploader(key=keys.AREA_UPLOAD).set_value(("bad.zip", _zip(bad), "application/zip")).run()
    assert at.error
    assert not list((real_areas / "uploads").rglob("*.zip"))
    old = real_areas / "uploads" / "old-session"
    old.mkdir(parents=True)
    (old / "x.zip").write_bytes(b"zip")
    fresh = real_areas / "uploads" / "fresh-session"
    fresh.mkdir()
    now = time.time()
    import os

    os.utime(old, (now - 25 * 3600, now - 25 * 3600))
    removed = clean_stale_uploads(real_areas / "uploads", max_age_h=24, now=now)
    assert removed == [old] and not old.exists() and fresh.exists()
    # a session that has ended (closed or reloaded tab) loses its uploads after 10 minutes
    ended, live = real_areas / "uploads" / "ended", real_areas / "uploads" / "live"
    for folder in (ended, live):
        folder.mkdir()
        os.utime(folder, (now - 700, now - 700))
    removed = clean_stale_uploads(real_areas / "uploads", now=now, active={"live", "fresh-session"})
    assert removed == [ended] and live.exists() and fresh.exists()


def test_picks_and_models_stay_with_their_area(real_areas: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=300).run()  # levelling_like is the first bundle listed
    at = _train(at)
    at.switch_page("pages/4_Results.py").run()
    _clean(at)
    at.button(key="pick_random").click().run()
    first_area = at.session_state[keys.AREA_KEY]
    picked = at.session_state[keys.PICKED][first_area]
    assert picked and any(c.value.startswith("Picked ") for c in at.caption)
    at.selectbox(key=keys.AREA_CHOICE).set_value("psbas_like").run()
    _clean(at)
    assert at.session_state[keys.AREA_KEY] != first_area
    # no picks, no model from the other area
    assert not any(c.value.startswith("Picked ") for c in at.caption)
    assert any("No model for this study area yet" in w.value for w in at.warning)
    at.switch_page("pages/1_Study_area.py").run()
    _clean(at)
    assert any("Click a point on the map" in c.value for c in at.caption)
    assert not at.get("plotly_chart")  # no empty series chart
    at.switch_page("pages/4_Results.py").run()
    at.selectbox(key=keys.AREA_CHOICE).set_value("levelling_like").run()
    _clean(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Picked ")).replace("\\", "")
    assert caption == f"Picked {len(picked)}: {', '.join(picked)}"


def test_an_upload_removed_from_the_server_falls_back_with_a_message(real_areas: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.selectbox(key=keys.AREA_CHOICE).set_value(UPLOAD).run()
    at.file_uploader(key=keys.AREA_UPLOAD).set_value(
        ("mine.zip", _zip(REAL / "levelling_like"), "application/zip")
    ).run()
    assert NAMES["levelling_like"] in _sidebar_text(at)
    Path(at.session_state[keys.AREA_PATH]).unlink()  # cleaned up by the server meanwhile
    at.switch_page("pages/1_Study_area.py").run()
    assert not at.exception
    assert any("removed from the server" in e.value for e in at.error)
    assert at.get("deck_gl_json_chart")  # the page goes on with a bundle of the server
