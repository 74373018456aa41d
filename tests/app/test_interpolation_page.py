"""AppTest: the Interpolation page draws the monthly groundwater maps, layers, variograms and CV."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "2_Interpolation.py")


def test_maps_slider_variograms_and_cross_validation() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception and not at.error
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # head map, head variogram, layer variograms
    first = charts[0].proto.spec
    slider = at.select_slider(key=keys.INTERP_EPOCH)
    slider.set_value(slider.options[3]).run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec != first  # the map moved to another date
    cv = at.dataframe[0].value
    assert list(cv["quantity"])[:1] == ["groundwater level"] and (cv["RMSE"] > 0).all()
    for frame in at.dataframe:
        assert not [c for c in frame.value.columns if "_" in str(c)]
    assert any(c.value.startswith("**Next:**") for c in at.caption)
    silent = [c.value for c in at.caption if "wells are silent at some dates" in c.value]
    assert len(silent) == 1 and silent[0].split(" of ")[1].startswith("60 wells")  # the small demo's
    for choice in at.radio(key=keys.INTERP_LAYER).options:
        at.radio(key=keys.INTERP_LAYER).set_value(choice).run()
        assert not at.exception, choice
        timed = not choice.endswith(" layer")  # geology layers are static: no acquisition slider
        assert bool([s for s in at.select_slider if s.key == keys.INTERP_EPOCH]) == timed, choice
    at.toggle(key=keys.INTERP_PLAY).set_value(True).run()
    assert not at.exception
    layouts = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    anim = next(lay for lay in layouts if "updatemenus" in lay)
    buttons, bar = anim["updatemenus"][0], anim["sliders"][0]
    assert buttons["xanchor"] == "right" and buttons["x"] <= bar["x"]  # the buttons sit left of the slider
    at.selectbox(key=keys.INTERP_CELL).set_value(1000.0)
    at.button(key="kriging_apply").click().run()  # the form's Apply
    assert not at.exception
    assert any("map grid 1,000 m" in c.value for c in at.caption)
