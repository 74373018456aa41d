"""Plotly figures of PS time series (labelled, with units, dates on x)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from subsidence.studyarea import StudyArea

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")


def point_positions(area: StudyArea, ps_ids: Sequence[str]) -> np.ndarray:
    """Row positions of ``ps_ids`` in the area (unknown ids are skipped), in the given order."""
    index = {str(p): i for i, p in enumerate(area.points["ps_id"].astype(str))}
    return np.array([index[str(p)] for p in ps_ids if str(p) in index], dtype=int)


def insar_series_figure(area: StudyArea, ps_ids: Sequence[str]) -> go.Figure:
    """Cumulative InSAR subsidence against date for the given PS points.

    Subsidence is in mm, positive = down, relative to the first acquisition; the y axis is
    reversed so that the ground goes down on the screen as it does in the field.
    """
    fig = go.Figure()
    for k, i in enumerate(point_positions(area, ps_ids)):
        pid = str(area.points["ps_id"].iloc[i])
        fig.add_trace(
            go.Scatter(
                x=area.dates,
                y=area.subsidence_mm[i],
                mode="lines+markers",
                name=f"PS {pid}",
                line={"color": PALETTE[k % len(PALETTE)]},
                hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} mm<extra>PS " + pid + "</extra>",
            )
        )
    fig.update_layout(
        title="InSAR cumulative subsidence",
        xaxis_title="acquisition date",
        yaxis_title="cumulative subsidence (mm, down positive)",
        yaxis_autorange="reversed",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig
