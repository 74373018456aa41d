"""Text shown on pages: escaped once, kept short (``subsidence.text`` when present)."""

from __future__ import annotations

try:
    from subsidence.text import escape_html, escape_markdown, shorten
except ImportError:  # pragma: no cover - until the hardening branch is merged
    import html
    import re

    _MD = re.compile(r"([\\`*_\[\]#|<>~$])")  # inline Markdown, links, HTML, LaTeX

    def escape_markdown(s: object) -> str:
        """``s`` with every Markdown character escaped (shown as typed)."""
        return _MD.sub(r"\\\1", str(s))

    def escape_html(s: object) -> str:
        return html.escape(str(s))

    def shorten(s: object, n: int = 200) -> str:
        text = str(s)
        return text if len(text) <= n else text[: n - 1] + "…"


__all__ = ["escape_html", "escape_markdown", "shorten"]
