"""Plotly figures of PS time series (labelled, with units, dates on x)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from subsidence.io.studyarea import StudyArea

if TYPE_CHECKING:  # types only: the figures take what these modules produce
    from subsidence.models.base import TrainingProgress
    from subsidence.planning.scenarios import Forecast
    from subsidence.series import SeriesData
    from subsidence.validation.results import ModelResults

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")


def point_positions(area: StudyArea, ps_ids: Sequence[str]) -> np.ndarray:
    """Row positions of ``ps_ids`` in the area (unknown ids are skipped), in the given order."""
    ids = area.points["ps_id"].astype(str).to_numpy()  # compared, not indexed: fast at a million points
    hits = [np.flatnonzero(ids == str(p)) for p in ps_ids]
    return np.array([h[-1] for h in hits if h.size], dtype=int)


def insar_series_figure(area: StudyArea, ps_ids: Sequence[str]) -> go.Figure:
    """Cumulative InSAR subsidence against date for the given PS points.

    Subsidence is in mm, positive = down, relative to the first acquisition; the y axis is
    reversed so that the ground goes down on the screen as it does in the field.
    """
    fig = go.Figure()
    rows = point_positions(area, ps_ids)
    named = [str(area.points["ps_id"].iloc[i]) for i in rows]
    where = (
        f"PS {html.escape(named[0])}"
        if len(named) == 1
        else f"{len(named)} points ({html.escape(', '.join(named[:4]))}{'…' if len(named) > 4 else ''})"
    )
    for k, i in enumerate(rows):
        pid = str(area.points["ps_id"].iloc[i])
        fig.add_trace(
            go.Scatter(
                x=area.dates,
                y=area.subsidence_mm[i],
                mode="lines+markers",
                name=f"PS {html.escape(str(pid))}",
                line={"color": PALETTE[k % len(PALETTE)]},
                hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} mm<extra>PS " + pid + "</extra>",
            )
        )
    fig.update_layout(
        title=f"InSAR cumulative subsidence at {where}",
        xaxis_title="acquisition date",
        yaxis_title="cumulative subsidence (mm, down positive)",
        yaxis_autorange="reversed",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def loss_figure(reports: Sequence[TrainingProgress]) -> go.Figure:
    """Training and validation loss against epoch, from ``TrainingProgress`` reports."""
    epochs = [r.epoch for r in reports]
    fig = go.Figure()
    train = [r.train_loss for r in reports]
    fig.add_trace(go.Scatter(x=epochs, y=train, mode="lines+markers", name="training"))
    val = [r.val_loss for r in reports]
    if any(v is not None for v in val):
        fig.add_trace(go.Scatter(x=epochs, y=val, mode="lines+markers", name="validation"))
    fig.update_layout(
        title="Loss during training",
        xaxis_title="epoch (pass over the training points)",
        yaxis_title="loss (mean square, scaled units)",
        yaxis_type="log",
        height=320,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return fig


MAX_PANELS = 12  # small multiples drawn at most (the figure's title says how many of how many)


def grid_shape(n: int, cols: int = 3) -> tuple[int, int]:
    """(rows, cols) of a small-multiples grid for ``n`` panels (at most ``cols`` across)."""
    cols = min(cols, max(n, 1))
    return max(math.ceil(n / cols), 1), cols


def _small_multiples(titles: list[str], title: str) -> go.Figure:
    from plotly.subplots import make_subplots

    rows, cols = grid_shape(len(titles))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes="all",
        shared_yaxes="all",
        subplot_titles=titles or ["no point picked"],
        vertical_spacing=min(0.3, 70 / (230 * rows)),  # room for the two-line panel titles
        horizontal_spacing=0.04,
    )
    fig.update_annotations(font_size=11)
    height = 110 + 230 * rows
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(title_text="mm (down positive)", col=1)
    fig.update_xaxes(title_text="date", row=rows)
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 60, "r": 20, "t": 110, "b": 50},
        legend={"orientation": "h", "yref": "container", "y": 1 - 48 / height, "yanchor": "top", "x": 0},
    )
    return fig


def _whole(value: float, sign: bool = False) -> str:
    """A number rounded to whole mm, never "-0"."""
    v = float(np.round(value)) + 0.0
    return f"{v:+.0f}" if sign else f"{v:.0f}"


def _heading(what: str, shown: int, picked: int) -> str:
    return what + (f" (showing {shown} of {picked} picked points)" if shown < picked else "")


def model_curves_figure(
    data: SeriesData, ps_ids: Sequence[str], modelled: dict[str, np.ndarray], most: int = MAX_PANELS
) -> go.Figure:
    """Modelled against InSAR cumulative subsidence, one small panel per picked point (the paper's Fig. 5).

    Panels share their axes; each title names the point, the first model's RMSE of the change
    per interval and the InSAR total (mm). InSAR is black with markers; ``modelled`` maps a
    model's name to its changes (n, E - 1), one colour each. At most ``most`` panels.
    """
    from subsidence.validation.evaluation import modelled_cumulative

    index = {str(p): i for i, p in enumerate(data.ps_ids)}
    known = [str(p) for p in ps_ids if str(p) in index]
    shown = known[:most]
    cumulative = {name: modelled_cumulative(data, changes) for name, changes in modelled.items()}
    first = next(iter(modelled.values()), None)
    titles = []
    for p in shown:
        i = index[p]
        rmse = (
            float(np.sqrt(np.nanmean((first[i] - data.change_mm[i]) ** 2))) if first is not None else np.nan
        )
        total = float(data.subsidence_mm[i, -1] - data.subsidence_mm[i, 0])
        titles.append(f"PS {html.escape(p)}<br>RMSE {rmse:.1f} mm · total {_whole(total)} mm")
    fig = _small_multiples(
        titles, _heading("Modelled against InSAR cumulative subsidence", len(shown), len(known))
    )
    _, cols = grid_shape(len(shown))
    for k, p in enumerate(shown):
        i, (r, c) = index[p], divmod(k, cols)
        hover = f"PS {html.escape(p)} · %{{fullData.name}}<br>%{{x|%Y-%m-%d}}: %{{y:.1f}} mm<extra></extra>"
        series = [("InSAR", data.subsidence_mm[i], {"color": "black", "width": 1}, "lines+markers")]
        for j, (name, cum) in enumerate(cumulative.items()):
            series.append((name, cum[i], {"color": PALETTE[j % len(PALETTE)], "dash": "dash"}, "lines"))
        for name, y, line, mode in series:
            fig.add_trace(
                go.Scatter(
                    x=data.dates,
                    y=y,
                    mode=mode,
                    line=line,
                    marker={"size": 3},
                    name=name,
                    legendgroup=name,
                    showlegend=k == 0,
                    hovertemplate=hover,
                ),
                row=r + 1,
                col=c + 1,
            )
    return fig


def severity_figure(results: ModelResults, mode: str = "one-step") -> go.Figure:
    """Deviation of modelled cumulative subsidence at the last epoch against InSAR (Fig. 6).

    Test points only; the line is the median per 50 mm bin and the band its 10th-90th
    percentiles.
    """
    data = results.data
    table = results.tables[mode]
    test = table[table["set"] == "test"]
    x, dev = test["insar_cumulative_mm"].to_numpy(), test["cumulative_deviation_mm"].to_numpy()
    fig = go.Figure(
        go.Scattergl(
            x=x,
            y=dev,
            mode="markers",
            name="test points",
            marker={"size": 4, "opacity": 0.45, "color": "#1f77b4"},
            text=[html.escape(str(i)) for i in test["ps_id"]],
            hovertemplate="PS %{text}<br>InSAR %{x:.0f} mm<br>deviation %{y:.1f} mm<extra></extra>",
        )
    )
    edges = np.arange(np.floor(np.nanmin(x) / 50) * 50, np.nanmax(x) + 50, 50.0)
    centre, med, lo, hi = [], [], [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        m = (x >= a) & (x < b)
        if m.sum() >= 5:
            centre.append((a + b) / 2)
            q = np.nanpercentile(dev[m], [10, 50, 90])
            lo.append(q[0])
            med.append(q[1])
            hi.append(q[2])
    fig.add_trace(
        go.Scatter(
            x=centre + centre[::-1],
            y=hi + lo[::-1],
            fill="toself",
            line={"width": 0},
            fillcolor="rgba(214,39,40,0.15)",
            name="10th–90th percentile per 50 mm bin",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=centre, y=med, mode="lines+markers", line={"color": "#d62728"}, name="median per 50 mm bin"
        )
    )
    fig.add_hline(y=0, line={"color": "grey", "width": 1})
    fig.update_layout(
        title=f"Error against severity, last epoch ({data.dates[-1].date()})",
        xaxis_title="InSAR cumulative subsidence (mm)",
        yaxis_title="modelled − InSAR cumulative (mm)",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def pick_scatter(area: StudyArea, values: np.ndarray, label: str, picked: Sequence[str] = ()) -> go.Figure:
    """PS points in the work CRS (km) for picking many at once with box or lasso selection.

    Each point carries its ps_id in ``customdata``; picked points are ringed.
    """
    x_km, y_km = area.points["x"].to_numpy() / 1000, area.points["y"].to_numpy() / 1000
    ids = area.points["ps_id"].astype(str).to_numpy()
    fig = go.Figure(
        go.Scattergl(
            x=x_km,
            y=y_km,
            mode="markers",
            customdata=ids,
            name="PS points",
            marker={"size": 4, "color": values, "colorscale": "RdYlBu_r", "colorbar": {"title": "mm"}},
            hovertemplate="PS %{customdata}<br>%{marker.color:.1f} mm<extra></extra>",
        )
    )
    pos = point_positions(area, picked)
    if len(pos):
        fig.add_trace(
            go.Scattergl(
                x=x_km[pos],
                y=y_km[pos],
                mode="markers",
                name="picked",
                hoverinfo="skip",
                marker={"size": 11, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "black"}},
            )
        )
    fig.update_layout(
        title=f"Box or lasso to pick many · {label}",
        xaxis_title=f"easting (km, {area.work_crs})",
        yaxis_title="northing (km)",
        yaxis_scaleanchor="x",
        dragmode="lasso",
        height=520,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        showlegend=False,
    )
    return fig


def band_trace(forecast: Forecast, i: int, colour: str, group: str) -> go.Scatter:
    """The shaded 90 % band of ``forecast`` at point ``i`` (no legend entry, no hover)."""
    x = list(forecast.dates) + list(forecast.dates[::-1])
    band = list(forecast.high_mm[i]) + list(forecast.low_mm[i][::-1])
    return go.Scatter(
        x=x,
        y=band,
        fill="toself",
        line={"width": 0},
        fillcolor=colour,
        opacity=0.2,
        legendgroup=group,
        showlegend=False,
        hoverinfo="skip",
    )


def forecast_figure(
    data: SeriesData, forecasts: Sequence[Forecast], ps_ids: Sequence[str], most: int = MAX_PANELS
) -> go.Figure:
    """Observed and forecast cumulative subsidence, one small panel per picked point.

    One colour per scenario, its shaded band the forecast's low-high range; each title names
    the point, today's InSAR total and what the first scenario adds by the horizon (mm).
    At most ``most`` panels (the title says how many of how many).
    """
    index = {str(p): i for i, p in enumerate(data.ps_ids)}
    known = [str(p) for p in ps_ids if str(p) in index]
    shown = known[:most]
    first = forecasts[0] if forecasts else None
    titles = []
    for p in shown:
        i = index[p]
        text = f"PS {html.escape(p)}<br>now {_whole(data.subsidence_mm[i, -1])} mm"
        if first is not None:
            text += f" · {_whole(first.added_mm[i], sign=True)} mm by {first.dates[-1].date()}"
        titles.append(text)
    fig = _small_multiples(titles, _heading("Forecast under groundwater scenarios", len(shown), len(known)))
    _, cols = grid_shape(len(shown))
    for k, p in enumerate(shown):
        i, (r, c) = index[p], divmod(k, cols)
        at = {"row": r + 1, "col": c + 1}
        fig.add_trace(
            go.Scatter(
                x=data.dates,
                y=data.subsidence_mm[i],
                mode="lines+markers",
                name="InSAR",
                legendgroup="InSAR",
                showlegend=k == 0,
                line={"color": "black", "width": 1},
                marker={"size": 3},
                hovertemplate=f"PS {html.escape(p)} · InSAR<br>%{{x|%Y-%m-%d}}: %{{y:.0f}} mm<extra></extra>",
            ),
            **at,
        )
        for j, f in enumerate(forecasts):
            colour, name = PALETTE[j % len(PALETTE)], str(f.scenario.name)
            fig.add_trace(band_trace(f, i, colour, name), **at)
            fig.add_trace(
                go.Scatter(
                    x=f.dates,
                    y=f.median_mm[i],
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=k == 0,
                    line={"color": colour, "dash": "dash"},
                    hovertemplate=f"PS {html.escape(p)} · {html.escape(name)}<br>%{{x|%Y-%m-%d}}: %{{y:.0f}} mm<extra></extra>",
                ),
                **at,
            )
    return fig
