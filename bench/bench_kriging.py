"""Batched kriging of every epoch against PyKrige's ``OrdinaryKriging`` called once per epoch.

Run by hand (not by pytest), from the repository root::

    python bench/bench_kriging.py [--bundle data/demo_beijing] [--repeats 3] [--big 1000000]

Prints the largest absolute difference of the heads (m) and of the kriging variances (m²)
over every PS point and epoch (must be <= 1e-6 m), the times and the speed-up (must be
>= 20x), then the time of our batched kriging at ``--big`` random target points (PyKrige is
timed there on a few epochs and extrapolated to all of them, which the line says).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pykrige.ok import OrdinaryKriging  # noqa: E402

from subsidence.geostat.kriging import interpolate_wells_in_time  # noqa: E402
from subsidence.geostat.kriging_solver import krige_epochs  # noqa: E402
from subsidence.geostat.variogram import experimental_variogram, fit_variogram  # noqa: E402
from subsidence.io.reader import load_study_area  # noqa: E402


def pykrige_epochs(wxy, levels, targets, variogram, epochs, chunk=200_000):  # type: ignore[no-untyped-def]
    """PyKrige, one ``OrdinaryKriging`` per epoch with the same fixed variogram."""
    est = np.empty((len(targets), len(epochs)))
    var = np.empty_like(est)
    for k, e in enumerate(epochs):
        ok = np.isfinite(levels[:, e])
        model = OrdinaryKriging(
            wxy[ok, 0],
            wxy[ok, 1],
            levels[ok, e],
            variogram_model=variogram.model,
            variogram_parameters=variogram.pykrige_parameters(),
        )
        for start in range(0, len(targets), chunk):
            part = slice(start, start + chunk)
            z, s = model.execute("points", targets[part, 0], targets[part, 1])
            est[part, k], var[part, k] = np.asarray(z), np.asarray(s)
    return est, var


def best_of(repeats: int, fn):  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default="data/demo_beijing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--model", default="spherical")
    args = parser.parse_args()

    area = load_study_area(args.bundle)
    wxy = np.column_stack([area.wells.x, area.wells.y])
    levels = interpolate_wells_in_time(area.wells, area.dates)
    variogram = fit_variogram(experimental_variogram(wxy, levels), args.model)
    groups = len(np.unique(np.isfinite(levels).T, axis=0))
    points = area.xy_m
    print(
        f"{area.name}: {area.n_points:,} PS points, {area.n_epochs} epochs, {area.wells.n_wells} wells "
        f"({groups} distinct sets of wells present); variogram {variogram.describe()}"
    )
    epochs = np.arange(area.n_epochs)
    t_ours, (est, var) = best_of(args.repeats, lambda: krige_epochs(wxy, levels, points, variogram))
    t_ref, (ref_est, ref_var) = best_of(
        args.repeats, lambda: pykrige_epochs(wxy, levels, points, variogram, epochs)
    )
    diff = float(np.abs(est - ref_est).max())
    diff_var = float(np.abs(var - ref_var).max())
    ratio = t_ref / t_ours
    print(f"max |head - PyKrige head|      = {diff:.2e} m   ({'OK' if diff <= 1e-6 else 'FAIL'}: <= 1e-6 m)")
    print(f"max |variance - PyKrige sigma²| = {diff_var:.2e} m²")
    print(
        f"time: ours {t_ours * 1000:.0f} ms, PyKrige per epoch {t_ref * 1000:.0f} ms (best of {args.repeats}); "
        f"speed-up {ratio:.1f}x ({'OK' if ratio >= 20 else 'FAIL'}: >= 20x)"
    )

    if args.big:
        rng = np.random.default_rng(0)
        xmin, ymin, xmax, ymax = area.extent_m
        big = np.column_stack([rng.uniform(xmin, xmax, args.big), rng.uniform(ymin, ymax, args.big)])
        t_big, _ = best_of(1, lambda: krige_epochs(wxy, levels, big, variogram, dtype=np.float32))
        few = epochs[:2]
        t_few, _ = best_of(1, lambda: pykrige_epochs(wxy, levels, big, variogram, few))
        t_all = t_few / len(few) * area.n_epochs
        print(
            f"{args.big:,} targets x {area.n_epochs} epochs with variances: ours {t_big:.1f} s; PyKrige "
            f"{t_few / len(few):.1f} s per epoch, about {t_all:.0f} s for all (extrapolated from {len(few)}): "
            f"{t_all / t_big:.0f}x"
        )
    return 0 if diff <= 1e-6 and ratio >= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
