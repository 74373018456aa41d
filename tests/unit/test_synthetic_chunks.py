"""The chunked generator: the same bytes for any chunk size, and the same physics as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from subsidence.demo import synthetic_chunks
from subsidence.demo.synthetic import SyntheticConfig
from subsidence.demo.synthetic_bundle import load_truth, write_bundle
from subsidence.demo.synthetic_chunks import generate, write_chunked
from subsidence.demo.synthetic_physics import ELASTIC_RATIO, compaction_mm, degree_of_consolidation


def test_chunked_bundle_is_byte_identical_to_the_whole(tmp_path: Path) -> None:
    config = SyntheticConfig(n_points=700, seed=11)
    whole = write_bundle(generate(config), tmp_path / "whole", name="synthetic")
    chunked = write_chunked(tmp_path / "chunked", config, name="synthetic", chunk_points=128)
    for name in ("ps.csv", "wells.csv", "thickness.geojson", "permeability.geojson", "study_area.toml"):
        assert (whole / name).read_bytes() == (chunked / name).read_bytes(), name
    a, b = load_truth(whole), load_truth(chunked)
    for field in ("ps_id", "subsidence_mm", "head_m", "tau_days", "anomaly", "thickness_m"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert len((chunked / "ps.csv").read_text().splitlines()) == 701
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunked", "whole"]  # no work folder left


def test_chunk_size_does_not_change_the_area_on_the_lattice_either(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synthetic_chunks, "LATTICE_M", 2500.0)  # a coarse lattice: the same code, faster
    config = SyntheticConfig(n_points=400, seed=3, lattice_above=0)  # physics from the 250 m lattice
    one, many = generate(config), generate(config, chunk_points=37)
    np.testing.assert_array_equal(one.subsidence_mm, many.subsidence_mm)
    np.testing.assert_array_equal(one.truth_mm, many.truth_mm)
    assert list(one.ps["ps_id"]) == list(many.ps["ps_id"])


def test_lattice_physics_stays_close_to_the_per_point_physics(monkeypatch: pytest.MonkeyPatch) -> None:
    # at the 250 m lattice of large areas: at most 0.32 mm (docs/benchmarks.md); here 500 m, 4x cheaper
    monkeypatch.setattr(synthetic_chunks, "LATTICE_M", 500.0)
    exact = generate(SyntheticConfig(n_points=500, seed=3))
    lattice = generate(SyntheticConfig(n_points=500, seed=3, lattice_above=0))
    np.testing.assert_array_equal(exact.ps["x"], lattice.ps["x"])
    difference = np.abs(exact.truth_mm - lattice.truth_mm)
    assert difference.max() < 5.0 and np.median(difference) < 0.2 and exact.truth_mm.max() > 100
    np.testing.assert_array_equal(exact.tau_days, lattice.tau_days)  # per-point factors stay exact


def _compaction_one_time_at_a_time(heads, times, eval_days, b, sskv, tau):  # type: ignore[no-untyped-def]
    """The former loop: U evaluated anew for every evaluation time."""
    dh = np.diff(heads, axis=1)
    previous_min = np.minimum.accumulate(heads, axis=1)[:, :-1]
    inelastic = previous_min - np.minimum(previous_min, heads[:, 1:])
    elastic = -dh - inelastic
    t_step = times[1:]
    out = np.empty((heads.shape[0], len(eval_days)))
    for j, te in enumerate(eval_days):
        since = np.where(t_step <= te, te - t_step, -1.0)[None, :]
        u = np.where(since >= 0, degree_of_consolidation(since / tau[:, None]), 0.0)
        out[:, j] = b * (
            sskv * (inelastic * u).sum(axis=1) + sskv / ELASTIC_RATIO * (elastic * (since >= 0)).sum(1)
        )
    return out * 1000.0


@pytest.mark.parametrize("n", [3, 1500])  # one block of rows, and two
def test_compaction_with_shared_times_is_exactly_the_former_loop(n: int) -> None:
    rng = np.random.default_rng(0)
    times = np.arange(0.0, 15 * 60, 15.0)
    heads = np.cumsum(rng.normal(-0.1, 0.5, (n, len(times))), axis=1)
    eval_days = np.array([400.0, 424.0, 496.0, 880.0])
    b, sskv, tau = rng.uniform(5, 100, n), np.full(n, 1e-3), rng.uniform(50, 5000, n)
    np.testing.assert_array_equal(
        compaction_mm(heads, times, eval_days, b, sskv, tau),
        _compaction_one_time_at_a_time(heads, times, eval_days, b, sskv, tau),
    )
