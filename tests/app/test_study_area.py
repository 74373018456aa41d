"""AppTest: the entry page and the Study area page on the small demo."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from subsidence.viz.maps import TILE_LAYER
from ui import keys
from ui.area import UPLOAD

ROOT = Path(__file__).parents[2]
BAD = ROOT / "tests" / "data" / "bad"


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in folder.iterdir():
            z.write(f, f"{folder.name}/{f.name}")
    return buf.getvalue()


def test_entry_page_shows_the_demo() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["PS points"] == "2,000"
    assert labels["Acquisitions"] == "38"
    assert any("synthetic demo" in i.value for i in at.info)
    links = [e.proto.page for e in at.get("page_link")]
    assert links == ["Study_area", "Interpolation", "Model", "Results", "Compare", "Scenarios", "Hazard"]
    assert any(c.value.startswith("**Next:** 1 · Study area") for c in at.caption)  # what to do next


def test_study_area_page_draws_map_summary_and_report() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Study_area.py"), default_timeout=120).run()
    assert not at.exception and not at.error
    assert len(at.get("deck_gl_json_chart")) == 1
    assert {m.label for m in at.metric} >= {"PS points", "Wells", "Extent", "Max cumulative"}
    report = at.dataframe[0].value
    assert "missing PS values" in set(report["check"])
    # moving the epoch slider redraws the map at that date
    slider = at.select_slider(key=keys.STUDY_EPOCH)
    before = at.get("deck_gl_json_chart")[0].proto.json
    slider.set_value(slider.options[5]).run()
    assert not at.exception
    deck = at.get("deck_gl_json_chart")[0].proto
    assert f"cumulative subsidence on {slider.options[5]}" in deck.tooltip
    assert deck.json != before
    assert not [c for c in report.columns if "_" in str(c)]
    assert any(c.value.startswith("**Next:**") for c in at.caption)
    assert any("▲ N" in m.value for m in at.markdown)  # north arrow and scale bar under the map
    # the velocity layer is static: the acquisition slider goes, the tooltip says mm/yr
    at.radio(key="study_layer").set_value("velocity (mm/yr)").run()
    assert not at.exception and not at.error
    assert not [s for s in at.select_slider if s.key == keys.STUDY_EPOCH]
    assert "mm/yr" in at.get("deck_gl_json_chart")[0].proto.tooltip
    # the time-series chart names its point
    at.session_state[keys.STUDY_PICKED] = ["PS000001"]
    at.run()
    assert "at PS PS000001" in at.get("plotly_chart")[0].proto.spec


def test_bad_upload_shows_error_and_keeps_the_previous_area() -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Study_area.py"), default_timeout=120).run()
    before = at.session_state[keys.AREA_PATH]
    at.selectbox(key=keys.AREA_CHOICE).set_value(UPLOAD).run()
    at.file_uploader(key=keys.AREA_UPLOAD).set_value(
        ("broken.zip", _zip(BAD / "duplicate_ids"), "application/zip")
    ).run()
    assert not at.exception
    assert any("duplicate ps_id" in e.value.replace("\\", "") for e in at.error)  # shown escaped
    assert at.session_state[keys.AREA_PATH] == before
    assert {m.label: m.value for m in at.metric}["PS points"] == "2,000"


def test_valid_upload_becomes_the_study_area(tmp_path: Path) -> None:
    from subsidence.demo.synthetic import SyntheticConfig
    from subsidence.demo.synthetic_bundle import write_bundle
    from subsidence.demo.synthetic_chunks import generate

    bundle = write_bundle(generate(SyntheticConfig(n_points=300, seed=5)), tmp_path / "uploaded", truth=False)
    at = AppTest.from_file(str(ROOT / "pages" / "1_Study_area.py"), default_timeout=120).run()
    at.selectbox(key=keys.AREA_CHOICE).set_value(UPLOAD).run()
    at.file_uploader(key=keys.AREA_UPLOAD).set_value(("mine.zip", _zip(bundle), "application/zip")).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["PS points"] == "300"
    assert at.session_state[keys.AREA_PATH].endswith(".zip")


def test_large_area_maps_are_drawn_in_tiles() -> None:
    """Over 3,000 points (the full demo) the picking maps start as clickable tiles, on every page."""
    for page in ("pages/1_Study_area.py", "pages/4_Results.py"):
        at = AppTest.from_file(str(ROOT / page), default_timeout=240).run()
        at.selectbox(key=keys.AREA_CHOICE).set_value("demo_beijing").run()
        assert not at.exception, (page, [e.message for e in at.exception])
        decks = [c.proto.json for c in at.get("deck_gl_json_chart")]
        assert decks and TILE_LAYER in decks[0], page


def test_a_point_picked_on_a_large_area_leaves_the_map_as_it_was(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Above ``BIG_MAP_POINTS`` (lowered to 500 here) the map is drawn as cells; zoomed to a cell,
    a picked point changes nothing in the map sent (so Streamlit sends nothing again and the
    browser redraws nothing) and its series is a Vega-Lite chart (docs/big-maps.md)."""
    import json

    monkeypatch.setattr("ui.bigmap.BIG_MAP_POINTS", 500)
    monkeypatch.setattr("ui.picks.BIG_MAP_POINTS", 500)
    at = AppTest.from_file(str(ROOT / "pages" / "1_Study_area.py"), default_timeout=120).run()
    cells = next(
        x
        for x in json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]
        if x.get("id") == TILE_LAYER
    )
    area_key = at.session_state[keys.AREA_KEY]
    at.session_state[keys.PICK_TILE] = {f"{area_key}|{keys.STUDY_MAP}": int(cells["data"][0]["tile"])}
    at.run()
    zoomed = at.get("deck_gl_json_chart")[0].proto
    points = next(x for x in json.loads(zoomed.json)["layers"] if x.get("id") == "ps-points")["data"]
    assert not at.get("vega_lite_chart")
    at.session_state[keys.STUDY_PICKED] = {area_key: [points[3]["ps_id"]]}
    at.run()
    assert not at.exception
    after = at.get("deck_gl_json_chart")[0].proto
    assert after.json == zoomed.json and after.id == zoomed.id  # the same map widget, byte for byte
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1 and not at.get("plotly_chart")
    assert points[3]["ps_id"] in json.loads(charts[0].proto.spec)["title"]
