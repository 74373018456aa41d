"""Map framing, scale bar, velocity, well size, confidence colours, and small-multiple curves."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd

from subsidence.viz.figures import MAX_PANELS, model_curves_figure
from subsidence.viz.maps import (
    GREYED,
    grey_out,
    map_view,
    palette_colours,
    scale_bar_html,
    velocity_mm_yr,
    well_radius_m,
)


def _visible_deg(zoom: float, px: float) -> float:
    return px * 360.0 / (512 * 2**zoom)  # deck.gl: 512 px per 360° at zoom 0


def test_the_view_fits_the_points_with_a_margin_not_a_tiny_cluster() -> None:
    lon, lat = np.array([116.0, 116.5, 116.2]), np.array([39.8, 40.1, 39.9])
    view = map_view(lon, lat, width_px=900, height_px=520)
    assert abs(view.longitude - 116.25) < 1e-9 and abs(view.latitude - 39.95) < 1e-9
    shown_x = _visible_deg(view.zoom, 900)
    shown_y = _visible_deg(view.zoom, 520) * np.cos(np.radians(39.95))  # Mercator: degrees of latitude
    assert shown_x >= 0.5 and shown_y >= 0.3  # nothing cut
    assert min(shown_x / 0.5, shown_y / 0.3) < 1.5  # and the points fill the map (one side within the margin)


def test_scale_bar_north_arrow_and_extent() -> None:
    text = scale_bar_html(np.array([116.0, 116.5]), np.array([39.8, 40.1]))
    assert "▲ N" in text and "10 km" in text and "116.0000° to 116.5000° E" in text
    small = scale_bar_html(np.array([0.0, 0.005]), np.array([51.0, 51.003]))
    assert " m (at the first view)" in small  # a few hundred metres: the bar is in metres


def test_velocity_is_the_linear_rate_in_mm_per_year() -> None:
    dates = pd.date_range("2020-01-01", periods=5, freq="365D")
    series = np.array([[0.0, 10, 20, 30, 40], [5, 5, 5, 5, 5], [0, np.nan, 2, 3, 4]])
    v = velocity_mm_yr(dates, series)
    assert abs(v[0] - 10 * 365.25 / 365) < 1e-6 and v[1] == 0
    assert np.isfinite(v[2]) and v[2] > 0  # a missing value does not spoil the point


def test_wells_are_sized_to_the_map_extent() -> None:
    assert well_radius_m((0, 0, 30_000, 40_000)) == 400.0  # 0.8 % of a 50 km diagonal
    assert well_radius_m((0, 0, 300, 400)) == 5.0  # never below 5 m


def test_confidence_palette_and_grey_out() -> None:
    rgba, legend = palette_colours(
        np.array(["good", "do not use", "??"]), {"good": "#1a9850", "do not use": "#9e9e9e"}
    )
    assert tuple(rgba[0, :3]) == (26, 152, 80) and tuple(rgba[1, :3]) == (158, 158, 158)
    assert "do not use" in legend and "??" not in legend
    out = grey_out(np.full((3, 4), 200, np.uint8), np.array([False, True, False]))
    assert tuple(out[1, :3]) == GREYED and tuple(out[0]) == (200, 200, 200, 200)


def _data(n: int) -> SimpleNamespace:
    dates = pd.date_range("2020-01-01", periods=6, freq="MS")
    change = np.tile(np.arange(1.0, 6.0), (n, 1))
    cum = np.hstack([np.zeros((n, 1)), np.cumsum(change, axis=1)])
    return SimpleNamespace(
        ps_ids=np.array([f"P{k}" for k in range(n)]),
        dates=dates,
        change_mm=change,
        subsidence_mm=cum,
        n_points=n,
        n_epochs=6,
    )


def test_small_multiples_one_panel_per_pick_with_numbers_capped_at_twelve() -> None:
    data = _data(20)
    modelled = {"m": data.change_mm + 1.0}
    fig = json.loads(model_curves_figure(data, ["P3", "P1", "P7"], modelled).to_json())
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == [f"PS {p}<br>RMSE 1.0 mm · total 15 mm" for p in ("P3", "P1", "P7")]
    assert {t["xaxis"] for t in fig["data"]} == {"x", "x2", "x3"}  # one subplot each
    assert fig["layout"]["xaxis2"]["matches"] == "x" and fig["layout"]["yaxis2"]["matches"] == "y"  # shared
    many = json.loads(model_curves_figure(data, [f"P{k}" for k in range(15)], modelled).to_json())
    assert len(many["layout"]["annotations"]) == MAX_PANELS == 12
    assert "showing 12 of 15 picked points" in many["layout"]["title"]["text"]
