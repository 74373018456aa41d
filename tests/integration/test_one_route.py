"""The pages and the command line reach the model inputs by one route, with the same settings.

The page route is ``ui/cache.series_for`` (run by a page under AppTest) and the command line's
is ``cli_commands.load_period`` + ``pipeline.prepare``: for the same settings they give identical
SeriesData, and the Interpolation page's variogram settings reach the models.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from subsidence import cli_commands, pipeline
from subsidence.geostat.kriging import KrigingConfig, krige_study_area
from subsidence.series import SeriesData
from ui import keys
from ui.inputs import KrigingSettings

ROOT = Path(__file__).parents[2]
BUNDLE = ROOT / "data" / "demo_small"
PREPARE = pipeline.prepare  # the CLI's call, unwrapped by the recording fixture


def _cli_series(config: KrigingConfig | None = None) -> SeriesData:
    """What ``python -m subsidence train data/demo_small`` trains on (model period: the default)."""
    args = argparse.Namespace(bundle=str(BUNDLE), start=None, end=None, extend_heads=False)
    area, _ = cli_commands.load_period(args)
    return PREPARE(area, config)


def _same(a: SeriesData, b: SeriesData) -> bool:
    for field in dataclasses.fields(SeriesData):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, pd.DatetimeIndex):
            if not x.equals(y):
                return False
        elif x is None or y is None:
            if x is not y:
                return False
        elif not np.array_equal(np.asarray(x), np.asarray(y), equal_nan=np.asarray(x).dtype.kind == "f"):
            return False
    return True


@pytest.fixture
def page_series(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, SeriesData]]:
    """Every (config, SeriesData) the pages' route produced, from empty caches."""
    seen: list[tuple[Any, SeriesData]] = []
    original = pipeline.prepare

    def recording(area: Any, config: Any = None, progress: Any = None, **kwargs: Any) -> SeriesData:
        data = original(area, config, progress, **kwargs)
        seen.append((config, data))
        return data

    monkeypatch.setattr(pipeline, "prepare", recording)
    st.cache_resource.clear()
    yield seen
    st.cache_resource.clear()


def test_pages_and_cli_give_identical_series_for_the_same_settings(page_series: list[Any]) -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=240)
    at.switch_page("pages/3_Model.py").run()
    assert not at.exception and not at.error
    assert len(page_series) == 1
    default = page_series[0][1]
    assert _same(default, _cli_series())  # the defaults: exactly what the CLI trains on

    at.switch_page("pages/2_Interpolation.py").run()
    at.selectbox(key=keys.VARIOGRAM_MODEL).set_value("exponential")
    at.toggle(key=keys.VARIOGRAM_POOLED).set_value(False)
    at.button(key="kriging_apply").click().run()
    assert not at.exception and not at.error
    assert any("models learn from" in c.value for c in at.caption)
    at.switch_page("pages/3_Model.py").run()
    assert not at.exception and not at.error
    assert len(page_series) == 2
    config, chosen = page_series[1]
    assert (config.variogram_model, config.pooled) == ("exponential", False)  # the page's settings reached it
    assert _same(chosen, _cli_series(KrigingConfig(variogram_model="exponential", pooled=False)))
    assert not np.array_equal(chosen.head_m, default.head_m)  # and they change what the models see

    at.switch_page("pages/2_Interpolation.py").run()  # settings kept per area across page changes
    assert at.selectbox(key=keys.VARIOGRAM_MODEL).value == "exponential"
    assert at.toggle(key=keys.VARIOGRAM_POOLED).value is False


def test_the_map_grid_does_not_change_the_values_at_the_points(small_area: Any) -> None:
    """Why the cell size is said to change the maps only: the models' kriging skips the grid."""
    settings = KrigingSettings("spherical", True, 1000.0)
    with_grid = krige_study_area(small_area, settings.map_config()).factors
    points_only = pipeline.model_kriging(small_area, settings.model_config()).factors
    for name in ("head_m", "head_sd_m", "thickness_m", "permeability_m_per_day"):
        # equal to rounding: the models' kriging runs with the measured BLAS thread count
        # (subsidence.threads), which may sum in another order than this direct call
        np.testing.assert_allclose(getattr(with_grid, name), getattr(points_only, name), rtol=1e-9, atol=1e-9)
