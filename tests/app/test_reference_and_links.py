"""AppTest: the sidebar's reference point, and links that restore the view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from subsidence.reference import MARKER_LAYER
from ui import keys
from ui.reference import MODE, POINT_ID

ROOT = Path(__file__).parents[2]
STUDY = str(ROOT / "pages" / "1_Study_area.py")


def _caption(at: AppTest) -> str:
    return next((c.value for c in at.caption if c.value.startswith("Reference:")), "none")


def test_choosing_a_reference_point_changes_the_data_and_stays_across_pages() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    at.switch_page("pages/1_Study_area.py").run()  # pages relative to the entry page, as the app runs
    assert not at.exception and not at.error
    assert "none" in _caption(at)
    before = at.get("deck_gl_json_chart")[0].proto.json
    at.radio(key=MODE).set_value("A PS point").run()
    at.selectbox(key=POINT_ID).set_value("PS000010").run()
    assert not at.exception and not at.error
    assert _caption(at).startswith("Reference: PS000010")
    deck = at.get("deck_gl_json_chart")[0].proto.json
    assert MARKER_LAYER in deck and deck != before
    assert at.query_params["ref"] == "ps:PS000010"
    # another page: the reference is kept and shown
    at.switch_page("Home.py").run()
    assert not at.exception and not at.get("deck_gl_json_chart")  # the entry page: no map
    assert _caption(at).startswith("Reference: PS000010")
    # the Hazard page's maps (plotly) mark it too
    at.switch_page("pages/7_Hazard.py").run()
    assert not at.exception and not at.error
    maps = [c.proto.spec for c in at.get("plotly_chart") if c.proto.id.endswith("_map")]
    assert len(maps) == 3 and all('"name":"reference"' in m.replace(" ", "") for m in maps)
    # back to none
    at.switch_page("Home.py").run()
    at.radio(key=MODE).set_value("None (as delivered)").run()
    assert "none" in _caption(at) and "ref" not in at.query_params


def test_last_picked_point_and_box_median() -> None:
    at = AppTest.from_file(STUDY, default_timeout=120)
    at.session_state[keys.PICKED] = ["PS000001", "PS000005"]
    at.run()
    at.radio(key=MODE).set_value("A PS point").run()
    at.button(key="reference_last_pick").click().run()
    assert _caption(at).startswith("Reference: PS000005")
    at.radio(key=MODE).set_value("Median of the points in a box").run()
    at.button(key="reference_use_box").click().run()
    assert not at.exception and not at.error
    assert "median of the PS points" in _caption(at)
    assert at.query_params["ref"].startswith("box:")


def test_a_link_restores_area_reference_picks_and_epoch() -> None:
    at = AppTest.from_file(STUDY, default_timeout=120)
    at.query_params.update(
        {
            "area": "demo_small",
            "ref": "ps:PS000003",
            "pick": ["PS000001", "PS000002", "nope"],
            "epoch": "2013-02-08",
        }
    )
    at.run()
    assert not at.exception and not at.error
    assert _caption(at).startswith("Reference: PS000003")
    assert at.select_slider(key=keys.STUDY_EPOCH).value == dt.date(2013, 2, 8)
    picks = next(iter(at.session_state[keys.PICKED].values()))
    assert picks == ["PS000001", "PS000002"]  # an id not in the area is dropped
    link = next(c.value for c in at.code)
    assert "ref=ps%3APS000003" in link and "pick=PS000001&pick=PS000002" in link
    # the browser's back button brings older parameters: they are restored
    at.query_params.clear()
    at.query_params.update({"area": "demo_small", "ref": "ps:PS000004"})
    at.run()
    assert _caption(at).startswith("Reference: PS000004")


def test_a_link_to_an_unknown_area_says_so() -> None:
    at = AppTest.from_file(STUDY, default_timeout=120)
    at.query_params["area"] = "not-here"
    at.run()
    assert not at.exception
    assert any("not on this server" in w.value for w in at.warning)


def test_a_link_loads_a_saved_model_by_name(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    import ui.models

    shutil.copytree(ROOT / "models" / "paper-lstm-demo", tmp_path / "mine")
    monkeypatch.setattr(ui.models, "MODELS_DIR", tmp_path)
    at = AppTest.from_file(STUDY, default_timeout=120)
    at.query_params.update({"area": "demo_small", "model": "mine"})
    at.run()
    assert not at.exception and not at.error
    (model,) = at.session_state[keys.CURRENT_MODEL].values()
    assert Path(model.source) == tmp_path / "mine"
    assert "model=mine" in next(c.value for c in at.code)
    at = AppTest.from_file(STUDY, default_timeout=120)
    at.query_params["model"] = "gone"
    at.run()
    assert any("no saved model 'gone'" in w.value for w in at.warning)


def test_results_say_the_model_was_trained_with_another_reference() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "4_Results.py"), default_timeout=240)
    at.query_params["ref"] = "ps:PS000010"
    at.run()
    assert not at.exception and not at.error
    lines = [i.value for i in at.info if "retrain to use" in i.value]
    assert lines == ["The model was trained with reference none \\(as delivered\\); retrain to use PS000010."]
