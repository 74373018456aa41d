"""Confidence on the Results and Scenarios maps: one control, one paragraph, the same classes.

The classes come from :mod:`subsidence.planning.confidence` (the same as the Hazard page and the
decision pack); this module only chooses how a map shows them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from subsidence.planning.confidence import DO_NOT_USE, EXPLANATION, confidence
from subsidence.viz.hazard_figures import CONFIDENCE_COLOURS
from subsidence.viz.maps import colour_range, colours, grey_out, palette_colours
from ui import cache

OFF = "not shown"
GREY = "grey out 'do not use'"
COLOUR = "colour by confidence"
CHOICES = (OFF, GREY, COLOUR)


def cv_errors(results: Any) -> np.ndarray:
    """Absolute one-step cumulative error at the last date of the held-out points (NaN elsewhere)."""
    modelled = results.cumulative["one-step"][:, -1]
    return np.where(results.test_mask, np.abs(modelled - results.data.subsidence_mm[:, -1]), np.nan)


@st.cache_resource(show_spinner=False, max_entries=16)
def _confidence(
    key: str,
    _xy: np.ndarray,
    _head_sd: np.ndarray,
    _wells: np.ndarray,
    _cv: np.ndarray | None,
    _band: np.ndarray | None,
) -> pd.DataFrame:
    return confidence(_xy, _head_sd, _wells, _cv, _band)


def point_confidence(
    area: Any, data: Any, cv: np.ndarray | None = None, band: np.ndarray | None = None, tag: str = ""
) -> pd.DataFrame:
    """The confidence table of every point (cached per area, model and forecast ``tag``)."""
    kriged = cache.inputs_kriging(area)  # already computed for the model inputs
    head_sd = kriged.factors.head_sd_m if kriged is not None else np.full(data.n_points, np.nan)
    wells = np.column_stack([area.wells.x, area.wells.y])
    key = f"{cache.area_identity(area)}|{tag}|{cv is None}|{band is None}"
    return _confidence(key, data.xy_m, head_sd, wells, cv, band)


def control(key: str) -> str:
    """The "Confidence" radio of a map, with the one-paragraph explanation under it."""
    choice = st.radio("Confidence", CHOICES, key=key, help=EXPLANATION)
    if choice != OFF:
        st.caption(EXPLANATION)
    return str(choice)


def map_colours(
    choice: str, conf: pd.DataFrame | None, values: np.ndarray, ramp: str, value_range: tuple[float, float]
) -> tuple[np.ndarray | None, str]:
    """Colours for the map under a confidence ``choice`` (None: the plain ramp) and a legend line."""
    if conf is None or choice == OFF:
        return None, ""
    labels = conf["confidence"].to_numpy()
    if choice == COLOUR:
        rgba, legend = palette_colours(labels, CONFIDENCE_COLOURS)
        return rgba, legend
    lo, hi = value_range if value_range else colour_range(values)
    rgba = grey_out(colours(values, lo, hi, ramp), labels == DO_NOT_USE)
    n = int((labels == DO_NOT_USE).sum())
    return rgba, f'<div style="font-size:0.85rem">Pale grey: {n:,} points marked "do not use".</div>'
