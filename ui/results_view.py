"""The Results page's parts: what the map is coloured by (velocity and confidence too), severity, exports."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from subsidence.io.exports import csv_bytes, figure_html, geopackage_bytes, results_geodataframe
from subsidence.validation.results import MEASURE_LABELS, map_values
from subsidence.viz.figures import severity_figure
from subsidence.viz.maps import velocity_mm_yr
from ui import tables

VELOCITY = "velocity"
LABELS = {**MEASURE_LABELS, VELOCITY: "InSAR velocity (mm/yr, linear rate)"}


def measure_radio(key: str) -> str:
    """The "Colour the map by" choice: the results' measures and the InSAR velocity."""
    return str(st.radio("Colour the map by", list(LABELS), format_func=LABELS.get, key=key))


def values_for(res: Any, measure: str, epoch: int, mode: str) -> tuple[np.ndarray, str, str, str]:
    """Values, ramp, label and unit of the map for ``measure``."""
    if measure == VELOCITY:
        data = res.data
        return velocity_mm_yr(data.dates, data.subsidence_mm), "subsidence", "InSAR velocity", "mm/yr"
    values, ramp, label = map_values(res, measure, epoch, mode)
    return values, ramp, label, "mm"


def severity_section(res: Any, mode: str) -> None:
    """Error against severity: the figure and its table."""
    st.subheader("Error against severity")
    left, right = st.columns([3, 2])
    severity = severity_figure(res, mode)
    left.plotly_chart(severity, key="severity_figure")
    with right:
        tables.show(res.severity[mode], key="severity_table")
    right.download_button(
        "Severity figure (HTML)", figure_html(severity), "severity.html", "text/html", key="dl_severity"
    )


def export_section(area: Any, export: Any) -> None:
    """Per-point CSV and GeoPackage downloads (built only when asked)."""
    a, b = st.columns(2)
    a.download_button("Per-point results (CSV)", csv_bytes(export), "results.csv", "text/csv", key="dl_csv")
    b.download_button(
        "Per-point results (GeoPackage)",
        geopackage_bytes(results_geodataframe(area, export)),
        "results.gpkg",
        "application/geopackage+sqlite3",
        key="dl_gpkg",
    )
