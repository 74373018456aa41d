"""The decision pack: one self-contained HTML file for a council, and a GeoPackage beside it.

The HTML opens offline in any browser: plotly.js is embedded once (in the first figure) and
no web address is loaded. Every text from users' files (names, ids, file names) is escaped.
Maps draw a fixed random sample of at most ``max_points`` points (picked points always kept)
so the file stays small; the GeoPackage holds every point. See ``docs/hazard.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from subsidence import __version__
from subsidence.errors import SubsidenceError
from subsidence.io.studyarea import StudyArea
from subsidence.planning import confidence as conf
from subsidence.planning import hazard
from subsidence.report.pack_files import file_hashes, fingerprint, gpkg_bytes, pack_layers, write_pack
from subsidence.report.pack_map import MAP_SUFFIX, MAX_MAP_POINTS, results_map
from subsidence.report.pack_sections import (
    inputs_html,
    model_html,
    page,
    picks_table,
    scenarios_html,
    symmetric,
    table_html,
)
from subsidence.text import escape_html as esc
from subsidence.viz import hazard_figures as hf

if TYPE_CHECKING:  # a type only: the scenarios are computed before the pack
    from subsidence.series import SeriesData

SECTIONS = (
    "Study area and inputs",
    "Model and validation",
    "Subsidence and deviation maps",
    "Interactive map (separate file)",
    "Confidence",
    "Hazard: time to threshold",
    "Hazard: differential settlement",
    "Picked points",
    "Scenarios",
    "Caveats",
    "Software and date",
)
MAX_POINTS = 4000
MAX_PICKS = hf.MAX_PICKS
CAVEATS = (
    "InSAR measures movement along the satellite's line of sight relative to a reference; the values here "
    "are treated as vertical settlement, positive = down.",
    "The model learns from the past: where heads, geology or pumping change in ways it has not seen, its "
    "numbers are less reliable.",
    "Forecast bands show the spread of the consolidation physics refitted on parts of the area (parameter "
    "uncertainty), not the uncertainty of the groundwater scenario itself.",
    "Angular distortion between PS points a hundred metres or more apart averages over that distance and "
    "understates what a single building may feel; Bjerrum's (1963) limits are for a building's span.",
    "Points marked 'do not use' on the confidence map should not be used for decisions.",
    "Maps draw a fixed random sample of the points to keep this file small; the GeoPackage beside it holds "
    "every point.",
)


@dataclass(frozen=True)
class Pack:
    """A built decision pack: the HTML text, its section titles, the fingerprint and the layers."""

    html: str
    sections: tuple[str, ...]
    fingerprint: str
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    map_html: str = ""  # the folium map, written beside the pack (see subsidence.report.pack_map)


@dataclass(frozen=True)
class PackInputs:
    """Everything the pack shows, computed beforehand (by :func:`pack_from_bundle` or a page)."""

    area: StudyArea
    data: SeriesData
    head_sd_m: np.ndarray
    model_name: str
    model_source: str
    metrics: dict[str, float]
    points_scored: str
    modelled_mm: np.ndarray  # cumulative, (n, E)
    test_mask: np.ndarray
    forecasts: Sequence[Any]
    picks: Sequence[str]
    files: Sequence[tuple[str, int, str]]
    demo: bool = False
    threshold_mm: float = 100.0
    threshold_kind: str = hazard.ADDED
    max_distance_m: float = hazard.DEFAULT_MAX_DISTANCE_M
    max_points: int = MAX_POINTS
    hindcast: object | None = None  # a subsidence.validation.hindcast.Hindcast, when one was run


def _figures(figs: list[go.Figure]) -> list[str]:
    """Figure divs, plotly.js embedded in the first only (offline, no CDN)."""
    out = []
    for k, fig in enumerate(figs):
        out.append(fig.to_html(full_html=False, include_plotlyjs=k == 0, config={"responsive": True}))
    return out


def build_pack(inp: PackInputs) -> Pack:
    """The decision pack's HTML and layers from computed inputs."""
    area, data = inp.area, inp.data
    if not inp.forecasts:
        raise SubsidenceError("the decision pack needs at least one scenario forecast")
    ids = np.asarray(data.ps_ids).astype(str)
    xy, crs = data.xy_m, area.work_crs
    known = {p: i for i, p in enumerate(ids)}
    picks = [p for p in inp.picks if p in known][:MAX_PICKS]
    idx = hf.thin(len(ids), inp.max_points, keep=[known[p] for p in picks])
    thinned = len(idx) < len(ids)
    main = inp.forecasts[0]
    paths = hazard.paths_from(main, data)
    ttt = hazard.time_to_threshold(paths, inp.threshold_mm, inp.threshold_kind)
    dist = hazard.distortion_table(data, paths, inp.max_distance_m)
    deviation = inp.modelled_mm[:, -1] - data.subsidence_mm[:, -1]
    cv = np.where(inp.test_mask, np.abs(deviation), np.nan)
    band = paths.high_mm[:, -1] - paths.low_mm[:, -1]
    confid = conf.confidence(xy, inp.head_sd_m, np.column_stack([area.wells.x, area.wells.y]), cv, band)
    last = data.dates[-1].date()
    horizon = paths.dates[-1].date()
    what = (
        "more than today" if inp.threshold_kind == hazard.ADDED else "cumulative since the first acquisition"
    )
    figs = [
        hf.value_map(
            xy,
            ids,
            data.subsidence_mm[:, -1],
            title=f"InSAR cumulative subsidence on {last}",
            unit="mm",
            colorscale="RdYlBu_r",
            crs=crs,
            idx=idx,
            gl=False,
        ),
        hf.value_map(
            xy,
            ids,
            deviation,
            title=f"Deviation: model minus InSAR on {last}",
            unit="mm",
            colorscale="RdBu_r",
            value_range=symmetric(deviation),
            crs=crs,
            idx=idx,
            gl=False,
        ),
        hf.confidence_map(xy, ids, confid, crs=crs, idx=idx, gl=False),
        hf.time_to_threshold_map(
            xy,
            ttt,
            title=f"When {inp.threshold_mm:g} mm {what} is reached ({main.scenario.name})",
            crs=crs,
            idx=idx,
            gl=False,
        ),
        hf.distortion_map(xy, dist, "today", crs=crs, idx=idx, gl=False),
        hf.distortion_map(xy, dist, "horizon", crs=crs, idx=idx, gl=False),
    ]
    if picks:
        figs.append(hf.picks_figure(data, inp.modelled_mm, inp.forecasts, picks))
    divs = _figures(figs)
    fp = fingerprint(inp.files)
    note = (
        f"<p class='note'>Maps draw {len(idx):,} of {len(ids):,} points (a fixed random sample, picked points "
        "kept) to keep this file small; the GeoPackage beside it holds every point.</p>"
        if thinned
        else ""
    )
    body = {
        SECTIONS[0]: inputs_html(inp, fp),
        SECTIONS[1]: model_html(inp),
        SECTIONS[2]: note + divs[0] + divs[1],
        SECTIONS[3]: MAP_SECTION,
        SECTIONS[4]: f"<p>{esc(conf.EXPLANATION)}</p>"
        + table_html(conf.class_counts(confid["confidence"]))
        + divs[2],
        SECTIONS[
            5
        ]: f"<p>Scenario: <b>{esc(main.scenario.name)}</b>; threshold {inp.threshold_mm:g} mm {what}; "
        f"horizon {horizon}. {int(ttt['within_horizon'].sum()):,} of {len(ttt):,} points reach it by the horizon "
        "(earliest and latest dates from the band's edges).</p>"
        + divs[3]
        + table_html(hazard.crossing_table(ttt, xy).head(50))
        + (
            "<p class='note'>The 50 soonest are listed; the GeoPackage lists all.</p>"
            if ttt["within_horizon"].sum() > 50
            else ""
        ),
        SECTIONS[
            6
        ]: f"<p>Angular distortion β = difference in settlement / distance between neighbouring points "
        f"within {inp.max_distance_m:g} m (largest per point), today and at the horizon ({horizon}), against "
        "Bjerrum (1963): 1/750 sensitive machinery, 1/500 safe limit where cracking is not permissible, 1/300 "
        "first cracking in panel walls, 1/150 structural damage of general buildings.</p>"
        + table_html(
            hazard.class_counts(dist["class_today"].to_numpy())
            .rename(columns={"points": "points today"})
            .assign(
                **{"points at the horizon": hazard.class_counts(dist["class_horizon"].to_numpy())["points"]}
            )
        )
        + divs[4]
        + divs[5],
        SECTIONS[7]: (divs[6] + table_html(picks_table(data, inp.modelled_mm, paths, ttt, confid, picks)))
        if picks
        else "<p>No points were picked.</p>",
        SECTIONS[8]: scenarios_html(inp.forecasts, data.ps_ids),
        SECTIONS[9]: "<ul>" + "".join(f"<li>{esc(c)}</li>" for c in CAVEATS) + "</ul>",
        SECTIONS[10]: f"<p>subsidence library {esc(__version__)}; written "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.</p>",
    }
    html_text = page(f"Decision pack: {area.name}", body)
    layers = pack_layers(area, data, paths, ttt, dist, confid, deviation, inp.forecasts)
    return Pack(html_text, SECTIONS, fp, layers, _folium_map(inp, deviation, confid, picks))


MAP_SECTION = (
    "<p>An interactive map of every result is written beside this file, with the same name ending in "
    f"<b>{esc(MAP_SUFFIX)}</b> (decision-pack{esc(MAP_SUFFIX)} when downloaded from the dashboard): points coloured "
    "by cumulative subsidence with a legend, a popup with each point's numbers, the wells and the picked points. "
    "<b>Its web basemap needs the internet, and so do its map scripts (Leaflet); the points, wells and picks are "
    "stored in it.</b> Everything in this pack, maps included, draws offline without it.</p>"
)


def _folium_map(inp: PackInputs, deviation: np.ndarray, confid: pd.DataFrame, picks: Sequence[str]) -> str:
    from subsidence.viz.maps import velocity_mm_yr

    area, data = inp.area, inp.data
    ids = np.asarray(data.ps_ids).astype(str)
    main = inp.forecasts[0]
    known = {p: i for i, p in enumerate(ids)}
    idx = hf.thin(len(ids), min(inp.max_points, MAX_MAP_POINTS), keep=[known[p] for p in picks])
    columns = {
        f"InSAR cumulative on {data.dates[-1].date()} (mm)": data.subsidence_mm[:, -1],
        "velocity (mm/yr)": velocity_mm_yr(data.dates, data.subsidence_mm),
        "model minus InSAR (mm)": deviation,
        f"added by {main.dates[-1].date()}, {main.scenario.name} (mm)": main.added_mm,
        "confidence": confid["confidence"].to_numpy(),
    }
    return results_map(
        area.points["lon"].to_numpy(float),
        area.points["lat"].to_numpy(float),
        ids,
        data.subsidence_mm[:, -1],
        label=f"InSAR cumulative subsidence on {data.dates[-1].date()}",
        unit="mm",
        columns=columns,
        idx=idx,
        wells=(np.asarray(area.wells.lon), np.asarray(area.wells.lat), [str(w) for w in area.wells.ids]),
        picks=picks,
        title=f"Decision pack: {area.name}",
    )


def pack_from_bundle(
    bundle: str | Path,
    model_dir: str | Path,
    scenarios: Sequence[str] = ("trend", "held", "1"),
    picks: Sequence[str] = (),
    horizon_years: float = 5.0,
    threshold_mm: float = 100.0,
    progress: Callable[[str], None] | None = None,
    reference: str | None = None,
) -> Pack:
    """Load a bundle and a saved model, compute everything, and build the pack (the CLI ``report``).

    No hindcast is run here (it would refit the model): the pack says so plainly. ``reference``
    (a PS id, or :func:`subsidence.reference.parse_reference`'s text) makes every displacement
    relative to it, as in the dashboard.
    """
    inputs = inputs_from_bundle(
        bundle, model_dir, scenarios, picks, horizon_years, threshold_mm, progress, reference
    )
    if progress is not None:
        progress("building the pack")
    return build_pack(inputs)


def inputs_from_bundle(
    bundle: str | Path,
    model_dir: str | Path,
    scenarios: Sequence[str] = ("trend", "held", "1"),
    picks: Sequence[str] = (),
    horizon_years: float = 5.0,
    threshold_mm: float = 100.0,
    progress: Callable[[str], None] | None = None,
    reference: str | None = None,
) -> PackInputs:
    """Everything :func:`build_pack` needs, from a bundle and a saved model (see :func:`pack_from_bundle`)."""
    from subsidence.io.reader import load_study_area
    from subsidence.models.base import ONE_STEP
    from subsidence.models.modelio import is_shipped, load_model
    from subsidence.pipeline import model_kriging, prepare, saved_test_points
    from subsidence.planning import scenarios as sc
    from subsidence.reference import apply_reference, parse_reference
    from subsidence.validation.evaluation import modelled_cumulative
    from subsidence.viz.picking import load_picks, random_ids

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    chosen = [sc.parse_scenario(s) for s in scenarios] or [sc.PRESETS[0]]
    area = load_study_area(bundle)
    if reference:
        area = apply_reference(area, parse_reference(reference))
    say("kriging")
    kriged = model_kriging(area)
    data = prepare(area, kriged=kriged)  # the one route to the model inputs, as train and the pages
    factors = kriged.factors
    model, meta = load_model(model_dir, area)
    test_idx, points = saved_test_points(meta, area, data)
    modelled = modelled_cumulative(data, model.predict(data, ONE_STEP))
    test_mask = np.zeros(data.n_points, bool)
    test_mask[test_idx] = True
    metrics = {k: v for k, v in meta.get("metrics", {}).items() if isinstance(v, (int, float))}
    if meta.get("fingerprint") != area.fingerprint or not metrics:
        from subsidence.validation.evaluation import metrics as score

        metrics = score(data, model.predict(data, ONE_STEP), test_idx)
    ids = np.asarray(data.ps_ids).astype(str)
    missing = [p for p in picks if p not in set(ids)]
    if missing:
        raise SubsidenceError(f"--picks: not PS ids of this study area: {', '.join(missing[:5])}")
    picks = list(picks) or [p for p in load_picks(model_dir) if p in set(ids)] or random_ids(ids[test_idx], 6)
    say("fitting the physics for the scenarios")
    ensemble = sc.fit_ensemble(data)
    band = sc.physics_band(data)
    forecasts = [sc.forecast(ensemble, data, s, horizon_years, band=band) for s in chosen]
    return PackInputs(
        area=area,
        data=data,
        head_sd_m=factors.head_sd_m,
        model_name=str(meta.get("model", "?")),
        model_source=f"saved model {Path(model_dir).name}",
        metrics=metrics,
        points_scored=points,
        modelled_mm=modelled,
        test_mask=test_mask,
        forecasts=forecasts,
        picks=picks,
        files=file_hashes([bundle, model_dir]),
        demo=is_shipped(model_dir),
        threshold_mm=threshold_mm,
    )


__all__ = [
    "SECTIONS",
    "Pack",
    "PackInputs",
    "build_pack",
    "file_hashes",
    "fingerprint",
    "gpkg_bytes",
    "inputs_from_bundle",
    "pack_from_bundle",
    "write_pack",
]
