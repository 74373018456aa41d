"""AppTest: the Scenarios page forecasts under two scenarios, maps one and draws curves at a pick."""

from __future__ import annotations

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
    trend, recovery = table["mean_added_mm"]
    assert recovery < trend  # heads recovering: less subsidence than heads falling
    assert len(at.get("deck_gl_json_chart")) == 1
    at.radio(key=keys.SCENARIO_SHOWN).set_value("recovery 1 m/yr").run()
    assert "recovery 1 m/yr" in at.get("deck_gl_json_chart")[0].proto.tooltip
    at.session_state[keys.PICKED] = ["PS000001"]
    at.run()
    assert not at.exception
    assert "Forecast under groundwater scenarios" in at.get("plotly_chart")[0].proto.spec
