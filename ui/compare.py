"""Running the model comparison as a background job that can be stopped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from subsidence.errors import SubsidenceError
from subsidence.models.base import SeriesData, TrainingProgress


def run(
    data: SeriesData,
    names: Sequence[str],
    kind: str,
    folds: int,
    lstm_epochs: int,
    progress: Callable[[TrainingProgress], None],
    stop: Callable[[], bool],
) -> Any:
    """:func:`subsidence.comparison.compare`, stopping at the next fit when ``stop()`` is true."""
    from subsidence.comparison import compare

    def report(p: TrainingProgress) -> None:
        progress(p)
        if stop():
            raise SubsidenceError(f"stopped by you after {p.epoch} of {p.max_epochs} fits")

    return compare(data, names, folds=folds, kind=kind, lstm_epochs=lstm_epochs, progress=report)
