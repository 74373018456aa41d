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

from subsidence.studyarea import StudyArea

PS_LAYER = "ps-points"
# Above this many clickable points the deck shows no hover tooltip (each hover costs a picking pass).
TOOLTIP_MAX_POINTS = 5000
WELL_LAYER = "wells"
PICKED_LAYER = "picked"
COLOUR_LAYER = "ps-colours"  # every point, drawn only, when only some points can be clicked
TILE_LAYER = "pick-tiles"  # rectangles a click zooms to, on areas too large to pick at once

# Colour ramps as RGB stops (low -> high): subsidence goes from pale (stable) to deep red.
RAMPS: dict[str, np.ndarray] = {
    "subsidence": np.array(
        [[49, 54, 149], [116, 173, 209], [224, 243, 248], [254, 224, 144], [244, 109, 67], [165, 0, 38]],
        float,
    ),
    "magnitude": np.array(
        [[255, 255, 204], [254, 217, 118], [253, 141, 60], [227, 26, 28], [128, 0, 38]], float
    ),
    "diverging": np.array(
        [[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]], float
    ),
}


def colour_range(values: np.ndarray, symmetric: bool = False) -> tuple[float, float]:
    """A robust colour range: the 2nd and 98th percentiles of the finite values.

    With ``symmetric`` the range is centred on zero (for deviations).
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(finite, [2, 98])
    if symmetric:
        m = max(abs(lo), abs(hi), 1e-9)
        return -float(m), float(m)
    if hi <= lo:
        hi = lo + 1.0
    return float(lo), float(hi)


def colours(values: np.ndarray, vmin: float, vmax: float, ramp: str = "subsidence") -> np.ndarray:
    """Map values to RGBA colours, shape (n, 4) uint8; NaN is transparent grey."""
    stops = RAMPS[ramp]
    t = np.clip((np.asarray(values, float) - vmin) / max(vmax - vmin, 1e-12), 0, 1)
    pos = t * (len(stops) - 1)
    i = np.minimum(np.floor(np.nan_to_num(pos)).astype(int), len(stops) - 2)
    f = (np.nan_to_num(pos) - i)[:, None]
    rgb = stops[i] * (1 - f) + stops[i + 1] * f
    alpha = np.where(np.isfinite(values), 230, 60)[:, None]
    out = np.hstack([rgb, alpha]).round().astype(np.uint8)
    out[~np.isfinite(values), :3] = 150
    return out


CATEGORY_COLOURS = (
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (148, 103, 189),
    (255, 127, 14),
    (23, 190, 207),
    (140, 86, 75),
    (227, 119, 194),
)


def category_colours(labels: np.ndarray) -> tuple[np.ndarray, str]:
    """RGBA colours (n, 4) for categorical ``labels`` and an HTML legend of them (escaped)."""
    names = list(dict.fromkeys(map(str, labels)))
    lookup = {n: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, n in enumerate(names)}
    rgba = np.array([[*lookup[str(v)], 230] for v in labels], dtype=np.uint8).reshape(-1, 4)
    items = "".join(
        f'<span style="margin-right:1em"><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:rgb{lookup[n]}"></span> {html.escape(n)}</span>'
        for n in names
    )
    return rgba, f'<div style="font-size:0.85rem">{items}</div>'


NEUTRAL = (170, 170, 170)  # one colour for a map whose values are all (nearly) the same


def is_degenerate(vmin: float, vmax: float, floor: float = 0.0) -> bool:
    """True when a colour range carries no information.

    The range is degenerate when its width is below ``floor`` (e.g. the data's noise, in the
    values' unit) or below a thousandth of the values' magnitude (e.g. kriged heads of
    51.032–51.033 m): colours would then show differences that are not real.
    """
    if not (np.isfinite(vmin) and np.isfinite(vmax)):
        return True
    width = vmax - vmin
    return bool(width <= max(floor, 1e-3 * max(abs(vmin), abs(vmax)), 1e-9))


def _fmt(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 10 else f"{v:,.1f}"


def legend_html(
    vmin: float,
    vmax: float,
    label: str,
    ramp: str = "subsidence",
    unit: str = "",
    degenerate: bool = False,
) -> str:
    """A colour bar drawn from the same stops as :func:`colours` (the map's own scale).

    The title (``label``, with ``unit``) sits above the bar and the minimum and maximum under
    its two ends, so no text overlaps the bar. With ``degenerate`` the legend is one neutral
    swatch stating the single value. All text is escaped.
    """
    title = html.escape(f"{label} ({unit})" if unit else label)
    head = f'<div style="font-size:0.85rem"><div style="margin-bottom:2px">{title}</div>'
    if degenerate:
        value = (vmin + vmax) / 2
        swatch = f"rgb{NEUTRAL}"
        return (
            head
            + f'<div style="display:flex;align-items:center;gap:0.5em"><span style="display:inline-block;'
            f'width:40px;height:12px;border-radius:3px;background:{swatch}"></span>'
            f"<span>every point ≈ {html.escape(_fmt(value))} {html.escape(unit)} (one colour: the values do not "
            f"differ enough to map)</span></div></div>"
        )
    stops = ", ".join(f"rgb({r:.0f},{g:.0f},{b:.0f})" for r, g, b in RAMPS[ramp])
    return (
        head
        + f'<div style="height:12px;border-radius:3px;background:linear-gradient(to right, {stops})"></div>'
        f'<div style="display:flex;justify-content:space-between;gap:1em"><span>{html.escape(_fmt(vmin))}</span>'
        + ("<span>0</span>" if ramp == "diverging" and vmin < 0 < vmax else "")
        + f"<span>{html.escape(_fmt(vmax))}</span></div></div>"
    )


def map_view(lon: np.ndarray, lat: np.ndarray) -> pdk.ViewState:
    """A view that frames all the points (lon/lat in degrees, WGS 84)."""
    span = max(float(np.ptp(lon)), float(np.ptp(lat)) * 1.3, 1e-3)
    zoom = float(np.clip(np.log2(360.0 / span) + 0.1, 1, 16))
    return pdk.ViewState(longitude=float(np.mean(lon)), latitude=float(np.mean(lat)), zoom=zoom)


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
    big : subsidence.aggregate.BigView, optional
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
        pdk.Layer(
            "ScatterplotLayer",
            frame,
            id=PS_LAYER,
            get_position=["lon", "lat"],
            get_fill_color=["r", "g", "b", "a"],
            get_radius=radius_m,
            radius_min_pixels=4,
            radius_max_pixels=12,
            pickable=pickable is None,
            auto_highlight=False,  # a hover highlight redraws the deck: seconds in a slow browser
        )
    ]
    if pickable is not None:
        layers[0].id = COLOUR_LAYER
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
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                subset,
                id=PS_LAYER,
                get_position=["lon", "lat"],
                get_fill_color=["r", "g", "b", "a"],
                get_radius=radius_m,
                radius_min_pixels=4,
                radius_max_pixels=12,
                pickable=True,
                auto_highlight=False,
            )
        )
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
                get_radius=radius_m * 4,
                radius_min_pixels=5,
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
        tooltip=tooltip if n_pickable <= TOOLTIP_MAX_POINTS else False,  # type: ignore[arg-type]
    )


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
