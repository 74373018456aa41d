"""The real-shaped bundles load with the features they were made to have, and regenerate exactly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from subsidence.io.reader import load_study_area

REAL = Path(__file__).parents[1] / "data" / "real"


def _generator():
    spec = importlib.util.spec_from_file_location("make_real_shaped", REAL.parent / "make_real_shaped.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_psbas_like_has_the_survey_shape() -> None:
    area = load_study_area(REAL / "psbas_like")
    assert area.n_points == 900
    assert area.n_epochs == 146
    assert area.dates[0] == pd.Timestamp("2014-10-27")
    assert area.dates[-1] == pd.Timestamp("2020-01-05")
    steps = np.diff(area.dates.values).astype("timedelta64[D]").astype(int)
    assert np.median(steps) == 12 and set(steps) <= {12, 24, 36}
    xmin, ymin, xmax, ymax = area.extent_m
    assert 7000 < xmax - xmin < 9000 and 16000 < ymax - ymin < 19000
    assert area.wells.n_wells == 6
    last_reading = area.wells.readings["date"].max()
    assert last_reading == pd.Timestamp("2019-08-01")
    assert (area.dates[-1] - last_reading).days > 150  # the wells stop five months early
    assert area.thickness is None and area.permeability is None
    values = area.subsidence_mm
    assert 0.01 < np.isnan(values).mean() < 0.05
    assert 38 < np.nanmax(np.abs(values)) < 46
    assert {"velocity", "coherence"} <= set(area.points.columns)


def test_levelling_like_has_the_network_shape() -> None:
    area = load_study_area(REAL / "levelling_like")
    assert area.n_points == 20
    assert area.n_epochs == 9
    years = np.diff(area.dates.values).astype("timedelta64[D]").astype(int)
    assert (years > 340).all() and (years < 390).all()
    assert np.isnan(area.subsidence_mm).any()
    assert area.thickness is not None and area.thickness.kind == "points"
    readings = area.wells.readings
    assert readings.groupby("well_id")["date"].diff().dt.days.median() < 32  # monthly
    mean_head = readings.groupby(readings["date"].dt.year)["head_m"].mean()
    assert mean_head.idxmin() in (2014, 2015, 2016)
    assert mean_head.loc[2020] > mean_head.min() + 1.0  # heads recover


@pytest.mark.parametrize("name", ["psbas_like", "levelling_like"])
def test_regenerating_gives_identical_files(name: str, tmp_path: Path) -> None:
    _generator().main(tmp_path)
    committed = sorted(p.name for p in (REAL / name).iterdir())
    assert committed == sorted(p.name for p in (tmp_path / name).iterdir())
    for file in committed:
        assert (tmp_path / name / file).read_bytes() == (REAL / name / file).read_bytes(), file
    assert sum((REAL / name / f).stat().st_size for f in committed) < 800_000
