"""Tables as a planner reads them: plain column names with units, dates without times, rounded numbers.

Every ``st.dataframe`` on the pages goes through :func:`plain` (no snake_case reaches a page).
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

NAMES = {
    "ps_id": "PS point",
    "well_id": "well",
    "x": "x (m)",
    "y": "y (m)",
    "lon": "longitude (°)",
    "lat": "latitude (°)",
    "n": "points",
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "R²",
}
UNITS = (
    ("_mm_per_yr", " (mm/yr)"),
    ("_mm_yr", " (mm/yr)"),
    ("_mm", " (mm)"),
    ("_km", " (km)"),
    ("_m", " (m)"),
)
WORDS = {
    "insar": "InSAR",
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "R²",
    "pct": "%",
    "cv": "cross-validated",
    "sd": "standard deviation",
}


def plain_name(name: object) -> str:
    """``"rmse_change_mm"`` -> ``"RMSE change (mm)"``; names without ``_`` are kept."""
    text = str(name)
    if text in NAMES:
        return NAMES[text]
    if "_" not in text:
        return text
    unit = ""
    for suffix, shown in UNITS:
        if text.endswith(suffix):
            text, unit = text[: -len(suffix)], shown
            break
    words = [WORDS.get(w, w) for w in re.split(r"_+", text) if w]
    if len(words) > 1 and words[0] == "n":  # n_test_points -> test points
        words = words[1:]
    return " ".join(words) + unit


def plain(frame: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """A copy for display: plain column names, dates as YYYY-MM-DD, floats rounded, lon/lat to 5 places."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d").fillna("—")
        elif str(col) in ("lon", "lat"):
            out[col] = s.round(5)
        elif str(col) in ("x", "y"):
            out[col] = s.round(0)
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.round(decimals)
        elif s.dtype == object and len(s) and isinstance(s.iloc[0], pd.Timestamp):
            out[col] = [v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v for v in s]
    out.columns = [plain_name(c) for c in out.columns]
    if isinstance(out.index, pd.DatetimeIndex):
        out.index = out.index.strftime("%Y-%m-%d")
    return out


def show(frame: pd.DataFrame, key: str | None = None, decimals: int = 2, **kwargs: object) -> None:
    """``st.dataframe`` of :func:`plain` (hide_index unless told)."""
    kwargs.setdefault("hide_index", True)
    st.dataframe(plain(frame, decimals), key=key, **kwargs)  # type: ignore[arg-type]


def next_step(text: str) -> None:
    """The page's last line: what to do next."""
    st.divider()
    st.caption(f"**Next:** {text}")


__all__ = ["next_step", "plain", "plain_name", "show"]
