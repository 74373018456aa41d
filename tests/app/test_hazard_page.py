"""AppTest: the Hazard page maps time to threshold, angular distortion and confidence, and offers the pack."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "7_Hazard.py")


def _text(spec: str) -> str:
    """Titles and legend names of a plotly chart's JSON spec (plotly escapes '/' and '<')."""
    fig = json.loads(spec)
    bars = [
        t["marker"]["colorbar"]["title"]["text"] for t in fig["data"] if "colorbar" in t.get("marker", {})
    ]
    return " | ".join([fig["layout"]["title"]["text"], *(t.get("name", "") for t in fig["data"]), *bars])


def test_maps_tables_and_the_decision_pack() -> None:
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception and not at.error
    specs = [_text(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 3
    assert "Years until 100 mm" in specs[0] and "years from today" in specs[0]
    assert "Bjerrum (1963)" in specs[1] and "below 1/750" in specs[1]
    assert "Where the numbers can be used" in specs[2] and "do not use" in specs[2]
    crossing = next(d.value for d in at.dataframe if "reached on" in d.value.columns)
    assert (crossing["reached on"] <= crossing["latest (band)"].replace("—", "9999")).all()
    assert any("checked five ways" in m.value for m in at.markdown)

    at.number_input(key="hazard_mm").set_value(5000.0)
    at.radio(key="hazard_when").set_value("horizon")
    at.button(key="hazard_submit").click().run()  # the form's submit button
    assert not at.exception
    crossing = next(d.value for d in at.dataframe if "reached on" in d.value.columns)
    assert crossing.empty  # 5 m more than today: nobody by the horizon
    assert "(horizon)" in _text(at.get("plotly_chart")[1].proto.spec)

    at.toggle(key="hazard_pack").set_value(True).run()
    assert not at.exception and not at.error
    labels = [b.label for b in at.get("download_button")]
    assert "Download the decision pack" in labels and "Interactive map (HTML, needs internet)" in labels
    assert any("No hindcast run yet" in c.value for c in at.caption)
    for frame in at.dataframe:
        assert not [c for c in frame.value.columns if "_" in str(c)]
    assert any(c.value.startswith("**Next:**") for c in at.caption)
