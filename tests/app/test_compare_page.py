"""AppTest: the Compare page picks defaults from the area, estimates the time, runs, stops, and shows results."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from subsidence.validation.comparison import PAPER_ROW
from ui import keys

ROOT = Path(__file__).parents[2]
PAGE = str(ROOT / "pages" / "5_Compare.py")


def wait(at: AppTest, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while at.session_state[keys.COMPARE_JOB].running and time.monotonic() < deadline:
        time.sleep(0.2)


def test_comparison_leaderboard_and_best_model_map() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception and not at.error
    # defaults come from the data: a protocol sentence and an estimate before any run
    assert any("Estimated time: about" in m.value for m in at.markdown)
    assert any("Spatial blocks of" in c.value for c in at.caption)
    assert any("press **Run the comparison**" in i.value for i in at.info)
    at.multiselect(key=keys.COMPARE_MODELS).set_value(["persistence", "seasonal-trend"])
    at.number_input(key=keys.COMPARE_FOLDS).set_value(2)
    at.run()
    assert any("for 4 fits (2 models × 2 folds)" in m.value for m in at.markdown)
    at.button(key="run_compare").click()
    at.run()
    wait(at)
    at.run()
    assert not at.exception and not at.error
    assert not any("press **Run" in i.value for i in at.info)  # only before a run
    board = next(d.value for d in at.dataframe if "model" in d.value.columns)
    assert not [c for c in board.columns if "_" in str(c)]
    assert any(c.value.startswith("**Next:**") for c in at.caption)
    assert set(board["model"]) == {"persistence", "seasonal-trend", PAPER_ROW}
    assert (board["split"].iloc[:2] == "spatial-block").all()
    assert any("Spatial blocks of" in c.value and "2 folds" in c.value for c in at.caption)
    assert len(at.get("deck_gl_json_chart")) == 1


def test_progress_from_the_first_fit_and_stop_within_seconds() -> None:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.multiselect(key=keys.COMPARE_MODELS).set_value(["paper-lstm"])
    at.number_input(key=keys.COMPARE_EPOCHS).set_value(200)
    at.run()
    at.button(key="run_compare").click()
    at.run()
    job = at.session_state[keys.COMPARE_JOB]
    deadline = time.monotonic() + 30
    while not any("epoch" in r.message for r in job.reports) and time.monotonic() < deadline:
        time.sleep(0.1)
    first, second = job.reports[0].message, job.reports[1].message
    assert first.startswith("dealing the points into") and second.startswith("fit 1 of ")
    assert "paper-lstm, fold 1 of" in second
    assert job.running
    assert any("is running" in i.value for i in at.info)
    job.stop()
    asked = time.monotonic()
    job.wait(30)
    assert not job.running and time.monotonic() - asked < 5
    at.run()
    assert not at.exception and not at.error
    assert any("was stopped" in i.value and "stopped by you" in i.value for i in at.info)


def test_a_levelling_network_gets_leave_one_out_and_runs() -> None:
    from ui.area import UPLOAD

    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state[keys.AREA_CHOICE] = UPLOAD
    at.session_state[keys.AREA_PATH] = str(ROOT / "tests" / "data" / "real" / "levelling_like")
    at.run()
    assert not at.exception and not at.error
    assert at.session_state[keys.COMPARE_KIND] == "leave-one-out"
    assert any("leave-one-out, 20 fits per model" in c.value for c in at.caption)
    at.selectbox(key=keys.COMPARE_KIND).set_value("spatial-block").run()
    assert any("No honest spatial split with 20 points" in w.value for w in at.warning)
    assert at.button(key="run_compare").disabled
    at.selectbox(key=keys.COMPARE_KIND).set_value("leave-one-out").run()
    at.multiselect(key=keys.COMPARE_MODELS).set_value(["persistence", "seasonal-trend"]).run()
    at.button(key="run_compare").click()
    at.run()
    wait(at)
    at.run()
    assert not at.exception and not at.error
    board = next(d.value for d in at.dataframe if "model" in d.value.columns)
    assert PAPER_ROW not in set(board["model"])  # another basin: no row from the paper unless asked
    assert (board["split"].iloc[:2] == "leave-one-out").all() and (board["test points"].iloc[:2] == 20).all()
