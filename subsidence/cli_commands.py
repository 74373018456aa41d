"""Command handlers of ``python -m subsidence``: validate, krige, make-demo, train, evaluate, models.

Each handler takes the parsed arguments and returns a JSON-safe dict (``subsidence.cli``
prints it). The forecasting commands live in ``subsidence.cli_forecast``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from subsidence.errors import SubsidenceError
from subsidence.threads import step_threads


def _restrict(area: Any, args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The study area restricted to the model period chosen by --start/--end/--extend-heads."""
    from subsidence.coverage import restrict

    restricted, period = restrict(area, args.start, args.end, extend_heads=args.extend_heads)
    if getattr(args, "reference_point", None):  # --reference of train/evaluate/hindcast
        from subsidence.reference import apply_reference, parse_reference, reference_label

        restricted = apply_reference(restricted, parse_reference(args.reference_point))
        return restricted, {"model_period": period.to_json(), "reference": reference_label(restricted)}
    return restricted, {"model_period": period.to_json()}


def load_period(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The bundle, loaded and restricted to the model period (for commands that load it once)."""
    from subsidence.io.reader import load_study_area

    return _restrict(load_study_area(args.bundle), args)


def _split(data: Any, kind: str, seed: int) -> Any:
    """The CLI's split; a spatial split the area cannot hold says in one line what to use instead."""
    from subsidence import pipeline

    try:
        return pipeline.split(data, kind, seed)
    except SubsidenceError as exc:
        if kind != pipeline.SPATIAL:
            raise
        width, height = (data.xy_m.max(axis=0) - data.xy_m.min(axis=0)) / 1000.0
        raise SubsidenceError(
            f"--split spatial cannot hold out whole blocks on this study area ({data.n_points} points over "
            f"{width:.1f} km x {height:.1f} km: {str(exc).split(';')[0]}); use --split random instead"
        ) from exc


def validate(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.coverage import period_for
    from subsidence.io.reader import load_study_area
    from subsidence.validation.quality import area_summary

    area = load_study_area(args.bundle)
    summary = area_summary(area)  # what was loaded, before any period is applied
    period = period_for(area, args.start, args.end, extend_heads=args.extend_heads)
    return {"model_period": period.to_json(), **summary}


def krige(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.geostat.kriging import KrigingConfig, krige_study_area, summary
    from subsidence.geostat.kriging_io import write_kriging
    from subsidence.io.reader import load_study_area

    area = load_study_area(args.bundle)
    area, out_period = _restrict(area, args)
    config = KrigingConfig(
        variogram_model=args.variogram, cell_size_m=args.cell_size, grid=args.out is not None
    )
    with step_threads("krige"):
        result = krige_study_area(area, config)
    out = {**out_period, **summary(result)}
    if args.out is not None:
        out["files"] = [str(p) for p in write_kriging(result, area, Path(args.out))]
    return out


def make_demo(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.demo.synthetic_chunks import write_demo

    path = write_demo(Path(args.out), n_points=args.points, seed=args.seed, variant=args.variant)
    return {"path": str(path), "n_points": args.points, "seed": args.seed, "variant": args.variant}


def train(args: argparse.Namespace) -> dict[str, Any]:
    if getattr(args, "chunked", False) or getattr(args, "dask", None) is not None:
        from subsidence.cli_scale import train_scaled

        return train_scaled(args)
    from subsidence import pipeline
    from subsidence.models import model_class
    from subsidence.models.modelio import check_target

    model_class(args.model)  # an unknown name fails before the slow steps
    check_target(args.out, args.overwrite)  # so does an existing model without --overwrite
    area, out_period = load_period(args)
    data = pipeline.prepare(area)
    chosen = _split(data, args.split, args.seed)
    trained = pipeline.train(args.model, data, chosen, seed=args.seed, max_epochs=args.max_epochs)
    path = pipeline.save_trained(trained, args.out, area, data, overwrite=args.overwrite)
    return {
        **out_period,
        "model": args.model,
        "split": args.split,
        "seed": args.seed,
        "epochs_trained": trained.epochs_trained,
        "seconds": round(trained.seconds, 2),
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in trained.metrics.items()},
        "path": str(path),
    }


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence import pipeline
    from subsidence.io.reader import load_study_area
    from subsidence.models.modelio import load_model

    load_model(args.model)  # a broken model fails before the slow steps
    area = load_study_area(args.bundle)
    area, out_period = _restrict(area, args)
    data = pipeline.prepare(area)
    if args.split is not None:
        _split(data, args.split, args.seed or 0)  # a split the area cannot hold: one line, before scoring
    return {
        **out_period,
        **pipeline.evaluate_saved(args.model, area, data, split_kind=args.split, seed=args.seed),
    }


def models(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.models import model_names

    return {"models": model_names()}
