"""Files a planner can hand on: per-point results as CSV or GeoPackage, figures as HTML.

Every writer is atomic: it writes a temporary file beside the target, then renames it, so an
existing file is never left half-written. CSV cells that a spreadsheet would run as a formula
are neutralised (see :func:`csv_bytes`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from subsidence.io.atomic import atomic_write
from subsidence.io.studyarea import StudyArea
from subsidence.text import safe_csv_frame


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename (see ``subsidence.io.atomic``).

    Raises
    ------
    StorageError
        When the disk is full or the folder not writable; the message names ``path``.
    """
    return atomic_write(path, data)


def results_geodataframe(area: StudyArea, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Per-point results joined to the PS geometry (one row per row of ``table``).

    Parameters
    ----------
    area : StudyArea
    table : DataFrame
        Must hold ``ps_id``; every other column is kept (mm values, RMSEs, ...).

    Returns
    -------
    GeoDataFrame
        Point geometry in the study area's ``work_crs``, plus ``lon``/``lat``.
    """
    pts = area.points[["ps_id", "lon", "lat", "geometry"]].assign(ps_id=lambda f: f["ps_id"].astype(str))
    merged = pts.merge(table.assign(ps_id=table["ps_id"].astype(str)), on="ps_id", how="inner")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=area.work_crs)


def geopackage_bytes(frame: gpd.GeoDataFrame, layer: str = "results") -> bytes:
    """A GeoPackage of ``frame`` as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.gpkg"
        frame.to_file(path, layer=layer, driver="GPKG")
        return path.read_bytes()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV of ``frame`` (UTF-8, no index) as bytes, safe to open in a spreadsheet.

    Text cells (and column names) starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return get a leading ``'`` (``subsidence.text.safe_csv_frame``), so a spreadsheet shows them
    as text instead of running them as formulas; numbers are written unchanged.
    """
    return safe_csv_frame(frame).to_csv(index=False).encode("utf-8")


def figure_html(fig: go.Figure) -> bytes:
    """A self-contained HTML file of a plotly figure (plotly.js inlined: opens offline)."""
    html: str = fig.to_html(include_plotlyjs=True, full_html=True)  # plotly is untyped
    return html.encode("utf-8")
