"""Command line: ``python -m subsidence COMMAND ...`` (contract in ``shared/spec/cli.md``).

Each command has a handler that returns a JSON-safe dict; ``main`` prints a readable summary
and, with ``--json``, the dict as the last line of standard output. Bad input exits with
status 2 and one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from subsidence.errors import SubsidenceError
from subsidence.text import shorten

Handler = Callable[[argparse.Namespace], dict[str, Any]]


def _restrict(area: Any, args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The study area restricted to the model period chosen by --start/--end/--extend-heads."""
    from subsidence.coverage import restrict

    restricted, period = restrict(area, args.start, args.end, extend_heads=args.extend_heads)
    if getattr(args, "reference_point", None):  # --reference of train/evaluate/hindcast
        from subsidence.reference import apply_reference, parse_reference, reference_label

        restricted = apply_reference(restricted, parse_reference(args.reference_point))
        return restricted, {"model_period": period.to_json(), "reference": reference_label(restricted)}
    return restricted, {"model_period": period.to_json()}


def _load_period(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The bundle, loaded and restricted to the model period (for commands that load it once)."""
    from subsidence.reader import load_study_area

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


def _validate(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.coverage import period_for
    from subsidence.reader import load_study_area
    from subsidence.report import area_summary

    area = load_study_area(args.bundle)
    summary = area_summary(area)  # what was loaded, before any period is applied
    period = period_for(area, args.start, args.end, extend_heads=args.extend_heads)
    return {"model_period": period.to_json(), **summary}


def _krige(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.kriging import KrigingConfig, krige_study_area, summary
    from subsidence.kriging_io import write_kriging
    from subsidence.reader import load_study_area

    area = load_study_area(args.bundle)
    area, out_period = _restrict(area, args)
    config = KrigingConfig(
        variogram_model=args.variogram, cell_size_m=args.cell_size, grid=args.out is not None
    )
    result = krige_study_area(area, config)
    out = {**out_period, **summary(result)}
    if args.out is not None:
        out["files"] = [str(p) for p in write_kriging(result, area, Path(args.out))]
    return out


def _make_demo(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.synthetic_bundle import write_demo

    path = write_demo(Path(args.out), n_points=args.points, seed=args.seed, variant=args.variant)
    return {"path": str(path), "n_points": args.points, "seed": args.seed, "variant": args.variant}


def _train(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence import pipeline
    from subsidence.modelio import check_target
    from subsidence.models import model_class

    model_class(args.model)  # an unknown name fails before the slow steps
    check_target(args.out, args.overwrite)  # so does an existing model without --overwrite
    area, out_period = _load_period(args)
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


def _evaluate(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence import pipeline
    from subsidence.modelio import load_model
    from subsidence.reader import load_study_area

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


def _write_table(frame: Any, out: str, area: Any = None) -> str:
    """Write a long table to ``out`` (.csv, .parquet, or .gpkg when ``area`` gives geometry)."""
    from subsidence.exports import results_geodataframe

    path = Path(out)
    kinds = (".csv", ".parquet", ".gpkg") if area is not None else (".csv", ".parquet")
    if path.suffix.lower() not in kinds:
        raise SubsidenceError(f"--out {out}: expected a file ending in {', '.join(kinds)}")
    from subsidence.atomic import atomic_write_via

    if path.suffix.lower() == ".csv":
        atomic_write_via(path, lambda tmp: frame.to_csv(tmp, index=False))
    elif path.suffix.lower() == ".parquet":
        atomic_write_via(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        geo = results_geodataframe(area, frame)
        atomic_write_via(path, lambda tmp: geo.to_file(tmp, layer="forecast", driver="GPKG"))
    return str(path)


def _hindcast(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence import pipeline
    from subsidence.hindcast import hindcast
    from subsidence.models import model_class

    model_class(args.model)
    if args.out is not None and Path(args.out).suffix.lower() not in (".csv", ".parquet"):
        raise SubsidenceError(f"--out {args.out}: expected a file ending in .csv or .parquet")
    area, out_period = _load_period(args)
    data = pipeline.prepare(area)
    result = hindcast(data, args.model, args.cut, seed=args.seed, max_epochs=args.max_epochs)
    out = {**result.scores(), "band": result.band, **out_period}
    out["references"] = [
        {"forecast": r["forecast"], "rmse_mm": r["rmse_mm"], "rmse_last_mm": r["rmse_last_mm"]}
        for r in result.table().to_dict("records")
    ]
    if args.out is not None:
        out["path"] = _write_table(result.frame(), args.out)
    return out


def _forecast(args: argparse.Namespace) -> dict[str, Any]:
    import time

    import numpy as np

    from subsidence import pipeline
    from subsidence.modelio import load_model
    from subsidence.models import model_names
    from subsidence.scenarios import model_forecast, parse_scenario

    scenario = parse_scenario(args.scenario)
    start = time.perf_counter()
    area, out_period = _load_period(args)
    data = pipeline.prepare(area)
    if args.model in model_names():
        name = args.model
        model = pipeline.make_model(name, max_epochs=args.max_epochs).fit(
            data, np.arange(data.n_points), seed=args.seed
        )
    elif Path(args.model).exists():
        model, meta = load_model(args.model, area)
        name = str(meta.get("model", getattr(model, "name", "")))
    else:
        raise SubsidenceError(
            f"--model {args.model}: expected a saved model folder or .zip, or one of {', '.join(model_names())}"
        )
    result = model_forecast(
        model, name, data, scenario, args.horizon_months, seed=args.seed, max_epochs=args.max_epochs
    )
    if args.reference is not None:
        result = result.relative_to(args.reference)
    path = _write_table(result.frame(), args.out, area)
    return {
        "model": name,
        "scenario": scenario.name,
        "horizon_months": args.horizon_months,
        "n_points": data.n_points,
        "max_forecast_mm": round(float(np.max(result.forecast_mm[:, -1])), 3),
        "reference": args.reference,
        "band": result.band,
        **out_period,
        "seconds": round(time.perf_counter() - start, 2),
        "path": path,
    }


def _report(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.pack import pack_from_bundle, write_pack
    from subsidence.scenarios import parse_scenario

    scenarios = args.scenario or ["trend", "held", "1"]
    for text in scenarios:  # a bad scenario fails before the slow steps
        parse_scenario(text)
    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise SubsidenceError(f"--out {args.out}: expected a file ending in .html")
    if not (math.isfinite(args.threshold) and args.threshold > 0):
        raise SubsidenceError(
            f"--threshold {args.threshold}: expected a positive number of mm more than today"
        )
    picks = [p.strip() for p in (args.picks or "").split(",") if p.strip()]
    pack = pack_from_bundle(args.bundle, args.model, scenarios, picks, threshold_mm=args.threshold)
    html_path, gpkg_path = write_pack(pack, args.out)
    return {
        "sections": list(pack.sections),
        "bytes": html_path.stat().st_size,
        "fingerprint": pack.fingerprint,
        "path": str(html_path),
        "geopackage": str(gpkg_path),
    }


def _models(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.models import model_names

    return {"models": model_names()}


def _build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = _Parser(
        prog="python -m subsidence",
        description="Land-subsidence modelling from PS-InSAR time series (the dashboard's steps, for scripts).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    handlers: dict[str, Handler] = {}

    def command(name: str, handler: Handler, help_text: str, bundle: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if bundle:
            p.add_argument("bundle", help="study-area bundle: a folder or a .zip")
        p.add_argument("--json", action="store_true", help="print a JSON object as the last line")
        handlers[name] = handler
        return p

    def period_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--start", default=None, help="first acquisition date to use, YYYY-MM-DD")
        p.add_argument("--end", default=None, help="last acquisition date to use, YYYY-MM-DD")
        p.add_argument(
            "--extend-heads",
            action="store_true",
            help="extend each well by its trend and season where readings stop (marked extrapolated) "
            "instead of leaving those acquisitions out",
        )

    period_flags(command("validate", _validate, "load and check a study-area bundle"))
    krige = command("krige", _krige, "krige well levels (per epoch), thickness and permeability")
    period_flags(krige)
    krige.add_argument("--out", help="folder for the PS values, the map grids (GeoTIFF) and a summary")
    krige.add_argument(
        "--variogram",
        default="auto",
        help="auto (by cross-validation), spherical, exponential, gaussian or linear",
    )
    krige.add_argument(
        "--cell-size",
        type=float,
        default=None,
        help="grid cell in metres (default: 20 m, or the finest under 2 million cells)",
    )
    demo = command("make-demo", _make_demo, "write the synthetic demo study area", bundle=False)
    demo.add_argument("--out", required=True, help="folder to write the bundle to")
    demo.add_argument("--points", type=int, default=16487, help="number of PS points (default 16487)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument(
        "--variant",
        choices=("demo", "recovery"),
        default="demo",
        help="demo (heads fall throughout) or recovery (heads turn and rise mid-period; default demo)",
    )
    train = command("train", _train, "train a model on a study area and save it")
    period_flags(train)
    train.add_argument("--model", required=True, help="model name (see the 'models' command)")
    train.add_argument(
        "--split", choices=("random", "spatial"), default="random", help="how test points are held out"
    )
    train.add_argument(
        "--seed", type=int, default=0, help="random seed of the split and the training (default 0)"
    )
    train.add_argument("--out", required=True, help="folder to save the trained model to")
    train.add_argument("--max-epochs", type=int, default=None, help="override the model's number of epochs")
    train.add_argument("--overwrite", action="store_true", help="replace a saved model already at --out")
    evaluate = command("evaluate", _evaluate, "score a saved model on a study area")
    period_flags(evaluate)
    evaluate.add_argument("--model", required=True, help="saved model folder or .zip")
    evaluate.add_argument(
        "--split", choices=("random", "spatial"), default=None, help="score this split's test points"
    )
    evaluate.add_argument("--seed", type=int, default=None, help="seed of --split (default: the model's)")
    command("models", _models, "list the model names train accepts", bundle=False)
    hind = command("hindcast", _hindcast, "fit up to a cut date, forecast from it, score against InSAR")
    period_flags(hind)
    hind.add_argument("--model", required=True, help="model name (see the 'models' command)")
    hind.add_argument("--cut", required=True, help="cut date YYYY-MM-DD: InSAR after it is never an input")
    hind.add_argument("--seed", type=int, default=0, help="random seed of the training (default 0)")
    hind.add_argument("--max-epochs", type=int, default=None, help="override the model's number of epochs")
    hind.add_argument("--out", default=None, help="write the hindcast per point and date (.csv or .parquet)")
    fore = command("forecast", _forecast, "forecast every point from the last acquisition under a scenario")
    period_flags(fore)
    fore.add_argument(
        "--model", required=True, help="saved model folder or .zip, or a model name (fitted here)"
    )
    fore.add_argument(
        "--scenario", default="trend", help="trend, held or a head change in m/yr (+ = recovery)"
    )
    fore.add_argument(
        "--horizon-months", type=int, default=60, help="months after the last acquisition (default 60)"
    )
    fore.add_argument("--reference", default=None, help="ps_id of a stable reference point")
    fore.add_argument("--out", required=True, help="file to write (.csv, .gpkg or .parquet)")
    fore.add_argument("--seed", type=int, default=0, help="random seed of the fits (default 0)")
    fore.add_argument("--max-epochs", type=int, default=None, help="override the model's number of epochs")
    for p in (train, evaluate, hind):
        p.add_argument(
            "--reference", dest="reference_point", default=None, help="displacements relative to this PS id"
        )
    rep = command(
        "report", _report, "write the decision pack: one HTML file that opens offline, and a GeoPackage"
    )
    rep.add_argument("--model", required=True, help="saved model folder or .zip")
    rep.add_argument(
        "--scenario",
        action="append",
        default=None,
        help="trend, held or a head change in m/yr (+ = recovery); repeat for more (default: trend, held, 1)",
    )
    rep.add_argument("--picks", default=None, help="PS ids to show with curves, comma separated")
    rep.add_argument(
        "--threshold",
        type=float,
        default=100.0,
        help="settlement more than today to map the date of (mm, default 100)",
    )
    rep.add_argument("--out", required=True, help="HTML file to write; the GeoPackage is written beside it")
    return parser, handlers


def _human(result: dict[str, Any]) -> str:
    lines = []
    for key, value in result.items():
        if isinstance(value, dict) and "sentence" in value:
            lines.append(f"{key}: {value['sentence']}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{key}:")
            lines.extend("  " + ", ".join(f"{k}={v}" for k, v in row.items()) for row in value)
        elif isinstance(value, list):
            lines.append(f"{key}: {', '.join(map(str, value)) if value else '-'}")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line (exit 2), not usage plus error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {shorten(message, 300)} (see {self.prog} --help)\n")


# Numeric options every command checks the same way: name -> (smallest allowed, what it is).
_AT_LEAST = {
    "seed": (0, "a random seed"),
    "max_epochs": (1, "a number of epochs"),
    "points": (1, "a number of points"),
}


def _check_args(args: argparse.Namespace) -> None:
    for name, (low, what) in _AT_LEAST.items():
        value = getattr(args, name, None)
        if value is not None and value < low:
            flag = "--" + name.replace("_", "-")
            raise SubsidenceError(f"{flag} {value}: expected {what} of at least {low}")
    cell = getattr(args, "cell_size", None)
    if cell is not None and not (math.isfinite(cell) and cell > 0):
        raise SubsidenceError(f"--cell-size {cell}: expected a positive number of metres")


def _json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as null, so --json always prints valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 unexpected failure).

    Every expected failure is one line on standard error and exit status 2; an unexpected one
    is one line with an id, its traceback logged to a file (``subsidence.errorlog``).
    """
    parser, handlers = _build_parser()
    args = parser.parse_args(argv)
    try:
        _check_args(args)
        result = _json_safe(handlers[args.command](args))
        sys.stdout.write(_human(result) + "\n")
        if args.json:
            sys.stdout.write(json.dumps(result, default=str, allow_nan=False) + "\n")
    except SubsidenceError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except OSError as exc:
        where = f"{shorten(exc.filename, 200)}: " if exc.filename else ""
        sys.stderr.write(f"error: {where}{shorten(exc.strerror or exc, 200)}\n")
        return 2
    except MemoryError:
        sys.stderr.write("error: not enough memory for this input; try a smaller study area or model\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except Exception as exc:  # anything else is a bug: one line with an id, traceback to the log
        from subsidence.errorlog import apology, log_unexpected

        sys.stderr.write(
            f"error: {apology(exc, log_unexpected(exc, ' '.join(map(str, argv or sys.argv[1:]))))}\n"
        )
        return 1
    return 0
