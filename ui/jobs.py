"""Long work (training) in a background thread, so a page can show progress and a Stop button.

A page starts a :class:`Job` with a function that takes ``progress`` and ``stop`` callbacks;
the job records every progress report; the page polls it from an auto-refreshing fragment.
Stopping sets a flag the library checks between batches: no thread is ever killed.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from subsidence.errors import SubsidenceError


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

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


def start(label: str, work: Callable[..., Any], /, **kwargs: Any) -> Job:
    """Run ``work(progress=..., stop=..., **kwargs)`` in a daemon thread and return its Job."""
    job = Job(label)

    def run() -> None:
        try:
            job.result = work(progress=job.reports.append, stop=job._stop.is_set, **kwargs)
        except SubsidenceError as exc:
            job.error = str(exc)
        except Exception as exc:  # shown to the user as one line; the trace goes to the server log
            traceback.print_exc()
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = time.monotonic()

    job._thread = threading.Thread(target=run, name=f"job-{label}", daemon=True)
    job._thread.start()
    return job
