"""Figures of a hindcast: curves at picked points with the 90 % band, beside what InSAR saw."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from subsidence.validation.hindcast import IT_STOPS, VELOCITY, Hindcast


def hindcast_figure(h: Hindcast, picked: Sequence[str]) -> go.Figure:
    """Cumulative subsidence since the cut at each picked point: model, band, references, InSAR.

    Subsidence is drawn downwards (mm, positive = down, axis reversed) as on the other pages.
    """
    fig = go.Figure()
    where = {str(p): i for i, p in enumerate(h.ps_ids)}
    x = list(h.dates)
    for pid in picked:
        if str(pid) not in where:
            continue
        i = where[str(pid)]
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=np.r_[h.high_mm[i], h.low_mm[i][::-1]],
                fill="toself",
                fillcolor="rgba(31,119,180,0.18)",
                line={"width": 0},
                name=f"{pid}: 90 % band",
                hoverinfo="skip",
            )
        )
        fig.add_trace(go.Scatter(x=x, y=h.forecast_mm[i], name=f"{pid}: {h.model}", line={"width": 2}))
        fig.add_trace(
            go.Scatter(x=x, y=h.references[VELOCITY][i], name=f"{pid}: velocity", line={"dash": "dash"})
        )
        fig.add_trace(
            go.Scatter(x=x, y=h.references[IT_STOPS][i], name=f"{pid}: it stops", line={"dash": "dot"})
        )
        fig.add_trace(go.Scatter(x=x, y=h.observed_mm[i], name=f"{pid}: InSAR", mode="markers"))
    fig.update_layout(
        title=f"Hindcast from {h.cut.date()}: {h.model} with its 90 % band, against InSAR",
        xaxis_title="date",
        yaxis_title="subsidence since the cut (mm, down)",
        yaxis_autorange="reversed",
        height=420,
        legend={"orientation": "h"},
    )
    return fig
