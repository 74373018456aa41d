"""The PS table of a bundle read in chunks of rows, never whole (for areas of millions of points).

:func:`open_stream` reads the manifest, the PS table's header and, in one light pass, the
*index* of every point (id, coordinates in the working CRS, cumulative subsidence at the last
acquisition); :meth:`PsStream.chunks` then yields the full rows ``chunk_rows`` at a time.
Supported: CSV (``pandas.read_csv(chunksize=...)``, EGMS column names accepted) and
(Geo)Parquet (``pyarrow.parquet.ParquetFile.iter_batches``: only the columns asked for are
read; geometry as WKB points or x/y columns). Units and sign are converted as
:func:`subsidence.io.reader.load_study_area` does (mm, positive = down, 0 at the first
acquisition). Checks are the per-row ones (numbers, coordinates, ids, duplicates); run
``validate`` for the whole-bundle checks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely
from pyproj import CRS, Transformer

from subsidence.errors import BundleError
from subsidence.io.bundle_paths import MANIFEST
from subsidence.io.ps_table import _EGMS_COLUMNS, _date_columns
from subsidence.io.reader import UNITS_TO_MM, _parse_crs, _read_manifest, _work_crs
from subsidence.text import shorten

DEFAULT_CHUNK_ROWS = 50_000
"""Rows per chunk: about 50,000 x 38 epochs x 8 bytes = 15 MB of values per chunk."""


@dataclass(frozen=True)
class PsChunk:
    """Rows ``start .. start + n`` of the PS table.

    Attributes
    ----------
    start : int
        Row position of the first row (0 = first data row).
    ps_ids : ndarray of str
    xy_m : ndarray, shape (n, 2)
        Working-CRS coordinates, metres.
    subsidence_mm : ndarray, shape (n, E), or None
        Cumulative subsidence, mm, positive = down, 0 at the first acquisition (NaN = missing);
        None for an index pass.
    """

    start: int
    ps_ids: np.ndarray
    xy_m: np.ndarray
    subsidence_mm: np.ndarray | None


@dataclass(frozen=True)
class PsStream:
    """An open PS table: where it is, how its columns read, and the index of its points."""

    folder: Path
    path: Path
    manifest: dict[str, object]
    crs: CRS
    work_crs: CRS
    dates: pd.DatetimeIndex
    date_columns: tuple[str, ...]
    names: dict[str, str]
    scale: float
    ps_ids: np.ndarray
    xy_m: np.ndarray
    last_mm: np.ndarray

    @property
    def n_points(self) -> int:
        return len(self.ps_ids)

    def chunks(
        self, chunk_rows: int = DEFAULT_CHUNK_ROWS, rows: np.ndarray | None = None
    ) -> Iterator[PsChunk]:
        """Full rows ``chunk_rows`` at a time; only the positions in ``rows`` (sorted) when given."""
        for start, frame in _frames(self.path, self.names, list(self.date_columns), chunk_rows):
            ids, _, values = _parse(
                frame, self.names, list(self.date_columns), self.path.name, start, self.scale
            )
            xy = self.xy_m[start : start + len(frame)]
            if rows is not None:
                keep = rows[(rows >= start) & (rows < start + len(frame))] - start
                if keep.size == 0:
                    continue
                yield PsChunk(start, ids[keep], xy[keep], values[keep])
            else:
                yield PsChunk(start, ids, xy, values)


def open_stream(bundle: str | Path, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> PsStream:
    """Open a bundle folder's PS table for chunked reading and read its index (one light pass).

    Raises
    ------
    BundleError
        A missing or unreadable file, column or cell, naming the file, row and column.
    """
    folder = Path(bundle)
    if not folder.is_dir():
        raise BundleError(f"{folder}: expected a bundle folder (unzip a .zip bundle first for --chunked)")
    manifest = _read_manifest(folder)
    crs = _parse_crs(manifest["crs"])
    path = _ps_path(folder, str(manifest["files"]["ps"]))
    names = _column_names(path)
    date_cols, dates = _date_columns([c for c in _header(path) if c not in names.values()], path.name)
    order = np.argsort(dates.values, kind="stable")
    date_cols, dates = [date_cols[k] for k in order], dates[order]
    if len(date_cols) < 3:
        raise BundleError(f"{path.name}: {len(date_cols)} acquisition date column(s); expected at least 3")
    scale = float(UNITS_TO_MM[manifest["displacement_unit"]])
    if manifest["displacement_sign"] == "negative_down":
        scale = -scale
    ids, xys, lasts = [], [], []
    ends = [date_cols[0], date_cols[-1]]
    for start, frame in _frames(path, names, ends, chunk_rows):
        i, xy, v = _parse(frame, names, ends, path.name, start, scale)
        ids.append(i)
        xys.append(xy)
        lasts.append(v[:, 1])
    xy_src = np.concatenate(xys)
    ps_ids = np.concatenate(ids)
    unique, counts = np.unique(ps_ids, return_counts=True)
    if (counts > 1).any():
        raise BundleError(
            f"{path.name}: duplicate ps_id {shorten(unique[counts > 1][0], 40)!r}; expected every ps_id once"
        )
    work = _work_crs(crs, xy_src[:, 0], xy_src[:, 1])
    x, y = Transformer.from_crs(crs, work, always_xy=True).transform(xy_src[:, 0], xy_src[:, 1])
    return PsStream(
        folder, path, manifest, crs, work, dates, tuple(date_cols), names, scale,
        ps_ids, np.column_stack([x, y]), np.concatenate(lasts),
    )  # fmt: skip


def _ps_path(folder: Path, name: str) -> Path:
    """The PS file inside the bundle (no size limit here: it is never read whole)."""
    path = folder / name
    if not path.resolve().is_relative_to(folder.resolve()):
        raise BundleError(
            f"{MANIFEST}: [files] ps = {shorten(name, 80)!r} points outside the bundle; refused"
        )
    if not path.is_file():
        raise BundleError(f"{shorten(name, 80)}: missing; the ps file named in {MANIFEST} must exist")
    return path


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return [h.strip() for h in next(csv.reader(f), [])]
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return list(pq.ParquetFile(path).schema_arrow.names)
    raise BundleError(f"{path.name}: --chunked reads .csv or .parquet PS tables; convert this one to Parquet")


def _column_names(path: Path) -> dict[str, str]:
    """The file's column for ``ps_id``, ``x`` and ``y`` (or ``geometry``), EGMS names accepted."""
    header = _header(path)
    found = {"ps_id": "ps_id", "x": "x", "y": "y"}
    if "ps_id" not in header and set(_EGMS_COLUMNS) <= set(header):
        found = {v: k for k, v in _EGMS_COLUMNS.items()}
    if "x" not in header and "geometry" in header:
        found = {"ps_id": found["ps_id"], "geometry": "geometry"}
    missing = [k for k, c in found.items() if c not in header]
    if missing:
        raise BundleError(
            f"{path.name}: missing column(s) {missing}; expected ps_id, x, y (or geometry) and one column per date"
        )
    return found


def _frames(
    path: Path, names: dict[str, str], dates: list[str], chunk_rows: int
) -> Iterator[tuple[int, pd.DataFrame]]:
    """(first row position, frame) of the id, coordinate and ``dates`` columns, chunk by chunk.

    CSV is parsed by Arrow (multi-threaded, numbers straight to float64); a cell Arrow cannot
    convert sends the rest to pandas, whose text cells :func:`_numbers` names precisely.
    """
    columns = [*names.values(), *dates]
    start = 0
    try:
        if path.suffix.lower() == ".csv":
            try:
                for frame in _arrow_csv(path, names, columns, chunk_rows):
                    yield start, frame
                    start += len(frame)
                return
            except pa.ArrowInvalid:
                pass
            reader = pd.read_csv(
                path, usecols=columns, chunksize=chunk_rows, dtype={names["ps_id"]: str},
                keep_default_na=False, na_values=[""], encoding="utf-8-sig", skiprows=range(1, start + 1),
            )  # fmt: skip
            with reader:
                for frame in reader:
                    yield start, frame
                    start += len(frame)
            return
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows, columns=columns):
            frame = pa.Table.from_batches([batch]).to_pandas()
            yield start, frame
            start += len(frame)
    except (ValueError, pd.errors.ParserError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise BundleError(f"{path.name}, near row {start + 2}: cannot be read ({shorten(exc, 150)})") from exc


def _arrow_csv(
    path: Path, names: dict[str, str], columns: list[str], chunk_rows: int
) -> Iterator[pd.DataFrame]:
    types = {c: pa.float64() for c in columns}
    types[names["ps_id"]] = pa.string()
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=8 << 20),
        convert_options=pacsv.ConvertOptions(
            include_columns=columns, column_types=types, null_values=[""], strings_can_be_null=False
        ),
    )
    pending: pa.Table | None = None
    for batch in reader:
        table = pa.Table.from_batches([batch])
        pending = table if pending is None else pa.concat_tables([pending, table])
        while pending.num_rows >= chunk_rows:
            yield pending.slice(0, chunk_rows).to_pandas()
            pending = pending.slice(chunk_rows)
    if pending is not None and pending.num_rows:
        yield pending.to_pandas()


def _parse(
    frame: pd.DataFrame, names: dict[str, str], dates: list[str], file: str, start: int, scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, source-CRS coordinates and values in mm relative to the first date column."""
    ids = frame[names["ps_id"]].astype(str).str.strip().to_numpy()
    if "geometry" in names:
        geom = shapely.from_wkb(frame[names["geometry"]].to_numpy())
        xy = np.column_stack([shapely.get_x(geom), shapely.get_y(geom)])
    else:
        xy = _numbers(frame, [names["x"], names["y"]], file, start)
    bad = ~np.isfinite(xy).all(axis=1) | (ids == "")
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BundleError(f"{file}, row {start + i + 2}: ps_id, x and y must be given; found an empty cell")
    values = _numbers(frame, dates, file, start) * scale
    first = values[:, :1]
    return ids, xy, values - np.where(np.isfinite(first), first, 0.0)


def _numbers(frame: pd.DataFrame, columns: list[str], file: str, start: int) -> np.ndarray:
    part = frame[columns]
    if all(pd.api.types.is_numeric_dtype(t) for t in part.dtypes):
        return part.to_numpy(dtype=float)
    for c in columns:
        col = part[c]
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() & col.notna() & col.astype(str).str.strip().ne("")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BundleError(
                f"{file}, row {start + i + 2}, column {shorten(c, 60)!r}: expected a number, "
                f"found {shorten(col.iloc[i], 40)!r}"
            )
    return np.asarray(part.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float))
