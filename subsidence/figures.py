"""Plotly figures of PS time series (labelled, with units, dates on x)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from subsidence.studyarea import StudyArea

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
    for k, i in enumerate(point_positions(area, ps_ids)):
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
        title="InSAR cumulative subsidence",
        xaxis_title="acquisition date",
        yaxis_title="cumulative subsidence (mm, down positive)",
        yaxis_autorange="reversed",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def loss_figure(reports: Sequence[object]) -> go.Figure:
    """Training and validation loss against epoch, from ``TrainingProgress`` reports."""
    epochs = [r.epoch for r in reports]  # type: ignore[attr-defined]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=epochs, y=[r.train_loss for r in reports], mode="lines+markers", name="training")
    )  # type: ignore[attr-defined]
    val = [r.val_loss for r in reports]  # type: ignore[attr-defined]
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


def model_curves_figure(data: object, ps_ids: Sequence[str], modelled: dict[str, np.ndarray]) -> go.Figure:
    """Modelled against InSAR subsidence at picked points (the paper's Fig. 5), dates on x.

    Top: change per acquisition interval (mm); bottom: cumulative subsidence (mm, down
    positive). InSAR is drawn solid with markers in one colour per point; ``modelled`` maps a
    model's name to its changes (n, E - 1): the first dashed, the others dotted.
    """
    from plotly.subplots import make_subplots

    from subsidence.evaluation import modelled_cumulative

    index = {str(p): i for i, p in enumerate(data.ps_ids)}  # type: ignore[attr-defined]
    dates = data.dates  # type: ignore[attr-defined]
    cumulative = {name: modelled_cumulative(data, changes) for name, changes in modelled.items()}  # type: ignore[arg-type]
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("change per acquisition interval", "cumulative subsidence"),
    )
    for k, pid in enumerate(p for p in ps_ids if str(p) in index):
        i, colour = index[str(pid)], PALETTE[k % len(PALETTE)]
        group = f"PS {html.escape(str(pid))}"
        series = [("InSAR", data.change_mm[i], data.subsidence_mm[i], {"color": colour}, "lines+markers")]  # type: ignore[attr-defined]
        for j, (name, changes) in enumerate(modelled.items()):
            line = (
                {"color": colour, "dash": "dash"} if j == 0 else {"color": colour, "dash": "dot", "width": 1}
            )
            series.append((name, changes[i], cumulative[name][i], line, "lines"))
        for what, change, cum, line, style in series:
            hover = f"{group} · {what}<br>%{{x|%Y-%m-%d}}: %{{y:.1f}} mm<extra></extra>"
            fig.add_trace(
                go.Scatter(
                    x=dates[1:],
                    y=change,
                    mode=style,
                    line=line,
                    name=f"{group} · {what}",
                    legendgroup=group,
                    hovertemplate=hover,
                ),
                row=1,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=dates,
                    y=cum,
                    mode=style,
                    line=line,
                    name=f"{group} · {what}",
                    legendgroup=group,
                    showlegend=False,
                    hovertemplate=hover,
                ),
                row=2,
                col=1,
            )
    fig.update_yaxes(title_text="mm per interval", row=1, col=1)
    fig.update_yaxes(title_text="mm (down positive)", autorange="reversed", row=2, col=1)
    fig.update_xaxes(title_text="acquisition date", row=2, col=1)
    fig.update_layout(
        title="Modelled against InSAR subsidence", height=620, margin={"l": 60, "r": 20, "t": 70, "b": 50}
    )
    return fig


def severity_figure(results: object, mode: str = "one-step") -> go.Figure:
    """Deviation of modelled cumulative subsidence at the last epoch against InSAR (Fig. 6).

    Test points only; the line is the median per 50 mm bin and the band its 10th-90th
    percentiles.
    """
    data = results.data  # type: ignore[attr-defined]
    table = results.tables[mode]  # type: ignore[attr-defined]
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
            lo.append(q[0]), med.append(q[1]), hi.append(q[2])
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


def forecast_figure(
    data: object, forecasts: Sequence[object], ps_ids: Sequence[str], most: int = 4
) -> go.Figure:
    """Observed and forecast cumulative subsidence (top) and scenario heads (bottom) at picked points.

    One colour per scenario; the shaded band is the range of the refitted physics models.
    At most ``most`` points are drawn, each as its own legend group.
    """
    from plotly.subplots import make_subplots

    index = {str(p): i for i, p in enumerate(data.ps_ids)}  # type: ignore[attr-defined]
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        row_heights=[0.65, 0.35],
        subplot_titles=(
            "cumulative subsidence: InSAR, then forecast",
            "groundwater level: kriged, then scenario",
        ),
    )
    shown = [p for p in ps_ids if str(p) in index][:most]
    for p in shown:
        i = index[str(p)]
        group = f"PS {html.escape(str(p))}"
        fig.add_trace(
            go.Scatter(
                x=data.dates,
                y=data.subsidence_mm[i],
                mode="lines+markers",
                name=f"{group} · InSAR",  # type: ignore[attr-defined]
                legendgroup=group,
                line={"color": "black", "width": 1},
                marker={"size": 4},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=data.dates,
                y=data.head_m[i],
                mode="lines",
                name=f"{group} · kriged head",  # type: ignore[attr-defined]
                legendgroup=group,
                showlegend=False,
                line={"color": "black", "width": 1},
            ),
            row=2,
            col=1,
        )
        for k, f in enumerate(forecasts):
            colour = PALETTE[k % len(PALETTE)]
            name = f"{group} · {f.scenario.name}"  # type: ignore[attr-defined]
            x = list(f.dates) + list(f.dates[::-1])  # type: ignore[attr-defined]
            band = list(f.high_mm[i]) + list(f.low_mm[i][::-1])  # type: ignore[attr-defined]
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=band,
                    fill="toself",
                    line={"width": 0},
                    fillcolor=colour,
                    opacity=0.2,
                    legendgroup=group,
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=1,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=f.dates,
                    y=f.median_mm[i],
                    mode="lines",
                    name=name,
                    legendgroup=group,  # type: ignore[attr-defined]
                    line={"color": colour, "dash": "dash"},
                    hovertemplate=name + "<br>%{x|%Y-%m-%d}: %{y:.0f} mm<extra></extra>",
                ),
                row=1,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=f.dates,
                    y=f.head_m[i],
                    mode="lines",
                    name=name,
                    legendgroup=group,
                    showlegend=False,  # type: ignore[attr-defined]
                    line={"color": colour, "dash": "dash"},
                ),
                row=2,
                col=1,
            )
    fig.update_yaxes(title_text="mm (down positive)", autorange="reversed", row=1, col=1)
    fig.update_yaxes(title_text="head (m above datum)", row=2, col=1)
    fig.update_xaxes(title_text="date", row=2, col=1)
    fig.update_layout(
        title="Forecast under groundwater scenarios", height=680, margin={"l": 60, "r": 20, "t": 70, "b": 50}
    )
    return fig
