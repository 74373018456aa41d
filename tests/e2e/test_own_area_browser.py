"""Real browser: a planner uploads their own bundle, walks every page twice, trains and picks.

The P-SBAS-shaped bundle is zipped and uploaded through the sidebar; after that the test
only uses the sidebar's links (never ``page.goto``), in two different orders, and checks on
every page that the uploaded area is still the one shown, with no error and no traceback.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from subsidence.viz.maps import map_view
from tests.e2e.conftest import ROOT, upload, wait_for_app
from tests.e2e.mapclick import point_pixel, spread_points

pytestmark = pytest.mark.e2e
BUNDLE = ROOT / "tests" / "data" / "real" / "psbas_like"
NAME = "P-SBAS-shaped survey (generated)"
DEMO = "Synthetic demo"
PICKED = re.compile(r"Picked (\d+): (.*)")
ORDER_A = ["Study area", "Interpolation", "Model", "Results", "Compare", "Scenarios", "Hazard"]
ORDER_B = ["Results", "Hazard", "Scenarios", "Study area", "Compare", "Model", "Interpolation", "Home"]


def _zip(folder: Path, dest: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"{folder.name}/{f.name}")
    dest.write_bytes(buf.getvalue())
    return dest


def check_page(page, where: str) -> None:  # type: ignore[no-untyped-def]
    """The uploaded area is shown, never the demo, no error element and no traceback."""
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text(NAME).first).to_be_visible(timeout=120_000)
    text = page.locator("[data-testid='stApp']").inner_text()
    assert DEMO not in text, f"{where}: the demo is shown"
    assert "Traceback" not in text, f"{where}: a traceback is shown"
    assert page.locator("[data-testid='stException']").count() == 0, f"{where}: an exception is shown"
    errors = page.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, f"{where}: {errors.first.inner_text()}"


def go(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Open a page with the sidebar's link."""
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.get_by_role("link", name=name, exact=True).click()
    wait_for_app(page)


def test_upload_walk_train_and_pick_on_own_area(app_url, page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    archive = _zip(BUNDLE, tmp_path / "my_survey.zip")
    page.goto(app_url)
    upload(page, archive)
    check_page(page, "after the upload")

    for name in ORDER_A + ORDER_B:
        go(page, name)
        check_page(page, name)

    go(page, "Model")
    epochs = page.get_by_label("Epochs (at most)")
    epochs.fill("2")
    epochs.press("Tab")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"Trained paper-lstm in"))).to_be_visible(timeout=300_000)
    check_page(page, "Model after training")

    go(page, "Results")
    check_page(page, "Results")
    from subsidence.io.reader import load_study_area

    area = load_study_area(BUNDLE)
    lon, lat = area.points["lon"].to_numpy(), area.points["lat"].to_numpy()
    v = map_view(lon, lat)
    view = {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for()
    page.wait_for_timeout(1500)
    for count, i in enumerate(spread_points(lon, lat, view, canvas.bounding_box(), 10)):
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        canvas.wait_for()
        page.wait_for_timeout(800)
        x, y = point_pixel(float(lon[i]), float(lat[i]), view, canvas.bounding_box())
        page.mouse.click(x, y)
        expect(page.get_by_text(re.compile(rf"Picked {count + 1}:"))).to_be_visible(timeout=60_000)
        wait_for_app(page)
    caption = page.get_by_text(PICKED).first.inner_text()
    ids = PICKED.search(caption).group(2).split(", ")  # type: ignore[union-attr]
    assert len(set(ids)) == 10 and set(ids) <= set(area.points["ps_id"].astype(str))
    check_page(page, "Results after picking")
