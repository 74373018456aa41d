"""The decision pack's HTML parts: tables, the inputs, the model and its validation, scenarios, picks, the page.

Every text from users' files is escaped (:func:`subsidence.text.escape_html`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from subsidence.planning import hazard
from subsidence.reference import reference_label
from subsidence.series import SeriesData
from subsidence.text import escape_html as esc

if TYPE_CHECKING:
    from subsidence.report.pack import PackInputs


def table_html(frame: pd.DataFrame) -> str:
    """A plain HTML table (escaped, no index, dashes for missing values)."""
    return frame.to_html(index=False, escape=True, border=0, classes="t", na_rep="—")


def symmetric(v: np.ndarray) -> tuple[float, float]:
    m = float(np.nanpercentile(np.abs(v), 98)) or 1.0
    return -m, m


def inputs_html(inp: PackInputs, fp: str) -> str:
    a = inp.area
    facts = pd.DataFrame(
        [
            ("study area", a.name),
            ("coordinate system", f"{a.crs} (distances in {a.work_crs})"),
            ("PS points", f"{a.n_points:,}"),
            ("acquisitions", f"{a.n_epochs}, {a.dates[0].date()} to {a.dates[-1].date()}"),
            ("wells", f"{a.wells.n_wells}"),
            ("layers", ", ".join(sorted(a.layers)) or "none"),
            ("displacements relative to", reference_label(a)),
            ("data fingerprint (SHA-256 of the files below)", fp),
        ],
        columns=["", "value"],
    )
    files = pd.DataFrame(inp.files, columns=["file", "bytes", "SHA-256"])
    return table_html(facts) + "<h3>Files</h3>" + table_html(files)


def model_html(inp: PackInputs) -> str:
    """The model, its scores beside the paper's, and the hindcast (or a plain "no hindcast run")."""
    from subsidence.validation.quality import metrics_vs_paper

    table = metrics_vs_paper(inp.metrics).rename(columns={"paper": "paper (Li et al. 2020, Beijing Plain)"})
    yardstick = (
        "The paper's figures are for the same demo set-up (Beijing Plain, random 70/30 split)."
        if inp.demo
        else "The paper's figures are for the Beijing Plain with its own random split: shown for reference, "
        "they are no yardstick for this study area."
    )
    return (
        f"<p>Model <b>{esc(inp.model_name)}</b> ({esc(inp.model_source)}). Scored on {esc(inp.points_scored)}: "
        "the change per interval is predicted one step ahead from observed inputs, and summed for cumulative "
        f"subsidence. {esc(yardstick)}</p>"
        + table_html(table)
        + "<h3>Hindcast</h3>"
        + hindcast_html(inp.hindcast)
    )


def hindcast_html(h: Any) -> str:
    """What the hindcast says (a forecast from a past cut date scored against later InSAR), or that none ran."""
    if h is None:
        return (
            "<p><b>No hindcast run.</b> A hindcast (the model learns only up to a past date, forecasts the rest and "
            "is scored against what InSAR saw later) can be run on the Scenarios page under "
            "<i>Check the forecast</i>; the pack then reports it here.</p>"
        )
    s = h.scores()
    rows = h.table().rename(
        columns=lambda c: (
            str(c).replace("rmse_last_mm", "RMSE at the last date (mm)").replace("rmse_mm", "RMSE (mm)")
        )
    )
    return (
        f"<p>Model <b>{esc(s['model'])}</b> learnt up to <b>{esc(s['cut'])}</b>, then forecast "
        f"{s['n_forecast_epochs']} later acquisitions at {s['n_points']:,} points from the groundwater levels alone. "
        f"InSAR fell inside the 90 % band for {s['coverage_90']:.0%} of values (mean band width "
        f"{s['mean_band_width_mm']:.0f} mm). Beside it, two simple forecasts any model should beat: "
        "<i>it stops</i> and <i>velocity</i>.</p>" + table_html(rows.round(1))
    )


def scenarios_html(forecasts: Sequence[Any], ps_ids: np.ndarray | None = None) -> str:
    from subsidence.planning.scenarios import local_motion_sentence, scenario_table

    t = scenario_table(forecasts).rename(
        columns={
            "scenario": "scenario",
            "horizon": "horizon",
            "mean_added_mm": "mean added (mm)",
            "p95_added_mm": "95th percentile added (mm)",
            "max_added_mm": "largest added (mm)",
            "share_over_100mm": "share adding over 100 mm",
            "band_mm": "median band width (mm)",
        }
    )
    local = local_motion_sentence(forecasts[0], ps_ids) if ps_ids is not None else None
    return (
        "<p>Each scenario continues every point's groundwater level from the last acquisition; the "
        "consolidation physics turns the levels into settlement.</p>"
        + table_html(t.round(3))
        + (f"<p>{esc(local)}</p>" if local else "")
    )


def picks_table(
    data: SeriesData,
    modelled: np.ndarray,
    paths: hazard.Paths,
    ttt: pd.DataFrame,
    confid: pd.DataFrame,
    picks: Sequence[str],
) -> pd.DataFrame:
    pos = [int(np.flatnonzero(np.asarray(data.ps_ids).astype(str) == p)[0]) for p in picks]
    return pd.DataFrame(
        {
            "PS point": list(picks),
            "InSAR today (mm)": data.subsidence_mm[pos, -1].round(1),
            "model today (mm)": modelled[pos, -1].round(1),
            "forecast at horizon (mm)": paths.central_mm[pos, -1].round(1),
            "band at horizon (mm)": [
                f"{lo:.0f} to {hi:.0f}"
                for lo, hi in zip(paths.low_mm[pos, -1], paths.high_mm[pos, -1], strict=True)
            ],
            "threshold reached": ttt["date"]
            .iloc[pos]
            .dt.strftime("%Y-%m-%d")
            .fillna("not by the horizon")
            .to_numpy(),
            "confidence": confid["confidence"].iloc[pos].to_numpy(),
        }
    )


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:1em;color:#222}"
    "table.t{border-collapse:collapse;margin:0.5em 0;font-size:0.9rem}table.t td,table.t th{border-bottom:1px solid #ddd;white-space:nowrap;"
    "padding:3px 8px;text-align:left}.note{color:#555;font-size:0.9rem}h2{border-top:2px solid #444;padding-top:0.5em}"
)


def page(title: str, body: dict[str, str]) -> str:
    toc = "".join(f"<li><a href='#s{k}'>{esc(s)}</a></li>" for k, s in enumerate(body))
    parts = "".join(
        f"<section id='s{k}'><h2>{esc(s)}</h2>{html}</section>" for k, (s, html) in enumerate(body.items())
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1><ol>{toc}</ol>{parts}</body></html>"
    )
