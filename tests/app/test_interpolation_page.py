"""AppTest: the Interpolation page draws the monthly groundwater maps, layers, variograms and CV."""

from __future__ import annotations

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
    for choice in at.radio(key=keys.INTERP_LAYER).options:
        at.radio(key=keys.INTERP_LAYER).set_value(choice).run()
        assert not at.exception, choice
    at.toggle(key=keys.INTERP_PLAY).set_value(True).run()
    assert not at.exception
    at.selectbox(key=keys.INTERP_CELL).set_value(1000.0)
    at.button[0].click().run()  # the form's Apply
    assert not at.exception
    assert any("map grid 1,000 m" in c.value for c in at.caption)
