"""How long each page takes on the full demo: first run (computing), cached run, and a rerun
after a trivial widget change on Results.

    python bench/bench_pages.py [--bundle demo_beijing] [--reruns 5]

Streamlit's AppTest runs each page's script as the server would for a browser; a rerun is what
a user waits for after moving a widget (browser drawing not included). Targets: under 2 s once
computations are cached (issue 5); a rerun after a trivial widget change on Results under
0.3 s (issue 14). "Trivial": the mode radio set again to the value it holds (nothing the page
shows changes; every step must come from the caches). "Epoch": the map's date slider moved to
a date not shown before (the map is built and serialised anew; nothing else is recomputed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = ["Home.py", "pages/1_Study_area.py", "pages/2_Interpolation.py", "pages/4_Results.py"]


def _timed(run) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", default="demo_beijing")
    parser.add_argument("--reruns", type=int, default=5, help="reruns timed per change (median shown)")
    args = parser.parse_args()
    os.environ["SUBSIDENCE_BUNDLE"] = args.bundle
    from streamlit.testing.v1 import AppTest

    from ui import keys

    print(f"{'page':28s} {'first run s':>12s} {'cached run s':>13s}")
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / page), default_timeout=600)
        first = _timed(at.run)
        again = _timed(at.run)
        status = "error" if at.exception else "ok"
        print(f"{page:28s} {first:12.2f} {again:13.2f}  {status}")

    at = AppTest.from_file(str(ROOT / "pages/4_Results.py"), default_timeout=600)
    at.run()
    mode = at.radio(key=keys.RESULTS_MODE)
    trivial = [_timed(lambda: mode.set_value(mode.value).run()) for _ in range(args.reruns)]
    options = list(at.select_slider(key=keys.RESULTS_EPOCH).options)
    moved = []
    for k in range(args.reruns):  # a date not shown before each time: the map is built anew
        at.select_slider(key=keys.RESULTS_EPOCH).set_value(options[-2 - k])
        moved.append(_timed(at.run))
    status = "error" if at.exception else "ok"
    print(
        f"Results rerun, trivial change (median of {args.reruns}): {statistics.median(trivial):.3f} s  {status}"
    )
    print(
        f"Results rerun, epoch moved    (median of {args.reruns}): {statistics.median(moved):.3f} s  {status}"
    )


if __name__ == "__main__":
    main()
