"""Long work (training) in a background thread, so a page can show progress and a Stop button.

A page starts a :class:`Job` with a function that takes ``progress`` and ``stop`` callbacks;
the job records every progress report; the page polls it from an auto-refreshing fragment.
Stopping sets a flag the library checks between batches: no thread is ever killed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from subsidence.errors import SubsidenceError
from ui.errors import error_line


@dataclass
class Job:
    """A running or finished piece of work; mutated only by its own thread and :meth:`stop`."""

    label: str
    reports: list[Any] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # what the page needs to remember (area, shown)
    alive: Callable[[], bool] | None = None  # False once the session that started the job is gone
    grace_s: float = 120.0  # how long a session may be gone (a reconnect) before the job stops
    abandoned: bool = False  # stopped because its session was gone
    _gone_since: float | None = None
    _checked: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def stop(self) -> None:
        self._stop.set()

    def should_stop(self) -> bool:
        """The library's ``stop`` callback: the user pressed Stop, or the session is gone."""
        if self._stop.is_set():
            return True
        if self.alive is None:
            return False
        now = time.monotonic()
        if now - self._checked < 1.0:
            return False
        self._checked = now
        if self.alive():
            self._gone_since = None
            return False
        self._gone_since = self._gone_since or now
        if now - self._gone_since >= self.grace_s:
            self.abandoned = True
            self._stop.set()
            return True
        return False

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


def start(
    label: str,
    work: Callable[..., Any],
    /,
    alive: Callable[[], bool] | None = None,
    grace_s: float = 120.0,
    **kwargs: Any,
) -> Job:
    """Run ``work(progress=..., stop=..., **kwargs)`` in a daemon thread and return its Job.

    ``alive`` (optional) says whether the session that started the job is still there; the
    job stops itself once it has returned False for ``grace_s`` seconds.
    """
    job = Job(label, alive=alive, grace_s=grace_s)

    def run() -> None:
        try:
            job.result = work(progress=job.reports.append, stop=job.should_stop, **kwargs)
        except SubsidenceError as exc:
            job.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - an apology + id for the user; the trace goes to the error log
            job.error = error_line(exc, where=f"job {label}")
        finally:
            job.finished = time.monotonic()

    job._thread = threading.Thread(target=run, name=f"job-{label}", daemon=True)
    job._thread.start()
    return job


def session_alive_check() -> Callable[[], bool] | None:
    """A function saying whether this browser session is still connected (None outside a server).

    Uses Streamlit's session manager: a closed or reloaded tab leaves no active session
    with this id (a reload opens a new session).
    """
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None or not Runtime.exists():
            return None
        runtime, session_id = Runtime.instance(), ctx.session_id
        manager = runtime._session_mgr  # no public API for this
    except (ImportError, AttributeError, RuntimeError):
        return None

    def alive() -> bool:
        try:
            return manager.get_active_session_info(session_id) is not None
        except Exception:  # noqa: BLE001 - a failing check must never stop a training
            return True

    return alive
