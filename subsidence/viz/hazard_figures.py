"""Plotly maps of hazard and confidence (for the Hazard page and the decision pack).

Points are drawn in the study area's metric CRS (km), with no web basemap, so the maps draw
offline. Every map's legend comes from the same colours as its points, with units. Ids are
escaped once (they come from contractors' files).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from subsidence.planning.confidence import CARE, DO_NOT_USE, GOOD
from subsidence.planning.hazard import BJERRUM_CLASSES, NO_NEIGHBOUR
from subsidence.series import SeriesData
from subsidence.thinning import thin as thin  # pack.py reads hazard_figures.thin
from subsidence.viz.figures import band_trace

if TYPE_CHECKING:  # a type only: the scenarios module is not needed to draw
    from subsidence.planning.scenarios import Forecast

BJERRUM_COLOURS = dict(
    zip(
        [*BJERRUM_CLASSES, NO_NEIGHBOUR],
        ["#1a9850", "#fee08b", "#fdae61", "#f46d43", "#a50026", "#bdbdbd"],
        strict=True,
    )
)
CONFIDENCE_COLOURS = {GOOD: "#1a9850", CARE: "#fdae61", DO_NOT_USE: "#9e9e9e"}
NOT_REACHED = "not reached by the horizon"
MAX_PICKS = 12


def _ids(ids: np.ndarray) -> np.ndarray:
    return np.array([html.escape(str(i)) for i in ids], dtype=object)


def _layout(fig: go.Figure, title: str, crs: str, height: int) -> go.Figure:
    fig.update_layout(
        title=html.escape(title),
        xaxis_title=f"easting (km, {html.escape(crs)})" if crs else "easting (km)",
        yaxis_title="northing (km)",
        yaxis_scaleanchor="x",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"itemsizing": "constant"},
        plot_bgcolor="#f7f7f7",
    )
    return fig


def value_map(
    xy_m: np.ndarray,
    ids: np.ndarray,
    values: np.ndarray,
    *,
    title: str,
    unit: str,
    colorscale: str = "YlOrRd",
    value_range: tuple[float, float] | None = None,
    crs: str = "",
    idx: np.ndarray | None = None,
    gl: bool = True,
    height: int = 520,
) -> go.Figure:
    """Points coloured by ``values`` (in ``unit``), with a colour bar titled with the unit."""
    idx = np.arange(len(ids)) if idx is None else idx
    v = np.asarray(values, float)[idx]
    lo, hi = value_range if value_range is not None else (np.nanpercentile(v, 2), np.nanpercentile(v, 98))
    trace = go.Scattergl if gl else go.Scatter
    fig = go.Figure(
        trace(
            x=xy_m[idx, 0] / 1000,
            y=xy_m[idx, 1] / 1000,
            mode="markers",
            customdata=_ids(np.asarray(ids)[idx]),
            name="PS points",
            marker={
                "size": 5,
                "color": v,
                "cmin": float(lo),
                "cmax": float(hi if hi > lo else lo + 1),
                "colorscale": colorscale,
                "colorbar": {"title": {"text": html.escape(unit)}},
            },
            hovertemplate="PS %{customdata}<br>%{marker.color:.1f} " + html.escape(unit) + "<extra></extra>",
        )
    )
    return _layout(fig, title, crs, height)


def class_map(
    xy_m: np.ndarray,
    ids: np.ndarray,
    labels: np.ndarray,
    colours: dict[str, str],
    *,
    title: str,
    hover: np.ndarray | None = None,
    crs: str = "",
    idx: np.ndarray | None = None,
    gl: bool = True,
    height: int = 520,
) -> go.Figure:
    """Points coloured by class, one legend entry per class (in ``colours``' order, counts shown)."""
    idx = np.arange(len(ids)) if idx is None else idx
    labels = np.asarray(labels, dtype=object)
    trace = go.Scattergl if gl else go.Scatter
    fig = go.Figure()
    for name, colour in colours.items():
        sel = idx[labels[idx] == name]
        extra = _ids(np.asarray(hover)[sel]) if hover is not None else np.full(len(sel), "", dtype=object)
        fig.add_trace(
            trace(
                x=xy_m[sel, 0] / 1000,
                y=xy_m[sel, 1] / 1000,
                mode="markers",
                name=f"{html.escape(name)} ({int((labels == name).sum()):,})",
                customdata=np.column_stack([_ids(np.asarray(ids)[sel]), extra]) if len(sel) else None,
                marker={"size": 5, "color": colour},
                hovertemplate=f"PS %{{customdata[0]}}<br>{html.escape(name)}<br>%{{customdata[1]}}<extra></extra>",
            )
        )
    return _layout(fig, title, crs, height)


def time_to_threshold_map(
    xy_m: np.ndarray,
    ttt: pd.DataFrame,
    *,
    title: str,
    crs: str = "",
    idx: np.ndarray | None = None,
    gl: bool = True,
) -> go.Figure:
    """Years until each point reaches the threshold (central forecast); grey where not by the horizon."""
    years = np.where(ttt["within_horizon"].to_numpy(), ttt["years"].to_numpy(float), np.nan)
    idx = np.arange(len(ttt)) if idx is None else idx
    finite = np.isfinite(years)
    top = float(np.nanmax(years)) if finite.any() else 1.0
    fig = value_map(
        xy_m,
        ttt["ps_id"].to_numpy(),
        years,
        title=title,
        unit="years from today",
        colorscale="YlOrRd_r",
        value_range=(0.0, max(top, 0.1)),
        crs=crs,
        idx=idx[finite[idx]],
        gl=gl,
    )
    fig.data[0].name = "reaches it"
    rest = idx[~finite[idx]]
    trace = go.Scattergl if gl else go.Scatter
    fig.add_trace(
        trace(
            x=xy_m[rest, 0] / 1000,
            y=xy_m[rest, 1] / 1000,
            mode="markers",
            name=f"{NOT_REACHED} ({int((~finite).sum()):,})",
            marker={"size": 4, "color": "#cccccc"},
            hoverinfo="skip",
        )
    )
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.15})
    return fig


def distortion_map(
    xy_m: np.ndarray,
    table: pd.DataFrame,
    when: str = "today",
    *,
    crs: str = "",
    idx: np.ndarray | None = None,
    gl: bool = True,
) -> go.Figure:
    """Largest angular distortion per point in Bjerrum's classes, ``when`` "today" or "horizon"."""
    beta = table[f"beta_{when}"].to_numpy(float)
    with np.errstate(divide="ignore"):
        words = np.where(beta > 0, [f"1 in {1 / b:,.0f}" if b > 0 else "" for b in np.nan_to_num(beta)], "0")
    return class_map(
        xy_m,
        table["ps_id"].to_numpy(),
        table[f"class_{when}"].to_numpy(),
        BJERRUM_COLOURS,
        title=f"Angular distortion between neighbours ({when}), Bjerrum (1963) classes",
        hover=np.array([f"β = {w}" for w in words], dtype=object),
        crs=crs,
        idx=idx,
        gl=gl,
    )


def confidence_map(
    xy_m: np.ndarray,
    ids: np.ndarray,
    conf: pd.DataFrame,
    *,
    crs: str = "",
    idx: np.ndarray | None = None,
    gl: bool = True,
) -> go.Figure:
    """Confidence class per point; "do not use" in grey, the limiting checks in the hover."""
    return class_map(
        xy_m,
        ids,
        conf["confidence"].to_numpy(),
        CONFIDENCE_COLOURS,
        title="Where the numbers can be used",
        hover=conf["reasons"].to_numpy(),
        crs=crs,
        idx=idx,
        gl=gl,
    )


def picks_figure(
    data: SeriesData, modelled: np.ndarray, forecasts: Sequence[Forecast], picks: Sequence[str]
) -> go.Figure:
    """One small panel per picked point: InSAR, the model, and each scenario's forecast and band."""
    from plotly.subplots import make_subplots

    index = {str(p): i for i, p in enumerate(data.ps_ids)}
    shown = [p for p in picks if p in index][:MAX_PICKS]
    cols = min(3, max(len(shown), 1))
    rows = max(math.ceil(len(shown) / cols), 1)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=[html.escape(p) for p in shown],
    )
    colours = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e")
    for k, p in enumerate(shown):
        i, r, c = index[p], k // cols + 1, k % cols + 1
        first = k == 0
        fig.add_trace(
            go.Scatter(
                x=data.dates,
                y=data.subsidence_mm[i],
                mode="lines+markers",
                marker={"size": 3},
                line={"color": "black", "width": 1},
                name="InSAR",
                legendgroup="insar",
                showlegend=first,
            ),
            row=r,
            col=c,
        )
        fig.add_trace(
            go.Scatter(
                x=data.dates,
                y=modelled[i],
                mode="lines",
                line={"color": "#555", "dash": "dot"},
                name="model",
                legendgroup="model",
                showlegend=first,
            ),
            row=r,
            col=c,
        )
        for s, f in enumerate(forecasts):
            colour, name = colours[s % len(colours)], html.escape(f.scenario.name)
            fig.add_trace(band_trace(f, i, colour, name), row=r, col=c)
            fig.add_trace(
                go.Scatter(
                    x=f.dates,
                    y=f.median_mm[i],
                    mode="lines",
                    line={"color": colour},
                    name=name,
                    legendgroup=name,
                    showlegend=first,
                ),
                row=r,
                col=c,
            )
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(title_text="mm (down +)", col=1)
    fig.update_layout(
        height=260 * rows + 80,
        title="Picked points: InSAR, model and forecasts with bands",
        margin={"l": 60, "r": 20, "t": 80, "b": 40},
    )
    return fig
