"""The synthetic study area generated and written a chunk of points at a time.

:func:`plan` draws everything that does not grow with points x epochs (dates, layers, point
positions, heights, the atmospheric fields, the anomalies, the gaps, the wells);
:func:`chunks` then makes the per-point histories ``chunk_points`` rows at a time, drawing the
white noise from one generator in row order. Every per-point computation is row by row, so
the output is the same, to the byte, for any chunk size (``tests/unit/test_synthetic_chunks.py``);
:func:`write_chunked` writes a bundle this way with memory bounded by the chunk, not by the
number of points (ps.csv appended chunk by chunk; the truth's two big arrays kept on disk,
then zipped). Measurements: docs/benchmarks.md ("Synthetic generator in chunks").
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import RegularGridInterpolator

from subsidence.demo.synthetic import (
    SyntheticArea,
    SyntheticConfig,
    _acquisitions,
    _layers,
    _nominal_compaction,
    _points,
    _rngs,
    _sample,
    _smooth_field,
    _wells,
)
from subsidence.demo.synthetic_bundle import DEMO_NAME, RECOVERY_NAME, write_bundle
from subsidence.demo.synthetic_physics import (
    ELASTIC_RATIO,
    HEIGHT_M,
    SSKV_PER_M,
    WIDTH_M,
    _frame,
    _gauss,
    _interbed_m,
    _kv_m_per_day,
    head_m,
    time_constant_days,
)
from subsidence.errors import SubsidenceError

CHUNK_POINTS = 5000  # rows generated at once: about 60 MB of temporaries
# Areas of more than SyntheticConfig.lattice_above points take the nominal compaction from a
# lattice of this spacing (bilinear; at most 0.32 mm from the per-point value on the demo's
# plain, 99 % within 0.1 mm: below the 1.5 mm white noise), which costs the same at any size.
LATTICE_M = 250.0


@dataclass(frozen=True)
class Plan:
    """What a synthetic area needs before its per-point histories (see :func:`plan`)."""

    config: SyntheticConfig
    dates: pd.DatetimeIndex
    grid: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # gx, gy, thickness, permeability
    x: np.ndarray
    y: np.ndarray
    height_m: np.ndarray
    coherence: np.ndarray
    scale: float  # S_skv = SSKV_PER_M * scale
    anomalies: tuple[tuple[float, float, float, float, float], ...]  # x, y, radius m, mm/yr, start day
    atmosphere: tuple[np.ndarray, np.ndarray, np.ndarray]  # gx, gy, fields (E, ny, nx) in mm
    gaps: dict[int, np.ndarray]  # point row -> epochs with no value
    noise: np.random.Generator  # white noise, drawn in row order by :func:`chunks`
    wells: pd.DataFrame
    lattice: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # lx, ly, compaction (ny, nx, E) mm


def plan(config: SyntheticConfig) -> Plan:
    """Draw everything but the per-point histories, in the order :func:`generate` always has."""
    rng = _rngs(config.seed)
    dates = _acquisitions(rng["dates"], config.n_epochs)
    gx, gy, thick, perm = _layers(rng["fields"])
    x, y = _points(rng["points"], config.n_points)
    x0, y0 = _frame()
    # S_skv scaled so that the largest compaction on a fixed 1 km grid reaches the target (the
    # demo's scale in both variants: the recovery variant shares its physics)
    rx, ry = np.meshgrid(*(np.arange(0.0, size + 1, 1000.0) for size in (WIDTH_M, HEIGHT_M)))
    reference = _nominal_compaction(gx, gy, thick, perm, rx.ravel() + x0, ry.ravel() + y0, dates)
    t_end = float((dates[-1] - dates[0]).days)
    ra, anomalies = rng["anomalies"], []
    for _ in range(5):  # dewatering bowls switched on at a date, unexplained by the factors
        ax, ay = x0 + ra.uniform(0.1, 0.9) * WIDTH_M, y0 + ra.uniform(0.1, 0.9) * HEIGHT_M
        radius, rate = ra.uniform(500, 900), ra.uniform(30, 70)  # m, mm/yr at the centre
        anomalies.append((ax, ay, radius, rate, ra.uniform(0.1, 0.6) * t_end))
    agx = np.linspace(x0 - 2000, x0 + WIDTH_M + 2000, 65)
    agy = np.linspace(y0 - 2000, y0 + HEIGHT_M + 2000, 55)
    fields = np.stack(
        [_smooth_field(rng["noise"], (len(agy), len(agx)), 4.0) * config.atmosphere_mm for _ in dates]
    )
    rg, gaps = rng["gaps"], {}
    for i in rg.choice(len(x), size=max(1, len(x) // 800), replace=False):
        gaps[int(i)] = rg.choice(np.arange(1, config.n_epochs), size=rg.integers(1, 4), replace=False)
    rp = rng["points"]
    lattice = None
    if config.n_points > config.lattice_above:  # the physics on a lattice, interpolated to the points
        lx = np.arange(x0 - LATTICE_M, x0 + WIDTH_M + 2 * LATTICE_M, LATTICE_M)
        ly = np.arange(y0 - LATTICE_M, y0 + HEIGHT_M + 2 * LATTICE_M, LATTICE_M)
        nodes_x, nodes_y = np.meshgrid(lx, ly)
        nominal = _nominal_compaction(
            gx, gy, thick, perm, nodes_x.ravel(), nodes_y.ravel(), dates, config.recovery
        )
        lattice = (lx, ly, nominal[2].reshape(len(ly), len(lx), len(dates)))
    return Plan(
        config=config,
        dates=dates,
        grid=(gx, gy, thick, perm),
        x=x,
        y=y,
        height_m=np.round(30 + 25 * (1 - (y - y0) / HEIGHT_M) + rp.normal(0, 3, len(x)), 1),
        coherence=np.round(rp.uniform(0.6, 0.98, len(x)), 2),
        scale=float(config.target_max_mm / reference[2][:, -1].max()),
        anomalies=tuple(anomalies),
        atmosphere=(agx, agy, fields),
        gaps=gaps,
        noise=rng["noise"],
        wells=_wells(rng["wells"], config.n_wells, dates, config.recovery),
        lattice=lattice,
    )


def _chunk(p: Plan, start: int, stop: int) -> SyntheticArea:
    cfg, (gx, gy, thick, perm) = p.config, p.grid
    x, y = p.x[start:stop], p.y[start:stop]
    if p.lattice is None:
        b, k, raw = _nominal_compaction(gx, gy, thick, perm, x, y, p.dates, cfg.recovery)
    else:
        b, k = np.clip(_sample(gx, gy, thick, x, y), 0, 150), np.clip(_sample(gx, gy, perm, x, y), 0.1, 50)
        lx, ly, cube = p.lattice
        raw = RegularGridInterpolator((ly, lx), cube)(np.column_stack([y, x]))
    sskv = SSKV_PER_M * p.scale * np.ones_like(b)
    t_eval = (p.dates - p.dates[0]).days.to_numpy(float)
    anomaly_mm, anomaly = np.zeros_like(raw), np.zeros(len(x), bool)
    for ax, ay, radius, rate, begin in p.anomalies:
        g = _gauss(x, y, ax, ay, radius)
        anomaly |= g > 0.1
        anomaly_mm += g[:, None] * rate * np.maximum(t_eval - begin, 0)[None, :] / 365.25
    truth = raw * p.scale + anomaly_mm
    agx, agy, fields = p.atmosphere
    noise = np.empty_like(truth)
    for e, field in enumerate(fields):
        noise[:, e] = _sample(agx, agy, field, x, y)
    noise = noise - noise[:, :1]
    white = p.noise.normal(0, cfg.white_noise_mm, truth.shape)
    observed = truth + noise + white - white[:, :1]
    for i, epochs in p.gaps.items():
        if start <= i < stop:
            observed[i - start, epochs] = np.nan
    ps = pd.DataFrame(
        {
            "ps_id": [f"PS{i:06d}" for i in range(start + 1, stop + 1)],
            "x": x,
            "y": y,
            "height_m": p.height_m[start:stop],
            "coherence": p.coherence[start:stop],
        }
    )
    return SyntheticArea(
        config=cfg,
        ps=ps,
        dates=p.dates,
        subsidence_mm=observed,
        truth_mm=truth,
        head_m=head_m(x, y, p.dates, recovery=cfg.recovery),
        wells=p.wells,
        grid_x=gx,
        grid_y=gy,
        thickness_grid_m=thick,
        permeability_grid_m_per_day=perm,
        thickness_m=b,
        permeability_m_per_day=k,
        sskv_per_m=sskv,
        sske_per_m=sskv / ELASTIC_RATIO,
        tau_days=time_constant_days(b, k, sskv),
        kv_m_per_day=_kv_m_per_day(k, sskv),
        interbed_m=_interbed_m(b),
        anomaly=anomaly,
    )


def chunks(p: Plan, chunk_points: int = CHUNK_POINTS) -> Iterator[SyntheticArea]:
    """The area ``chunk_points`` rows at a time, in row order (each chunk an area of its rows).

    Consume them in order, once: the white noise is drawn from ``p.noise`` as they come.
    """
    step = max(1, int(chunk_points))
    for start in range(0, len(p.x), step):
        yield _chunk(p, start, min(start + step, len(p.x)))


TRUTH_VECTORS = (
    "thickness_m",
    "permeability_m_per_day",
    "sskv_per_m",
    "sske_per_m",
    "tau_days",
    "kv_m_per_day",
    "interbed_m",
)


def combine(parts: list[SyntheticArea]) -> SyntheticArea:
    """One area from consecutive chunks (rows concatenated)."""
    rows: dict[str, Any] = {
        name: np.concatenate([getattr(c, name) for c in parts])
        for name in ("subsidence_mm", "truth_mm", "head_m", *TRUTH_VECTORS, "anomaly")
    }
    ps = pd.concat([c.ps for c in parts], ignore_index=True)
    return replace(parts[0], ps=ps, **rows)


def _ps_rows(area: SyntheticArea) -> pd.DataFrame:
    """ps.csv rows as :func:`subsidence.demo.synthetic_bundle.write_bundle` writes them (mm, negative down)."""
    values = pd.DataFrame(np.round(area.subsidence_mm * -1.0, 1), columns=area.dates.strftime("%Y-%m-%d"))
    return pd.concat([area.ps, values], axis=1)


def _append_rows(path: Path, area: SyntheticArea) -> None:
    """Append ``area``'s ps.csv rows, formatted as pandas' ``to_csv(float_format="%.10g")`` does
    for these values (0.1 mm, 0.1 m, 0.01), ten times faster (Arrow's writer)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(_ps_rows(area), preserve_index=False)  # NaN -> empty field
    with path.open("ab") as out:
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def write_chunked(
    folder: str | Path, config: SyntheticConfig, name: str, chunk_points: int = CHUNK_POINTS
) -> Path:
    """Write the demo bundle of ``config`` (CSV, EPSG:32650, mm) chunk by chunk, atomically.

    The same files as :func:`subsidence.demo.synthetic_bundle.write_bundle` with its defaults;
    ``ps.csv`` and the truth's arrays are the same bytes for any ``chunk_points``.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        p = plan(config)
        n, n_epochs = len(p.x), len(p.dates)
        big = {
            key: np.lib.format.open_memmap(work / f"{key}.npy", "w+", np.float32, (n, n_epochs))
            for key in ("subsidence_mm", "head_m")
        }
        vectors: dict[str, list[np.ndarray]] = {key: [] for key in (*TRUTH_VECTORS, "anomaly")}
        bundle: Path | None = None
        start = 0
        for part in chunks(p, chunk_points):
            if bundle is None:  # every file but the truth, with the first rows of ps.csv
                bundle = write_bundle(part, work / "bundle", name=name, truth=False)
            else:
                _append_rows(bundle / "ps.csv", part)
            stop = start + len(part.ps)
            big["subsidence_mm"][start:stop] = part.truth_mm
            big["head_m"][start:stop] = part.head_m
            for key, kept in vectors.items():
                kept.append(getattr(part, key).astype(bool if key == "anomaly" else np.float32))
            start = stop
        assert bundle is not None  # config.n_points >= 1
        (bundle / "truth").mkdir()
        arrays: dict[str, np.ndarray] = {
            "ps_id": np.array([f"PS{i:06d}" for i in range(1, n + 1)]),
            "dates": p.dates.strftime("%Y-%m-%d").to_numpy().astype(str),
            **big,
            **{key: np.concatenate(kept) for key, kept in vectors.items()},
        }
        order = ("ps_id", "dates", "subsidence_mm", "head_m", *TRUTH_VECTORS, "anomaly")
        with zipfile.ZipFile(
            bundle / "truth" / "truth.npz", "w", zipfile.ZIP_DEFLATED, allowZip64=True
        ) as zf:
            for key in order:  # as numpy.savez_compressed writes them, streamed from disk
                with zf.open(f"{key}.npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, arrays[key], allow_pickle=False)
        (bundle / "truth" / "README.txt").write_text(
            "Noise-free truth of the synthetic demo, for tests that models recover physics.\n"
            "Not data: the dashboard never reads or shows it.\n"
        )
        (bundle / "truth" / "config.json").write_text(json.dumps(asdict(config), indent=1))
        if folder.exists():
            shutil.rmtree(folder)
        bundle.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


DEFAULT_CONFIG = SyntheticConfig()


def generate(config: SyntheticConfig = DEFAULT_CONFIG, chunk_points: int | None = None) -> SyntheticArea:
    """Generate the synthetic study area (deterministic for ``config.seed``).

    The points are made ``chunk_points`` at a time (default all at once); the result is the
    same for any chunk size (:func:`write_chunked` also writes a bundle chunk by chunk for
    areas too large to hold).
    """
    return combine(list(chunks(plan(config), chunk_points or config.n_points)))


VARIANTS = ("demo", "recovery")


def write_demo(folder: str | Path, n_points: int = 16487, seed: int = 42, variant: str = "demo") -> Path:
    """Generate and write the demo bundle (``n_points`` PS points) to ``folder``.

    ``variant`` is ``"demo"`` (heads fall throughout) or ``"recovery"`` (heads turn and rise
    from :data:`subsidence.demo.synthetic_physics.TURN`: the held-out test of forecasts).
    """
    if variant not in VARIANTS:
        raise SubsidenceError(f"unknown demo variant {variant!r}: expected one of {', '.join(VARIANTS)}")
    recovery = variant == "recovery"
    config = SyntheticConfig(n_points=n_points, seed=seed, recovery=recovery)
    return write_chunked(folder, config, name=RECOVERY_NAME if recovery else DEMO_NAME)
