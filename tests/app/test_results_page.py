"""AppTest: the Results page with the shipped model: picking fills the table and the curves."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from subsidence.validation.evaluation import severity_labels
from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "4_Results.py")


def _picked(at: AppTest) -> list[str]:
    """The picks of the area now loaded (picks are kept per study area)."""
    return at.session_state[keys.PICKED][at.session_state[keys.AREA_KEY]]


def _frame(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The first dataframe on the page holding ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_results_page_with_the_shipped_model() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception and not at.error
    assert len(at.get("deck_gl_json_chart")) == 1
    assert "paper-lstm" in at.caption[0].value.replace("\\", "")
    severity = _frame(at, "class")
    assert list(severity["class"]) == severity_labels()
    assert any("test points the model is off by" in m.value for m in at.markdown)

    at.button(key="pick_random").click().run()
    assert len(_picked(at)) == 12
    table = _frame(at, "set")
    assert len(table) == 12 and set(table["set"]) == {"test"}
    assert len(at.get("plotly_chart")) >= 2  # curves and severity
    curves = json.loads(at.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in curves["layout"]["annotations"]]
    assert len(titles) == 12 and all("RMSE" in t and "total" in t for t in titles)  # one panel per pick
    assert set(table["PS point"]) == {t.split("<br>")[0].removeprefix("PS ") for t in titles}
    for frame in at.dataframe:  # plain column names: no snake_case, no times on dates
        assert not [c for c in frame.value.columns if "_" in str(c)]
    assert any(c.value.startswith("**Next:**") for c in at.caption)
    at.multiselect(key=keys.RESULTS_BASELINES).set_value(["persistence"]).run()
    assert not at.exception
    assert "persistence" in at.get("plotly_chart")[0].proto.spec

    at.button(key="pick_clear").click().run()
    assert _picked(at) == []
    first = table["PS point"].iloc[0]
    at.text_input(key=keys.PICK_TEXT).set_value(f"{first}, NOT-AN-ID")
    at.button(key="pick_add").click().run()
    assert any("NOT-AN-ID" in e.value.replace("\\", "") for e in at.error)
    at.text_input(key=keys.PICK_TEXT).set_value(first)
    at.button(key="pick_add").click().run()
    assert _picked(at) == [first]
    assert list(_frame(at, "set")["PS point"]) == [first]


def test_deviation_map_moves_with_the_epoch_slider() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    before = at.get("deck_gl_json_chart")[0].proto.json
    slider = at.select_slider(key=keys.RESULTS_EPOCH)
    slider.set_value(slider.options[10]).run()
    after = at.get("deck_gl_json_chart")[0].proto
    assert after.json != before and str(slider.options[10]) in after.tooltip


def test_confidence_greys_out_and_velocity_hides_the_epoch_slider() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.radio(key="results_confidence").set_value("colour by confidence").run()
    assert not at.exception and not at.error
    deck = at.get("deck_gl_json_chart")[0].proto
    assert "confidence" in deck.tooltip
    assert any("do not use" in m.value for m in at.markdown)  # the legend of the classes
    assert any("checked five ways" in c.value for c in at.caption)  # the one-paragraph explanation
    at.radio(key=keys.RESULTS_MEASURE).set_value("velocity").run()
    assert not at.exception
    assert not [s for s in at.select_slider if s.key == keys.RESULTS_EPOCH]  # static layer: no epoch slider
    assert "mm/yr" in at.get("deck_gl_json_chart")[0].proto.tooltip
    assert any("▲ N" in m.value and "km" in m.value for m in at.markdown)  # north arrow and scale bar


def test_the_web_basemap_says_it_needs_the_internet() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not any("needs" in c.value and "internet" in c.value for c in at.caption)  # off: no note
    at.session_state[keys.BASEMAP_ON] = True
    at.run()
    assert not at.exception
    assert any("loaded from the internet" in c.value and "points" in c.value for c in at.caption)
    assert "carto" in at.get("deck_gl_json_chart")[0].proto.json  # and the basemap is asked for
