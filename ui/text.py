"""Text shown on pages: escaped once, kept short (see ``subsidence.text``)."""

from __future__ import annotations

from subsidence.text import escape_html, escape_markdown, shorten

__all__ = ["escape_html", "escape_markdown", "shorten"]
