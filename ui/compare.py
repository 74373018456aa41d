"""The Compare page's glue: defaults from the data, the time estimate, the stoppable job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from subsidence.models.base import TrainingProgress
from subsidence.series import SeriesData
from subsidence.validation.comparison import Calibration, Settings
from subsidence.validation.protocols import Protocol, ProtocolError, default_protocol
from ui import keys, tables

FOLD_KINDS = ("spatial-block",)


def settings(area_key: str, data: SeriesData) -> Settings:
    """:func:`subsidence.validation.comparison.default_settings` for the area (measured once per area)."""
    return _settings(area_key, data)


@st.cache_resource(show_spinner=False, max_entries=8)
def _settings(area_key: str, _data: SeriesData) -> Settings:
    from subsidence.validation.comparison import default_settings

    return default_settings(_data, calibration(area_key, _data))


@st.cache_resource(show_spinner=False, max_entries=8)
def _calibration(area_key: str, _data: SeriesData) -> Calibration:
    from subsidence.validation.comparison import calibrate

    return calibrate(_data)


def calibration(area_key: str, data: SeriesData) -> Calibration:
    """The timing measured for the area's defaults (one short fit of each model)."""
    return _calibration(area_key, data)


@st.cache_resource(show_spinner=False, max_entries=16)
def _protocol(area_key: str, kind: str, folds: int | None, _data: SeriesData) -> Protocol | str:
    try:
        return default_protocol(_data, kind, folds if kind in FOLD_KINDS else None)
    except ProtocolError as exc:
        return str(exc)


def protocol(area_key: str, data: SeriesData, kind: str, folds: int | None) -> Protocol | str:
    """The protocol for the user's choice, or the plain reason it cannot be made."""
    return _protocol(area_key, kind, folds, data)


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
    """:func:`subsidence.validation.comparison.compare`; ``stop()`` ends it within a training batch."""
    from subsidence.validation.comparison import compare

    return compare(data, names, protocol=protocol, lstm_epochs=lstm_epochs, progress=progress, stop=stop)


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    """The running comparison: progress, time left and Stop (refreshed every second)."""
    job = st.session_state.get(keys.COMPARE_JOB)
    if job is None:
        return
    if not job.running:
        if not job.meta.get("shown"):  # the main script stopped before the results: draw them now
            job.meta["shown"] = True
            st.rerun()
        return
    last = job.reports[-1] if job.reports else None
    fraction = float(getattr(last, "fraction", 0.0)) if last is not None else 0.0
    elapsed = job.seconds
    left = elapsed / fraction - elapsed if fraction > 0.05 else (job.meta.get("estimate") or 0.0) - elapsed
    text = last.message if last is not None else f"starting {job.meta.get('fits', '')} fits"
    st.progress(
        min(fraction, 1.0),
        text=f"{text} · {elapsed:.0f} s so far · about {minutes(max(left, 1.0))} left",
    )
    if job.stopped:
        st.caption("Stopping within a training batch…")
    else:
        st.button("Stop", on_click=job.stop, key="stop_compare")


NEXT = "6 · Scenarios — forecast subsidence under groundwater scenarios."


def _stop() -> None:
    tables.next_step(NEXT)
    st.stop()


def finished_result(area_key: str) -> Any:
    """The last comparison's result for this area; otherwise say why there is none and stop the page."""
    job = st.session_state.get(keys.COMPARE_JOB)
    if job is not None and job.meta.get("area") != area_key:
        st.info("The last comparison ran on another study area: run it again for this one.")
        _stop()
    if job is None:
        st.info("Choose models and press **Run the comparison**; its progress is shown here.")
        _stop()
    if job.running:
        st.info("The comparison is running; the leaderboard appears here when it ends.")
        _stop()
    if job.error and job.stopped:
        st.info(f"The comparison was stopped ({job.error}); nothing from it was kept.")
        _stop()
    if job.error:
        st.error(f"The comparison did not finish: {job.error}")
        _stop()
    return job.result
