"""Plain summaries of a loaded study area: what was loaded and how good it is."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from subsidence.io.studyarea import StudyArea


def area_summary(area: StudyArea) -> dict[str, Any]:
    """Headline facts about a study area (the CLI's ``validate`` keys and more).

    Returns
    -------
    dict
        ``name``, ``crs``, ``work_crs``, ``n_points``, ``n_epochs``, ``first_date``,
        ``last_date``, ``n_wells``, ``max_cumulative_mm`` (largest cumulative subsidence at
        any point and epoch, mm, positive = down), ``extent_km`` (width, height),
        ``layers`` (names present) and ``notes`` (data-quality remarks, with the acquisitions
        the wells do not cover, see :mod:`subsidence.coverage`).
    """
    xmin, ymin, xmax, ymax = area.extent_m
    return {
        "name": area.name,
        "crs": area.crs,
        "work_crs": area.work_crs,
        "n_points": area.n_points,
        "n_epochs": area.n_epochs,
        "first_date": str(area.dates[0].date()),
        "last_date": str(area.dates[-1].date()),
        "n_wells": area.wells.n_wells,
        "max_cumulative_mm": round(float(np.nanmax(area.subsidence_mm)), 3),
        "extent_km": [round((xmax - xmin) / 1000, 1), round((ymax - ymin) / 1000, 1)],
        "layers": sorted(area.layers),
        "notes": [*area.notes, *_coverage_note(area)],
    }


def _coverage_note(area: StudyArea) -> list[str]:
    """A note when some acquisitions fall outside the default model period."""
    from subsidence.coverage import period_for
    from subsidence.errors import SubsidenceError

    try:
        period = period_for(area)
    except SubsidenceError as exc:
        return [f"no model period: {exc}"]
    return [] if not period.left_out or period.sentence() in area.notes else [period.sentence()]


def quality_table(area: StudyArea) -> pd.DataFrame:
    """A data-quality report, one row per check, for people to read.

    Columns ``check``, ``value``, ``comment``.
    """
    values = area.subsidence_mm
    missing = np.isnan(values)
    gaps = np.diff(area.dates.values).astype("timedelta64[D]").astype(int)
    readings = area.wells.readings
    per_well = readings.groupby("well_id")["date"]
    longest_gap = per_well.diff().dt.days.max()
    span = per_well.agg(["min", "max"])
    rows = [
        ("PS points", f"{area.n_points:,}", ""),
        ("acquisitions", f"{area.n_epochs}", f"{area.dates[0].date()} to {area.dates[-1].date()}"),
        ("acquisition interval", f"{gaps.min()}–{gaps.max()} days", f"median {int(np.median(gaps))} days"),
        (
            "missing PS values",
            f"{int(missing.sum()):,}",
            f"in {int(missing.any(axis=1).sum()):,} series; filled in time for models",
        ),
        ("wells", f"{area.wells.n_wells}", f"{len(readings):,} readings"),
        (
            "wells starting late",
            f"{int((span['min'] > area.dates[0]).sum())}",
            "a well's first and last readings are carried at most half its reading interval (15 to 90 days)",
        ),
        ("wells stopping early", f"{int((span['max'] < area.dates[-1]).sum())}", ""),
        *_coverage_rows(area),
        (
            "longest gap between readings",
            f"{0 if pd.isna(longest_gap) else int(longest_gap)} days",
            "per well",
        ),
    ]
    for name in ("thickness", "permeability"):
        layer = area.layers.get(name)
        if layer is None:
            rows.append((f"{name} layer", "absent", "models use the other inputs"))
        else:
            rows.append(
                (
                    f"{name} layer",
                    layer.kind,
                    f"{len(layer.values):,} samples, {np.min(layer.values):.3g}–{np.max(layer.values):.3g} {layer.unit}",
                )
            )
    return pd.DataFrame(rows, columns=["check", "value", "comment"])


def _coverage_rows(area: StudyArea) -> list[tuple[str, str, str]]:
    """Rows saying which acquisitions the wells cover and the model period (docs/coverage.md)."""
    from subsidence.coverage import MIN_WELLS, coverage_counts, period_for
    from subsidence.errors import SubsidenceError

    counts = coverage_counts(area)
    short = np.flatnonzero(counts < MIN_WELLS)
    if len(short) == 0:
        covered = (f"all {area.n_epochs}", f"at least {MIN_WELLS} wells report at every acquisition")
    else:
        covered = (
            f"{area.n_epochs - len(short)} of {area.n_epochs}",
            f"{len(short)} acquisition(s) have fewer than {MIN_WELLS} wells with readings nearby "
            f"(first {area.dates[short[0]].date()}); models and maps leave them out, or extend the wells "
            f"by their trend and season",
        )
    try:
        period = period_for(area)
        model = (f"{period.first.date()} to {period.last.date()}", period.sentence())
    except SubsidenceError as exc:
        model = ("none", f"no model period: {exc}")
    return [("acquisitions the wells cover", *covered), ("model period", *model)]


METRIC_LABELS = {
    "rmse_change_mm": "RMSE of the change (mm)",
    "mae_change_mm": "MAE of the change (mm)",
    "rmse_cumulative_mm": "RMSE of cumulative subsidence (mm)",
}


def metrics_vs_paper(metrics: dict[str, float]) -> pd.DataFrame:
    """Our scores beside Li et al. (2020)'s, one row per metric (mm)."""
    from subsidence.validation.evaluation import PAPER_METRICS

    return pd.DataFrame(
        [
            {
                "metric": label,
                "this model": round(float(metrics.get(key, np.nan)), 3),
                "paper": PAPER_METRICS[key],
            }
            for key, label in METRIC_LABELS.items()
        ]
    )
