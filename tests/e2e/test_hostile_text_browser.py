"""Real browser: ids and names that carry HTML or Markdown are shown as text, never run or linked.

A small bundle whose ids are ``<script>…</script>`` and a Markdown link, and whose name mixes
Markdown and HTML, is uploaded through the sidebar. The test hovers a point (tooltip), clicks it
(its chart on Study area), trains a quick model, picks both ids by typing them (the picks caption)
and types an unknown id written as a link (the error). Tooltip, caption and error must show the text as typed, no
script may run and no link to the planted address may exist anywhere on the page.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from subsidence.io.reader import load_study_area
from subsidence.viz.maps import map_view
from tests.e2e.conftest import ROOT, upload, wait_for_app
from tests.e2e.mapclick import point_pixel

pytestmark = pytest.mark.e2e
SCRIPT_ID = "<script>window.__pwned=1</script>"
LINK_ID = "[evil](http://evil.example/)"
NAME = "Area **bold** [click](http://evil.example/) <b>x</b>"


def _hostile_bundle(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "hostile_ids"
    shutil.copytree(ROOT / "tests" / "data" / "tiny", folder)
    ps = (folder / "ps.csv").read_text()
    ps = ps.replace("\nP00,", f'\n"{SCRIPT_ID}",', 1).replace("\nP01,", f"\n{LINK_ID},", 1)
    (folder / "ps.csv").write_text(ps)
    manifest = (folder / "study_area.toml").read_text().replace('"Tiny test area"', f'"{NAME}"')
    (folder / "study_area.toml").write_text(manifest)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"{folder.name}/{f.name}")
    archive = tmp_path / "hostile_ids.zip"
    archive.write_bytes(buf.getvalue())
    return folder, archive


def _plain(text: str) -> str:
    """What a reader sees: the invisible zero-width spaces that keep addresses unlinked removed."""
    return text.replace("\u200b", "")


def _safe(page, where: str) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("() => window.__pwned === undefined"), f"{where}: the planted script ran"
    live = page.locator("a[href*='evil.example']")
    assert live.count() == 0, (
        f"{where}: a planted link is live: {live.first.evaluate('e => e.parentElement.outerHTML')[:400]}"
    )
    assert page.locator("[data-testid='stException']").count() == 0, f"{where}: an exception is shown"


def _go(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=name, exact=True).click()
    wait_for_app(page)


def test_script_and_markdown_in_ids_show_as_text(app_url, page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, archive = _hostile_bundle(tmp_path)
    page.goto(app_url)
    upload(page, archive)
    sidebar = page.locator("[data-testid='stSidebar']")
    _go(page, "Study area")
    shown = _plain(sidebar.inner_text())
    assert "[click](http://evil.example/)" in shown and "<b>x</b>" in shown and "**bold**" in shown, shown
    _safe(page, "sidebar")

    # the tooltip of the <script> point, then a click shows its series named as typed
    area = load_study_area(folder)
    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    i = int(list(area.points["ps_id"].astype(str)).index(SCRIPT_ID))
    v = map_view(lon, lat)
    view = {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for()
    page.wait_for_timeout(1500)
    x, y = point_pixel(float(lon[i]), float(lat[i]), view, canvas.bounding_box())
    page.mouse.move(x, y)
    tooltip = page.locator(".deck-tooltip")
    expect(tooltip).to_contain_text(SCRIPT_ID, timeout=20_000)
    assert "&lt;" not in tooltip.inner_text(), "the tooltip escapes twice"
    page.mouse.click(x, y)
    expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible(timeout=60_000)
    _safe(page, "Study area")

    _go(page, "Model")
    page.locator("[data-testid='stForm'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="persistence", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"Trained persistence in"))).to_be_visible(timeout=120_000)

    _go(page, "Results")
    box = page.get_by_label("Pick by id")
    box.fill(f"{SCRIPT_ID} {LINK_ID}")
    box.press("Tab")
    page.get_by_role("button", name="Add", exact=True).click()
    wait_for_app(page)
    caption = page.get_by_text(re.compile(r"Picked 2:")).first
    expect(caption).to_be_visible()
    assert SCRIPT_ID in _plain(caption.inner_text()) and LINK_ID in _plain(caption.inner_text())
    _safe(page, "Results picks")

    box.fill("[nope](http://evil.example/nope)")
    box.press("Tab")
    page.get_by_role("button", name="Add", exact=True).click()
    wait_for_app(page)
    error = page.locator("[data-testid='stAlertContentError']").first
    expect(error).to_be_visible()
    assert "[nope](http://evil.example/nope)" in _plain(error.inner_text())
    _safe(page, "Results error")
