"""Real browser, the planner's walk (issue 11's done-when): choose a reference point, pick a point,
open Scenarios, set a threshold and see the time-to-threshold map, download the decision pack and
open it with the network cut (every section there, figures drawn), and open the copied link in a
new browser context (area, reference, picks and page restored; back goes back a page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

REFERENCE = "PS000010"
PICK = "PS000001"
SLOW = 240_000  # ms a page may compute (forecasts, the pack) on a loaded 2-core machine
# The decision pack's section headings (subsidence.report.pack.SECTIONS); extend as the pack grows.
PACK_SECTIONS = (
    "Study area and inputs",
    "Model and validation",
    "Subsidence and deviation maps",
    "Confidence",
    "Hazard: time to threshold",
    "Hazard: differential settlement",
    "Picked points",
    "Scenarios",
    "Caveats",
    "Software and date",
)
# A figure is drawn when plotly has put marks into it (svg points/paths, or a WebGL canvas).
DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')].map(d => ({
  svg: d.querySelectorAll('.main-svg').length,
  marks: d.querySelectorAll('.scatterlayer .point, .scatterlayer path.js-line, .heatmaplayer image,'
    + ' .barlayer path, .contourlayer path, .scatterlayer path').length,
  gl: d.querySelectorAll('canvas').length,
}))"""


def _sidebar(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid='stSidebar']")


def _go(page, name: str) -> None:  # type: ignore[no-untyped-def]
    _sidebar(page).get_by_role("link", name=re.compile(name)).first.click()
    wait_for_app(page, timeout_ms=SLOW)


def test_reference_hazard_pack_offline_and_link(app_url, page, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(app_url)
    wait_for_app(page)
    # choose a reference point in the sidebar (a listed PS point, searched by typing)
    side = _sidebar(page)
    side.get_by_text("Reference point").click()
    side.get_by_text("A PS point").click()
    wait_for_app(page)
    side.get_by_role("combobox", name=re.compile("PS point")).click()
    page.keyboard.type(REFERENCE)
    page.get_by_role("option", name=REFERENCE).click()
    wait_for_app(page)
    expect(page.get_by_text(f"Reference: {REFERENCE}")).to_be_visible()

    # pick a point on Results
    _go(page, "Results")
    page.get_by_label("Pick by id").fill(PICK)
    page.get_by_role("button", name="Add").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(rf"Picked 1: {PICK}"))).to_be_visible(timeout=60_000)

    # Scenarios follows the reference
    _go(page, "Scenarios")
    expect(page.get_by_role("heading", name="Groundwater scenarios")).to_be_visible(timeout=90_000)
    expect(page.get_by_text(f"Reference: {REFERENCE}")).to_be_visible()

    # Hazard: a threshold, its map, the decision pack
    _go(page, "Hazard")
    page.get_by_label("Threshold (mm)").fill("50")
    page.get_by_role("button", name="Show the hazard").click()
    wait_for_app(page, timeout_ms=SLOW)
    ttt = page.locator("[data-testid='stPlotlyChart']").filter(has_text="Years until 50 mm")
    expect(ttt).to_have_count(1, timeout=90_000)
    page.get_by_text("Prepare the decision pack").click()
    wait_for_app(page, timeout_ms=SLOW)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download the decision pack").click()
    pack = tmp_path / "decision-pack.html"
    download.value.save_as(pack)

    # the copied link, as the sidebar shows it
    side.get_by_text("Link to this view").click()
    link = side.locator("[data-testid='stCode'] code").first.text_content() or ""
    assert "/Hazard?" in link and f"ref=ps%3A{REFERENCE}" in link and f"pick={PICK}" in link

    # the pack, offline: every section and every figure drawn
    offline = browser.new_context(offline=True)
    offline.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
    view = offline.new_page()
    view.goto(pack.as_uri())
    view.wait_for_function("() => document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
    view.wait_for_timeout(1500)
    headings = [h.strip() for h in view.locator("h2").all_inner_texts()]
    missing = [s for s in PACK_SECTIONS if s not in headings]
    assert not missing, f"sections missing from the pack: {missing}"
    figures = view.evaluate(DRAWN)
    assert len(figures) >= 5, figures
    blank = [k for k, f in enumerate(figures) if not f["svg"] or not (f["marks"] or f["gl"])]
    assert not blank, f"figures drawn blank: {blank} of {figures}"
    offline.close()

    # the link restores the view in a new browser context (a new session)
    fresh = browser.new_context(viewport={"width": 1400, "height": 1600})
    other = fresh.new_page()
    other.set_default_timeout(60_000)
    other.goto(link)
    wait_for_app(other, timeout_ms=SLOW)
    expect(other.get_by_role("heading", name=re.compile("Hazard"))).to_be_visible(timeout=90_000)
    expect(other.get_by_text(f"Reference: {REFERENCE}")).to_be_visible()
    expect(_sidebar(other).get_by_role("combobox", name="Study area")).to_have_value("demo_small")
    _sidebar(other).get_by_text("Link to this view").click()
    again = _sidebar(other).locator("[data-testid='stCode'] code").first.text_content() or ""
    assert f"pick={PICK}" in again and f"ref=ps%3A{REFERENCE}" in again
    _go(other, "Results")
    expect(other.get_by_text(re.compile(rf"Picked 1: {PICK}"))).to_be_visible(timeout=60_000)
    # the back button returns to the page before, with its view, in one press
    other.go_back()
    wait_for_app(other, timeout_ms=SLOW)
    expect(other.get_by_role("heading", name=re.compile("Hazard"))).to_be_visible(timeout=90_000)
    expect(other.get_by_text(f"Reference: {REFERENCE}")).to_be_visible()
    fresh.close()
