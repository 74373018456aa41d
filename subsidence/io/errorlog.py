"""Unexpected failures: logged with their traceback under a short id, shown as one line.

The command line and the pages show a short apology with the id; the traceback goes to a log
file only (``$SUBSIDENCE_LOG_DIR/errors.log``, default ``<temp dir>/subsidence-logs/errors.log``)
so that server paths and code never reach a user.
"""

from __future__ import annotations

import logging
import os
import tempfile
import traceback
import uuid
from pathlib import Path

from subsidence.text import shorten

_LOGGER = "subsidence.unexpected"


def log_path() -> Path:
    """Where unexpected failures are logged."""
    folder = Path(os.environ.get("SUBSIDENCE_LOG_DIR") or Path(tempfile.gettempdir()) / "subsidence-logs")
    return folder / "errors.log"


def log_unexpected(exc: BaseException, where: str = "") -> str:
    """Log ``exc`` with its traceback under a new id and return the id (8 hex digits)."""
    error_id = uuid.uuid4().hex[:8]
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"--- error {error_id} {where}\n{text}\n")
    except OSError:  # the log cannot be written: keep the traceback in the process log instead
        logging.getLogger(_LOGGER).error("error %s %s\n%s", error_id, where, text)
    return error_id


def apology(exc: BaseException, error_id: str) -> str:
    """One line for the user: what kind of failure, the id, and that it was logged."""
    return (
        f"something went wrong that should not have ({shorten(type(exc).__name__, 40)}); "
        f"the details are logged under id {error_id}, please quote it when reporting this"
    )
