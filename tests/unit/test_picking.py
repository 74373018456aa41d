from __future__ import annotations

import pytest

from subsidence.errors import SubsidenceError
from subsidence.picking import load_picks, newly_clicked, parse_ids, random_ids, save_picks, toggle


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
