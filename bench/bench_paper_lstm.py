"""Benchmark: the paper's LSTM on the full demo (16,487 points x 38 epochs), beside the paper.

Run by hand (not by pytest), from the repository root::

    python bench/bench_paper_lstm.py                       # paper defaults, kriged heads
    python bench/bench_paper_lstm.py --save models/paper-lstm-demo
    python bench/bench_paper_lstm.py --optimizer adam --loss mse --epochs 60

Prints the time, the loss per epoch, our three metrics beside the paper's, the persistence
baseline (next change = last change) for scale, the table by severity class (the paper's
Fig. 6) and 12 random test points (the paper's Table 2). ``--truth-head`` uses the synthetic
truth's head instead of kriging (an upper bound: no kriging error).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from subsidence import pipeline  # noqa: E402
from subsidence.features import series_data  # noqa: E402
from subsidence.geostat.factors import Factors  # noqa: E402
from subsidence.io.reader import load_study_area  # noqa: E402
from subsidence.models.lstm import LSTMConfig  # noqa: E402
from subsidence.validation import evaluation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(ROOT / "data" / "demo_beijing"))
    parser.add_argument("--epochs", type=int, default=38)
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--loss", default="sse")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--truth-head", action="store_true", help="use the synthetic truth head instead of kriging"
    )
    parser.add_argument("--save", default=None, help="save the trained model to this folder")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    area = load_study_area(args.bundle)
    if args.truth_head:
        from subsidence.demo.synthetic_bundle import load_truth

        truth = load_truth(args.bundle)
        factors = Factors(
            truth.head_m, np.zeros_like(truth.head_m), truth.thickness_m, truth.permeability_m_per_day
        )
        data = series_data(area, factors)
    else:
        data = pipeline.prepare(area)
    print(
        f"data: {data.n_points} points x {data.n_epochs} epochs, prepared in {time.perf_counter() - start:.1f} s"
    )

    config = LSTMConfig(
        max_epochs=args.epochs, optimizer=args.optimizer, learning_rate=args.lr, loss=args.loss
    )
    chosen = pipeline.split(data, "random", args.seed)

    def report(p):  # type: ignore[no-untyped-def]
        if p.epoch in (1, 2, 5) or p.epoch % 10 == 0 or p.epoch == p.max_epochs:
            print(f"  epoch {p.epoch:3d}/{p.max_epochs}: train loss {p.train_loss:.6f} (mean square, scaled)")

    print(f"training paper-lstm: {config}, {torch.get_num_threads()} threads")
    trained = pipeline.train("paper-lstm", data, chosen, seed=args.seed, config=config, progress=report)
    print(f"trained {trained.epochs_trained} epochs in {trained.seconds:.1f} s")

    persistence = np.c_[np.full((data.n_points, 1), np.nan), data.change_mm[:, :-1]]
    base = evaluation.metrics(data, persistence, chosen.test_idx)
    print(f"\n{'metric (test points)':28s} {'ours':>9s} {'paper':>9s} {'ratio':>7s} {'persistence':>12s}")
    for key, paper in evaluation.PAPER_METRICS.items():
        ours = trained.metrics[key]
        print(f"{key:28s} {ours:9.3f} {paper:9.3f} {ours / paper:7.3f} {base[key]:12.3f}")
    for key in ("rmse_cumulative_last_mm", "rmse_cumulative_free_mm"):
        print(f"{key:28s} {trained.metrics.get(key, float('nan')):9.3f}")

    print("\nby severity (InSAR cumulative at the last epoch), test points:")
    print(
        evaluation.severity_table(data, trained.modelled_mm, chosen.test_idx).round(3).to_string(index=False)
    )
    print("\n12 random test points (as the paper's Table 2):")
    points = evaluation.random_points(chosen.test_idx, 12, seed=args.seed)
    print(evaluation.point_table(data, trained.modelled_mm, points).round(2).to_string(index=False))

    if args.save:
        path = pipeline.save_trained(trained, args.save, area, data)
        size = sum(f.stat().st_size for f in Path(path).iterdir())
        print(f"\nsaved to {path} ({size / 1024:.1f} KB)")


if __name__ == "__main__":
    main()
