"""Seconds of each pipeline step (krige, train, evaluate) with 1 or 2 torch and BLAS threads.

    python bench/bench_threads.py [BUNDLE] [--epochs 2] [--repeats 3] [--busy 1]

Loads the bundle (default ``data/demo_small``) and times, for every combination of torch
threads (1, 2) and BLAS threads (1, 2):

- ``krige``: :func:`subsidence.pipeline.prepare` (kriging of heads and layers at the PS
  points, numpy/scipy BLAS; torch is not used, so only the BLAS count varies);
- ``train``: ``paper-lstm`` and ``spatial-lstm`` fitted for ``--epochs`` epochs on a 70 %
  random split (seconds per epoch);
- ``evaluate``: one-step prediction of every point and the metrics of the test points.

Torch's count goes through ``SUBSIDENCE_TORCH_THREADS`` (what the library's
``torch_threads`` reads); BLAS's through ``threadpoolctl`` (or ``OPENBLAS_NUM_THREADS`` set
before start when it is not installed: then only the start-up count is measured). ``--busy N``
runs N CPU-bound processes meanwhile (the Streamlit server drawing, a second job). Each
figure is the median of ``--repeats`` runs. The per-step defaults in
``subsidence.threads.STEP_THREADS`` come from this table (``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidence.io.reader import load_study_area  # noqa: E402
from subsidence.models import model_class  # noqa: E402
from subsidence.models.base import ONE_STEP  # noqa: E402
from subsidence.pipeline import prepare  # noqa: E402
from subsidence.threads import ENV_VARIABLE  # noqa: E402
from subsidence.validation import evaluation  # noqa: E402
from subsidence.validation.splits import random_split  # noqa: E402


@contextlib.contextmanager
def threads(n_torch: int, n_blas: int) -> Iterator[None]:
    """Torch and BLAS thread counts for the block (BLAS via threadpoolctl when installed)."""
    os.environ[ENV_VARIABLE] = str(n_torch)
    torch.set_num_threads(n_torch)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # only the count set in the environment before start applies
        yield
        return
    with threadpool_limits(limits=n_blas, user_api="blas"):
        yield


def median_seconds(run: Callable[[], object], n_torch: int, n_blas: int, repeats: int) -> float:
    times = []
    with threads(n_torch, n_blas):
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default="data/demo_small")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes running meanwhile")
    args = parser.parse_args()
    area = load_study_area(args.bundle)
    data = prepare(area)
    train_idx, test_idx = random_split(data.n_points, 0.3, 0)
    busy = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for p in busy:
        p.start()
    print(f"{args.bundle}: {data.n_points} points x {data.n_epochs} epochs; torch {torch.__version__}")
    print(f"{args.busy} busy process(es) meanwhile; median of {args.repeats}")
    print("step          torch blas  seconds")
    for blas in (1, 2):
        s = median_seconds(lambda: prepare(area), 1, blas, args.repeats)
        print(f"krige           -    {blas}   {s:8.3f}")
    for name in ("paper-lstm", "spatial-lstm"):
        cls = model_class(name)
        config = replace(cls.config_class(), max_epochs=args.epochs)
        fitted = cls(config).fit(data, train_idx, seed=0)

        def fit(cls=cls, config=config) -> object:  # type: ignore[no-untyped-def]
            return cls(config).fit(data, train_idx, seed=0)

        def score(fitted=fitted) -> object:  # type: ignore[no-untyped-def]
            return evaluation.metrics(data, fitted.predict(data, ONE_STEP), test_idx)

        for n_torch in (1, 2):
            for blas in (1, 2):
                s = median_seconds(fit, n_torch, blas, args.repeats) / args.epochs
                print(f"train {name:12s} {n_torch}  {blas}   {s:8.3f} /epoch")
        for n_torch in (1, 2):
            for blas in (1, 2):
                s = median_seconds(score, n_torch, blas, args.repeats)
                print(f"evaluate {name:9s} {n_torch}  {blas}   {s:8.3f}")
    for p in busy:
        p.terminate()


if __name__ == "__main__":
    main()
