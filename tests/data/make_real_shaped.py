"""Write the real-shaped test bundles under tests/data/real/ (run by hand; output committed).

Both bundles are generated from seeded random numbers, not copied from any survey. They have
the *shape* of data planners bring, which the synthetic demo does not:

``psbas_like/``
    Shaped like a Sentinel-1 P-SBAS survey: 900 PS points on an 8 km x 18 km strip
    (EPSG:32633), 146 acquisitions on a 12-day repeat from 2014-10-27 to 2020-01-05 with a
    dozen skipped, mm with negative = down, motion mostly seasonal (annual sinusoid of
    2-15 mm) plus a slow trend in one bowl (largest motion about 43 mm), noise about 2.5 mm,
    missing cells (scattered and in short runs), ``velocity`` (mm/year, negative = down) and
    ``coherence`` attributes, no layer files, and 6 piezometers read monthly from 2010-01-01 to
    2019-08-01 (the wells stop five months before the InSAR does).
``levelling_like/``
    Shaped like a levelling network: 20 benchmarks, 9 annual surveys with missing cells, metres
    with positive = down (EPSG:25832), 4 wells read monthly whose heads fall until 2015 and then
    recover, compressible-layer thickness given as points (``thickness.geojson``).

Run ``python tests/data/make_real_shaped.py`` from the repository root; the output is byte for
byte the same on every run (``tests/unit/test_real_shaped.py`` checks this).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
REAL = HERE / "real"
DAYS_PER_YEAR = 365.25


def _manifest(name: str, crs: str, unit: str, sign: str) -> str:
    return f'name = "{name}"\ncrs = "{crs}"\ndisplacement_unit = "{unit}"\ndisplacement_sign = "{sign}"\n'


def _years(dates: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    return np.asarray((dates - origin).days, dtype=float) / DAYS_PER_YEAR


# --- P-SBAS-shaped survey ---------------------------------------------------------------------

PSBAS_FIRST = pd.Timestamp("2014-10-27")
PSBAS_LAST = pd.Timestamp("2020-01-05")
PSBAS_EPOCHS = 146
PSBAS_POINTS = 900
PSBAS_X0, PSBAS_Y0 = 402000.0, 4501000.0  # EPSG:32633 (UTM 33N)
PSBAS_WIDTH, PSBAS_HEIGHT = 8000.0, 18000.0
WELLS_FIRST, WELLS_LAST = pd.Timestamp("2010-01-01"), pd.Timestamp("2019-08-01")


def psbas_dates(rng: np.random.Generator) -> pd.DatetimeIndex:
    """146 acquisitions on a 12-day repeat, a few skipped, first and last kept."""
    slots = pd.date_range(PSBAS_FIRST, PSBAS_LAST, freq="12D")
    if slots[-1] != PSBAS_LAST:
        slots = slots.append(pd.DatetimeIndex([PSBAS_LAST]))
    inner = np.arange(1, len(slots) - 1)
    skip = rng.choice(inner, size=len(slots) - PSBAS_EPOCHS, replace=False)
    return slots.delete(np.sort(skip))


def psbas_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """PS points cluster on built-up ground: a few towns plus scattered rural points."""
    towns = np.array([[2500, 3000], [5500, 7500], [3000, 12500], [6000, 16000], [1500, 9000]])
    k_town = int(0.75 * n)
    which = rng.integers(0, len(towns), k_town)
    xy_town = towns[which] + rng.normal(0, 700, (k_town, 2))
    xy_rural = rng.uniform([0, 0], [PSBAS_WIDTH, PSBAS_HEIGHT], (n - k_town, 2))
    xy = np.vstack([xy_town, xy_rural])
    xy = np.clip(xy, [0, 0], [PSBAS_WIDTH, PSBAS_HEIGHT])
    return (PSBAS_X0 + xy[:, 0]).round(1), (PSBAS_Y0 + xy[:, 1]).round(1)


def _nan_gaps(rng: np.random.Generator, values: np.ndarray, scattered: float, runs: float) -> None:
    """Blank a fraction of cells at random and short runs in some series (never column 0)."""
    n, e = values.shape
    cells = rng.random((n, e)) < scattered
    cells[:, 0] = False
    values[cells] = np.nan
    for i in np.flatnonzero(rng.random(n) < runs):
        length = int(rng.integers(3, 9))
        start = int(rng.integers(1, e - length))
        values[i, start : start + length] = np.nan


def psbas_frame(rng: np.random.Generator) -> pd.DataFrame:
    dates = psbas_dates(rng)
    x, y = psbas_points(rng, PSBAS_POINTS)
    t = _years(dates, dates[0])
    u = (x - PSBAS_X0) / 1000.0
    v = (y - PSBAS_Y0) / 1000.0
    # Seasonal (elastic) motion: amplitude grows towards the valley axis (x ~ 4 km).
    amp = 2.0 + 11.0 * np.exp(-(((u - 4.0) / 3.0) ** 2)) + rng.uniform(0, 2.0, len(x))
    phase = 2 * np.pi * (0.55 + 0.05 * np.sin(v / 3.0))  # lowest ground in early autumn
    season = amp[:, None] * (np.sin(2 * np.pi * t[None, :] - phase[:, None]) + np.sin(phase[:, None]))
    # Slow trend in one bowl (the only lasting subsidence), mm/year positive = down.
    rate = 6.6 * np.exp(-((u - 5.5) ** 2 + (v - 7.5) ** 2) / (2 * 1.2**2))
    trend = rate[:, None] * t[None, :]
    noise = rng.normal(0, 2.5, (len(x), len(t)))
    noise[:, 0] = 0.0
    down_mm = season + trend + noise
    down_mm -= down_mm[:, :1]
    values = -down_mm  # negative_down
    _nan_gaps(rng, values, scattered=0.02, runs=0.12)
    design = np.column_stack([np.ones_like(t), t])
    ok = np.isfinite(values)
    velocity = np.array(
        [np.linalg.lstsq(design[ok[i]], values[i, ok[i]], rcond=None)[0][1] for i in range(len(x))]
    )
    frame = pd.DataFrame(
        {
            "ps_id": [f"PS{i:04d}" for i in range(len(x))],
            "x": x,
            "y": y,
            "velocity": velocity.round(2),
            "coherence": rng.uniform(0.45, 0.98, len(x)).round(2),
        }
    )
    cols = pd.DataFrame(values.round(1), columns=dates.strftime("%Y-%m-%d"))
    return pd.concat([frame, cols], axis=1)


def psbas_wells(rng: np.random.Generator) -> pd.DataFrame:
    """Six piezometers read on the first of each month; heads near 51 m, seasonal, one gap."""
    months = pd.date_range(WELLS_FIRST, WELLS_LAST, freq="MS")
    t = _years(months, WELLS_FIRST)
    sites = np.array([[1800, 2500], [6200, 4200], [4100, 7800], [2200, 11000], [5600, 13800], [3500, 16900]])
    rows = []
    for i, (dx, dy) in enumerate(sites):
        level = 51.0 + rng.normal(0, 0.4)
        head = (
            level - 0.05 * t + 0.6 * np.sin(2 * np.pi * t + rng.uniform(0, 0.6)) + rng.normal(0, 0.15, len(t))
        )
        keep = np.ones(len(t), bool)
        if i == 2:  # a logger failure: eight months without readings
            keep[60:68] = False
        for d, h in zip(months[keep], head[keep], strict=True):
            rows.append(
                {
                    "well_id": f"PZ{i + 1}",
                    "x": PSBAS_X0 + dx,
                    "y": PSBAS_Y0 + dy,
                    "date": d.strftime("%Y-%m-%d"),
                    "head_m": round(float(h), 3),
                }
            )
    return pd.DataFrame(rows)


def write_psbas(folder: Path, seed: int = 2014) -> None:
    rng = np.random.default_rng(seed)
    _fresh(folder)
    (folder / "study_area.toml").write_text(
        _manifest("P-SBAS-shaped survey (generated)", "EPSG:32633", "mm", "negative_down")
    )
    psbas_frame(rng).to_csv(folder / "ps.csv", index=False, lineterminator="\n")
    psbas_wells(rng).to_csv(folder / "wells.csv", index=False, lineterminator="\n")


# --- levelling-shaped network -----------------------------------------------------------------

LEV_X0, LEV_Y0 = 612000.0, 5012000.0  # EPSG:25832 (ETRS89 / UTM 32N)
LEV_POINTS = 20


def levelling_dates() -> pd.DatetimeIndex:
    """Nine annual surveys in late summer, never on the same day."""
    days = [12, 3, 21, 9, 15, 28, 6, 18, 11]
    return pd.DatetimeIndex([pd.Timestamp(2011 + k, 9, d) for k, d in enumerate(days)])


def _head_history(t: np.ndarray, level: float, drop: float) -> np.ndarray:
    """Heads fall until 2015 (t = 5 years after 2010) and then recover by about 60 %."""
    fall = -drop * np.minimum(t, 5.0) / 5.0
    rise = 0.6 * drop * np.clip(t - 5.0, 0.0, 5.0) / 5.0
    return level + fall + rise


def levelling_wells(rng: np.random.Generator) -> pd.DataFrame:
    months = pd.date_range("2010-01-01", "2020-12-01", freq="MS")
    t = _years(months, pd.Timestamp("2010-01-01"))
    sites = np.array([[800, 900], [4300, 1200], [2600, 3400], [700, 4200]])
    rows = []
    for i, (dx, dy) in enumerate(sites):
        head = _head_history(t, 12.0 - 1.5 * i, 6.0 + 2.0 * i) + 0.4 * np.sin(2 * np.pi * t)
        head = head + rng.normal(0, 0.1, len(t))
        keep = np.ones(len(t), bool)
        if i == 3:  # this well was drilled in 2011
            keep[:18] = False
        for d, h in zip(months[keep], head[keep], strict=True):
            rows.append(
                {
                    "well_id": f"W{i + 1}",
                    "x": LEV_X0 + dx,
                    "y": LEV_Y0 + dy,
                    "date": d.strftime("%Y-%m-%d"),
                    "head_m": round(float(h), 2),
                }
            )
    return pd.DataFrame(rows)


def levelling_frame(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    dates = levelling_dates()
    x = LEV_X0 + rng.uniform(0, 5000, LEV_POINTS).round(0)
    y = LEV_Y0 + rng.uniform(0, 5000, LEV_POINTS).round(0)
    thick = 20.0 + 30.0 * (x - LEV_X0) / 5000.0 + rng.normal(0, 2.0, LEV_POINTS)
    t = _years(dates, pd.Timestamp("2010-01-01"))
    # Compaction follows the fall of the heads and slows (with a little rebound) as they recover.
    drawdown = _head_history(t, 0.0, 1.0)
    m_per_unit = 0.03 * thick / 35.0
    down_m = -m_per_unit[:, None] * (drawdown[None, :] - drawdown[0])
    down_m += rng.normal(0, 0.0015, down_m.shape)
    down_m -= down_m[:, :1]
    values = down_m.copy()
    values[rng.choice(LEV_POINTS, 3, replace=False), 4] = np.nan  # a survey missed three benchmarks
    values[[2, 7], 6:8] = np.nan  # two benchmarks destroyed and rebuilt
    values[11, 8] = np.nan  # one benchmark not found in the last survey
    frame = pd.DataFrame({"ps_id": [f"BM{i + 1:02d}" for i in range(LEV_POINTS)], "x": x, "y": y})
    cols = pd.DataFrame(values.round(4), columns=dates.strftime("%Y-%m-%d"))
    return pd.concat([frame, cols], axis=1), x, y


def thickness_points(rng: np.random.Generator) -> dict:
    """Borehole-derived thickness of compressible layers, as points with ``value`` (m)."""
    xy = rng.uniform(0, 5000, (15, 2))
    value = 20.0 + 30.0 * xy[:, 0] / 5000.0 + rng.normal(0, 2.0, len(xy))
    return {
        "type": "FeatureCollection",
        "name": "thickness",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"value": round(float(val), 1)},
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(LEV_X0 + float(p[0]), 1), round(LEV_Y0 + float(p[1]), 1)],
                },
            }
            for p, val in zip(xy, value, strict=True)
        ],
    }


def write_levelling(folder: Path, seed: int = 2011) -> None:
    rng = np.random.default_rng(seed)
    _fresh(folder)
    (folder / "study_area.toml").write_text(
        _manifest("Levelling-shaped network (generated)", "EPSG:25832", "m", "positive_down")
    )
    frame, _, _ = levelling_frame(rng)
    frame.to_csv(folder / "ps.csv", index=False, lineterminator="\n")
    levelling_wells(rng).to_csv(folder / "wells.csv", index=False, lineterminator="\n")
    (folder / "thickness.geojson").write_text(json.dumps(thickness_points(rng), indent=1) + "\n")


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def main(root: Path = REAL) -> None:
    """Write both bundles under ``root``."""
    write_psbas(root / "psbas_like")
    write_levelling(root / "levelling_like")


if __name__ == "__main__":
    main()
