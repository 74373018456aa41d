"""What the Scenarios page computes on its first open, step by step (seconds).

    OMP_NUM_THREADS=1 python bench/bench_scenarios.py [BUNDLE]   # default: the full demo

The physics refitted on three spatial folds (the ensemble), the calibrated 90 % band
(refits at earlier cuts) and one forecast per preset scenario over 5 years, as
``ui/cache.py`` runs them; the page caches each per area, so this is its first open.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidence.io.reader import load_study_area  # noqa: E402
from subsidence.pipeline import prepare  # noqa: E402
from subsidence.planning.scenario_heads import PRESETS  # noqa: E402
from subsidence.planning.scenarios import fit_ensemble, forecast, physics_band  # noqa: E402


def timed(label: str, work):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = work()
    print(f"{label}: {time.perf_counter() - start:.1f} s", flush=True)
    return out


def main() -> None:
    bundle = sys.argv[1] if len(sys.argv) > 1 else "data/demo_beijing"
    data = timed("read and krige", lambda: prepare(load_study_area(bundle)))
    print(f"{data.n_points:,} points x {len(data.dates)} acquisitions")
    models = timed("physics on 3 spatial folds", lambda: list(fit_ensemble(data)))
    band = timed("90 % band (refits at earlier cuts)", lambda: physics_band(data))
    for scenario in PRESETS:
        timed(
            f"forecast '{scenario.name}', 5 years",
            lambda s=scenario: forecast(models, data, s, 5.0, band=band),
        )


if __name__ == "__main__":
    main()
