"""How long each page takes to run on the full demo, first (computing) and then cached.

    python bench/bench_pages.py [--bundle demo_beijing]

Streamlit's AppTest runs each page's script as the server would for a browser; the second
run is what a user waits for when opening the page again or moving a slider (browser drawing
not included). Target (issue 5): under 2 s once computations are cached.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = ["Home.py", "pages/1_Study_area.py", "pages/2_Interpolation.py", "pages/4_Results.py"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", default="demo_beijing")
    args = parser.parse_args()
    os.environ["SUBSIDENCE_BUNDLE"] = args.bundle
    from streamlit.testing.v1 import AppTest

    print(f"{'page':28s} {'first run s':>12s} {'cached run s':>13s}")
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / page), default_timeout=600)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        at.run()
        again = time.perf_counter() - t0
        status = "error" if at.exception else "ok"
        print(f"{page:28s} {first:12.2f} {again:13.2f}  {status}")


if __name__ == "__main__":
    main()
