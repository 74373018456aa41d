"""Command handlers of ``python -m subsidence``: hindcast, forecast, report (and their table writer).

Each handler takes the parsed arguments and returns a JSON-safe dict (``subsidence.cli``
prints it).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from subsidence.cli_commands import load_period
from subsidence.errors import SubsidenceError


def _write_table(frame: Any, out: str, area: Any = None) -> str:
    """Write a long table to ``out`` (.csv, .parquet, or .gpkg when ``area`` gives geometry)."""
    from subsidence.io.exports import results_geodataframe

    path = Path(out)
    kinds = (".csv", ".parquet", ".gpkg") if area is not None else (".csv", ".parquet")
    if path.suffix.lower() not in kinds:
        raise SubsidenceError(f"--out {out}: expected a file ending in {', '.join(kinds)}")
    from subsidence.io.atomic import atomic_write_via

    if path.suffix.lower() == ".csv":
        atomic_write_via(path, lambda tmp: frame.to_csv(tmp, index=False))
    elif path.suffix.lower() == ".parquet":
        atomic_write_via(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        geo = results_geodataframe(area, frame)
        atomic_write_via(path, lambda tmp: geo.to_file(tmp, layer="forecast", driver="GPKG"))
    return str(path)


def hindcast(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence import pipeline
    from subsidence.models import model_class
    from subsidence.validation.hindcast import hindcast

    model_class(args.model)
    if args.out is not None and Path(args.out).suffix.lower() not in (".csv", ".parquet"):
        raise SubsidenceError(f"--out {args.out}: expected a file ending in .csv or .parquet")
    area, out_period = load_period(args)
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


def forecast(args: argparse.Namespace) -> dict[str, Any]:
    import time

    import numpy as np

    from subsidence import pipeline
    from subsidence.models import make_model, model_names
    from subsidence.models.modelio import load_model
    from subsidence.planning.scenarios import model_forecast, parse_scenario

    scenario = parse_scenario(args.scenario)
    start = time.perf_counter()
    area, out_period = load_period(args)
    data = pipeline.prepare(area)
    if args.model in model_names():
        name = args.model
        model = make_model(name, max_epochs=args.max_epochs).fit(
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


def report(args: argparse.Namespace) -> dict[str, Any]:
    from subsidence.planning.scenarios import parse_scenario
    from subsidence.report.pack import pack_from_bundle, write_pack
    from subsidence.report.pack_files import map_path

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
    pack = pack_from_bundle(
        args.bundle, args.model, scenarios, picks, threshold_mm=args.threshold, reference=args.reference_point
    )
    html_path, gpkg_path = write_pack(pack, args.out)
    return {
        "sections": list(pack.sections),
        "bytes": html_path.stat().st_size,
        "fingerprint": pack.fingerprint,
        "path": str(html_path),
        "geopackage": str(gpkg_path),
        **({"map": str(map_path(html_path))} if pack.map_html else {}),  # needs the internet to draw
    }
