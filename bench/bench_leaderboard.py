"""Every model under spatial-block cross-validation on a demo, beside the paper's numbers.

    python bench/bench_leaderboard.py [BUNDLE] [--folds 5] [--lstm-epochs 20] [--kind spatial-block]

Kriged heads (``subsidence.pipeline.prepare``), blocks of the variogram range of last-epoch
subsidence with a quarter-block buffer, pooled out-of-fold one-step predictions. The LSTMs
train for at most ``--lstm-epochs`` epochs (the paper's LSTM with the paper's settings
otherwise); torch uses 2 threads.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidence.crossval import leaderboard, make_folds, noise_floor, subsidence_range_m  # noqa: E402
from subsidence.evaluation import PAPER_METRICS  # noqa: E402
from subsidence.models.hybrid import HybridConfig  # noqa: E402
from subsidence.models.lstm import LSTMConfig  # noqa: E402
from subsidence.pipeline import prepare  # noqa: E402
from subsidence.reader import load_study_area  # noqa: E402

MODELS = [
    "persistence",
    "linear-trend",
    "gm11",
    "consolidation",
    "paper-lstm",
    "spatial-lstm",
    "physics-lstm",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default="data/demo_beijing")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--lstm-epochs", type=int, default=20)
    parser.add_argument("--kind", default="spatial-block")
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(2)
    start = time.perf_counter()
    data = prepare(load_study_area(args.bundle))
    print(
        f"{args.bundle}: {data.n_points} points x {data.n_epochs} epochs, kriged in {time.perf_counter() - start:.1f} s"
    )
    range_m = subsidence_range_m(data)
    print(
        f"variogram range of last-epoch subsidence: {range_m:.0f} m; noise floor {noise_floor(data):.2f} mm"
    )
    folds = make_folds(data, args.kind, args.folds, 0, block_size_m=range_m)
    configs = {
        "paper-lstm": replace(LSTMConfig(), max_epochs=args.lstm_epochs),
        "spatial-lstm": replace(HybridConfig(), max_epochs=args.lstm_epochs),
        "physics-lstm": replace(HybridConfig(), max_epochs=args.lstm_epochs),
    }
    table = leaderboard(
        data,
        args.models.split(","),
        folds,
        0,
        lambda p: print(f"  {p.message}", flush=True),
        kind=args.kind,
        configs=configs,
    )
    paper = {"model": "paper (Li et al. 2020, random split)", **PAPER_METRICS}
    shown = pd.concat([table, pd.DataFrame([paper])], ignore_index=True)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 40)
    cols = [
        "model",
        "rmse_change_mm",
        "mae_change_mm",
        "rmse_cumulative_mm",
        "rmse_cumulative_last_mm",
        "change_vs_noise",
        "seconds",
    ]
    print(shown[cols].round(2).to_string(index=False))
    severity = [c for c in table.columns if c.startswith("rmse_cumulative_mm ")]
    print(table[["model", *severity]].round(1).to_string(index=False))
    ref = table.set_index("model")
    if "paper-lstm" in ref.index:
        best = table.iloc[0]
        cut = 1 - best["rmse_cumulative_mm"] / ref.loc["paper-lstm", "rmse_cumulative_mm"]
        print(f"best: {best['model']}, cumulative RMSE {cut:.0%} below paper-lstm")
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
