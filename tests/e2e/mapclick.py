"""Find where a PS point is drawn on a pydeck map, so a real browser can click it."""

from __future__ import annotations

import math

import numpy as np


def point_pixel(lon: float, lat: float, view: dict, box: dict) -> tuple[float, float]:
    """Screen position of (lon, lat) on a Web-Mercator deck with ``view`` drawn in ``box``.

    ``view`` has ``longitude``, ``latitude``, ``zoom`` (deck.gl's initial view state);
    ``box`` is Playwright's bounding box of the canvas (x, y, width, height).
    """
    scale = 512 * 2 ** view["zoom"] / (2 * math.pi)

    def world(lo: float, la: float) -> tuple[float, float]:
        return (
            scale * (math.radians(lo) + math.pi),
            scale * (math.pi - math.log(math.tan(math.pi / 4 + math.radians(la) / 2))),
        )

    px, py = world(lon, lat)
    cx, cy = world(view["longitude"], view["latitude"])
    return box["x"] + box["width"] / 2 + (px - cx), box["y"] + box["height"] / 2 + (py - cy)


def spread_points(
    lon: np.ndarray, lat: np.ndarray, view: dict, box: dict, count: int, min_gap_px: float = 40.0
) -> list[int]:
    """Positions of ``count`` points drawn at least ``min_gap_px`` apart on screen, each the most
    isolated of its neighbourhood (easy to hit), for areas of any size."""
    from scipy.spatial import cKDTree

    xy = np.array([point_pixel(float(a), float(b), view, box) for a, b in zip(lon, lat, strict=True)])
    inside = (
        (xy[:, 0] > box["x"] + 20)
        & (xy[:, 0] < box["x"] + box["width"] - 60)  # keep clear of the zoom buttons
        & (xy[:, 1] > box["y"] + 20)
        & (xy[:, 1] < box["y"] + box["height"] - 20)
    )
    tree = cKDTree(xy)
    gap = tree.query(xy, k=2)[0][:, 1]
    chosen: list[int] = []
    for i in np.argsort(-gap):
        if not inside[i]:
            continue
        if all(np.hypot(*(xy[i] - xy[j])) >= min_gap_px for j in chosen):
            chosen.append(int(i))
        if len(chosen) == count:
            break
    return chosen


def isolated_points(lon: np.ndarray, lat: np.ndarray, count: int) -> list[int]:
    """Positions of points far from their neighbours (easy to hit with a click), most isolated first."""
    xy = np.column_stack([lon * math.cos(math.radians(float(np.mean(lat)))), lat])
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) if len(xy) <= 3000 else None
    if d is None:
        raise ValueError("use a small study area in browser tests")
    np.fill_diagonal(d, np.inf)
    nearest = d.min(axis=1)
    centre = np.hypot(xy[:, 0] - np.median(xy[:, 0]), xy[:, 1] - np.median(xy[:, 1]))
    order = np.argsort(-(nearest / (1 + centre / centre.max())))
    return [int(i) for i in order[:count]]


def zoom_to_tile(page, area, tile: int = 0) -> tuple[dict, np.ndarray]:  # type: ignore[no-untyped-def]
    """On a map of a large area (drawn in tiles), click a tile to zoom to it.

    Returns the view the map then shows and the positions of the tile's points (all points,
    and the whole-area view, when the area is small enough to pick at once).
    """
    from subsidence.viz.maps import map_view
    from subsidence.viz.picking import PICK_MAX_POINTS, picking_tiles, tile_boxes

    lon, lat = area.points["lon"].to_numpy(float), area.points["lat"].to_numpy(float)
    if area.n_points <= PICK_MAX_POINTS:
        v = map_view(lon, lat)
        return {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}, np.arange(area.n_points)
    labels = picking_tiles(lon, lat)
    w, s, e, n = tile_boxes(lon, lat, labels)[tile]
    v = map_view(lon, lat)
    whole = {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for()
    page.wait_for_timeout(1500)
    x, y = point_pixel((w + e) / 2, (s + n) / 2, whole, canvas.bounding_box())
    page.mouse.click(x, y)
    page.get_by_role("button", name="Whole area").first.wait_for(timeout=120_000)
    v = map_view(np.array([w, e]), np.array([s, n]))
    return {"longitude": v.longitude, "latitude": v.latitude, "zoom": v.zoom}, np.flatnonzero(labels == tile)
