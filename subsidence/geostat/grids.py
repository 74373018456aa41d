"""The map grid (round cell sizes, cell-centre axes) and bilinear sampling of rasters."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import Raster

DEFAULT_CELL_SIZE_M = 20.0  # the paper's grid
DEFAULT_MAX_CELLS = 2_000_000
_ROUND_MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0)


# --- the grid --------------------------------------------------------------------------------


def _round_sizes() -> Iterator[float]:
    for k in range(-1, 8):
        for mantissa in _ROUND_MANTISSAS:
            yield mantissa * 10.0**k


def grid_axes(
    extent_m: tuple[float, float, float, float],
    cell_size_m: float | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    margin_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Cell-centre coordinates of the map grid over an extent plus a margin.

    Parameters
    ----------
    extent_m : (xmin, ymin, xmax, ymax)
        Metres in ``work_crs`` (e.g. ``StudyArea.extent_m``).
    cell_size_m : float, optional
        The user's cell size; default 20 m when that gives at most ``max_cells`` cells, else
        the finest round size that does.
    max_cells : int
    margin_m : float, optional
        Default 2 % of the larger side.

    Returns
    -------
    x_m : ndarray, shape (nx,)
    y_m : ndarray, shape (ny,)
    cell_size_m : float

    Raises
    ------
    SubsidenceError
        When the user's ``cell_size_m`` gives more than ``max_cells`` cells.
    """
    xmin, ymin, xmax, ymax = extent_m
    if margin_m is None:
        margin_m = 0.02 * max(xmax - xmin, ymax - ymin, 1.0)

    def axes(cell: float) -> tuple[np.ndarray, np.ndarray]:
        x0, y0 = np.floor((xmin - margin_m) / cell) * cell, np.floor((ymin - margin_m) / cell) * cell
        nx = max(1, int(np.ceil((xmax + margin_m - x0) / cell)))
        ny = max(1, int(np.ceil((ymax + margin_m - y0) / cell)))
        return x0 + (np.arange(nx) + 0.5) * cell, y0 + (np.arange(ny) + 0.5) * cell

    def n_cells(cell: float) -> int:
        return int(np.ceil((xmax - xmin + 2 * margin_m) / cell) + 1) * int(
            np.ceil((ymax - ymin + 2 * margin_m) / cell) + 1
        )

    if cell_size_m is not None:
        if n_cells(cell_size_m) > max_cells:
            raise SubsidenceError(
                f"a {cell_size_m:g} m grid over the study area has about {n_cells(cell_size_m):,} cells; "
                f"expected at most {max_cells:,}: choose a larger cell size"
            )
        return (*axes(float(cell_size_m)), float(cell_size_m))
    for cell in _round_sizes():
        if cell >= DEFAULT_CELL_SIZE_M and n_cells(cell) <= max_cells:
            return (*axes(cell), cell)
    raise SubsidenceError(f"no round cell size keeps the grid under {max_cells:,} cells")  # pragma: no cover


def _grid_targets(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    gx, gy = np.meshgrid(x, y)
    return np.column_stack([gx.ravel(), gy.ravel()])


def sample_raster(raster: Raster, x_m: np.ndarray, y_m: np.ndarray, work_crs: str) -> np.ndarray:
    """Bilinear values of a raster at points given in ``work_crs`` (NaN outside or on no-data).

    Parameters
    ----------
    raster : Raster
    x_m, y_m : ndarray, shape (n,)
        Metres in ``work_crs``; transformed to the raster's CRS first.
    work_crs : str

    Returns
    -------
    ndarray, shape (n,)
        Bilinear between the four surrounding cell centres; nearest cell where one of them is
        no-data; NaN outside the raster or on a no-data cell.
    """
    from pyproj import CRS, Transformer

    rx, ry = np.asarray(x_m, float), np.asarray(y_m, float)
    if not CRS.from_user_input(raster.crs).equals(CRS.from_user_input(work_crs)):
        rx, ry = (
            np.asarray(v)
            for v in Transformer.from_crs(work_crs, raster.crs, always_xy=True).transform(rx, ry)
        )
    a, b, c, d, e, f = raster.transform
    inv = np.linalg.inv(np.array([[a, b], [d, e]]))
    col = inv[0, 0] * (rx - c) + inv[0, 1] * (ry - f) - 0.5  # in cell-centre units
    row = inv[1, 0] * (rx - c) + inv[1, 1] * (ry - f) - 0.5
    values = raster.values
    rows, cols = values.shape
    out = np.full(len(rx), np.nan)
    inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
    c0 = np.clip(np.floor(col), 0, max(cols - 2, 0)).astype(int)
    r0 = np.clip(np.floor(row), 0, max(rows - 2, 0)).astype(int)
    c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
    fc, fr = np.clip(col - c0, 0, 1), np.clip(row - r0, 0, 1)
    bilinear = (
        values[r0, c0] * (1 - fc) * (1 - fr)
        + values[r0, c1] * fc * (1 - fr)
        + values[r1, c0] * (1 - fc) * fr
        + values[r1, c1] * fc * fr
    )
    nearest = values[
        np.clip(np.round(row), 0, rows - 1).astype(int), np.clip(np.round(col), 0, cols - 1).astype(int)
    ]
    out[inside] = np.where(np.isfinite(bilinear), bilinear, nearest)[inside]
    return out
