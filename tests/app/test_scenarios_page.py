"""AppTest: the Scenarios page forecasts under two scenarios, maps one and draws curves at a pick."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "6_Scenarios.py")


def test_forecast_table_map_and_curves() -> None:
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "scenario" in d.value.columns)
    assert list(table["scenario"]) == ["current trend continues", "recovery 1 m/yr"]
    trend, recovery = table["mean added (mm)"]
    assert recovery < trend  # heads recovering: less subsidence than heads falling
    assert len(at.get("deck_gl_json_chart")) == 2  # the scenario map and the difference map
    # the demo's dewatering bowls: named in plain words, carried on in every scenario, and picked
    # with one click to see their curves
    note = next(i.value for i in at.info if "move unlike their neighbours" in i.value)
    at.button(key="pick_local_motion").click().run()
    picked = at.session_state[keys.PICKED][at.session_state[keys.AREA_KEY]]
    assert not at.exception and 0 < len(picked) <= 10
    assert all(p in note for p in picked)
    assert "Forecast under groundwater scenarios" in at.get("plotly_chart")[0].proto.spec
    at.session_state[keys.PICKED] = []
    at.run()
    at.radio(key=keys.SCENARIO_SHOWN).set_value("recovery 1 m/yr").run()
    assert "recovery 1 m/yr" in at.get("deck_gl_json_chart")[0].proto.tooltip
    at.session_state[keys.PICKED] = ["PS000001"]
    at.run()
    assert not at.exception
    assert "Forecast under groundwater scenarios" in at.get("plotly_chart")[0].proto.spec
    for frame in at.dataframe:
        assert not [c for c in frame.value.columns if "_" in str(c)]
    assert any(c.value.startswith("**Next:**") for c in at.caption)


def test_every_pick_gets_a_panel_up_to_twelve_and_confidence_greys_out() -> None:
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    ids = [f"PS{k:06d}" for k in range(1, 16)]
    at.session_state[keys.PICKED] = ids[:6]
    at.run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert [t.split("<br>")[0] for t in titles] == [f"PS {p}" for p in ids[:6]]  # all picks, not the first 4
    at.session_state[keys.PICKED] = ids
    at.run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["layout"]["annotations"]) == 12
    assert "showing 12 of 15 picked points" in spec["layout"]["title"]["text"]
    at.radio(key="scenario_confidence").set_value("grey out 'do not use'").run()
    assert not at.exception and not at.error
    assert "confidence" in at.get("deck_gl_json_chart")[0].proto.tooltip
    assert any("do not use" in m.value for m in at.markdown)


def test_check_the_forecast_runs_a_hindcast_and_shows_the_table_map_and_band() -> None:
    import datetime
    import time

    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert any("Check the forecast" in h.value for h in at.header)
    at.date_input(key="hindcast_cut").set_value(datetime.date(2014, 6, 1))
    at.selectbox(key="hindcast_model").set_value("linear-trend")
    next(b for b in at.button if b.label == "Run the hindcast").click().run()
    job = at.session_state["hindcast_job"]
    deadline = time.monotonic() + 120
    while job.finished is None and time.monotonic() < deadline:
        time.sleep(0.2)
    at.session_state[keys.PICKED] = ["PS000001"]
    at.run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "forecast" in d.value.columns)
    assert list(table["forecast"]) == ["linear-trend", "it stops", "velocity"]
    assert any("inside the 90 % band" in m.value for m in at.markdown)
    assert len(at.get("deck_gl_json_chart")) == 3  # the scenario map, the difference map, the error map
    spec = at.get("plotly_chart")[-1].proto.spec
    assert "90 % band" in spec and "Hindcast from 2014" in spec


def test_zone_scenario_difference_map_and_threshold_table() -> None:
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    at.multiselect(key=keys.SCENARIOS).set_value(["current trend continues", "zone of wells"])
    at.multiselect(key="zone_wells").set_value(["W001", "W002", "W003"])
    at.number_input(key="zone_rate").set_value(4.0)
    next(b for b in at.button if b.label == "Forecast").click().run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "> 50 mm" in d.value.columns)
    assert list(table["scenario"]) == ["current trend continues", "zone of 3 wells +4 m/yr"]
    trend, zone = (next(d.value for d in at.dataframe if "mean added (mm)" in d.value.columns))[
        "mean added (mm)"
    ]
    assert zone < trend  # the zone recovers: less added subsidence on average
    assert any("Difference between two scenarios" in h.value for h in at.subheader)
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 2 and "minus" in decks[1].proto.tooltip


def test_a_uniform_forecast_is_drawn_in_one_neutral_colour() -> None:
    import numpy as np

    from ui.forecasts import NEUTRAL, neutral_rgba

    rgba = neutral_rgba(np.full(50, 22.0))
    assert rgba is not None and (rgba == NEUTRAL).all()
    assert neutral_rgba(np.linspace(0, 80, 50)) is None


def test_a_forecast_the_record_cannot_carry_is_one_error_line(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    from subsidence.errors import SubsidenceError
    from subsidence.planning import scenarios

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SubsidenceError("a scenario needs at least 2 acquisitions to fit the head trend")

    monkeypatch.setattr(scenarios, "future_heads", refuse)
    st.cache_resource.clear()  # forecasts of earlier tests must not answer
    try:
        for page in (PAGE, str(ROOT / "pages" / "7_Hazard.py")):
            at = AppTest.from_file(page, default_timeout=300).run()
            assert not at.exception, page
            assert any("at least 2 acquisitions" in e.value for e in at.error), page
    finally:
        st.cache_resource.clear()
