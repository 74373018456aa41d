"""The study area: one object that carries a loaded bundle through the code.

Everything in a :class:`StudyArea` is already validated and converted to the library's
conventions, so no other module needs to know about bundle units, signs or CRSs:

* lengths of subsidence in millimetres, **positive = down** (subsidence), relative to the
  first acquisition;
* all x/y in ``work_crs``, a projected metric CRS (the bundle CRS when it is projected, the
  local UTM zone when the bundle is geographic): never krige or measure in degrees;
* ``lon``/``lat`` (WGS 84) kept beside x/y for web maps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

THICKNESS = "thickness"
PERMEABILITY = "permeability"
LAYER_UNITS = {THICKNESS: "m", PERMEABILITY: "m/day"}


@dataclass(frozen=True)
class Raster:
    """A single-band raster layer, in its own CRS.

    Attributes
    ----------
    values : ndarray, shape (rows, cols)
        Cell values; NaN where the raster has no data.
    transform : tuple of 6 floats
        Affine ``(a, b, c, d, e, f)`` as rasterio writes it: x = a*col + b*row + c,
        y = d*col + e*row + f (cell corners).
    crs : str
        CRS of the raster, as a string pyproj understands.
    """

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: str


@dataclass(frozen=True)
class Layer:
    """A geology layer (compressible-layer thickness or permeability coefficient).

    Attributes
    ----------
    name : {"thickness", "permeability"}
    unit : {"m", "m/day"}
    kind : {"contours", "points", "raster"}
        How the layer was published.
    x, y : ndarray, shape (n,)
        Sample locations in the study area's ``work_crs`` (metres): contour vertices
        densified along the lines, the points, or raster cell centres (thinned).
    values : ndarray, shape (n,)
        Layer value at each sample, in ``unit``.
    lines : tuple of ndarray, each shape (k, 2)
        Contour polylines in ``work_crs`` for display; empty unless ``kind == "contours"``.
    line_values : ndarray, shape (len(lines),)
        The value of each contour line.
    raster : Raster or None
        The full raster when ``kind == "raster"`` (sampled directly instead of kriged).
    """

    name: str
    unit: str
    kind: str
    x: np.ndarray
    y: np.ndarray
    values: np.ndarray
    lines: tuple[np.ndarray, ...] = ()
    line_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    raster: Raster | None = None


@dataclass(frozen=True)
class Wells:
    """Groundwater monitoring wells and their readings.

    Attributes
    ----------
    ids : ndarray of str, shape (n_wells,)
    x, y : ndarray, shape (n_wells,)
        Well locations in ``work_crs`` (metres).
    lon, lat : ndarray, shape (n_wells,)
        WGS 84 locations for web maps.
    readings : DataFrame
        Long format, sorted by ``well_id`` then ``date``: columns ``well_id`` (str),
        ``date`` (datetime64), ``head_m`` (float, confined level in metres above datum). After
        :func:`subsidence.coverage.apply_period` with extended heads it also holds
        ``extrapolated`` (bool): True for levels added from a well's trend and season.
    """

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    readings: pd.DataFrame

    @property
    def n_wells(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class StudyArea:
    """A loaded, validated study area.

    Attributes
    ----------
    name : str
        Name from the manifest.
    crs : str
        CRS of the bundle as given in the manifest.
    work_crs : str
        Projected metric CRS used for every distance computation.
    points : GeoDataFrame
        One row per PS point, in the order of ``subsidence_mm``'s rows. Columns:
        ``ps_id`` (str), ``x``, ``y`` (``work_crs``, metres), ``lon``, ``lat`` (WGS 84),
        any extra bundle columns (kept as attributes), and a point ``geometry`` in
        ``work_crs``.
    dates : DatetimeIndex, shape (n_epochs,)
        Acquisition dates, strictly increasing.
    subsidence_mm : ndarray, shape (n_points, n_epochs)
        Cumulative subsidence in mm, positive = down, relative to the first acquisition.
        NaN marks a missing value.
    wells : Wells
    thickness, permeability : Layer or None
        Absent layers are ``None``; models then use the inputs that exist.
    source : str
        Path the bundle was read from.
    fingerprint : str
        Hex digest of the PS ids, dates and values: identifies the data a model saw.
    notes : tuple of str
        Data-quality remarks made while loading (missing values, gaps), for the report.
    """

    name: str
    crs: str
    work_crs: str
    points: gpd.GeoDataFrame
    dates: pd.DatetimeIndex
    subsidence_mm: np.ndarray
    wells: Wells
    thickness: Layer | None
    permeability: Layer | None
    source: str
    fingerprint: str
    notes: tuple[str, ...] = ()

    @property
    def n_points(self) -> int:
        return int(self.subsidence_mm.shape[0])

    @property
    def n_epochs(self) -> int:
        return int(self.subsidence_mm.shape[1])

    @property
    def xy_m(self) -> np.ndarray:
        """PS coordinates in ``work_crs``, shape (n_points, 2), metres."""
        return np.column_stack([self.points["x"].to_numpy(float), self.points["y"].to_numpy(float)])

    @property
    def layers(self) -> dict[str, Layer]:
        """The layers present, by name."""
        found = {THICKNESS: self.thickness, PERMEABILITY: self.permeability}
        return {k: v for k, v in found.items() if v is not None}

    @property
    def extent_m(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the PS points in ``work_crs``."""
        xy = self.xy_m
        return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))


def data_fingerprint(ids: np.ndarray, dates: pd.DatetimeIndex, values: np.ndarray) -> str:
    """Short sha256 of point ids, dates and values (2 decimals): :attr:`StudyArea.fingerprint`."""
    digest = hashlib.sha256()
    digest.update("\n".join(map(str, ids)).encode())
    digest.update(dates.strftime("%Y-%m-%d").str.cat(sep=",").encode())
    digest.update(np.nan_to_num(np.round(values, 2), nan=-9999.0).astype("<f8").tobytes())
    return digest.hexdigest()[:16]
