"""``train BUNDLE --chunked`` (bounded memory) and ``--dask ADDRESS`` (a Dask cluster): the handler.

The model is fitted on a stratified sample (``--sample``), every point is predicted and the
points outside the sample are scored; ``--predictions`` writes the per-point predictions as
GeoParquet (one file; with ``--dask``, a folder of one file per spatial tile). The model is
saved to ``--out`` like ``train``'s, with the sample recipe in its metadata.
"""

from __future__ import annotations

import argparse
from typing import Any

from subsidence.errors import SubsidenceError


def train_scaled(args: argparse.Namespace) -> dict[str, Any]:
    """The ``train`` command with ``--chunked`` or ``--dask``."""
    from subsidence import pipeline
    from subsidence.models import make_model
    from subsidence.models.modelio import check_target, save_model

    if args.split != pipeline.RANDOM:
        raise SubsidenceError("--chunked/--dask score the points outside the sample; leave out --split")
    model = make_model(args.model, max_epochs=args.max_epochs)  # an unknown name fails first
    check_target(args.out, args.overwrite)
    common = {
        "sample": args.sample,
        "seed": args.seed,
        "chunk_rows": args.chunk_rows,
        "start": args.start,
        "end": args.end,
        "extend_heads": args.extend_heads,
    }
    if args.dask is not None:
        from subsidence.scale.dask_pipeline import run_on_cluster

        if args.predictions is None:
            raise SubsidenceError("--dask: give --predictions FOLDER for the per-tile GeoParquet files")
        fitted, summary = run_on_cluster(
            args.bundle, model, args.dask, args.predictions, workers=args.dask_workers, **common
        )
    else:
        from subsidence.scale.chunked import run_chunked

        if args.predictions is not None and not str(args.predictions).lower().endswith(".parquet"):
            raise SubsidenceError(f"--predictions {args.predictions}: expected a file ending in .parquet")
        fitted, summary = run_chunked(args.bundle, model, predictions=args.predictions, **common)
    from subsidence.scale.chunked import sample_meta

    meta = sample_meta(fitted, summary, args.seed)
    path = save_model(fitted, args.out, meta=meta, overwrite=args.overwrite)
    return {
        "model": args.model,
        "split": "sample",
        "epochs_trained": meta["epochs_trained"],
        **summary,
        "model_path": str(path),
    }


def add_flags(train: argparse.ArgumentParser) -> None:
    """The ``train`` flags of the bounded-memory and Dask runs."""
    train.add_argument(
        "--chunked", action="store_true",
        help="bounded memory: read the PS table in chunks, train on a stratified sample, predict every point",
    )  # fmt: skip
    train.add_argument(
        "--sample", type=int, default=20000, help="training points with --chunked/--dask (default 20000)"
    )
    train.add_argument("--chunk-rows", type=int, default=50000, help="PS rows per chunk (default 50000)")
    train.add_argument(
        "--predictions", default=None,
        help="write per-point predictions: a .parquet file (--chunked) or a folder (--dask), GeoParquet",
    )  # fmt: skip
    train.add_argument(
        "--dask", default=None, metavar="ADDRESS",
        help="run on a Dask cluster: 'local' starts one on this machine, else a scheduler address",
    )  # fmt: skip
    train.add_argument("--dask-workers", type=int, default=2, help="workers of --dask local (default 2)")
