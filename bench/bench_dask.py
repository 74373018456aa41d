"""The Dask pipeline with 1 and 2 workers, and the cost of one partition (one spatial tile).

    python bench/bench_dask.py BUNDLE [--sample 20000] [--chunk-rows 50000] [--workdir /tmp/bench_dask]

1. Times ``python -m subsidence train BUNDLE --model paper-lstm --dask local --dask-workers W
   --predictions DIR`` for W = 1 and 2 (whole command: index, staging, kriging fit, training
   on one worker, map-partitioned inference and export) and the in-process ``--chunked`` run.
2. In-process, per partition: stages the tiles, then runs the worker task on three of them and
   reports rows, seconds, peak Python-tracked memory (``tracemalloc``: numpy arrays included),
   Parquet bytes read and GeoParquet bytes written. ``docs/scaling.md`` scales these to
   100 million points.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from subsidence.io.ps_stream import open_stream  # noqa: E402
from subsidence.models import make_model  # noqa: E402
from subsidence.scale.chunked import fit_kriger, sample_area, series  # noqa: E402
from subsidence.scale.dask_pipeline import _fit_on_worker, _tile_task, partition_by_tile  # noqa: E402
from subsidence.scale.sampling import stratified_sample  # noqa: E402
from subsidence.validation import evaluation  # noqa: E402


def command_seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "subsidence", *argv], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})  # fmt: skip
    return time.perf_counter() - start


def per_partition(bundle: str, sample: int, chunk_rows: int, work: Path) -> None:
    stream = open_stream(bundle, chunk_rows)
    rows = stratified_sample(stream.xy_m, stream.last_mm, sample, 0)
    in_sample = np.zeros(stream.n_points, dtype=bool)
    in_sample[rows] = True
    start = time.perf_counter()
    folders = partition_by_tile(stream, in_sample, work / "_staging", chunk_rows)
    print(f"staging {stream.n_points} points into {len(folders)} tiles: {time.perf_counter() - start:.1f} s")
    area = sample_area(stream, rows, chunk_rows)
    kriger, factors = fit_kriger(area)
    train = series(area.points["ps_id"].to_numpy(), area.xy_m, area.dates, area.subsidence_mm, factors)
    start = time.perf_counter()
    fitted = _fit_on_worker(make_model("paper-lstm"), train, 0)
    print(f"training on the {train.n_points}-point sample (one worker): {time.perf_counter() - start:.1f} s")
    edges = evaluation.severity_edges(stream.last_mm)
    sizes = sorted(folders, key=lambda f: -sum(p.stat().st_size for p in f.iterdir()))
    print("partition            rows   seconds  peak_MB  read_MB  written_MB")
    for k, folder in enumerate(sizes[:3]):
        out = work / f"part-{k}.parquet"
        tracemalloc.start()
        start = time.perf_counter()
        scores = _tile_task(str(folder), kriger, fitted, stream.dates, edges, str(out), stream.work_crs)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        read = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        n = int(scores.sums.get("points", 0))
        rows_out = pq.ParquetFile(out).metadata.num_rows
        print(
            f"{folder.name:18s} {rows_out:7d} {seconds:8.2f} {peak:8.0f} {read:8.1f} {out.stat().st_size / 1e6:10.1f}  ({n} scored)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle")
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_dask"))
    args = parser.parse_args()
    common = ["train", args.bundle, "--model", "paper-lstm", "--sample", str(args.sample),
              "--chunk-rows", str(args.chunk_rows), "--overwrite", "--out", str(args.workdir / "model")]  # fmt: skip
    chunked = command_seconds([*common, "--chunked", "--predictions", str(args.workdir / "p.parquet")])
    print(f"in-process --chunked: {chunked:.1f} s")
    for workers in (1, 2):
        s = command_seconds([*common, "--dask", "local", "--dask-workers", str(workers),
                             "--predictions", str(args.workdir / f"parts_{workers}")])  # fmt: skip
        print(f"--dask local, {workers} worker(s): {s:.1f} s")
    per_partition(args.bundle, args.sample, args.chunk_rows, args.workdir / "partition")


if __name__ == "__main__":
    main()
