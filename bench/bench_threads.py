"""Seconds per training epoch of the sequence LSTMs with 1 and 2 torch threads.

    python bench/bench_threads.py [BUNDLE] [--epochs 3] [--busy 1]

Kriges the bundle (default ``data/demo_small``), then trains ``paper-lstm`` and
``spatial-lstm`` for ``--epochs`` epochs on a 70 % random split with torch set to 1, then 2
threads, and prints the median seconds per epoch of each and the ratio. ``--busy N`` starts N
processes spinning on the CPU meanwhile (a loaded machine: the Streamlit server drawing, a
second job, another user), where the two threads wait on each other most. The library's choice
(``subsidence.threads.MODEL_THREADS``) comes from this measurement (``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidence.models import model_class  # noqa: E402
from subsidence.pipeline import prepare  # noqa: E402
from subsidence.reader import load_study_area  # noqa: E402
from subsidence.splits import random_split  # noqa: E402


def seconds_per_epoch(data, name: str, threads: int, epochs: int, repeats: int) -> float:  # type: ignore[no-untyped-def]
    """Median over ``repeats`` fits of (fit seconds / epochs) with ``threads`` torch threads."""
    cls = model_class(name)
    config = replace(cls.config_class(), max_epochs=epochs)
    train, _ = random_split(data.n_points, 0.3, 0)
    torch.set_num_threads(threads)
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        cls(config).fit(data, train, seed=r)
        times.append((time.perf_counter() - start) / epochs)
    return statistics.median(times)


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default="data/demo_small")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes running meanwhile")
    args = parser.parse_args()
    data = prepare(load_study_area(args.bundle))
    busy = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for p in busy:
        p.start()
    print(f"{args.bundle}: {data.n_points} points x {data.n_epochs} epochs; torch {torch.__version__}")
    for name in ("paper-lstm", "spatial-lstm"):
        one = seconds_per_epoch(data, name, 1, args.epochs, args.repeats)
        two = seconds_per_epoch(data, name, 2, args.epochs, args.repeats)
        print(f"{name:13s} 1 thread {one:.3f} s/epoch   2 threads {two:.3f} s/epoch   ratio {two / one:.1f}x")
    for p in busy:
        p.terminate()
    print(f"{args.busy} busy process(es) meanwhile")


if __name__ == "__main__":
    main()
