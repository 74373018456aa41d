"""Every model under spatial-block cross-validation on a demo, beside the paper's numbers.

    python bench/bench_leaderboard.py [BUNDLE] [--folds N] [--lstm-epochs 20] [--kind spatial-block]

The same recipe as the dashboard's Compare page (``subsidence.validation.comparison.compare``): kriged
heads at the PS points, the validation protocol the data allow unless ``--kind``/``--folds``
are given (``docs/protocols.md``: blocks the size of the variogram range of last-epoch
subsidence with a quarter-block buffer on the demo), pooled out-of-fold predictions, the
LSTMs capped at ``--lstm-epochs`` epochs (the paper's settings otherwise); torch uses the
library's measured thread count (``subsidence.threads``; 1 on 2 cores). Two cumulative scores: the
paper's (one-step changes summed, each step restarting from the observed series) and the
free-running one (each model run on its own predictions from the first epoch: what a
forecast from the causes alone achieves).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidence.io.reader import load_study_area  # noqa: E402
from subsidence.models import model_names  # noqa: E402
from subsidence.pipeline import prepare  # noqa: E402
from subsidence.validation.comparison import compare, gain_over  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default="data/demo_beijing")
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--lstm-epochs", type=int, default=20)
    parser.add_argument("--kind", default=None)
    parser.add_argument("--models", default=",".join(model_names()))
    args = parser.parse_args()
    start = time.perf_counter()
    data = prepare(load_study_area(args.bundle))
    print(
        f"{args.bundle}: {data.n_points} points x {data.n_epochs} epochs, kriged in {time.perf_counter() - start:.1f} s"
    )
    result = compare(
        data,
        args.models.split(","),
        folds=args.folds,
        kind=args.kind,
        lstm_epochs=args.lstm_epochs,
        progress=lambda p: print(f"  {p.message}", flush=True),
    )
    table = result.table
    print(f"{result.protocol.note} Noise floor {result.noise_floor_mm:.2f} mm per interval.")
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    cols = [
        "model",
        "rmse_change_mm",
        "mae_change_mm",
        "rmse_cumulative_mm",
        "rmse_cumulative_free_mm",
        "rmse_cumulative_free_last_mm",
        "change_vs_noise",
        "seconds",
    ]
    print(table[[c for c in cols if c in table]].round(2).to_string(index=False))
    for prefix in ("rmse_cumulative_mm ", "rmse_cumulative_free_mm "):
        severity = [c for c in table.columns if c.startswith(prefix)]
        print(table[["model", *severity]].dropna(subset=severity).round(1).to_string(index=False))
    for column in ("rmse_cumulative_mm", "rmse_cumulative_free_mm"):
        if column in table:
            gains = gain_over(table, column=column)
            print(
                f"cut of {column} against paper-lstm: "
                + ", ".join(f"{m} {g:+.0%}" for m, g in gains.dropna().items())
            )
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
