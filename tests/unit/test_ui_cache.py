"""ui/cache.py outside a page: identities and the serialised maps (Streamlit's caches in bare mode)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest
import streamlit as st

from subsidence.viz import maps
from ui import cache


@pytest.fixture(autouse=True)
def empty_caches() -> Any:
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_area_identity_is_stable_and_sees_the_wells(small_area: Any) -> None:
    assert cache.area_identity(small_area) == cache.area_identity(small_area)
    assert small_area.source in cache.area_identity(small_area)
    readings = small_area.wells.readings.copy()
    readings.loc[0, "head_m"] += 1.0  # same PS data (same fingerprint), one well reading changed
    changed = dataclasses.replace(small_area, wells=dataclasses.replace(small_area.wells, readings=readings))
    assert changed.fingerprint == small_area.fingerprint
    assert cache.area_identity(changed) != cache.area_identity(small_area)


def test_a_map_is_built_once_per_content(small_area: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    original = maps.ps_deck

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(maps, "ps_deck", counting)
    values = small_area.subsidence_mm[:, -1].copy()
    options = {
        "label": "cumulative",
        "picked": ["x"],
        "extra": {"set": np.array(["test"] * small_area.n_points)},
    }
    first = cache.ps_deck(small_area, values, **options)
    assert json.loads(first.to_json()) == json.loads(original(small_area, values, **options).to_json())
    assert cache.ps_deck(small_area, values.copy(), **options) is first and len(built) == 1
    values[3] += 1.0
    assert cache.ps_deck(small_area, values, **options) is not first and len(built) == 2
    assert cache.ps_deck(small_area, values, **{**options, "picked": []}) is not first and len(built) == 3
    with pytest.raises(TypeError, match="no identity"):
        cache.ps_deck(small_area, values, label=object())
