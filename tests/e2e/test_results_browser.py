"""Real browser: on Results, clicks on the map pick points; curves and table follow; picks survive page changes."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from subsidence.viz.maps import map_view
from tests.e2e.conftest import wait_for_app
from tests.e2e.mapclick import isolated_points, point_pixel

pytestmark = pytest.mark.e2e
PICKED = re.compile(r"Picked (\d+): (.*)")


def picked_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    caption = page.get_by_text(PICKED)
    if caption.count() == 0:
        return []
    return PICKED.search(caption.first.inner_text()).group(2).split(", ")  # type: ignore[union-attr]


def click_until_picked(page, area, count: int, skip: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    """Click isolated points on the Results map until ``count`` points are picked."""
    deck = page.locator("[data-testid='stDeckGlJsonChart']").first
    canvas = deck.locator("canvas").first
    canvas.wait_for()
    page.wait_for_timeout(1500)
    box = canvas.bounding_box()
    lon, lat = area.points["lon"].to_numpy(), area.points["lat"].to_numpy()
    v = map_view(lon, lat)
    view = {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}
    for i in isolated_points(lon, lat, 12)[skip:]:
        if len(picked_ids(page)) >= count:
            break
        x, y = point_pixel(float(lon[i]), float(lat[i]), view, box)
        page.mouse.click(x, y)
        wait_for_app(page)
    return picked_ids(page)


def test_click_to_pick_curves_table_and_picks_survive_navigation(app_url, page, small_area) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app_url}/Results")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=90_000)
    first = click_until_picked(page, small_area, 1)
    assert len(first) == 1, "a click on the map did not pick the point under the cursor"
    curves = page.locator("[data-testid='stPlotlyChart']").filter(has_text="Modelled against InSAR")
    expect(curves).to_have_count(1)
    assert f"PS {first[0]}" in curves.first.inner_text()
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()

    both = click_until_picked(page, small_area, 2, skip=1)
    assert len(both) == 2 and both[0] == first[0]

    page.get_by_role("link", name=re.compile("Study area")).first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("Study area"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Results")).first.click()
    wait_for_app(page)
    expect(page.get_by_text(PICKED)).to_be_visible(timeout=60_000)
    assert picked_ids(page) == both

    shot = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("L")
    assert np.asarray(shot).std() > 5, "the page screenshot is blank"
