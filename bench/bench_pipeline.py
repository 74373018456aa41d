"""Bundle -> per-point predictions + GeoParquet in bounded memory, at growing numbers of points.

    python bench/bench_pipeline.py --points 100000 300000 1000000 [--sample 20000]
        [--generator-tree PATH] [--workdir /tmp/bench_pipeline] [--parquet]

For each size N: makes a demo bundle of N points x 38 epochs with the project's generator
(``python -m subsidence make-demo --points N``, run in ``--generator-tree``, default this
repository) unless it exists, optionally converts its ``ps.csv`` to GeoParquet in chunks
(``--parquet``), then times

    python -m subsidence train BUNDLE --model paper-lstm --chunked --sample S \
        --predictions OUT.parquet --out MODEL --overwrite --json

under ``/usr/bin/time -v`` (wall seconds and peak resident memory of the whole process) and
prints one line per size with seconds per 100,000 points and MB of peak memory, so the growth
in N can be read off (targets: 1,000,000 points under 300 s and 4 GB on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_bundle(points: int, folder: Path, tree: Path) -> float:
    """Generate the bundle (seconds; 0 when it already exists)."""
    if (folder / "study_area.toml").is_file():
        return 0.0
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "subsidence", "make-demo", "--points", str(points), "--out", str(folder)],
        cwd=tree, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def to_parquet(folder: Path) -> Path:
    """A copy of the bundle whose PS table is GeoParquet, converted 100,000 rows at a time."""
    import shutil

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    target = folder.with_name(folder.name + "_parquet")
    if (target / "study_area.toml").is_file():
        return target
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("ps.csv", "truth*"))
    reader = pacsv.open_csv(folder / "ps.csv", read_options=pacsv.ReadOptions(block_size=64 << 20),
                            convert_options=pacsv.ConvertOptions(column_types={"ps_id": pa.string()}))  # fmt: skip
    writer = None
    for batch in reader:
        table = pa.Table.from_batches([batch])
        writer = writer or pq.ParquetWriter(target / "ps.parquet", table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()
    toml = (target / "study_area.toml").read_text()
    (target / "study_area.toml").write_text(toml.replace('"ps.csv"', '"ps.parquet"'))
    return target


def timed(argv: list[str]) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, peak RSS in MB, the --json result) of ``python -m subsidence ARGV``."""
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "subsidence", *argv, "--json"],
        cwd=ROOT, capture_output=True, text=True, env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    rss_kb = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))  # type: ignore[union-attr]
    return seconds, rss_kb / 1024, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--generator-tree", type=Path, default=ROOT)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_pipeline"))
    parser.add_argument("--parquet", action="store_true", help="read the PS table as GeoParquet")
    args = parser.parse_args()
    print("points   generate_s  run_s  s/100k  peak_MB  rmse_change_mm  n_test  file")
    for n in args.points:
        bundle = args.workdir / f"demo_{n}"
        gen = make_bundle(n, bundle, args.generator_tree.resolve())
        if args.parquet:
            bundle = to_parquet(bundle)
        out = args.workdir / f"pred_{n}.parquet"
        seconds, peak, result = timed(
            ["train", str(bundle), "--model", "paper-lstm", "--chunked", "--sample", str(args.sample),
             "--chunk-rows", str(args.chunk_rows), "--predictions", str(out),
             "--out", str(args.workdir / f"model_{n}"), "--overwrite"]
        )  # fmt: skip
        print(
            f"{n:8d} {gen:10.1f} {seconds:6.1f} {seconds / n * 1e5:7.1f} {peak:8.0f} "
            f"{result['rmse_change_mm']:14} {result['n_test_points']:7} {out.stat().st_size / 1e6:.0f} MB"
        )


if __name__ == "__main__":
    main()
