"""Real browser, full demo (16,487 points): ten clicks in a row on the Results map pick ten points."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, wait_for_app
from tests.e2e.mapclick import point_pixel, spread_points, zoom_to_tile
from tests.e2e.serve import serve

pytestmark = pytest.mark.e2e
PICKED = re.compile(r"Picked (\d+): (.*)")


@pytest.fixture(scope="module")
def full_demo_url(models_dir: Path):  # type: ignore[no-untyped-def]
    with serve(ROOT, "demo_beijing", SUBSIDENCE_MODELS_DIR=str(models_dir)) as url:
        yield url


def picked_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    caption = page.get_by_text(PICKED)
    if caption.count() == 0:
        return []
    return PICKED.search(caption.first.inner_text()).group(2).split(", ")  # type: ignore[union-attr]


def click_points(page, area, count: int) -> tuple[list[list[str]], list[int], dict]:  # type: ignore[no-untyped-def]
    """Click ``count`` well-separated points on the map, one after another: the picks after each
    click, and the positions of the points clicked."""
    lon, lat = area.points["lon"].to_numpy(), area.points["lat"].to_numpy()
    view, members = zoom_to_tile(page, area)  # a large area is picked a tile at a time
    wait_for_app(page)
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for()
    page.wait_for_timeout(2000)
    chosen = spread_points(lon[members], lat[members], view, canvas.bounding_box(), count)
    targets = [int(members[i]) for i in chosen]
    after = []
    for i in targets:
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        canvas.wait_for()
        page.wait_for_timeout(800)  # the map drawn afresh after the last pick
        x, y = point_pixel(float(lon[i]), float(lat[i]), view, canvas.bounding_box())
        before = len(picked_ids(page))
        page.mouse.click(x, y)
        expect(page.get_by_text(re.compile(rf"Picked {before + 1}:"))).to_be_visible(timeout=120_000)
        wait_for_app(page, timeout_ms=180_000)
        after.append(picked_ids(page))
    return after, targets, view


def test_ten_clicks_pick_ten_points_on_the_full_demo(full_demo_url, page) -> None:  # type: ignore[no-untyped-def]
    from subsidence.io.reader import load_study_area

    area = load_study_area(ROOT / "data" / "demo_beijing")
    page.goto(f"{full_demo_url}/Results")
    wait_for_app(page, timeout_ms=300_000)  # the first run kriges and runs the model over 16,487 points
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=240_000)
    steps, targets, view = click_points(page, area, 10)
    assert [len(s) for s in steps] == list(range(1, 11))  # every click added one, none removed another
    assert len(set(steps[-1])) == 10
    assert all(s[:-1] == steps[k - 1] for k, s in enumerate(steps) if k)  # earlier picks kept, in order

    # a second click on a picked point drops it (and only it)
    lon, lat = area.points["lon"].to_numpy(), area.points["lat"].to_numpy()
    i = targets[0]
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    x, y = point_pixel(float(lon[i]), float(lat[i]), view, canvas.bounding_box())
    page.mouse.click(x, y)
    expect(page.get_by_text(re.compile(r"Picked 9:"))).to_be_visible(timeout=120_000)
    assert picked_ids(page) == steps[-1][1:]
