"""The bounded-memory pipeline on a Dask cluster (``train BUNDLE --chunked --dask ADDRESS``).

The same steps and the same figures as :func:`subsidence.scale.chunked.run_chunked`, spread over
workers (plan for large areas in ``docs/scaling.md``):

1. **Index and sample** on the client (ids, coordinates, last value; the stratified sample).
2. **Partition by spatial tile**: the client streams the PS table once and writes each chunk's
   rows, grouped by square tile (sized so that a tile holds about ``chunk_rows`` points), to
   ``<predictions>/_staging/tile=K/`` as Parquet; one tile is one partition.
3. **Kriging weights broadcast once**: the variograms are fitted on the client and the fitted
   :class:`~subsidence.scale.chunked.PointKriger` is scattered to every worker.
4. **Training on one worker**: the sample's series go to one worker, which fits the model; the
   fitted model is replicated to every worker.
5. **Inference and scoring map-partitioned**: each tile is kriged, predicted, scored (sums of
   errors, :class:`~subsidence.scale.chunked.Scores`) and written as ``part-K.parquet``
   (GeoParquet, one file per tile) in ``predictions``; the client adds the scores up.

``address``: ``"local"`` starts a :class:`distributed.LocalCluster` of ``workers`` processes of
one thread each; any other value is a scheduler address (``tcp://host:8786``) whose workers
can read the bundle and write ``predictions`` at the same path (a shared disk or mount).
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from subsidence.errors import SubsidenceError
from subsidence.io.ps_stream import DEFAULT_CHUNK_ROWS, PsStream, open_stream
from subsidence.io.reader import extract_bundle
from subsidence.scale.chunked import (
    PointKriger,
    PredictionWriter,
    SamplePlan,
    Scores,
    fit_kriger,
    plan_sample,
    predict_chunk,
    series,
)
from subsidence.scale.sampling import tile_index
from subsidence.threads import step_threads
from subsidence.validation import evaluation

STAGING = "_staging"
Progress = Callable[[float, str], None]


class ClusterRunStopped(SubsidenceError):
    """The user stopped a cluster run (nothing of it is kept)."""


_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://[A-Za-z0-9_.\-\[\]:]+$")


def check_address(text: str) -> str:
    """``"local"`` or a scheduler address (``tcp://host:8786``), stripped.

    Raises
    ------
    SubsidenceError
        Anything else, in one line with the expected form.
    """
    address = text.strip()
    if address == "local" or _ADDRESS.match(address):
        return address
    raise SubsidenceError(
        f"{address[:80]!r} is not a Dask scheduler address; expected e.g. tcp://10.0.0.5:8786, or local"
    )


def connect(address: str, workers: int = 2, processes: bool = True) -> Any:
    """A ``distributed.Client``: a new LocalCluster for ``"local"``, else the scheduler at ``address``.

    Raises
    ------
    SubsidenceError
        When no scheduler answers at ``address`` (one line, with what to check).
    """
    from distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(  # type: ignore[no-untyped-call]  # distributed is untyped
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            silence_logs=logging.ERROR,  # a worker slow to stop on a busy machine is not the user's error
        )
        return Client(cluster)  # type: ignore[no-untyped-call]  # distributed is untyped
    try:
        return Client(address, timeout="3s")  # type: ignore[no-untyped-call]  # distributed is untyped
    except (OSError, TimeoutError) as exc:
        raise SubsidenceError(
            f"{address}: no Dask scheduler answers there ({exc}); check the address, start one "
            "(dask scheduler) or use local"
        ) from exc


def partition_by_tile(stream: PsStream, in_sample: np.ndarray, root: Path, chunk_rows: int) -> list[Path]:
    """Write the PS rows grouped by spatial tile under ``root``; returns the tile folders.

    Tiles are squares sized so that, at the points' mean density, one holds about
    ``chunk_rows`` points.
    """
    span = np.ptp(stream.xy_m, axis=0)
    per_side = max(1, int(np.ceil(np.sqrt(stream.n_points / chunk_rows))))
    side = max(float(span.max()) / per_side, 1.0)
    origin = (float(stream.xy_m[:, 0].min()), float(stream.xy_m[:, 1].min()))
    tiles = tile_index(stream.xy_m, side, origin)
    shutil.rmtree(root, ignore_errors=True)
    folders: set[Path] = set()
    for k, chunk in enumerate(stream.chunks(chunk_rows)):
        stop = chunk.start + len(chunk.ps_ids)
        assert chunk.subsidence_mm is not None
        frame = pd.DataFrame(chunk.subsidence_mm, columns=[str(d.date()) for d in stream.dates])
        frame.insert(0, "in_sample", in_sample[chunk.start : stop])
        frame.insert(0, "y_m", chunk.xy_m[:, 1])
        frame.insert(0, "x_m", chunk.xy_m[:, 0])
        frame.insert(0, "ps_id", chunk.ps_ids)
        frame["tile"] = tiles[chunk.start : stop]
        for tile, part in frame.groupby("tile", sort=True):
            folder = root / f"tile={tile}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                pa.Table.from_pandas(part.drop(columns="tile"), preserve_index=False),
                folder / f"part-{k:05d}.parquet",
            )
            folders.add(folder)
    return sorted(folders)


def _fit_on_worker(model: Any, train: Any, seed: int) -> Any:
    with step_threads("train"):
        return model.fit(train, np.arange(train.n_points), seed=seed)


def _tile_task(
    folder: str,
    kriger: PointKriger,
    fitted: Any,
    dates: pd.DatetimeIndex,
    plan: SamplePlan,
    edges: tuple[float, ...],
    out: str,
    crs: Any,
) -> Scores:
    """Krige, predict, score and write one tile over the plan's period (runs on a worker)."""
    frame = pq.read_table(folder).to_pandas()
    values = plan.values(frame[[str(d.date()) for d in dates]].to_numpy(float), dates)
    xy = frame[["x_m", "y_m"]].to_numpy(float)
    kept = plan.area.dates
    data, modelled = predict_chunk(kriger, fitted, frame["ps_id"].to_numpy(), xy, kept, values)
    scores = Scores(edges)
    in_sample = frame["in_sample"].to_numpy(bool)
    scores.add(data, modelled, np.flatnonzero(~in_sample))
    writer = PredictionWriter(out, crs, kept)
    try:
        writer.write(data, modelled, in_sample)
    finally:
        writer.close()
    return scores


def run_dask(
    bundle: str | Path,
    model: Any,
    client: Any,
    predictions: str | Path,
    *,
    sample: int = 20_000,
    seed: int = 0,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
    **period: Any,
) -> tuple[Any, dict[str, Any]]:
    """Run the chunked pipeline on ``client``'s cluster; predictions as ``predictions/part-*.parquet``.

    ``progress(fraction, message)`` is told each stage and each finished tile; ``stop()`` is
    asked between them: when it answers True the tiles still queued are cancelled, the files
    written so far removed and :class:`ClusterRunStopped` raised.

    Returns the fitted model and the same summary as :func:`subsidence.scale.chunked.run_chunked`
    (``n_partitions`` and ``workers`` added); ``period``: ``start``, ``end``, ``extend_heads``
    of the model period (:func:`subsidence.scale.chunked.plan_sample`).
    """
    from distributed import as_completed

    start = time.perf_counter()

    def tell(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)
        if stop is not None and stop():
            raise ClusterRunStopped("stopped before the cluster finished; no predictions were kept")

    stream = open_stream(bundle, chunk_rows)
    plan = plan_sample(stream, sample, seed, chunk_rows, **period)
    rows = plan.rows
    in_sample = np.zeros(stream.n_points, dtype=bool)
    in_sample[rows] = True
    out = Path(predictions)
    if out.suffix.lower() in (".parquet", ".csv"):
        raise SubsidenceError(
            f"--predictions {out}: with --dask, expected a folder (one file per tile is written)"
        )
    tell(0.0, f"writing {stream.n_points:,} points as spatial tiles")
    folders = partition_by_tile(stream, in_sample, out / STAGING, chunk_rows)
    tell(0.1, f"kriging the sample of {rows.size:,} points")
    area = plan.area
    kriger, factors = fit_kriger(area)
    train = series(area.points["ps_id"].to_numpy(), area.xy_m, area.dates, area.subsidence_mm, factors)
    kriger_f = client.scatter(kriger, broadcast=True)
    plan_f = client.scatter(plan, broadcast=True)
    tell(0.2, "training on one worker")
    fitted_f = client.submit(_fit_on_worker, model, train, seed, pure=False)
    while not fitted_f.done():  # Stop is answered within a second, also while the model trains
        try:
            tell(0.2, f"training on one worker ({rows.size:,} points)")
        except ClusterRunStopped:
            fitted_f.cancel()
            shutil.rmtree(out / STAGING, ignore_errors=True)
            raise
        time.sleep(0.5)
    fitted = fitted_f.result()
    fitted_f = client.scatter(fitted, broadcast=True)
    edges = evaluation.severity_edges(stream.last_mm)
    for old in out.glob("part-*.parquet"):
        old.unlink()
    futures = [
        client.submit(
            _tile_task,
            str(f),
            kriger_f,
            fitted_f,
            stream.dates,
            plan_f,
            edges,
            str(out / f"part-{k:05d}.parquet"),
            stream.work_crs,
            pure=False,
        )  # fmt: skip
        for k, f in enumerate(folders)
    ]
    total = Scores(edges)
    try:
        for done, future in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]  # distributed is untyped
            total = total.merge(future.result())
            tell(0.4 + 0.6 * done / len(futures), f"{done} of {len(futures)} tiles predicted and scored")
    except ClusterRunStopped:
        client.cancel(futures)
        _wait_until_idle(client)  # a tile already running finishes writing before the clean-up
        for part in out.glob("part-*.parquet"):
            part.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(out / STAGING, ignore_errors=True)
    return fitted, {
        **plan.summary(stream),
        **total.to_json(),
        "n_partitions": len(folders),
        "workers": len(client.scheduler_info().get("workers", {})),
        "seconds": round(time.perf_counter() - start, 2),
        "path": str(out),
    }


def _executing(dask_worker: Any) -> int:
    return int(dask_worker.state.executing_count)


def _wait_until_idle(client: Any, timeout_s: float = 30.0) -> None:
    """Wait (at most ``timeout_s``) until no worker runs a task, cancelled ones included."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(client.run(_executing).values()):
        time.sleep(0.1)


def run_on_cluster(
    bundle: str | Path,
    model: Any,
    address: str,
    predictions: str | Path,
    *,
    workers: int = 2,
    **options: Any,
) -> tuple[Any, dict[str, Any]]:
    """:func:`run_dask` on the scheduler at ``address`` (``"local"``: a new LocalCluster of
    ``workers``), closing the connection (and a local cluster) afterwards, also on errors.

    ``options`` are :func:`run_dask`'s (``sample``, ``seed``, ``chunk_rows``, ``progress``,
    ``stop``). One local worker runs in this process (threads): no worker start-up, same tasks.
    A ``.zip`` bundle is extracted (safely) beside ``predictions`` for the run and removed after.
    """
    with contextlib.ExitStack() as stack:
        folder = Path(bundle)
        if folder.is_file():
            Path(predictions).parent.mkdir(parents=True, exist_ok=True)
            tmp = stack.enter_context(
                tempfile.TemporaryDirectory(prefix=".bundle-", dir=Path(predictions).parent)
            )
            folder = extract_bundle(folder, Path(tmp))
        client = connect(address, workers=workers, processes=workers > 1)
        try:
            return run_dask(folder, model, client, predictions, **options)
        finally:
            client.close()
            if address == "local" and client.cluster is not None:
                client.cluster.close()
