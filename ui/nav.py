"""Links between pages."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException


def page_link(page: str, label: str, icon: str | None = None) -> None:
    """A link to another page; plain words where the page is run alone (tests)."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:
        st.caption(f"{label} (in the sidebar).")
