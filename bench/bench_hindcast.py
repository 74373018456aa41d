"""Hindcast leaderboard: every model and the two reference forecasts, on the demo and the recovery variant.

    python bench/bench_hindcast.py [--points 1500] [--lstm-epochs 20] [--models a,b]

Writes the small demo (``--points``, seed 42) and its recovery variant (heads turn at
2013-12-01 and rise) to a temporary folder, then for each: every model fitted on every point up
to the cut (demo: 2014-06-01; recovery: 2013-12-01, the turn), run forward on the heads alone,
scored against InSAR after the cut, with its calibrated 90 % band, beside "it stops" and the
velocity extrapolation. The LSTMs are capped at ``--lstm-epochs`` epochs; torch uses 1 thread.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidence.demo.synthetic_chunks import write_demo  # noqa: E402
from subsidence.io.reader import load_study_area  # noqa: E402
from subsidence.models import model_names  # noqa: E402
from subsidence.pipeline import prepare  # noqa: E402
from subsidence.validation.hindcast import hindcast, leaderboard  # noqa: E402

CUTS = {"demo": "2014-06-01", "recovery": "2013-12-01"}
NETWORKS = {"paper-lstm", "spatial-lstm", "physics-lstm"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1500)
    parser.add_argument("--lstm-epochs", type=int, default=20)
    parser.add_argument("--models", default=",".join(model_names()))
    args = parser.parse_args()
    torch.set_num_threads(1)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    with tempfile.TemporaryDirectory() as tmp:
        for variant, cut in CUTS.items():
            bundle = write_demo(Path(tmp) / variant, n_points=args.points, variant=variant)
            data = prepare(load_study_area(bundle))
            results = []
            for name in args.models.split(","):
                start = time.perf_counter()
                epochs = args.lstm_epochs if name in NETWORKS else None
                results.append(hindcast(data, name, cut, seed=0, max_epochs=epochs))
                print(f"  {variant}: {name} {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
            board = leaderboard(results)
            keep = ["forecast", "rmse_mm", "rmse_last_mm", "coverage_90", "mean_band_width_mm", "seconds"]
            print(f"\n## {variant} ({args.points} points), cut {results[0].cut.date()}")
            table = board[keep].round(2).astype(object).where(board[keep].notna(), "")
            print("| " + " | ".join(keep) + " |")
            print("|" + "---|" * len(keep))
            for row in table.itertuples(index=False):
                print("| " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
