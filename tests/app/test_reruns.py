"""AppTest: every heavy step is computed once per identity, across reruns, pages and sessions.

The caches start empty, so the first runs compute everything (the Scenarios page's physics is
slow on a loaded machine: a generous timeout).

Each step's library function is wrapped with a counter. Every page is run once, then again after
a widget change that alters no step's input (the sidebar's web-basemap toggle): no step may run
again. Two sessions asking for the same step at the same time compute it once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import cache, keys

ROOT = Path(__file__).parents[2]
PAGES = ["Home.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
STEPS = {  # module: functions of the library that the pages' caches call
    "ui.area": ["load_study_area"],
    "subsidence.geostat.kriging": ["krige_study_area"],
    "ui.cache": ["krige_study_area"],  # the maps' kriging (imported by name when ui.cache loaded, above)
    "subsidence.pipeline": ["model_kriging", "prepare"],
    "subsidence.models.modelio": ["load_model"],
    "subsidence.validation.results": ["model_results"],
    "subsidence.validation.crossval": ["noise_floor"],
    "subsidence.planning.scenarios": ["fit_ensemble", "physics_band", "forecast"],
    "subsidence.validation.comparison": ["calibrate", "default_settings"],
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts of each step's library call, from empty caches."""
    assert cache.krige_study_area is not None  # ui.cache holds the library's own function
    import importlib

    counts: Counter[str] = Counter()

    def counting(name: str, func: Callable[..., Any], delay: float) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            time.sleep(delay)
            return func(*args, **kwargs)

        return wrapper

    for module_name, names in STEPS.items():
        module = importlib.import_module(module_name)
        for name in names:
            delay = 0.5 if name == "prepare" else 0.0  # two sessions surely overlap in it
            monkeypatch.setattr(module, name, counting(f"{module_name}.{name}", getattr(module, name), delay))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield counts
    st.cache_resource.clear()
    st.cache_data.clear()


def test_no_step_recomputes_after_a_rerun_and_pages_share_each_step(calls: Counter[str]) -> None:
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / page), default_timeout=600).run()
        assert not at.exception and not at.error, (page, [e.value for e in at.error])
        before = Counter(calls)
        at.toggle(key=keys.BASEMAP).set_value(not at.toggle(key=keys.BASEMAP).value).run()
        assert not at.exception and not at.error, page
        assert calls == before, (page, calls - before)  # nothing recomputed on the rerun
    # over all pages (one session each): each step once per identity
    assert calls["ui.area.load_study_area"] == 1
    assert calls["subsidence.pipeline.model_kriging"] == 1  # the models' inputs, for every page
    assert calls["subsidence.pipeline.prepare"] == 1
    assert calls["ui.cache.krige_study_area"] == 1  # the Interpolation page's maps
    assert (
        calls["subsidence.geostat.kriging.krige_study_area"] == 1
    )  # the models' (the maps' is counted above)
    assert calls["subsidence.models.modelio.load_model"] == 1  # the shipped model, on Results and Hazard
    assert calls["subsidence.validation.results.model_results"] == 1
    for step in (
        "validation.crossval.noise_floor",
        "planning.scenarios.fit_ensemble",
        "planning.scenarios.physics_band",
    ):
        assert calls[f"subsidence.{step}"] == 1, step
    assert calls["subsidence.validation.comparison.calibrate"] == 1


def test_two_sessions_asking_at_once_compute_each_step_once(calls: Counter[str]) -> None:
    page = str(ROOT / "pages" / "4_Results.py")
    sessions = [AppTest.from_file(page, default_timeout=600) for _ in range(2)]
    threads = [threading.Thread(target=at.run) for at in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for at in sessions:
        assert not at.exception and not at.error
        assert "paper-lstm" in at.caption[0].value.replace("\\", "")
    assert calls["subsidence.pipeline.prepare"] == 1
    assert calls["subsidence.pipeline.model_kriging"] == 1
    assert calls["subsidence.validation.results.model_results"] == 1
