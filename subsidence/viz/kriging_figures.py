"""Plotly figures of kriged heads, layers, variograms and cross-validation.

Map axes are kilometres of the study area's ``work_crs`` (labelled with it), drawn at equal
scale; grids too large for a browser are thinned by a stride first (``max_cells``). Wells
are one scatter trace named ``"wells"`` whose points carry the well id in ``customdata``, so
that a click on a well can select it.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from subsidence.errors import SubsidenceError
from subsidence.geostat.kriging import KrigingGrid, KrigingResult
from subsidence.geostat.variogram import ExperimentalVariogram, Variogram
from subsidence.io.studyarea import PERMEABILITY, THICKNESS, StudyArea
from subsidence.viz.maps import NEUTRAL, is_degenerate

WELLS_TRACE = "wells"
DEFAULT_MAX_CELLS = 250_000
_MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}


def _grid(result: KrigingResult) -> KrigingGrid:
    if result.grid is None:
        raise SubsidenceError("this kriging result has no grid; krige with KrigingConfig(grid=True)")
    return result.grid


def _stride(grid: KrigingGrid, max_cells: int) -> int:
    ny, nx = grid.shape
    return max(1, int(np.ceil(np.sqrt(ny * nx / max(max_cells, 1)))))


def _epoch(result: KrigingResult, epoch: int) -> int:
    n = len(result.dates)
    if not -n <= epoch < n:
        raise SubsidenceError(f"epoch must be in 0..{n - 1}, found {epoch}")
    return epoch % n


def _axes(fig: go.Figure, work_crs: str, title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=f"x (km, {work_crs})",
        yaxis_title=f"y (km, {work_crs})",
        yaxis={"scaleanchor": "x", "scaleratio": 1},
        height=560,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def _map(
    grid: KrigingGrid,
    values: np.ndarray,
    title: str,
    colour_title: str,
    colorscale: str | list[list[object]],
    max_cells: int,
    contours: bool = True,
    zmid: float | None = None,
) -> go.Figure:
    """A heatmap of ``values`` (ny, nx) with optional contour lines, in km."""
    s = _stride(grid, max_cells)
    z = np.asarray(values, float)[::s, ::s]
    x_km, y_km = grid.x_m[::s] / 1000.0, grid.y_m[::s] / 1000.0
    finite = z[np.isfinite(z)]
    if finite.size == 0 or is_degenerate(float(finite.min()), float(finite.max())):
        # one neutral colour: a colour bar over a range this narrow would draw differences that are not real
        value = float(np.mean(finite)) if finite.size else float("nan")
        grey = f"rgb{NEUTRAL}"
        colorscale, zmid, contours = [[0.0, grey], [1.0, grey]], None, False
        colour_title = f"every cell ≈ {value:,.3f}<br>{colour_title}"
        title = f"{title} (flat: one value everywhere)"
    fig = go.Figure(
        go.Heatmap(
            x=x_km,
            y=y_km,
            z=z,
            colorscale=colorscale,
            zmid=zmid,
            colorbar={"title": {"text": colour_title}},
            hovertemplate="x %{x:.2f} km, y %{y:.2f} km: %{z:.2f}<extra></extra>",
            name="kriged",
        )
    )
    if contours:
        fig.add_trace(
            go.Contour(
                x=x_km,
                y=y_km,
                z=z,
                contours_coloring="lines",
                line={"width": 0.8, "color": "rgba(0,0,0,0.55)"},
                showscale=False,
                contours={"showlabels": True, "labelfont": {"size": 9}},
                hoverinfo="skip",
                name="contours",
            )
        )
    return _axes(fig, grid.work_crs, title)


def _add_wells(fig: go.Figure, area: StudyArea, values: np.ndarray | None, unit: str) -> go.Figure:
    w = area.wells
    ids = w.ids.astype(str)
    shown = [html.escape(i) for i in ids]  # plotly renders hover text as HTML
    text = (
        shown
        if values is None
        else [
            f"{i}: {v:.2f} {unit}" if np.isfinite(v) else f"{i}: no reading"
            for i, v in zip(shown, values, strict=True)
        ]
    )
    fig.add_trace(
        go.Scatter(
            x=w.x / 1000.0,
            y=w.y / 1000.0,
            mode="markers",
            name=WELLS_TRACE,
            customdata=ids,
            text=text,
            marker={
                "symbol": "triangle-up",
                "size": 9,
                "color": "white",
                "line": {"color": "black", "width": 1},
            },
            hovertemplate="well %{text}<extra></extra>",
        )
    )
    return fig


def head_map_figure(
    result: KrigingResult, area: StudyArea, epoch: int = -1, max_cells: int = DEFAULT_MAX_CELLS
) -> go.Figure:
    """Kriged confined head (m above datum) at one epoch, with contour lines and the wells.

    Parameters
    ----------
    result : KrigingResult
        With a grid.
    area : StudyArea
    epoch : int
        Position in ``result.dates`` (negative counts from the end).
    max_cells : int
        The grid is thinned by a stride to at most about this many cells.
    """
    e = _epoch(result, epoch)
    grid = _grid(result)
    fig = _map(
        grid,
        grid.head_m[e],
        f"Groundwater level on {result.dates[e]:%Y-%m-%d}",
        "head (m)",
        "Viridis",
        max_cells,
    )
    return _add_wells(fig, area, result.well_levels_m[:, e], "m")


def head_change_figure(
    result: KrigingResult, area: StudyArea, epoch: int = -1, max_cells: int = DEFAULT_MAX_CELLS
) -> go.Figure:
    """Change in kriged head (m) from the first acquisition to ``epoch`` (negative = decline)."""
    e = _epoch(result, epoch)
    grid = _grid(result)
    change = grid.head_m[e].astype(float) - grid.head_m[0]
    title = f"Change in groundwater level, {result.dates[0]:%Y-%m-%d} to {result.dates[e]:%Y-%m-%d}"
    fig = _map(grid, change, title, "change (m)", "RdBu", max_cells, zmid=0.0)
    well_change = result.well_levels_m[:, e] - result.well_levels_m[:, 0]
    return _add_wells(fig, area, well_change, "m")


def head_variance_figure(
    result: KrigingResult, area: StudyArea, epoch: int = -1, max_cells: int = DEFAULT_MAX_CELLS
) -> go.Figure:
    """Kriging standard deviation of head (m, the square root of the kriging variance) at one epoch."""
    e = _epoch(result, epoch)
    grid = _grid(result)
    sd = np.sqrt(np.maximum(grid.head_var_m2[e].astype(float), 0.0))
    title = f"Kriging standard deviation of groundwater level on {result.dates[e]:%Y-%m-%d}"
    fig = _map(grid, sd, title, "kriging s.d. (m)", "Magma", max_cells, contours=False)
    return _add_wells(fig, area, result.well_levels_m[:, e], "m")


def layer_map_figure(
    result: KrigingResult, area: StudyArea, name: str, max_cells: int = DEFAULT_MAX_CELLS
) -> go.Figure:
    """Kriged (or sampled) thickness (m) or permeability (log10 m/day) with the source contours.

    Parameters
    ----------
    name : {"thickness", "permeability"}
    """
    grid = _grid(result)
    values = {THICKNESS: grid.thickness_m, PERMEABILITY: grid.permeability_m_per_day}.get(name)
    layer = area.layers.get(name)
    if values is None or layer is None:
        raise SubsidenceError(f"no {name} layer in this study area; expected one of {sorted(area.layers)}")
    if name == PERMEABILITY:
        z, label, title = np.log10(values), "log10 permeability (m/day)", "Permeability coefficient"
    else:
        z, label, title = values, "thickness (m)", "Compressible-layer thickness"
    fig = _map(grid, z, title, label, "Cividis", max_cells, contours=False)
    for k, line in enumerate(layer.lines):
        v = float(layer.line_values[k]) if k < len(layer.line_values) else float("nan")
        fig.add_trace(
            go.Scatter(
                x=line[:, 0] / 1000.0,
                y=line[:, 1] / 1000.0,
                mode="lines",
                line={"color": "white", "width": 1},
                name="source contours",
                legendgroup="contours",
                showlegend=k == 0,
                hovertemplate=f"contour {v:g} {layer.unit}<extra></extra>",
            )
        )
    return fig


def variogram_figure(
    experimental: ExperimentalVariogram, variogram: Variogram, unit: str = "m", title: str = "Variogram"
) -> go.Figure:
    """Experimental semivariances (points, hover: pair count) and the fitted model (line).

    Parameters
    ----------
    experimental : ExperimentalVariogram
        Pooled over epochs (``result.head_experimental``) or of one epoch
        (:func:`subsidence.geostat.variogram.experimental_variogram` on one column).
    variogram : Variogram
    unit : str
        Unit of the values (semivariance in unit²).
    """
    h = np.linspace(0.0, float(experimental.lag_m.max()) * 1.05, 200)
    fig = go.Figure(
        [
            go.Scatter(
                x=experimental.lag_m / 1000.0,
                y=experimental.gamma,
                mode="markers",
                name=f"experimental ({experimental.detrend} removed per epoch)",
                customdata=experimental.n_pairs,
                hovertemplate="%{x:.2f} km: %{y:.3g} (%{customdata} pairs)<extra></extra>",
            ),
            go.Scatter(x=h / 1000.0, y=variogram.gamma(h), mode="lines", name=variogram.describe()),
        ]
    )
    fig.update_layout(
        title=title,
        xaxis_title="lag distance (km)",
        yaxis_title=f"semivariance ({unit}²)",
        height=380,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def well_series_figure(result: KrigingResult, area: StudyArea, well_id: str) -> go.Figure:
    """A well's observed readings and its levels interpolated at the acquisition dates (m)."""
    ids = area.wells.ids.astype(str)
    if str(well_id) not in set(ids):
        raise SubsidenceError(
            f"no well {well_id!r} in this study area; expected one of {', '.join(ids[:5])}, ..."
        )
    i = int(np.flatnonzero(ids == str(well_id))[0])
    mine = area.wells.readings[area.wells.readings["well_id"].astype(str) == str(well_id)]
    guessed = mine["extrapolated"].astype(bool) if "extrapolated" in mine else mine["head_m"].isna()
    obs, extended = mine[~guessed], mine[guessed]  # extended: by trend + season (subsidence.coverage)
    fig = go.Figure(
        [
            go.Scatter(
                x=obs["date"],
                y=obs["head_m"],
                mode="markers",
                name="observed",
                hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} m<extra>observed</extra>",
            ),
            go.Scatter(
                x=result.dates,
                y=result.well_levels_m[i],
                mode="lines+markers",
                name="interpolated at acquisition dates",
                marker={"size": 5},
                hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} m<extra>interpolated</extra>",
            ),
            go.Scatter(
                x=extended["date"],
                y=extended["head_m"],
                mode="markers",
                name="extrapolated (trend + season)",
                marker={"symbol": "x"},
                visible=not extended.empty,
                hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} m<extra>extrapolated</extra>",
            ),
        ]
    )
    fig.update_layout(
        title=f"Well {html.escape(str(well_id))}: confined groundwater level",
        xaxis_title="date",
        yaxis_title="head (m above datum)",
        height=360,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def cv_table(result: KrigingResult) -> pd.DataFrame:
    """Leave-one-out cross-validation summary: one row per kriged quantity.

    Columns: ``quantity``, ``unit``, ``n`` (values left out), ``rmse``, ``mae``, ``variogram``.
    Per-epoch and per-well tables are ``result.head_cv.per_epoch`` / ``.per_site``.
    """
    rows = [("groundwater level", result.head_cv, result.head_variogram)]
    rows += [(name, cv, result.layer_variograms[name]) for name, cv in result.layer_cv.items()]
    return pd.DataFrame(
        {
            "quantity": [r[0] for r in rows],
            "unit": [r[1].unit for r in rows],
            "n": [r[1].n for r in rows],
            "rmse": [r[1].rmse for r in rows],
            "mae": [r[1].mae for r in rows],
            "variogram": [r[2].describe() for r in rows],
        }
    )
