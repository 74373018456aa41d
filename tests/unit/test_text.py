"""Text from users' files: shortened to one line, escaped for Markdown and HTML, CSV-safe."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from subsidence.errors import BundleError
from subsidence.text import escape_html, escape_markdown, safe_csv_cell, safe_csv_frame, shorten


def test_shorten_makes_one_short_line() -> None:
    assert shorten("line one\nline two\r\n\tend") == "line one line two end"
    assert shorten("x" * 500, 10) == "x" * 9 + "…"
    assert shorten("short", 10) == "short"
    assert shorten("a\x00b\x07c") == "abc"


def test_shorten_is_fast_on_megabytes() -> None:
    start = time.perf_counter()
    out = shorten("\x00" * 5_000_000 + "tail", 50)
    assert time.perf_counter() - start < 0.5
    assert len(out) <= 50 and out.endswith("…")


def test_errors_are_one_bounded_line() -> None:
    message = str(BundleError("first\nsecond " + "y" * 5000))
    assert "\n" not in message and len(message) <= 1000 and message.startswith("first second")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[click](http://evil.example)", "\\[click\\]\\(http\\:\u200b//evil\\.example\\)"),
        (
            "see www.evil.example or me@evil.example",
            "see www\u200b\\.evil\\.example or me\u200b@evil\\.example",
        ),
        ("**bold** _it_", r"\*\*bold\*\* \_it\_"),
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
        ("P-001", r"P\-001"),
    ],
)
def test_markdown_is_shown_as_text(raw: str, shown: str) -> None:
    assert escape_markdown(raw) == shown


def test_html_is_escaped_once() -> None:
    assert escape_html('<b a="1">&</b>') == "&lt;b a=&quot;1&quot;&gt;&amp;&lt;/b&gt;"


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert safe_csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", [-3.2, 5, "P1", "", None, "a=b"])
def test_other_cells_are_kept(cell: object) -> None:
    assert safe_csv_cell(cell) == cell


def test_frame_keeps_numbers_and_neutralises_text_and_names() -> None:
    frame = pd.DataFrame({"=bad": ["=x", "ok"], "v": [-1.0, 2.0]})
    safe = safe_csv_frame(frame)
    assert list(safe.columns) == ["'=bad", "v"]
    assert safe["'=bad"].tolist() == ["'=x", "ok"] and safe["v"].tolist() == [-1.0, 2.0]
    assert frame["=bad"].tolist() == ["=x", "ok"]  # the input is not changed
