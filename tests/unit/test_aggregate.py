"""Maps of large areas: cell statistics, the points around a clicked cell, the deck sent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from subsidence.io.reader import load_study_area
from subsidence.viz.aggregate import (
    CELL_LAYER,
    CELLS_ACROSS,
    GROUND_SELECTION,
    NEAR_CELLS,
    BigView,
    PointIndex,
    held_selection,
)
from subsidence.viz.maps import (
    PICKED_LAYER,
    PS_LAYER,
    colour_range,
    colours,
    ps_deck,
    selected_ids,
    selected_tile,
)

SMALL = Path(__file__).parents[2] / "data" / "demo_small"


@pytest.fixture(scope="module")
def cloud() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(116.0, 116.7, 20_000), rng.normal(39.9, 0.08, 20_000)
    values = rng.normal(50, 20, 20_000)
    values[rng.choice(20_000, 500, replace=False)] = np.nan
    return lon, lat, values


def test_cell_statistics_match_a_group_by(cloud: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    lon, lat, values = cloud
    index = PointIndex(lon, lat)
    assert max(index.nx, index.ny) == CELLS_ACROSS
    groups = pd.Series(values).groupby(index.cell)
    for how in ("mean", "max", "count"):
        got = index.stat(values, how)
        want = groups.size() if how == "count" else getattr(groups, how)()
        np.testing.assert_allclose(got[want.index], want.to_numpy(float), rtol=1e-12)
        assert np.isnan(got[index.counts == 0]).all() or how == "count"
    w, s, e, n = index.box(int(index.cell[0]))
    assert w <= lon[0] <= e and s <= lat[0] <= n  # each point lies in its cell's box


def test_a_click_on_a_cell_gives_the_nearest_points_on_the_ground(
    cloud: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    lon, lat, _ = cloud
    index = PointIndex(lon, lat)
    cell = int(index.counts.argmax())
    rows = index.around(cell, k=500)
    w, s, e, n = index.box(cell)
    far = np.maximum(np.abs(lon - (w + e) / 2) * index.shrink, np.abs(lat - (s + n) / 2))  # square window
    assert len(rows) == 500 and set(rows) == set(np.argsort(far)[:500])
    assert index.nearest(float(lon[123]), float(lat[123])) == 123


def test_big_deck_sends_cells_then_the_points_around_a_click() -> None:
    area = load_study_area(SMALL)
    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    index = PointIndex(lon, lat, area.points["ps_id"].to_numpy())
    values = area.subsidence_mm[:, -1]
    first_id = str(area.points["ps_id"].iloc[0])
    deck = ps_deck(area, values, label="subsidence", picked=[first_id], big=BigView(index, "max"))
    spec = json.loads(deck.to_json())
    layers = {layer.get("id", layer["@@type"]): layer for layer in spec["layers"]}
    assert PS_LAYER not in layers  # no point is sent for the whole area
    ground = layers[GROUND_SELECTION]  # no id: deck.gl names it after its type
    assert ground["@@type"] == "BitmapLayer" and ground["pickable"] and "id" not in ground
    assert ground["image"].startswith("data:image/png;base64,")  # nothing fetched from the network
    assert spec["views"][0]["controller"] == {"doubleClickZoom": False}  # clicks not held 300 ms
    assert held_selection(deck) and not held_selection(ps_deck(area, values, label="subsidence"))
    cells = layers[CELL_LAYER]["data"]
    assert len(cells) == int((index.counts > 0).sum()) and len(cells) <= CELLS_ACROSS**2
    assert len(layers[PICKED_LAYER]["data"]) == 1
    first = int(cells[0]["tile"])
    want = colours(np.array([np.nanmax(values[index.cell == first])]), *colour_range(values))[0]
    assert [cells[0][c] for c in "rgb"] == want[:3].tolist()  # coloured by the cell's largest value
    event = {"selection": {"objects": {CELL_LAYER: [cells[0]]}}}
    assert selected_tile(event) == first  # picks.on_click zooms to it, as to a tile

    zoomed = json.loads(
        ps_deck(area, values, label="subsidence", big=BigView(index, "mean", first, 300)).to_json()
    )
    layers = {layer.get("id", layer["@@type"]): layer for layer in zoomed["layers"]}
    points = layers[PS_LAYER]["data"]
    assert len(points) == 300 and set(points[0]) == {
        "ps_id",
        "lon",
        "lat",
        "r",
        "g",
        "b",
        "a",
    }
    assert selected_ids({"selection": {"objects": {PS_LAYER: [points[5]]}}}) == [points[5]["ps_id"]]
    assert len(layers[CELL_LAYER]["data"]) < len(cells)  # cells under the points shown are left out
    near = index.around(first, 300)
    uy, ux = np.divmod(np.unique(index.cell[near]), index.nx)
    for cell in layers[CELL_LAYER]["data"]:  # and those far away (off screen): only a margin is kept
        cy, cx = divmod(int(cell["tile"]), index.nx)
        assert ux.min() - NEAR_CELLS <= cx <= ux.max() + NEAR_CELLS
        assert uy.min() - NEAR_CELLS <= cy <= uy.max() + NEAR_CELLS
    assert zoomed["initialViewState"]["zoom"] > spec["initialViewState"]["zoom"]


def test_count_cells_and_a_view_stay_under_five_megabytes(
    cloud: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    area = load_study_area(SMALL)
    index = PointIndex(area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float))
    deck = ps_deck(area, area.subsidence_mm[:, -1], label="x", big=BigView(index, "count"))
    spec = deck.to_json()
    cells = next(layer for layer in json.loads(spec)["layers"] if layer.get("id") == CELL_LAYER)
    counts = {c["tile"]: c["g"] for c in cells["data"]}
    assert counts[int(index.counts.argmax())] == min(counts.values())  # the fullest cell is the darkest
    assert len(spec.encode()) < 5e6
