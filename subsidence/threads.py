"""How many CPU threads torch uses for the small sequence models, chosen by measurement.

On the project's 2-core machine the LSTMs (8-64 hidden units, batches of 38 sequences) are
6-60 times slower per epoch with torch's default two intra-op threads than with one: the
threads mostly wait on each other (``bench/bench_threads.py``, figures in
``docs/benchmarks.md``). Training and inference therefore run inside :func:`torch_threads`,
which sets :data:`MODEL_THREADS` threads and puts the previous count back afterwards.

The count is process-wide in torch; nested or concurrent uses (two background jobs) share one
setting, and the previous count comes back when the last of them leaves.

Per step (:data:`STEP_THREADS`, :func:`step_threads`): the pipeline's steps also set the BLAS
library's threads (numpy/scipy's OpenBLAS, through ``threadpoolctl`` when it is installed),
each from the same benchmark (``bench/bench_threads.py``, table in ``docs/benchmarks.md``).
The library (``subsidence.pipeline``, ``subsidence.scale.chunked``), the command line and the app
run kriging, training and evaluation inside ``step_threads("krige" | "train" | "evaluate")``.
``SUBSIDENCE_TORCH_THREADS`` and ``SUBSIDENCE_BLAS_THREADS`` override every step.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

MODEL_THREADS = 1
"""Threads for the sequence models: 1, measured fastest on 2 cores (docs/benchmarks.md)."""

ENV_VARIABLE = "SUBSIDENCE_TORCH_THREADS"
"""Set this environment variable to override :data:`MODEL_THREADS` (a positive integer)."""

_lock = threading.Lock()
_users = 0
_previous: int | None = None


def model_threads() -> int:
    """Threads to use: ``$SUBSIDENCE_TORCH_THREADS`` when set to a positive integer, else 1."""
    value = os.environ.get(ENV_VARIABLE, "")
    return int(value) if value.isdigit() and int(value) > 0 else MODEL_THREADS


@contextmanager
def torch_threads(n: int | None = None) -> Iterator[int]:
    """Run the block with ``n`` torch threads (default :func:`model_threads`); yields ``n``."""
    import torch

    global _users, _previous
    n = n if n is not None else model_threads()
    with _lock:
        if _users == 0:
            _previous = torch.get_num_threads()
        _users += 1
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _previous is not None:
                torch.set_num_threads(_previous)
                _previous = None


BLAS_ENV_VARIABLE = "SUBSIDENCE_BLAS_THREADS"
"""Set this environment variable to override the BLAS threads of every step (a positive integer)."""


@dataclass(frozen=True)
class StepThreads:
    """Threads of one pipeline step and why (the measurement behind them).

    Attributes
    ----------
    torch : int
        Torch intra-op threads.
    blas : int
        BLAS (OpenBLAS under numpy/scipy) threads.
    reason : str
        The measured figures that chose them (2-core machine, ``bench/bench_threads.py``).
    """

    torch: int
    blas: int
    reason: str


STEP_THREADS: dict[str, StepThreads] = {
    "krige": StepThreads(
        1,
        1,
        "kriging 2,000 points: BLAS 1 thread 0.36 s, 2 threads 0.71 s (idle); 0.99 s and 2.16 s (one busy process)",
    ),
    "train": StepThreads(
        1,
        1,
        "paper-lstm s/epoch: torch 1 thread 0.031 (BLAS 1) and 0.032 (BLAS 2), torch 2 threads 0.63-0.74; "
        "busy: 0.174, 0.188 and 12-15",
    ),
    "evaluate": StepThreads(
        1,
        2,
        "one-step prediction of 2,000 points: torch 1 + BLAS 2 0.017 s, BLAS 1 0.026 s, torch 2 0.054-0.105 s; "
        "busy: 0.039, 0.061 and 1.18 s",
    ),
}
"""Per-step defaults, measured on the project's 2-core machine (``docs/benchmarks.md``)."""


def _env_count(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def step_counts(step: str) -> tuple[int, int]:
    """(torch, BLAS) threads for ``step`` ("krige", "train" or "evaluate"), after overrides.

    Raises
    ------
    KeyError
        For a step not in :data:`STEP_THREADS`.
    """
    chosen = STEP_THREADS[step]
    return _env_count(ENV_VARIABLE, chosen.torch), _env_count(BLAS_ENV_VARIABLE, chosen.blas)


@contextmanager
def step_threads(step: str) -> Iterator[tuple[int, int]]:
    """Run the block with the torch and BLAS threads measured best for ``step``; yields them.

    BLAS threads are set through ``threadpoolctl`` when it is installed; without it only
    ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` set before Python starts apply. Torch is
    imported only when it already is (kriging alone never loads it).
    """
    import sys

    n_torch, n_blas = step_counts(step)
    with ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            pass
        else:
            stack.enter_context(threadpool_limits(limits=n_blas, user_api="blas"))
        if "torch" in sys.modules:
            stack.enter_context(torch_threads(n_torch))
        yield n_torch, n_blas
