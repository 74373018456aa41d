"""The kriged groundwater level through time as a plotly animation (Interpolation page).

The Play/Pause buttons sit left of the date slider, on its line, so they never cover it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from subsidence.geostat.kriging import KrigingResult
from subsidence.io.studyarea import StudyArea
from subsidence.viz.kriging_figures import _add_wells, _axes, _grid, _stride


def head_animation_figure(result: KrigingResult, area: StudyArea, max_cells: int = 20_000) -> go.Figure:
    """Kriged head over all epochs as an animation (frames, play button, date slider).

    The grid is thinned to at most about ``max_cells`` cells; the colour range is fixed over
    the epochs so that colours compare between frames.
    """
    grid = _grid(result)
    s = _stride(grid, max_cells)
    heads = grid.head_m[:, ::s, ::s]
    x_km, y_km = grid.x_m[::s] / 1000.0, grid.y_m[::s] / 1000.0
    lo, hi = (float(v) for v in np.nanpercentile(heads, [1, 99]))
    labels = [f"{d:%Y-%m-%d}" for d in result.dates]

    def heatmap(e: int) -> go.Heatmap:
        return go.Heatmap(
            x=x_km,
            y=y_km,
            z=heads[e],
            zmin=lo,
            zmax=hi,
            colorscale="Viridis",
            colorbar={"title": {"text": "head (m)"}},
        )

    fig = go.Figure(
        data=[heatmap(0)],
        frames=[go.Frame(data=[heatmap(e)], name=labels[e]) for e in range(len(labels))],
    )
    _add_wells(fig, area, None, "m")
    step = {"frame": {"duration": 300, "redraw": True}, "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "showactive": False,
                "direction": "left",
                "x": 0.1,
                "y": 0,
                "xanchor": "right",
                "yanchor": "top",
                "pad": {"t": 60, "r": 10},
                "buttons": [
                    {"label": "Play", "method": "animate", "args": [None, {**step, "fromcurrent": True}]},
                    {"label": "Pause", "method": "animate", "args": [[None], {**step, "mode": "immediate"}]},
                ],
            }
        ],
        sliders=[
            {
                "currentvalue": {"prefix": "date: "},
                "x": 0.1,
                "len": 0.9,
                "y": 0,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 50, "b": 10},
                "steps": [
                    {"label": lab, "method": "animate", "args": [[lab], {**step, "mode": "immediate"}]}
                    for lab in labels
                ],
            }
        ],
    )
    return _axes(fig, grid.work_crs, "Groundwater level through time")
