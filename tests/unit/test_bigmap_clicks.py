"""Clicks on a large area's map, which keeps its widget (and selection) across point clicks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import streamlit

from subsidence.io.reader import load_study_area
from subsidence.viz.aggregate import CELL_LAYER, GROUND_SELECTION
from subsidence.viz.maps import PS_LAYER
from subsidence.viz.series_chart import series_chart
from ui import bigmap, keys

SMALL = Path(__file__).parents[2] / "data" / "demo_small"
WIDGET = "study_map-0"


@pytest.fixture
def state(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A plain dict as the session state (the callbacks only read and write keys)."""
    session: dict[str, Any] = {keys.AREA_KEY: "area-1"}
    monkeypatch.setattr(streamlit, "session_state", session)
    return session


def click(state: dict[str, Any], layer: str | None = None, obj: Any = None) -> list[str]:
    """The map reports its selection after a click; the picks of the area afterwards."""
    selection = (
        {"indices": {layer: [0]}, "objects": {layer: [obj]}} if layer else {"indices": {}, "objects": {}}
    )
    state[WIDGET] = {"selection": selection}
    bigmap.on_click(keys.STUDY_MAP, WIDGET, keys.STUDY_PICKED)
    return list(state.get(keys.STUDY_PICKED, {}).get("area-1", []))


def test_every_click_on_a_point_toggles_it_and_the_ground_changes_nothing(state: dict[str, Any]) -> None:
    assert click(state, PS_LAYER, {"ps_id": "A"}) == ["A"]
    assert click(state, PS_LAYER, {"ps_id": "B"}) == ["A", "B"]
    assert click(state) == ["A"]  # B, still selected on the map, clicked again: nothing selected now
    assert click(state) == ["A"]  # nothing was selected: not a click on a point
    assert click(state, PS_LAYER, {"ps_id": "B"}) == ["A", "B"]
    assert click(state, GROUND_SELECTION, None) == ["A", "B"]  # beside the points
    assert click(state) == ["A", "B"]  # the ground clicked again
    assert click(state, PS_LAYER, {"ps_id": "A"}) == ["B"]  # a shown point clicked: taken off
    assert click(state) == ["B", "A"]  # and clicked again: back on
    assert keys.MAP_CLICKS not in state  # the map widget was kept: no fresh map after a point click


def test_a_click_on_a_cell_zooms_with_a_fresh_map(state: dict[str, Any]) -> None:
    click(state, PS_LAYER, {"ps_id": "A"})
    assert click(state, CELL_LAYER, {"tile": 7}) == ["A"]
    assert state[keys.PICK_TILE] == {f"area-1|{keys.STUDY_MAP}": 7}
    assert state[keys.MAP_CLICKS][keys.STUDY_MAP] > 0  # a fresh widget key: a new map
    assert click(state) == ["A"]  # the map no longer holds A: an empty selection drops nothing


def test_a_point_held_in_another_area_is_not_dropped(state: dict[str, Any]) -> None:
    click(state, PS_LAYER, {"ps_id": "A"})
    state[keys.AREA_KEY] = "area-2"
    state[WIDGET] = {"selection": {"indices": {}, "objects": {}}}
    bigmap.on_click(keys.STUDY_MAP, WIDGET, keys.STUDY_PICKED)
    assert state[keys.STUDY_PICKED] == {"area-1": ["A"]}


def test_clear_chart_empties_it_and_draws_a_fresh_map(state: dict[str, Any]) -> None:
    click(state, PS_LAYER, {"ps_id": "A"})
    bigmap.clear_chart(keys.STUDY_MAP, keys.STUDY_PICKED)
    assert state[keys.STUDY_PICKED]["area-1"] == [] and state[keys.MAP_CLICKS] == {keys.STUDY_MAP: 1}


def test_series_chart_holds_the_points_in_order_with_a_reversed_axis() -> None:
    area = load_study_area(SMALL)
    frame, spec = series_chart(area, [5, 2])
    n = len(area.dates)
    ids = area.points["ps_id"].astype(str)
    assert list(frame["point"].unique()) == [f"PS {ids.iloc[5]}", f"PS {ids.iloc[2]}"]
    assert np.allclose(frame["subsidence_mm"].to_numpy()[:n], area.subsidence_mm[5], atol=0.005)
    assert len(frame) == 2 * n and spec["encoding"]["y"]["scale"]["reverse"] is True
    assert "mm" in spec["encoding"]["y"]["title"] and "2 points" in spec["title"]
