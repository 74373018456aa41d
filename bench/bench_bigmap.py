"""Maps of a large area in headless Chromium: time to the first map, to a zoom, to a picked point.

    python -m subsidence make-demo --out /tmp/big/demo_1m --points 1000000
    python bench/bench_bigmap.py /tmp/big/demo_1m [--page Study_area]

Serves the app on the bundle, opens the page once (cold: the area is read and cached), then
again in a fresh tab (warm), clicks the fullest cell of the map (zoom to the points around it)
and then a point (its InSAR time series is drawn). For each step: seconds from the action to
the result on screen, and the bytes the browser received over Streamlit's websocket.
Targets (issue 12): first map < 3 s warm, click answered < 1 s, < 5 MB per view.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.mapclick import point_pixel, spread_points  # noqa: E402
from tests.e2e.serve import serve  # noqa: E402

SERIES_SHOWN = "Click a point again to take it off the chart."


class Received:
    """Bytes received over the page's websockets since the last :meth:`take`."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.bytes = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:  # type: ignore[no-untyped-def]
        self.bytes += len(payload)

    def take(self) -> float:
        mb, self.bytes = self.bytes / 1e6, 0
        return mb


def idle(page, timeout_ms: int) -> None:  # type: ignore[no-untyped-def]
    """The map is on screen and the script has finished."""
    page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms
    )


def view_of(lon, lat) -> dict:  # type: ignore[no-untyped-def]
    from subsidence.viz.maps import map_view

    v = map_view(lon, lat)
    return {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}


def server_side(area, index) -> None:  # type: ignore[no-untyped-def]
    """Seconds and JSON bytes of the decks built on the server (no browser)."""
    from subsidence.viz.aggregate import BigView
    from subsidence.viz.maps import ps_deck

    values = area.subsidence_mm[:, -1]
    cell = int(index.counts.argmax())
    for label, view in (
        ("whole area, mean", BigView(index, "mean")),
        ("whole area, largest", BigView(index, "max")),
        ("whole area, count", BigView(index, "count")),
        ("zoomed to the fullest cell", BigView(index, "mean", cell)),
    ):
        t0 = time.perf_counter()
        spec = ps_deck(
            area, values, label="subsidence", picked=[str(area.points["ps_id"].iloc[0])], big=view
        ).to_json()
        print(
            f"server: {label:28s} {time.perf_counter() - t0:6.2f} s {len(spec.encode()) / 1e6:6.2f} MB JSON"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--page", default="Study_area")
    parser.add_argument(
        "--open-only", action="store_true", help="only open the page (any area, e.g. the demo)"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from subsidence.io.reader import load_study_area
    from subsidence.viz.aggregate import PointIndex

    t0 = time.perf_counter()
    area = load_study_area(args.bundle)
    print(f"bundle read here in {time.perf_counter() - t0:.1f} s: {area.n_points:,} points")
    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    t0 = time.perf_counter()
    index = PointIndex(lon, lat, area.points["ps_id"].to_numpy())
    print(f"point index (cells, k-d tree, ids) built in {time.perf_counter() - t0:.2f} s")
    if not args.open_only:
        server_side(area, index)
    models = Path(tempfile.mkdtemp(prefix="bench-models-"))  # never beside the bundle (data/ is tracked)
    shutil.copytree(ROOT / "models" / "paper-lstm-demo", models / "paper-lstm-demo")
    env = {"SUBSIDENCE_DATA_DIR": str(args.bundle.parent), "SUBSIDENCE_MODELS_DIR": str(models)}
    rows = []
    with serve(ROOT, args.bundle.name, **env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for label in ("first open (cold: reads the area)", "open again in a new tab (warm)"):
            context = browser.new_context(viewport={"width": 1400, "height": 1600})
            page = context.new_page()
            got = Received(page)
            t0 = time.perf_counter()
            page.goto(f"{url}/{args.page}")
            idle(page, 900_000)
            rows.append((label, time.perf_counter() - t0, got.take()))
            if label.startswith("first"):
                context.close()
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        page.wait_for_timeout(1500)
        if args.open_only:
            browser.close()
            report(area.n_points, args.page, rows)
            return
        whole = view_of(lon[[lon.argmin(), lon.argmax()]], lat[[lat.argmin(), lat.argmax()]])
        cell = int(index.counts.argmax())
        w, s, e, n = index.box(cell)
        x, y = point_pixel((w + e) / 2, (s + n) / 2, whole, canvas.bounding_box())
        got.take()
        t0 = time.perf_counter()
        page.mouse.click(x, y)
        try:
            page.get_by_role("button", name="Whole area").first.wait_for(timeout=120_000)
        except Exception:
            page.screenshot(path="/tmp/bench_bigmap_failed.png", full_page=True)
            print("no zoom after a click at", x, y, canvas.bounding_box(), rows)
            raise
        idle(page, 120_000)
        rows.append(
            (
                f"click the fullest cell ({int(index.counts[cell]):,} points): zoomed",
                time.perf_counter() - t0,
                got.take(),
            )
        )
        near = index.around(cell)
        zoomed = view_of(lon[near], lat[near])
        canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
        page.wait_for_timeout(1500)
        target = int(near[spread_points(lon[near], lat[near], zoomed, canvas.bounding_box(), 1)[0]])
        x, y = point_pixel(float(lon[target]), float(lat[target]), zoomed, canvas.bounding_box())
        t0 = time.perf_counter()
        page.mouse.click(x, y)
        page.get_by_text(SERIES_SHOWN).wait_for(timeout=120_000)
        rows.append(("click a point: its time series shown", time.perf_counter() - t0, got.take()))
        idle(page, 120_000)
        browser.close()
    report(area.n_points, args.page, rows)


def report(n_points: int, page: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"{n_points:,} points, page {page}")
    print(f"{'step':58s} {'seconds':>8s} {'MB received':>12s}")
    for label, seconds, mb in rows:
        print(f"{label:58s} {seconds:8.2f} {mb:12.2f}")


if __name__ == "__main__":
    main()
