"""The reference point: displacements relative to a PS point or to a box median."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from subsidence.reference import (
    BOX,
    NOTE_PREFIX,
    POINT,
    Reference,
    ReferenceError,
    apply_reference,
    marker_layer,
    parse_reference,
    reference_label,
    reference_series,
)


def test_none_returns_the_area_itself(small_area) -> None:  # type: ignore[no-untyped-def]
    assert apply_reference(small_area, Reference()) is small_area
    assert reference_label(small_area) == "none (as delivered)"


def test_a_point_becomes_zero_and_others_move_by_its_series(small_area) -> None:  # type: ignore[no-untyped-def]
    ids = small_area.points["ps_id"].astype(str).to_numpy()
    row = int(np.flatnonzero(np.isfinite(small_area.subsidence_mm).all(axis=1))[3])
    ref = Reference(POINT, ps_id=ids[row])
    out = apply_reference(small_area, ref)
    assert np.allclose(out.subsidence_mm[row], 0.0)
    expected = small_area.subsidence_mm[7] - small_area.subsidence_mm[row]
    np.testing.assert_allclose(out.subsidence_mm[7], expected)
    assert out.fingerprint != small_area.fingerprint
    assert apply_reference(small_area, ref).fingerprint == out.fingerprint  # stable identity
    assert reference_label(out) == ref.label
    assert sum(n.startswith(NOTE_PREFIX) for n in apply_reference(out, ref).notes) == 1
    assert small_area.subsidence_mm[row].any()  # the input is not changed


def test_missing_values_of_the_reference_are_interpolated_in_time(small_area) -> None:  # type: ignore[no-untyped-def]
    values = small_area.subsidence_mm.copy()
    values[0, :] = np.arange(values.shape[1], dtype=float) * 2.0
    values[0, [5, 6]] = np.nan
    area = replace(small_area, subsidence_mm=values)
    series, how = reference_series(area, Reference(POINT, ps_id=str(area.points["ps_id"].iloc[0])))
    t = area.dates.asi8.astype(float)
    expected = np.interp(t[5], [t[4], t[7]], [8.0, 14.0])
    assert series[5] == pytest.approx(expected)
    assert np.isfinite(series).all()
    assert "2 missing date(s)" in how


def test_box_median_date_by_date(small_area) -> None:  # type: ignore[no-untyped-def]
    lon, lat = small_area.points["lon"].to_numpy(float), small_area.points["lat"].to_numpy(float)
    box = (
        float(np.quantile(lon, 0.4)),
        float(np.quantile(lat, 0.4)),
        float(np.quantile(lon, 0.6)),
        float(np.quantile(lat, 0.6)),
    )
    inside = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
    assert inside.sum() > 3
    out = apply_reference(small_area, Reference(BOX, box=box))
    median = np.nanmedian(small_area.subsidence_mm[inside], axis=0)
    np.testing.assert_allclose(out.subsidence_mm[0], small_area.subsidence_mm[0] - median)


def test_bad_references_say_what_to_do(small_area) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReferenceError, match="not a PS id"):
        apply_reference(small_area, Reference(POINT, ps_id="nope"))
    with pytest.raises(ReferenceError, match="no PS point inside"):
        apply_reference(small_area, Reference(BOX, box=(0.0, 0.0, 1.0, 1.0)))
    with pytest.raises(ReferenceError, match="below the maximum"):
        Reference(BOX, box=(2.0, 0.0, 1.0, 1.0))
    values = small_area.subsidence_mm.copy()
    values[0] = np.nan
    area = replace(small_area, subsidence_mm=values)
    with pytest.raises(ReferenceError, match="no value at any date"):
        apply_reference(area, Reference(POINT, ps_id=str(area.points["ps_id"].iloc[0])))


def test_keys_round_trip() -> None:
    for ref in (Reference(), Reference(POINT, ps_id="A,1"), Reference(BOX, box=(116.1, 39.5, 116.2, 39.6))):
        assert parse_reference(ref.key) == ref
    assert parse_reference("PS000001") == Reference(POINT, ps_id="PS000001")
    with pytest.raises(ReferenceError, match="box:lon_min"):
        parse_reference("box:1,2,3")


def test_marker_layer(small_area) -> None:  # type: ignore[no-untyped-def]
    ps = str(small_area.points["ps_id"].iloc[2])
    layer = marker_layer(small_area, Reference(POINT, ps_id=ps))
    assert layer.data[0]["lon"] == pytest.approx(float(small_area.points["lon"].iloc[2]))
    assert marker_layer(small_area, Reference()) is None
    box = marker_layer(small_area, Reference(BOX, box=(1.0, 2.0, 3.0, 4.0)))
    assert box.type == "PathLayer" and box.data[0]["path"][2] == [3.0, 4.0]


def test_dates_are_kept(small_area) -> None:  # type: ignore[no-untyped-def]
    out = apply_reference(small_area, Reference(POINT, ps_id=str(small_area.points["ps_id"].iloc[0])))
    assert isinstance(out.dates, pd.DatetimeIndex) and out.dates.equals(small_area.dates)
    assert out.n_points == small_area.n_points
