"""Links that restore the view: encoding and decoding the query parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from hypothesis import given
from hypothesis import strategies as st

from subsidence.planning.viewlink import MAX_LINK_PICKS, View, decode, encode


def test_round_trip_through_a_url() -> None:
    view = View(
        area="demo_small",
        model="my-model",
        reference="ps:PS000010",
        picks=("PS000001", "a,b & c", "PS 9"),
        epoch="2014-06-01",
        scenarios=("heads keep falling", "custom rate"),
        shown="heads keep falling",
    )
    query = urlencode(encode(view), doseq=True)
    assert decode(parse_qs(query)) == view


def test_picks_are_capped() -> None:
    view = View(picks=tuple(f"P{i}" for i in range(MAX_LINK_PICKS + 30)))
    assert len(encode(view)["pick"]) == MAX_LINK_PICKS
    assert decode(encode(view)).picks == view.picks[:MAX_LINK_PICKS]


def test_hostile_values_are_dropped() -> None:
    view = decode({"area": ["../../etc"], "model": ["/tmp/x"], "epoch": ["yesterday"], "other": ["1"]})
    assert view == View()
    assert decode({"area": "demo_small"}).area == "demo_small"
    assert decode({"pick": ["x\x00y" * 200]}).picks[0].startswith("xy")
    assert len(decode({"pick": ["x" * 1000]}).picks[0]) == 200
    assert decode({}).is_empty


@given(st.lists(st.text(min_size=1, max_size=20), max_size=60))
def test_any_picks_survive_a_url(ids: list[str]) -> None:
    view = decode(encode(View(picks=tuple(ids))))
    again = decode(parse_qs(urlencode(encode(view), doseq=True)))
    assert again.picks == view.picks
    assert len(view.picks) <= MAX_LINK_PICKS
