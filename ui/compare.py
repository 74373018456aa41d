"""The Compare page's glue: defaults from the data, the time estimate, the stoppable job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from subsidence.models.base import SeriesData, TrainingProgress
from subsidence.protocols import Protocol, ProtocolError, default_protocol
from ui import cache

FOLD_KINDS = ("spatial-block",)


def settings(area_key: str, data: SeriesData) -> Any:
    """:func:`subsidence.comparison.default_settings` for the area (measured once per area)."""
    from subsidence.comparison import default_settings

    return cache.cached(
        ("compare-settings", area_key), lambda: default_settings(data, calibration(area_key, data))
    )


def calibration(area_key: str, data: SeriesData) -> Any:
    """The timing measured for the area's defaults (one short fit of each model)."""
    from subsidence.comparison import calibrate

    return cache.cached(("compare-calibration", area_key), lambda: calibrate(data))


def protocol(area_key: str, data: SeriesData, kind: str, folds: int | None) -> Protocol | str:
    """The protocol for the user's choice, or the plain reason it cannot be made."""

    def make() -> Protocol | str:
        try:
            return default_protocol(data, kind, folds if kind in FOLD_KINDS else None)
        except ProtocolError as exc:
            return str(exc)

    return cache.cached(("compare-protocol", area_key, kind, folds), make)


def minutes(seconds: float) -> str:
    """``45 s``, ``3 min``, ``1 h 20 min``."""
    if seconds < 60:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 / 60:.0f} min"


def run(
    data: SeriesData,
    names: Sequence[str],
    protocol: Protocol,
    lstm_epochs: int,
    progress: Callable[[TrainingProgress], None],
    stop: Callable[[], bool],
) -> Any:
    """:func:`subsidence.comparison.compare`; ``stop()`` ends it within a training batch."""
    from subsidence.comparison import compare

    return compare(data, names, protocol=protocol, lstm_epochs=lstm_epochs, progress=progress, stop=stop)
