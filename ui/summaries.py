"""Per-area summaries the pages show on every run, computed once per study area.

At a million points the summary, the data-quality table and the velocities take about a second
each; a rerun after a click must not pay for them again (docs/big-maps.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from subsidence.io.studyarea import StudyArea
from subsidence.viz import maps
from ui.cache import area_identity


@st.cache_resource(show_spinner=False, max_entries=8)
def _summary(identity: str, _area: StudyArea) -> dict[str, Any]:
    from subsidence.validation.quality import area_summary

    return area_summary(_area)


@st.cache_resource(show_spinner=False, max_entries=8)
def _quality(identity: str, _area: StudyArea) -> pd.DataFrame:
    from subsidence.validation.quality import quality_table

    return quality_table(_area)


@st.cache_resource(show_spinner=False, max_entries=8)
def _velocity(identity: str, _area: StudyArea) -> np.ndarray:
    return maps.velocity_mm_yr(_area.dates, _area.subsidence_mm)


def area_summary(area: StudyArea) -> dict[str, Any]:
    """:func:`subsidence.validation.quality.area_summary`, once per area (a million points: a second per rerun)."""
    return _summary(area_identity(area), area)


def quality_table(area: StudyArea) -> pd.DataFrame:
    """:func:`subsidence.validation.quality.quality_table`, once per area."""
    return _quality(area_identity(area), area)


def velocity(area: StudyArea) -> np.ndarray:
    """Each point's InSAR velocity (mm/yr, :func:`subsidence.viz.maps.velocity_mm_yr`), once per area."""
    return _velocity(area_identity(area), area)
