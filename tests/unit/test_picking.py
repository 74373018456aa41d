from __future__ import annotations

import pytest

from subsidence.errors import SubsidenceError
from subsidence.viz.picking import load_picks, newly_clicked, parse_ids, random_ids, save_picks, toggle


def test_toggle_adds_then_removes() -> None:
    assert toggle([], ["a"]) == ["a"]
    assert toggle(["a", "b"], ["a"]) == ["b"]
    assert toggle(["a"], ["b", "c"]) == ["a", "b", "c"]


def test_only_changes_of_the_selection_count_as_clicks() -> None:
    assert newly_clicked([], ["p1"]) == ["p1"]
    assert newly_clicked(["p1"], ["p1"]) == []
    assert newly_clicked(["p1"], ["p1", "p2"]) == ["p2"]
    assert newly_clicked(["p1", "p2"], ["p2"]) == ["p1"]


def test_parse_ids_names_the_unknown_ones() -> None:
    assert parse_ids("a, b\nc a", ["a", "b", "c"]) == ["a", "b", "c"]
    with pytest.raises(SubsidenceError, match="zz"):
        parse_ids("a zz", ["a"])


def test_random_ids_are_seeded_and_distinct() -> None:
    ids = [str(i) for i in range(100)]
    a, b = random_ids(ids, 12, seed=3), random_ids(ids, 12, seed=3)
    assert a == b and len(set(a)) == 12
    assert random_ids(ids, 12, seed=4) != a


def test_picks_saved_beside_a_model_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_picks(tmp_path) == []
    save_picks(tmp_path, ["PS1", "PS2"])
    assert load_picks(tmp_path) == ["PS1", "PS2"]
    (tmp_path / "picks.json").write_text("{not json")
    assert load_picks(tmp_path) == []


def test_large_areas_are_cut_into_tiles_small_enough_to_click() -> None:
    import numpy as np

    from subsidence.viz.picking import PICK_MAX_POINTS, picking_tiles, tile_boxes

    rng = np.random.default_rng(3)
    lon, lat = 116 + rng.random(16_487), 39 + 0.5 * rng.random(16_487)
    tile = picking_tiles(lon, lat)
    counts = np.bincount(tile)
    assert counts.sum() == 16_487 and counts.max() <= PICK_MAX_POINTS and len(counts) == 6
    boxes = tile_boxes(lon, lat, tile)
    for t, (w, s, e, n) in enumerate(boxes):
        inside = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
        assert inside[tile == t].all()
    # tile centres fall in their own tile only (a click there chooses that tile)
    for t, (w, s, e, n) in enumerate(boxes):
        cx, cy = (w + e) / 2, (s + n) / 2
        hits = [k for k, (w2, s2, e2, n2) in enumerate(boxes) if w2 <= cx <= e2 and s2 <= cy <= n2]
        assert hits == [t]
    assert (picking_tiles(lon[:2000], lat[:2000]) == 0).all()  # small areas: one tile
