"""Maps of areas too large to send point by point: cells drawn on the server, points near a click.

Above :data:`BIG_MAP_POINTS` points a map is drawn as a grid of cells (at most
:data:`CELLS_ACROSS` along the longer side), each coloured by a statistic of the points in it
(mean, max or count of the mapped value) computed here in numpy; a click on a cell zooms to
the :data:`subsidence.viz.picking.PICK_MAX_POINTS` points nearest to its centre (a k-nearest query
on a :class:`scipy.spatial.cKDTree`), which are drawn and clicked one by one. The browser
therefore receives at most a few thousand records per view, whatever the size of the area.
Measurements and the reasons for the thresholds: docs/big-maps.md, docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk
from scipy.spatial import cKDTree

from subsidence.io.studyarea import StudyArea
from subsidence.viz.maps import (
    NEUTRAL,
    PICKED_LAYER,
    PS_LAYER,
    TILE_LAYER,
    WELL_LAYER,
    colour_range,
    colours,
    map_view,
)
from subsidence.viz.picking import PICK_MAX_POINTS

# Above this many points a map is drawn from cells: today's map sends about 228 bytes of JSON
# per point, so 20,000 points is the 5 MB a view may cost (the 16,487-point demo stays as it was).
BIG_MAP_POINTS = 20_000
CELLS_ACROSS = 48  # cells along the longer side: at most 48 x 48 = 2,304 records, only non-empty ones sent
STATS = ("mean", "max", "count")
# Zoomed to a cell, the map keeps the cells within this many cells of the points shown (those on
# screen and a margin): all 2,304 made every click in the zoomed view 0.25 s slower in a browser
# without a GPU (Streamlit re-colours every object of the map to show the selected point).
NEAR_CELLS = 4
CELL_LAYER = TILE_LAYER  # a click on a cell is handled as a click on a picking tile (zoom to it)
# Under every large map lies a transparent, clickable "ground" (a bitmap over the whole world), so a
# click beside the points selects the ground instead of nothing: the map keeps its selection between
# clicks (docs/big-maps.md) and "nothing selected" then always means "the selected point was clicked
# again". It has no id, so Streamlit does not fade the map when it is selected; deck.gl names it after
# its type, which is how its selection reaches the server.
GROUND_SELECTION = "BitmapLayer"
_CLEAR_PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


class PointIndex:
    """Points of an area on a fixed grid of square cells, with a k-d tree for nearest queries.

    Parameters
    ----------
    lon, lat : ndarray, shape (n,)
        Degrees (WGS 84).
    ids : sequence of str, optional
        The points' ids, indexed once for finding picked points.

    Notes
    -----
    Distances are measured on ``(lon * cos(mean lat), lat)``: degrees of latitude on the ground,
    good to a fraction of a percent across a city or a province.
    """

    def __init__(
        self, lon: np.ndarray, lat: np.ndarray, ids: Sequence[str] | np.ndarray | None = None
    ) -> None:
        self.ids = None if ids is None else pd.Index(np.asarray(ids).astype(str))
        self.lon = np.asarray(lon, float)
        self.lat = np.asarray(lat, float)
        self.shrink = float(np.cos(np.radians(np.mean(self.lat))))
        self.tree = cKDTree(np.column_stack([self.lon * self.shrink, self.lat]))
        span = max(float(np.ptp(self.lon)) * self.shrink, float(np.ptp(self.lat)), 1e-6)
        self.size = span / CELLS_ACROSS * (1 + 1e-9)  # cell side in degrees of latitude
        self.west, self.south = float(self.lon.min()), float(self.lat.min())
        ix = ((self.lon - self.west) * self.shrink / self.size).astype(np.int64)
        iy = ((self.lat - self.south) / self.size).astype(np.int64)
        self.nx, self.ny = int(ix.max()) + 1, int(iy.max()) + 1
        self.cell = iy * self.nx + ix
        self.order = np.argsort(self.cell, kind="stable")
        self.counts = np.bincount(self.cell, minlength=self.nx * self.ny)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    def box(self, cell: int) -> tuple[float, float, float, float]:
        """(west, south, east, north) of ``cell``, degrees."""
        iy, ix = divmod(int(cell), self.nx)
        w = self.west + ix * self.size / self.shrink
        s = self.south + iy * self.size
        return w, s, w + self.size / self.shrink, s + self.size

    def stat(self, values: np.ndarray, how: str) -> np.ndarray:
        """Per-cell ``how`` ("mean", "max", "count") of the finite ``values``; NaN for no value."""
        v = np.asarray(values, float)
        if how == "count":
            return self.counts.astype(float)
        good = np.isfinite(v)
        n = np.bincount(self.cell[good], minlength=self.n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            if how == "mean":
                return np.bincount(self.cell[good], weights=v[good], minlength=self.n_cells) / n
        out = np.full(self.n_cells, np.nan)
        filled = np.flatnonzero(self.counts)
        starts = np.r_[0, np.cumsum(self.counts[filled])[:-1]]
        out[filled] = np.fmax.reduceat(v[self.order], starts)  # fmax: NaN only where all are NaN
        return out

    def around(self, cell: int, k: int = PICK_MAX_POINTS) -> np.ndarray:
        """Rows of the ``k`` points nearest to the centre of ``cell`` (a square window on the ground)."""
        w, s, e, n = self.box(cell)
        k = min(k, len(self.lon))
        _, rows = self.tree.query([(w + e) / 2 * self.shrink, (s + n) / 2], k=k, p=np.inf)
        return np.sort(np.atleast_1d(rows))

    def rows_of(self, wanted: Sequence[str], ids: Sequence[str] | pd.Series) -> np.ndarray:
        """Rows of the ``wanted`` ids that are points (``ids``: the points' ids, used when the
        index was built without them)."""
        known = self.ids if self.ids is not None else pd.Index(np.asarray(ids).astype(str))
        rows = known.get_indexer([str(w) for w in wanted])
        return np.asarray(rows[rows >= 0])

    def nearest(self, lon: float, lat: float) -> int:
        """Row of the point nearest to (lon, lat)."""
        return int(self.tree.query([lon * self.shrink, lat])[1])


@dataclass(frozen=True)
class BigView:
    """What a large area's map shows: cells coloured by ``stat``, and the points around ``active``.

    Passed to :func:`subsidence.viz.maps.ps_deck` as ``big=``; ``active`` is a cell index (a click
    on a cell, handled as a picking tile) or None for the whole area.
    """

    index: PointIndex
    stat: str = "mean"
    active: int | None = None
    window_points: int = PICK_MAX_POINTS  # points drawn (and clickable) around a clicked cell

    def cache_key(self) -> tuple[str, int | None, int]:
        """What the map depends on besides its area (the index is built from the area's points)."""
        return self.stat, self.active, self.window_points

    def deck(
        self,
        area: StudyArea,
        values: np.ndarray,
        *,
        label: str,
        unit: str = "mm",
        ramp: str = "subsidence",
        value_range: tuple[float, float] | None = None,
        picked: Sequence[str] = (),
        rgba: np.ndarray | None = None,
        dim: np.ndarray | None = None,
        degenerate: bool = False,
        show_wells: bool = True,
        basemap: bool = False,
    ) -> pdk.Deck:
        """The deck: the ground, cells (layer ``pick-tiles``), the points near the active cell
        (``ps-points``), wells and rings on the picked points; every record rounded (7 significant
        digits). No double-click zoom: deck.gl would hold every click 300 ms to tell it from a
        double click."""
        values = np.asarray(values, float)
        vmin, vmax = value_range or colour_range(values, symmetric=ramp == "diverging")
        idx = self.index
        rows = (
            idx.around(self.active, self.window_points)
            if self.active is not None and self.active < idx.n_cells
            else None
        )
        layers = [_ground(), self._cells(values, vmin, vmax, ramp, degenerate, rows)]
        if rows is not None:
            shown = pd.DataFrame(
                {
                    "ps_id": area.points["ps_id"].to_numpy()[rows].astype(str),
                    "lon": np.round(idx.lon[rows], 6),
                    "lat": np.round(idx.lat[rows], 6),
                }
            )
            shown[["r", "g", "b", "a"]] = _rgba(values[rows], vmin, vmax, ramp, degenerate, rgba, dim, rows)
            layers.append(_dots(shown, PS_LAYER, pickable=True))
        if show_wells:
            wells = pd.DataFrame({"lon": area.wells.lon, "lat": area.wells.lat})
            layers.append(_dots(wells, WELL_LAYER, colour=[20, 20, 20, 255], radius_px=5))
        chosen = idx.rows_of(picked, area.points["ps_id"])
        rings = pd.DataFrame({"lon": idx.lon[chosen], "lat": idx.lat[chosen]})
        layers.append(_dots(rings, PICKED_LAYER, colour=[0, 0, 0, 255], radius_px=7, ring=True))
        if rows is not None:
            view = map_view(idx.lon[rows], idx.lat[rows])
        else:
            view = map_view(
                idx.lon[[idx.lon.argmin(), idx.lon.argmax()]], idx.lat[[idx.lat.argmin(), idx.lat.argmax()]]
            )
        return pdk.Deck(
            layers=layers,
            initial_view_state=view,
            map_provider="carto" if basemap else None,
            map_style="light" if basemap else None,
            views=[pdk.View(type="MapView", controller={"doubleClickZoom": False})],  # clicks not held
            tooltip=False,  # hover picking would cost a pass per mouse move (docs/big-maps.md)
        )

    def _cells(
        self,
        values: np.ndarray,
        vmin: float,
        vmax: float,
        ramp: str,
        degenerate: bool,
        rows: np.ndarray | None,
    ) -> pdk.Layer:
        idx = self.index
        stat = idx.stat(values, self.stat if self.stat in STATS else "mean")
        keep = idx.counts > 0
        if rows is not None:  # zoomed: the cells around the points shown, not under them (a point's click)
            under = np.unique(idx.cell[rows])
            iy, ix = np.divmod(np.arange(idx.n_cells), idx.nx)
            uy, ux = np.divmod(under, idx.nx)
            keep &= (ix >= ux.min() - NEAR_CELLS) & (ix <= ux.max() + NEAR_CELLS)
            keep &= (iy >= uy.min() - NEAR_CELLS) & (iy <= uy.max() + NEAR_CELLS)
            keep[under] = False
        cells = np.flatnonzero(keep)
        if self.stat == "count":  # numbers of points on a log scale, pale (1) to dark (the fullest)
            rgba = colours(np.log10(stat[cells]), 0.0, max(float(np.log10(stat.max())), 1.0), "magnitude")
        else:
            rgba = colours(stat[cells], vmin, vmax, ramp)
            if degenerate:
                rgba[:, :3] = NEUTRAL
        boxes = np.array([idx.box(int(c)) for c in cells]).reshape(-1, 4).round(6)
        frame = pd.DataFrame(
            {"tile": cells, "polygon": [[[w, s], [e, s], [e, n], [w, n]] for w, s, e, n in boxes.tolist()]}
        )
        frame[["r", "g", "b"]] = rgba[:, :3]
        return pdk.Layer(
            "PolygonLayer",
            frame,
            id=CELL_LAYER,
            get_polygon="polygon",
            get_fill_color=["r", "g", "b", 200 if rows is None else 90],
            stroked=False,  # no outline sublayer: a cheaper picking pass
            filled=True,
            pickable=True,
            auto_highlight=False,
        )


def _ground() -> pdk.Layer:
    """The transparent, clickable ground under a large map (see :data:`GROUND_SELECTION`)."""
    layer = pdk.Layer("BitmapLayer", image=f"`{_CLEAR_PIXEL}`", bounds=[-180, -85, 180, 85], pickable=True)
    layer.id = None  # no id: deck.gl calls it "BitmapLayer"; Streamlit fades no layer when it is picked
    return layer


def held_selection(deck: Any) -> bool:
    """Whether ``deck`` is a large area's map, which keeps its selection between clicks."""
    return any(getattr(layer, "type", "") == "BitmapLayer" for layer in deck.layers)


def _rgba(
    values: np.ndarray,
    vmin: float,
    vmax: float,
    ramp: str,
    degenerate: bool,
    rgba: np.ndarray | None,
    dim: np.ndarray | None,
    rows: np.ndarray,
) -> np.ndarray:
    if rgba is not None:
        out = np.array(rgba, dtype=np.uint8)[rows]
    else:
        out = colours(values, vmin, vmax, ramp)
        if degenerate:
            out[:, :3] = NEUTRAL
    if dim is not None:
        out[np.asarray(dim, bool)[rows], 3] = 70
    return np.asarray(out)


def _dots(
    frame: pd.DataFrame,
    layer_id: str,
    *,
    pickable: bool = False,
    colour: Sequence[Any] | None = None,
    radius_px: float = 4,
    ring: bool = False,
) -> pdk.Layer:
    return pdk.Layer(
        "ScatterplotLayer",
        frame,
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color=colour or ["r", "g", "b", "a"],
        get_line_color=[0, 0, 0, 255] if ring else [255, 255, 255, 255],
        stroked=ring or layer_id == WELL_LAYER,
        filled=not ring,
        line_width_min_pixels=2.5 if ring else 1.5,
        get_radius=1,
        radius_min_pixels=radius_px,
        radius_max_pixels=12,
        pickable=pickable,
        auto_highlight=False,
    )
