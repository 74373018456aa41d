"""Survey rasters (MintPy ``timeseries.h5``, GeoTIFF stacks) turned into study-area bundles, streamed.

A raster time series is a grid of pixels x dates; each valid pixel becomes one PS point. The
converters (:mod:`subsidence.io.formats_mintpy`, :mod:`subsidence.io.formats_geotiff`) read a block
of raster rows at a time and hand it to :class:`BundleWriter`, which appends the points to
``ps.parquet`` (columns ``ps_id``, ``x``, ``y``, one ``YYYY-MM-DD`` column per date) and at
the end writes ``study_area.toml`` and copies the wells and layer files beside it. The bundle
then reads like any other (``validate``, ``train --chunked``, the app).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from subsidence.errors import BundleError
from subsidence.io.studyarea import PERMEABILITY, THICKNESS

DEFAULT_BLOCK_ROWS = 256
"""Raster rows read per block: 256 rows x 10,000 pixels x 100 dates x 4 bytes = 1 GB at most
for a very wide, long stack; a few tens of MB for common sizes (``--block-rows`` lowers it)."""


@dataclass(frozen=True)
class Sidecars:
    """The bundle's other files: wells (required) and the optional layers, copied as they are."""

    wells: Path
    thickness: Path | None = None
    permeability: Path | None = None

    def check(self) -> None:
        for role, path in (
            ("--wells", self.wells),
            ("--thickness", self.thickness),
            ("--permeability", self.permeability),
        ):
            if path is not None and not Path(path).is_file():
                raise BundleError(f"{role} {path}: no such file; give the wells CSV (and layers) of the area")


class BundleWriter:
    """Append raster blocks as PS points to ``folder/ps.parquet``; :meth:`finish` writes the rest."""

    def __init__(self, folder: str | Path, dates: pd.DatetimeIndex, crs: str) -> None:
        self.folder = Path(folder)
        if (self.folder / "study_area.toml").exists():
            raise BundleError(f"--out {self.folder}: a bundle is already there; choose an empty folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.dates, self.crs = dates, crs
        self.columns = [str(d.date()) for d in dates]
        self._writer: pq.ParquetWriter | None = None
        self.n_points = 0

    def add(self, ids: np.ndarray, x: np.ndarray, y: np.ndarray, values: np.ndarray) -> None:
        """Points of one block: ``values`` (n, n_dates) in the source unit, NaN = missing."""
        keep = np.isfinite(values).any(axis=1) & np.isfinite(x) & np.isfinite(y)
        if not keep.any():
            return
        columns = {
            "ps_id": pa.array(ids[keep].astype(str)),
            "x": pa.array(x[keep], pa.float64()),
            "y": pa.array(y[keep], pa.float64()),
        }
        for k, name in enumerate(self.columns):
            columns[name] = pa.array(values[keep, k].astype(np.float32))
        table = pa.table(columns)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.folder / "ps.parquet", table.schema)
        self._writer.write_table(table)
        self.n_points += int(keep.sum())

    def finish(self, name: str, unit: str, sign: str, sidecars: Sidecars, source: str) -> Path:
        """Close ``ps.parquet``, copy the wells and layers, write ``study_area.toml``."""
        if self._writer is None:
            raise BundleError(f"{source}: no pixel has a finite value at any date; nothing to convert")
        self._writer.close()
        files = {"ps": "ps.parquet"}
        for role, path in (
            ("wells", sidecars.wells),
            (THICKNESS, sidecars.thickness),
            (PERMEABILITY, sidecars.permeability),
        ):
            if path is not None:
                target = self.folder / f"{role}{Path(path).suffix.lower()}"
                shutil.copyfile(path, target)
                files[role] = target.name
        lines = [
            f"name = {_toml(name)}",
            f"crs = {_toml(self.crs)}",
            f"displacement_unit = {_toml(unit)}",
            f"displacement_sign = {_toml(sign)}",
            "",
            "[files]",
            *(f"{k} = {_toml(v)}" for k, v in files.items()),
        ]
        (self.folder / "study_area.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.folder


def _toml(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_date(text: str, where: str) -> pd.Timestamp:
    """A date written YYYYMMDD or YYYY-MM-DD (MintPy, file names, band tags); one-line error otherwise."""
    clean = text.strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return pd.Timestamp(pd.to_datetime(clean, format=fmt))
        except ValueError:
            continue
    raise BundleError(f"{where}: {clean[:40]!r} is not a date; expected YYYYMMDD or YYYY-MM-DD")


def pixel_ids(prefix: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Ids ``<prefix>r<row>c<col>`` of raster pixels (stable across runs)."""
    return np.char.add(np.char.add(f"{prefix}r", rows.astype(str)), np.char.add("c", cols.astype(str)))
