"""AppTest: the Compare page runs a (fast) comparison and shows the leaderboard and the best-model map."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from subsidence.comparison import PAPER_ROW
from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "5_Compare.py")


def test_comparison_leaderboard_and_best_model_map() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception and not at.error
    at.multiselect(key=keys.COMPARE_MODELS).set_value(["persistence", "linear-trend"])
    at.number_input(key=keys.COMPARE_FOLDS).set_value(2)
    next(b for b in at.button if b.label == "Run the comparison").click()
    at.run()
    deadline = time.monotonic() + 180
    while at.session_state[keys.COMPARE_JOB].running and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run()
    assert not at.exception and not at.error
    board = next(d.value for d in at.dataframe if "model" in d.value.columns)
    assert set(board["model"]) == {"persistence", "linear-trend", PAPER_ROW}
    assert (board["split"].iloc[:2] == "spatial-block").all()
    assert len(at.get("deck_gl_json_chart")) == 1
