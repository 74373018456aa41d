"""Web maps of PS points and wells (pydeck), drawn offline by default.

The decks carry no basemap unless asked (``basemap=True`` uses web tiles and needs the
internet), so every map draws on a machine with no network. Colours are computed here, in
numpy, so 16,487 points stay smooth in the browser.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from subsidence.io.studyarea import StudyArea
from subsidence.viz.map_colours import (
    CATEGORY_COLOURS,
    GREYED,
    NEUTRAL,
    RAMPS,
    category_colours,
    colour_range,
    colours,
    grey_out,
    is_degenerate,
    legend_html,
    palette_colours,
)

PS_LAYER = "ps-points"
# Above this many clickable points the deck shows no hover tooltip (each hover costs a picking pass).
TOOLTIP_MAX_POINTS = 5000
WELL_LAYER = "wells"
PICKED_LAYER = "picked"
COLOUR_LAYER = "ps-colours"  # every point, drawn only, when only some points can be clicked
TILE_LAYER = "pick-tiles"  # rectangles a click zooms to, on areas too large to pick at once


def velocity_mm_yr(dates: Sequence[Any] | pd.DatetimeIndex, series_mm: np.ndarray) -> np.ndarray:
    """Per-point linear rate (mm/yr): the least-squares slope of each row of ``series_mm`` over time."""
    stamps = pd.DatetimeIndex(list(dates))
    t = (stamps - stamps[0]).days.to_numpy(float) / 365.25
    y = np.asarray(series_mm, float)
    if len(t) < 2 or np.ptp(t) == 0:
        return np.full(len(y), np.nan)
    tc = t - t.mean()
    ok = np.isfinite(y)
    yc = np.where(ok, y - np.nanmean(np.where(ok, y, np.nan), axis=1, keepdims=True), 0.0)
    rate: np.ndarray = (yc @ tc) / np.maximum((ok * tc**2).sum(axis=1), 1e-12)
    return rate


def map_view(
    lon: np.ndarray, lat: np.ndarray, width_px: float = 700, height_px: float = 480
) -> pdk.ViewState:
    """A view fitted to the points' extent with a 10 % margin (lon/lat in degrees, WGS 84).

    The zoom is the largest at which the extent plus its margin fits a map of about
    ``width_px`` by ``height_px`` (deck.gl's Web Mercator: 512 px per 360° at zoom 0).
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    west, east, south, north = np.nanmin(lon), np.nanmax(lon), np.nanmin(lat), np.nanmax(lat)
    mid = float((south + north) / 2)
    span_x = max(float(east - west), 1e-4) * 1.2
    merc = np.log(np.tan(np.pi / 4 + np.radians([south, north]) / 2))
    span_y = max(float(np.degrees(merc[1] - merc[0])), 1e-4) * 1.2
    zoom = float(
        np.clip(
            min(np.log2(width_px * 360 / (512 * span_x)), np.log2(height_px * 360 / (512 * span_y))), 1, 18
        )
    )
    return pdk.ViewState(longitude=float((west + east) / 2), latitude=mid, zoom=zoom)


def scale_bar_html(lon: np.ndarray, lat: np.ndarray) -> str:
    """A north arrow, a scale bar and the extent's coordinates, for a deck framed by :func:`map_view`.

    Drawn as HTML under the map (offline; pydeck has no scale-bar widget). The bar's length in
    pixels is exact at the map's first view (same zoom and latitude), whatever the map's width.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    west, east, south, north = (
        float(v) for v in (np.nanmin(lon), np.nanmax(lon), np.nanmin(lat), np.nanmax(lat))
    )
    view = map_view(lon, lat)
    metres_per_px = 78_271.52 * np.cos(np.radians(view.latitude)) / 2**view.zoom  # deck.gl: 512-px tiles
    target = 150 * metres_per_px  # about 150 px
    nice = 10 ** np.floor(np.log10(target))
    length = float(max((m * nice for m in (1, 2, 5) if m * nice <= target), default=nice))
    bar_px = length / metres_per_px
    words = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    return (
        '<div style="font-size:0.8rem;display:flex;flex-wrap:wrap;align-items:center;gap:0.3em 1em;margin-top:2px;white-space:nowrap">'
        '<span title="north is up" style="font-weight:bold">▲ N</span>'
        f'<span style="display:inline-block;width:{bar_px:.0f}px;flex-shrink:0;border:2px solid #333;border-top:none;'
        f'height:6px"></span><span>{words} (at the first view)</span>'
        f"<span>extent {west:.4f}° to {east:.4f}° E, {south:.4f}° to {north:.4f}° N (centre {(west + east) / 2:.4f}°, "
        f"{(south + north) / 2:.4f}°)</span></div>"
    )


def _points_layer(frame: pd.DataFrame, layer_id: str, radius_m: float, pickable: bool) -> pdk.Layer:
    """The PS points as dots (clickable when ``pickable``)."""
    return pdk.Layer(
        "ScatterplotLayer",
        frame,
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color=["r", "g", "b", "a"],
        get_radius=radius_m,
        radius_min_pixels=4,
        radius_max_pixels=12,
        pickable=pickable,
        auto_highlight=False,  # a hover highlight redraws the deck: seconds in a slow browser
    )


def ps_deck(
    area: StudyArea,
    values: np.ndarray,
    *,
    label: str,
    unit: str = "mm",
    ramp: str = "subsidence",
    value_range: tuple[float, float] | None = None,
    picked: Sequence[str] = (),
    extra: dict[str, np.ndarray] | None = None,
    dim: np.ndarray | None = None,
    rgba: np.ndarray | None = None,
    show_wells: bool = True,
    basemap: bool = False,
    radius_m: float | None = None,
    degenerate: bool = False,
    pickable: np.ndarray | None = None,
    tiles: Sequence[tuple[float, float, float, float]] = (),
    view: tuple[float, float, float, float] | None = None,
    big: Any = None,
) -> pdk.Deck:
    """A pydeck map of every PS point coloured by ``values``, with wells and picked points.

    Parameters
    ----------
    area : StudyArea
    values : ndarray, shape (n_points,)
        What to colour by, in ``unit``.
    label, unit : str
        Shown in the tooltip and legend (escaped: user text never becomes HTML).
    ramp : {"subsidence", "magnitude", "diverging"}
    value_range : (vmin, vmax), optional
        Colour range; default from :func:`colour_range`.
    picked : sequence of str
        PS ids drawn as rings on top (a planner's validation points).
    extra : dict of name -> ndarray (n_points,), optional
        More columns for the tooltip (numbers; text columns are escaped).
    dim : ndarray of bool (n_points,), optional
        Points drawn faint (e.g. training points beside test points).
    rgba : ndarray (n_points, 4) uint8, optional
        Colours to use instead of the ramp (e.g. :func:`category_colours`).
    show_wells : bool
    basemap : bool
        Draw web-tile streets under the points (needs the internet). Default off.
    radius_m : float, optional
        Point radius; default from the point density.
    degenerate : bool
        Draw every point in one neutral colour (see :func:`is_degenerate`).
    pickable : ndarray of bool (n_points,), optional
        Only these points can be clicked (all are drawn); default all. A click costs deck.gl a
        picking pass over every pickable point, so large areas are picked a tile at a time.
    tiles : sequence of (west, south, east, north), optional
        Rectangles drawn as a pickable layer ``pick-tiles`` (a click on one chooses it).
    view : (west, south, east, north), optional
        What the map shows first; default every point.
    big : subsidence.viz.aggregate.BigView, optional
        Draws a large area as cells instead (``big.deck``; docs/big-maps.md).

    Returns
    -------
    pydeck.Deck
        Layers with ids ``ps-points``, ``wells`` and ``picked`` (for selections).
    """
    if big is not None:
        kw = {"label": label, "unit": unit, "ramp": ramp, "value_range": value_range, "picked": picked}
        return big.deck(area, values, rgba=rgba, dim=dim, degenerate=degenerate, show_wells=show_wells, basemap=basemap, **kw)  # fmt: skip
    vmin, vmax = value_range or colour_range(values, symmetric=ramp == "diverging")
    pts = area.points
    frame = pd.DataFrame(
        {
            "ps_id": pts["ps_id"].astype(str),  # raw: Streamlit escapes tooltip values once
            "lon": pts["lon"].to_numpy(float),
            "lat": pts["lat"].to_numpy(float),
            "value": np.round(values.astype(float), 2),
        }
    )
    for name, col in (extra or {}).items():
        col = np.asarray(col)
        frame[name] = np.round(col.astype(float), 2) if col.dtype.kind in "fiub" else [str(c) for c in col]
    if rgba is None and degenerate:
        rgba = np.tile(np.array([*NEUTRAL, 230], np.uint8), (len(values), 1))
        rgba[~np.isfinite(np.asarray(values, float)), 3] = 60
    rgba = colours(values, vmin, vmax, ramp) if rgba is None else np.array(rgba, dtype=np.uint8)
    if dim is not None:
        rgba[np.asarray(dim, bool), 3] = 70
    frame["r"], frame["g"], frame["b"], frame["a"] = rgba.T
    if radius_m is None:
        xmin, ymin, xmax, ymax = area.extent_m
        radius_m = float(
            np.clip(0.35 * np.sqrt((xmax - xmin) * (ymax - ymin) / max(area.n_points, 1)), 5, 2000)
        )
    layers = [
        _points_layer(frame, COLOUR_LAYER if pickable is not None else PS_LAYER, radius_m, pickable is None)
    ]
    if pickable is not None:
        subset = frame[np.asarray(pickable, bool)]
        if len(tiles):
            boxes = pd.DataFrame(
                {
                    "tile": np.arange(len(tiles)),
                    "ps_id": [f"— rectangle {k + 1}: click to zoom in to it" for k in range(len(tiles))],
                    "value": "–",
                    "polygon": [[[w, s_], [e, s_], [e, n], [w, n]] for w, s_, e, n in tiles],
                }
            )
            layers.insert(
                0,
                pdk.Layer(
                    "PolygonLayer",
                    boxes,
                    id=TILE_LAYER,
                    get_polygon="polygon",
                    get_fill_color=[120, 120, 120, 12],
                    get_line_color=[80, 80, 80, 200],
                    line_width_min_pixels=1,
                    stroked=True,
                    filled=True,
                    pickable=True,
                ),
            )
        layers.append(_points_layer(subset, PS_LAYER, radius_m, True))
    n_pickable = len(frame) if pickable is None else int(np.asarray(pickable, bool).sum())
    if show_wells:
        wells = pd.DataFrame(
            {
                "well_id": [str(w) for w in area.wells.ids],
                "lon": area.wells.lon,
                "lat": area.wells.lat,
            }
        )
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                wells,
                id=WELL_LAYER,
                get_position=["lon", "lat"],
                get_fill_color=[20, 20, 20, 255],
                get_line_color=[255, 255, 255, 255],
                line_width_min_pixels=1.5,
                stroked=True,
                get_radius=well_radius_m(area.extent_m),
                radius_min_pixels=5,
                radius_max_pixels=14,
                pickable=False,
            )
        )
    chosen = frame[pts["ps_id"].astype(str).isin([str(p) for p in picked]).to_numpy()]
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            chosen[["ps_id", "lon", "lat"]],
            id=PICKED_LAYER,
            get_position=["lon", "lat"],
            get_fill_color=[0, 0, 0, 0],
            get_line_color=[0, 0, 0, 255],
            stroked=True,
            filled=False,
            line_width_min_pixels=2.5,
            get_radius=radius_m * 3,
            radius_min_pixels=7,
            pickable=False,
        )
    )
    extra_rows = "".join(f"<br/>{html.escape(k)}: {{{k}}}" for k in (extra or {}))
    tooltip = {
        "html": f"<b>PS {{ps_id}}</b><br/>{html.escape(label)}: {{value}} {html.escape(unit)}{extra_rows}",
        "style": {"fontSize": "12px"},
    }
    return pdk.Deck(
        layers=layers,
        initial_view_state=map_view(frame["lon"].to_numpy(), frame["lat"].to_numpy())
        if view is None
        else map_view(np.array([view[0], view[2]]), np.array([view[1], view[3]])),
        map_provider="carto" if basemap else None,
        map_style="light" if basemap else None,
        tooltip=tooltip if n_pickable <= TOOLTIP_MAX_POINTS else False,
    )


def well_radius_m(extent_m: tuple[float, float, float, float]) -> float:
    """Well marker radius (m): 0.8 % of the map's diagonal, so wells read the same on any extent."""
    xmin, ymin, xmax, ymax = extent_m
    return float(max(0.008 * np.hypot(xmax - xmin, ymax - ymin), 5.0))


def selected_tile(event: Any) -> int | None:
    """The tile chosen by a click on a deck's ``pick-tiles`` layer, if any."""
    try:
        objects = event["selection"]["objects"].get(TILE_LAYER, [])
    except (KeyError, TypeError, AttributeError):
        return None
    return (
        int(objects[0]["tile"]) if objects and isinstance(objects[0], dict) and "tile" in objects[0] else None
    )


def selected_ids(event: Any, layer: str = PS_LAYER) -> list[str]:
    """PS ids of the objects selected on a deck (the value ``st.pydeck_chart`` returns)."""
    try:
        objects = event["selection"]["objects"].get(layer, [])
    except (KeyError, TypeError, AttributeError):
        return []
    return [str(o["ps_id"]) for o in objects if isinstance(o, dict) and "ps_id" in o]


__all__ = [
    "CATEGORY_COLOURS",
    "COLOUR_LAYER",
    "GREYED",
    "NEUTRAL",
    "PICKED_LAYER",
    "PS_LAYER",
    "RAMPS",
    "TILE_LAYER",
    "WELL_LAYER",
    "category_colours",
    "colour_range",
    "colours",
    "grey_out",
    "is_degenerate",
    "legend_html",
    "map_view",
    "palette_colours",
    "ps_deck",
    "scale_bar_html",
    "selected_ids",
    "selected_tile",
    "velocity_mm_yr",
    "well_radius_m",
]
