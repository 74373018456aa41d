"""One error path for the pages: a user's mistake is one ``st.error`` line, a bug an apology + id.

Usage in a page (or around any block that calls the library)::

    from ui.errors import shown_errors

    with shown_errors("Model page: training"):
        trained = pipeline.train(...)

* :class:`~subsidence.errors.SubsidenceError` (bad input the user can fix) becomes
  ``st.error(<its one line>)``, Markdown-escaped so ids and names show as text.
* Anything else is logged with its traceback (``subsidence.io.errorlog``, server side only) and the
  page shows a short apology with an id to find it; never the traceback or a server path.
* Streamlit's own control flow (``st.stop``, ``st.rerun``) passes through untouched: those are
  ``BaseException`` subclasses and are not caught.

``.streamlit/config.toml`` sets ``client.showErrorDetails = "none"`` so an exception nothing
catches shows Streamlit's generic message, not a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from subsidence.errors import SubsidenceError
from subsidence.io.errorlog import apology, log_unexpected
from subsidence.text import escape_markdown, shorten


def error_line(exc: BaseException, where: str = "") -> str:
    """The one line to show for ``exc`` (unescaped); an unexpected ``exc`` is logged first."""
    if isinstance(exc, SubsidenceError):
        return shorten(str(exc), 1000)
    return apology(exc, log_unexpected(exc, where))


def show_error(exc: BaseException, where: str = "", prefix: str = "") -> str:
    """Show ``exc`` as one ``st.error`` (see module doc) and return the line shown."""
    line = (prefix + " " if prefix else "") + error_line(exc, where)
    st.error(escape_markdown(line))
    return line


@contextmanager
def shown_errors(where: str = "", prefix: str = "") -> Iterator[None]:
    """Run a block; any failure in it becomes one ``st.error`` line (see :func:`show_error`)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - this is the one place that turns every failure into a line
        show_error(exc, where, prefix)
