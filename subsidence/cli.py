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
from typing import Any, NoReturn

from subsidence.cli_commands import evaluate as _evaluate
from subsidence.cli_commands import krige as _krige
from subsidence.cli_commands import make_demo as _make_demo
from subsidence.cli_commands import models as _models
from subsidence.cli_commands import train as _train
from subsidence.cli_commands import validate as _validate
from subsidence.cli_forecast import forecast as _forecast
from subsidence.cli_forecast import hindcast as _hindcast
from subsidence.cli_forecast import report as _report
from subsidence.cli_import import add_flags as add_import_flags
from subsidence.cli_import import import_survey as _import
from subsidence.cli_scale import add_flags as add_scale_flags
from subsidence.errors import SubsidenceError
from subsidence.text import shorten

Handler = Callable[[argparse.Namespace], dict[str, Any]]


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
    add_scale_flags(train)
    evaluate = command("evaluate", _evaluate, "score a saved model on a study area")
    period_flags(evaluate)
    evaluate.add_argument("--model", required=True, help="saved model folder or .zip")
    evaluate.add_argument(
        "--split", choices=("random", "spatial"), default=None, help="score this split's test points"
    )
    evaluate.add_argument("--seed", type=int, default=None, help="seed of --split (default: the model's)")
    command("models", _models, "list the model names train accepts", bundle=False)
    add_import_flags(
        command(
            "import", _import, "convert a MintPy timeseries.h5 or a GeoTIFF stack to a bundle", bundle=False
        )
    )
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
    rep.add_argument(
        "--reference", dest="reference_point", default=None, help="displacements relative to this PS id"
    )
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
    "sample": (1, "a number of sample points"),
    "chunk_rows": (100, "a number of rows per chunk"),
    "dask_workers": (1, "a number of workers"),
    "step": (1, "a pixel step"),
    "block_rows": (1, "a number of raster rows"),
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
    is one line with an id, its traceback logged to a file (``subsidence.io.errorlog``).
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
        from subsidence.io.errorlog import apology, log_unexpected

        sys.stderr.write(
            f"error: {apology(exc, log_unexpected(exc, ' '.join(map(str, argv or sys.argv[1:]))))}\n"
        )
        return 1
    return 0
