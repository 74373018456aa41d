"""Real browser: the app opens on the demo, the map draws, and a click on a point shows its series."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from subsidence.viz.maps import map_view
from tests.e2e.conftest import wait_for_app
from tests.e2e.mapclick import isolated_points, point_pixel

pytestmark = pytest.mark.e2e


def click_ps_point(page, area, deck_locator) -> bool:  # type: ignore[no-untyped-def]
    """Click isolated PS points until one is selected (a series chart appears)."""
    canvas = deck_locator.locator("canvas").first
    canvas.wait_for()
    page.wait_for_timeout(1500)  # deck.gl draws after the canvas exists
    box = canvas.bounding_box()
    lon, lat = area.points["lon"].to_numpy(), area.points["lat"].to_numpy()
    v = map_view(lon, lat)
    view = {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}
    lon, lat = area.points["lon"].to_numpy(), area.points["lat"].to_numpy()
    before = page.locator("[data-testid='stPlotlyChart']").count()
    for i in isolated_points(lon, lat, 8):
        x, y = point_pixel(float(lon[i]), float(lat[i]), view, box)
        page.mouse.click(x, y)
        wait_for_app(page)
        if page.locator("[data-testid='stPlotlyChart']").count() > before:
            return True
    return False


def test_app_opens_map_draws_and_a_click_shows_the_series(app_url, page, small_area) -> None:  # type: ignore[no-untyped-def]
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Land subsidence dashboard")).to_be_visible(timeout=60_000)
    page.goto(f"{app_url}/Study_area")
    wait_for_app(page)
    deck = page.locator("[data-testid='stDeckGlJsonChart']").first
    deck.wait_for()
    assert click_ps_point(page, small_area, deck), "no PS point could be selected by clicking the map"
    chart = page.locator("[data-testid='stPlotlyChart']").first
    assert "InSAR cumulative subsidence" in chart.inner_text()
    shot = Image.open(io.BytesIO(deck.screenshot())).convert("L")
    assert np.asarray(shot).std() > 5, "the map screenshot is blank"
