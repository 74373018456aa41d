"""Measure what the Results map costs per hover and per click in headless Chromium (software WebGL).

Run: ``python -m tests.e2e.measure_picking [APP_ROOT] [BUNDLE]`` (default: this checkout and
``demo_beijing``). It serves the app, opens Results, records the main thread's long tasks
(PerformanceObserver "longtask") while the mouse moves over points, then clicks ten points
and times each click until the picks caption shows one more id. Prints one JSON object.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from subsidence.io.reader import load_study_area
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, wait_for_app
from tests.e2e.mapclick import point_pixel, spread_points, zoom_to_tile
from tests.e2e.serve import serve

PICKED = re.compile(r"Picked (\d+):")

OBSERVE = """() => { window.__long = []; new PerformanceObserver(l => { for (const e of l.getEntries())
  window.__long.push(e.duration); }).observe({entryTypes: ['longtask']}); }"""


def _count(page) -> int:  # type: ignore[no-untyped-def]
    c = page.get_by_text(PICKED)
    return int(PICKED.search(c.first.inner_text()).group(1)) if c.count() else 0  # type: ignore[union-attr]


def measure(root: Path, bundle: str) -> dict:
    from playwright.sync_api import sync_playwright

    area = load_study_area(root / "data" / bundle)
    lon, lat = area.points["lon"].to_numpy(), area.points["lat"].to_numpy()
    out: dict = {"root": str(root), "bundle": bundle, "points": int(area.n_points)}
    with serve(root, bundle) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
        page.set_default_timeout(240_000)
        page.goto(f"{url}/Results")
        wait_for_app(page)
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        canvas.wait_for()
        page.wait_for_timeout(3000)
        view, members = zoom_to_tile(page, area)
        wait_for_app(page)
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        canvas.wait_for()
        page.wait_for_timeout(2000)
        box = canvas.bounding_box()
        targets = [int(members[i]) for i in spread_points(lon[members], lat[members], view, box, 10)]
        page.evaluate(OBSERVE)
        t0 = time.monotonic()
        for i in targets:
            x, y = point_pixel(float(lon[i]), float(lat[i]), view, box)
            for dx in (-3, 0, 3):
                page.mouse.move(x + dx, y)
                page.wait_for_timeout(100)
        hover_s = time.monotonic() - t0
        long = page.evaluate("() => window.__long")
        out["hover"] = {
            "moves": 3 * len(targets),
            "wall_s": round(hover_s, 2),
            "long_tasks": len(long),
            "long_task_ms_total": round(sum(long)),
            "long_task_ms_max": round(max(long, default=0)),
        }
        clicks = []
        for i in targets:
            before = _count(page)
            x, y = point_pixel(float(lon[i]), float(lat[i]), view, box)
            page.evaluate("() => { window.__long = []; }")
            t = time.monotonic()
            page.mouse.click(x, y)
            deadline = t + 30
            while time.monotonic() < deadline and _count(page) == before:
                page.wait_for_timeout(100)
            took = time.monotonic() - t
            clicks.append({"picked": _count(page) > before, "seconds": round(took, 2)})
            wait_for_app(page)
            canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
            canvas.wait_for()
            page.wait_for_timeout(1000)
            box = canvas.bounding_box()
        out["clicks"] = clicks
        out["picked"] = _count(page)
        browser.close()
    return out


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[2]
    bundle = sys.argv[2] if len(sys.argv) > 2 else "demo_beijing"
    print(json.dumps(measure(root.resolve(), bundle)))
