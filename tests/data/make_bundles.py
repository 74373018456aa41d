"""Write the tiny test bundles under tests/data/ (run by hand; the output is committed).

``tiny/`` is a valid bundle small enough to read by eye; each folder under ``bad/`` breaks
one rule of the format, and ``bad/expected.json`` maps it to a fragment its error message
must contain.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DATES = ["2012-01-10", "2012-02-03", "2012-03-22", "2012-04-15", "2012-05-09"]
X0, Y0 = 440000.0, 4420000.0  # EPSG:32650, near Beijing


def manifest(crs: str = "EPSG:32650", extra: str = "") -> str:
    return (
        f'name = "Tiny test area"\ncrs = "{crs}"\ndisplacement_unit = "mm"\n'
        f'displacement_sign = "negative_down"\n{extra}'
    )


def ps_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 12
    frame = pd.DataFrame(
        {
            "ps_id": [f"P{i:02d}" for i in range(n)],
            "x": X0 + rng.uniform(0, 5000, n).round(1),
            "y": Y0 + rng.uniform(0, 4000, n).round(1),
            "coherence": rng.uniform(0.6, 0.95, n).round(2),
        }
    )
    rate = rng.uniform(0, 8, n)
    for k, d in enumerate(DATES):
        frame[d] = (-rate * k).round(1)
    return frame


def wells_frame() -> pd.DataFrame:
    rows = []
    for i, (dx, dy) in enumerate([(500, 500), (4500, 800), (2500, 3500), (1000, 3000)]):
        for d in pd.date_range("2011-12-01", "2012-06-01", freq="MS"):
            rows.append(
                {
                    "well_id": f"W{i}",
                    "x": X0 + dx,
                    "y": Y0 + dy,
                    "date": d.strftime("%Y-%m-%d"),
                    "head_m": 20 - i - 0.3 * d.month,
                }
            )
    return pd.DataFrame(rows)


def contours(values: list[float], name: str) -> dict:
    feats = []
    for k, v in enumerate(values):
        y = Y0 + 500 + 1000 * k
        feats.append(
            {
                "type": "Feature",
                "properties": {"value": v},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[X0 - 200, y], [X0 + 2500, y + 300], [X0 + 5200, y]],
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32650"}},
        "features": feats,
    }


def write(
    folder: Path,
    *,
    toml: str | None = None,
    ps: pd.DataFrame | str | None = None,
    wells: pd.DataFrame | None = None,
    thickness: dict | None = None,
) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if toml is not False:
        (folder / "study_area.toml").write_text(toml if toml is not None else manifest())
    if isinstance(ps, str):
        (folder / "ps.csv").write_text(ps)
    else:
        (ps if ps is not None else ps_frame()).to_csv(folder / "ps.csv", index=False)
    (wells if wells is not None else wells_frame()).to_csv(folder / "wells.csv", index=False)
    (folder / "thickness.geojson").write_text(
        json.dumps(thickness or contours([10, 30, 60, 90], "thickness"))
    )
    (folder / "permeability.geojson").write_text(json.dumps(contours([0.5, 2, 8, 20], "permeability")))


def bad_cases() -> dict[str, tuple[Callable[[Path], None], str]]:
    ps = ps_frame()
    wells = wells_frame()

    def no_manifest(f: Path) -> None:
        write(f)
        (f / "study_area.toml").unlink()

    def no_wells_file(f: Path) -> None:
        write(f)
        (f / "wells.csv").unlink()

    def no_value(f: Path) -> None:
        layer = contours([10, 30], "thickness")
        for feat in layer["features"]:
            feat["properties"] = {"depth": 1}
        write(f, thickness=layer)

    cut = ps.astype({DATES[2]: object})
    cut.loc[3, DATES[2]] = "abc"
    dup = ps.copy()
    dup.loc[5, "ps_id"] = "P01"
    nan_row = ps.astype(dict.fromkeys(DATES, object))
    nan_row.loc[7, DATES] = ""
    late_well = wells.copy()
    late_well.loc[late_well["well_id"] == "W3", "date"] = "2014-01-01"
    far_wells = wells.assign(x=wells["x"] + 400000)
    far_layer = contours([10, 30], "thickness")
    for feat in far_layer["features"]:
        feat["geometry"]["coordinates"] = [[c[0] + 500000, c[1]] for c in feat["geometry"]["coordinates"]]
    lonlat = ps.assign(x=116.3 + (ps["x"] - X0) / 85000, y=39.9 + (ps["y"] - Y0) / 111000)
    return {
        "missing_manifest": (no_manifest, "study_area.toml: missing"),
        "missing_wells_file": (no_wells_file, "wells.csv: missing"),
        "unknown_crs": (lambda f: write(f, toml=manifest("EPSG:999999")), "unknown CRS"),
        "missing_ps_id": (lambda f: write(f, ps=ps.drop(columns="ps_id")), "missing column(s) ['ps_id']"),
        "duplicate_ids": (lambda f: write(f, ps=dup), "duplicate ps_id 'P01'"),
        "no_date_columns": (lambda f: write(f, ps=ps.drop(columns=DATES)), "no date columns"),
        "unparseable_date": (
            lambda f: write(f, ps=ps.rename(columns={DATES[1]: "2012-13-45"})),
            "column '2012-13-45'",
        ),
        "non_numeric_value": (lambda f: write(f, ps=cut), "expected a number, found 'abc'"),
        "all_nan_series": (lambda f: write(f, ps=nan_row), "(P07): every date is empty"),
        "too_few_epochs": (lambda f: write(f, ps=ps.drop(columns=DATES[2:])), "expected at least 3"),
        "well_outside_period": (lambda f: write(f, wells=late_well), "well 'W3' has no reading between"),
        "too_few_wells": (
            lambda f: write(f, wells=wells[wells["well_id"].isin(["W0", "W1"])]),
            "expected at least 3 to krige",
        ),
        "layer_without_value": (no_value, "no 'value' property"),
        "wells_outside_extent": (lambda f: write(f, wells=far_wells), "no wells lie within the PS extent"),
        "layer_outside_extent": (
            lambda f: write(f, thickness=far_layer),
            "no thickness contours lie within the PS extent",
        ),
        "lonlat_as_metres": (lambda f: write(f, ps=lonlat), "look like longitude/latitude"),
        "metres_as_lonlat": (
            lambda f: write(f, toml=manifest("EPSG:4326")),
            "not longitude/latitude in degrees",
        ),
    }


def main() -> None:
    write(HERE / "tiny")
    bad = HERE / "bad"
    if bad.exists():
        shutil.rmtree(bad)
    expected = {}
    for name, (make, fragment) in bad_cases().items():
        make(bad / name)
        expected[name] = fragment
    (bad / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
