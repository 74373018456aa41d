"""Maps of a large area in headless Chromium: time to the first map, to a zoom, to a picked point.

    python -m subsidence make-demo --out /tmp/big/demo_1m --points 1000000
    python bench/bench_bigmap.py /tmp/big/demo_1m [--page Study_area]

Serves the app on the bundle, opens the page once (cold: the area is read and cached), then
again in a fresh tab (warm), clicks the fullest cell of the map (zoom to the points around it)
and then three points one after the other (each time the chart of the InSAR time series is drawn).
For each step: seconds from the action to the result on screen as Playwright sees it, and the
bytes the browser received over Streamlit's websocket. For each click, a breakdown measured in
the page's own clock (``performance.now()``, from the mouse-down): when the browser sent the
click to the server, when the server's first and last messages of the rerun arrived, when the
chart was drawn (its lines in the DOM), and the main thread's long tasks (> 50 ms) in between.
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

SERIES_SHOWN = "Click a point again to take it off the chart"
CHART_DRAWN = (  # the lines of the series chart: Plotly (small areas) or Vega-Lite (large ones)
    "[data-testid='stPlotlyChart'] .scatterlayer .trace path, [data-testid='stVegaLiteChart'] g.mark-line path"
)
# Records in the page's clock: websocket frames sent and received, long tasks, the last mouse-down,
# and (after WATCH) the first frame on which the chart's lines are in the page.
TIMELINE = """(() => {
  const T = (window.__tl = { ws: [], long: [], down: 0, drawn: null });
  const Native = window.WebSocket;
  window.WebSocket = function (...a) {
    const s = new Native(...a);
    s.addEventListener("message", (e) => T.ws.push(["in", performance.now(), e.data.byteLength || e.data.size || 0]));
    const send = s.send.bind(s);
    s.send = (d) => { T.ws.push(["out", performance.now(), d.byteLength || d.length || 0]); return send(d); };
    return s;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  new PerformanceObserver((l) => l.getEntries().forEach((e) => T.long.push([e.startTime, e.duration])))
    .observe({ type: "longtask", buffered: true });
  document.addEventListener("mousedown", () => { T.down = performance.now(); T.drawn = null; }, true);
})();"""
WATCH = """(sel) => { const T = window.__tl, seen = document.querySelectorAll(sel).length;
  const f = () => { if (T.drawn !== null) return;
    const n = document.querySelectorAll(sel).length;
    if (T.down && n && (n !== seen || !seen)) { T.drawn = performance.now(); return; }
    requestAnimationFrame(f); };
  requestAnimationFrame(f); }"""


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
    parser.add_argument("--opens", type=int, default=3, help="warm opens, each in a new tab")
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
        opens = ["first open (cold: reads the area)"]
        opens += [
            f"open again in a new tab (warm{f', {i + 1}' if args.opens > 1 else ''})"
            for i in range(args.opens)
        ]
        for label in opens:
            context = browser.new_context(viewport={"width": 1400, "height": 1600})
            context.add_init_script(TIMELINE)
            page = context.new_page()
            got = Received(page)
            t0 = time.perf_counter()
            page.goto(f"{url}/{args.page}")
            idle(page, 900_000)
            rows.append((label, time.perf_counter() - t0, got.take()))
            if label != opens[-1]:
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
        breakdown = [("cell", timeline(page))]
        targets = spread_points(lon[near], lat[near], zoomed, canvas.bounding_box(), 3)
        for k, j in enumerate(targets):
            target = int(near[j])
            x, y = point_pixel(float(lon[target]), float(lat[target]), zoomed, canvas.bounding_box())
            page.evaluate(WATCH, CHART_DRAWN)
            t0 = time.perf_counter()
            page.mouse.click(x, y)
            page.wait_for_function("() => window.__tl.drawn !== null", timeout=120_000)
            seconds = time.perf_counter() - t0
            page.get_by_text(SERIES_SHOWN).wait_for(timeout=120_000)
            idle(page, 120_000)
            page.wait_for_timeout(1500)
            label = (
                "click a point: its time series shown" if k == 0 else f"click point {k + 1}: chart redrawn"
            )
            rows.append((label, seconds, got.take()))
            breakdown.append((f"point {k + 1}", timeline(page)))
        browser.close()
    report(area.n_points, args.page, rows)
    print("\nin the page's clock, ms from the mouse-down (sent: the click reaches the websocket;")
    print("reply: first and last message of the rerun; drawn: the chart's lines on the page):")
    print(f"{'click':8s} {'sent':>6s} {'reply':>6s} {'last':>6s} {'drawn':>6s} {'long tasks (start+ms)'}")
    for label, t in breakdown:
        print(f"{label:8s} {t['sent']:6.0f} {t['first']:6.0f} {t['last']:6.0f} {t['drawn']:6.0f} {t['long']}")


def timeline(page) -> dict:  # type: ignore[no-untyped-def]
    """The last click's breakdown (see the module's docstring), ms after its mouse-down."""
    tl = page.evaluate("() => window.__tl")
    t0 = tl["down"]
    sent = [t for d, t, _ in tl["ws"] if d == "out" and t >= t0]
    got = [t for d, t, _ in tl["ws"] if d == "in" and t >= t0]
    return {
        "sent": (sent[0] - t0) if sent else float("nan"),
        "first": (got[0] - t0) if got else float("nan"),
        "last": (got[-1] - t0) if got else float("nan"),
        "drawn": (tl["drawn"] - t0) if tl["drawn"] else float("nan"),
        "long": " ".join(f"{s - t0:.0f}+{d:.0f}" for s, d in tl["long"] if s >= t0 - 5),
    }


def report(n_points: int, page: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"{n_points:,} points, page {page}")
    print(f"{'step':58s} {'seconds':>8s} {'MB received':>12s}")
    for label, seconds, mb in rows:
        print(f"{label:58s} {seconds:8.2f} {mb:12.2f}")


if __name__ == "__main__":
    main()
