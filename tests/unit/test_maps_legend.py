"""Legends are drawn from the map's own colour stops; flat ranges are said and drawn in one colour."""

from __future__ import annotations

import re

import numpy as np

from subsidence.viz.maps import NEUTRAL, RAMPS, colours, is_degenerate, legend_html


def _stops(html: str) -> list[tuple[int, int, int]]:
    return [tuple(map(int, m)) for m in re.findall(r"rgb\((\d+),(\d+),(\d+)\)", html)]


def test_legend_uses_the_ramp_the_map_is_coloured_with() -> None:
    for ramp, stops in RAMPS.items():
        legend = legend_html(-3.0, 5.0, "Deviation <b>", ramp=ramp, unit="mm")
        assert _stops(legend) == [tuple(int(v) for v in s) for s in stops]
        # the map's colours at the ends are the legend's first and last stops
        ends = colours(np.array([-3.0, 5.0]), -3.0, 5.0, ramp)[:, :3]
        assert [tuple(int(v) for v in c) for c in ends] == [_stops(legend)[0], _stops(legend)[-1]]
        assert "Deviation &lt;b&gt; (mm)" in legend  # title escaped, with its unit
    div = legend_html(-2.0, 2.0, "x", ramp="diverging")
    assert ">0<" in div  # a diverging bar says where zero is


def test_min_and_max_sit_under_the_bar_not_in_the_title() -> None:
    legend = legend_html(-108.5, 20.0, "deviation of cumulative subsidence", ramp="diverging", unit="mm")
    title, rest = legend.split("linear-gradient", 1)
    assert "-108.5" not in title and "-108.5" in rest and "20.0" in rest
    assert "<span>-108.5</span>" in rest  # a label of its own, never run into the title


def test_degenerate_ranges() -> None:
    assert is_degenerate(51.032, 51.0332)  # kriged heads that differ by a millimetre
    assert is_degenerate(22.0, 22.0)
    assert is_degenerate(0.0, 0.4, floor=0.5)  # below the data's noise
    assert not is_degenerate(0.0, 40.0)
    assert not is_degenerate(-2.0, 3.0)
    legend = legend_html(22.0, 22.0, "added subsidence", unit="mm", degenerate=True)
    assert "every point ≈ 22.0 mm" in legend and "linear-gradient" not in legend
    assert f"rgb{NEUTRAL}" in legend


def test_deck_draws_a_flat_map_in_one_colour_and_escapes_ids_once(small_area) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    import json

    from subsidence.viz.maps import PS_LAYER, ps_deck, selected_ids

    values = np.full(small_area.n_points, 22.0)
    deck = ps_deck(small_area, values, label="added", degenerate=True)
    spec = json.loads(deck.to_json())
    layer = next(lyr for lyr in spec["layers"] if lyr["id"] == PS_LAYER)
    rgb = {(row["r"], row["g"], row["b"]) for row in layer["data"]}
    assert rgb == {NEUTRAL}
    assert layer["autoHighlight"] is False  # no redraw on hover
    # ids go to the browser raw: Streamlit escapes tooltip values itself (escaping here showed "&lt;")
    points = small_area.points.copy()
    points.loc[0, "ps_id"] = "<b>x</b>"
    odd = dataclasses.replace(small_area, points=points)
    spec = json.loads(ps_deck(odd, values, label="added").to_json())
    layer = next(lyr for lyr in spec["layers"] if lyr["id"] == PS_LAYER)
    assert layer["data"][0]["ps_id"] == "<b>x</b>"
    event = {"selection": {"objects": {PS_LAYER: [{"ps_id": "<b>x</b>"}]}}}
    assert selected_ids(event) == ["<b>x</b>"]


def test_a_tiled_deck_draws_every_point_but_lets_only_one_tile_be_clicked(small_area) -> None:  # type: ignore[no-untyped-def]
    import json

    from subsidence.viz.maps import COLOUR_LAYER, PS_LAYER, TILE_LAYER, ps_deck, selected_tile
    from subsidence.viz.picking import picking_tiles, tile_boxes

    lon, lat = small_area.points["lon"].to_numpy(), small_area.points["lat"].to_numpy()
    tile = picking_tiles(lon, lat, max_points=600)
    boxes = tile_boxes(lon, lat, tile)
    values = small_area.subsidence_mm[:, -1]
    overview = json.loads(
        ps_deck(small_area, values, label="x", pickable=np.zeros(len(lon), bool), tiles=boxes).to_json()
    )
    by_id = {layer["id"]: layer for layer in overview["layers"]}
    assert by_id[COLOUR_LAYER]["pickable"] is False and len(by_id[COLOUR_LAYER]["data"]) == len(lon)
    assert by_id[TILE_LAYER]["pickable"] is True and len(by_id[TILE_LAYER]["data"]) == len(boxes)
    assert by_id[PS_LAYER]["data"] == []
    zoomed = json.loads(
        ps_deck(small_area, values, label="x", pickable=tile == 2, tiles=boxes, view=boxes[2]).to_json()
    )
    by_id = {layer["id"]: layer for layer in zoomed["layers"]}
    assert len(by_id[PS_LAYER]["data"]) == int((tile == 2).sum()) <= 600
    assert zoomed["initialViewState"]["zoom"] > overview["initialViewState"]["zoom"]
    assert selected_tile({"selection": {"objects": {TILE_LAYER: [{"tile": 2}]}}}) == 2
    assert selected_tile({"selection": {"objects": {}}}) is None
