"""How many CPU threads torch uses for the small sequence models, chosen by measurement.

On the project's 2-core machine the LSTMs (8-64 hidden units, batches of 38 sequences) are
6-60 times slower per epoch with torch's default two intra-op threads than with one: the
threads mostly wait on each other (``bench/bench_threads.py``, figures in
``docs/benchmarks.md``). Training and inference therefore run inside :func:`torch_threads`,
which sets :data:`MODEL_THREADS` threads and puts the previous count back afterwards.

The count is process-wide in torch; nested or concurrent uses (two background jobs) share one
setting, and the previous count comes back when the last of them leaves.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
