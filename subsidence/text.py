"""Text from users' files, made safe to show and to export.

Ids, names and attributes come from contractors' files and may hold anything: Markdown, HTML,
control characters, megabytes of one line. Everything shown goes through one of these:

* :func:`shorten` — one line, at most ``n`` characters, ending in "…" when cut;
* :func:`escape_markdown` — for ``st.markdown``/``st.error``/captions (links and emphasis
  become literal text);
* :func:`escape_html` — for HTML contexts (plotly hover text, tooltips), applied **once**;
* :func:`safe_csv_cell`/:func:`safe_csv_frame` — for CSV exports: a text cell starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so spreadsheet
  programs show it as text instead of running it as a formula (OWASP "CSV injection").
  Numbers stay numbers (``-3.2`` is not touched).
"""

from __future__ import annotations

import html
import re

import pandas as pd

ELLIPSIS = "…"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
# Streamlit's Markdown (remark-gfm) links bare addresses in the text after escapes are read, so a
# zero-width space (invisible) goes into "://", "www." and "@" to keep them plain text.
_AUTOLINK = re.compile(r"(:(?=//)|(?i:\bwww)(?=\.)|(?<=\w)(?=@\w))")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def shorten(s: object, n: int = 200) -> str:
    """``s`` as one line of at most ``n`` characters, "…" marking a cut.

    Control characters (NUL included) are dropped and runs of white space (newlines too)
    become one space. Only the first ``4 * n`` characters are looked at, so a megabyte string
    costs no more than a short one.

    Parameters
    ----------
    s : object
        Anything; ``str(s)`` is shortened.
    n : int
        Maximum length of the result (at least 1).

    Returns
    -------
    str
    """
    n = max(1, int(n))
    text = s if isinstance(s, str) else str(s)
    head = text[: 4 * n + 8]
    line = _SPACE.sub(" ", _CONTROL.sub("", head)).strip()
    if len(line) > n or len(text) > len(head):
        return line[: n - 1].rstrip() + ELLIPSIS
    return line


def escape_markdown(s: object) -> str:
    """``s`` with Markdown (and the HTML Streamlit's Markdown accepts) shown literally.

    Every character Markdown gives a meaning (``[ ] ( ) * _ ` # < > | ~ $ :`` ...) is
    backslash-escaped, so ``[x](http://…)`` shows as text, not as a link; an invisible
    zero-width space breaks the bare addresses Markdown would link by itself.
    """
    text = _AUTOLINK.sub("\\1\u200b", s if isinstance(s, str) else str(s))
    return _MARKDOWN.sub(r"\\\1", text)


def escape_html(s: object) -> str:
    """``s`` with ``& < > " '`` as HTML entities; apply once, to raw text only."""
    return html.escape(s if isinstance(s, str) else str(s), quote=True)


def safe_csv_cell(v: object) -> object:
    """One CSV cell, neutralised: text starting with ``= + - @``, tab or CR gets a leading ``'``.

    Numbers (int, float, numpy numbers, bool) and missing values are returned unchanged, so
    ``-3.2`` stays a number.
    """
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def safe_csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) are neutralised by :func:`safe_csv_cell`.

    Numeric columns are left as they are.
    """
    out = df.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])):
            out[col] = out[col].map(safe_csv_cell)
    out.columns = [safe_csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


__all__ = [
    "ELLIPSIS",
    "escape_html",
    "escape_markdown",
    "safe_csv_cell",
    "safe_csv_frame",
    "shorten",
]
