"""Results of a model over a study area: maps, tables, plain words, and the planner's exports."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from subsidence.io.exports import geopackage_bytes, results_geodataframe
from subsidence.models.baselines import Persistence
from subsidence.pipeline import prepare, split
from subsidence.validation.results import export_table, map_values, model_results, picked_table, plain_summary


@pytest.fixture(scope="module")
def setup(small_area):  # type: ignore[no-untyped-def]
    data = prepare(small_area)
    chosen = split(data, "random", 0)
    model = Persistence().fit(data, chosen.train_idx)
    return small_area, data, chosen, model_results(model, data, chosen.test_idx)


def test_results_score_the_test_points_in_both_modes(setup) -> None:  # type: ignore[no-untyped-def]
    _, data, chosen, res = setup
    assert set(res.modes) == {"one-step", "free-running"}
    assert res.test_mask.sum() == len(chosen.test_idx)
    assert res.metrics["one-step"]["n_test_points"] == len(chosen.test_idx)
    # persistence one step ahead: each change is the previous observed one
    np.testing.assert_allclose(res.changes["one-step"][:, 2:], data.change_mm[:, 1:-1])


def test_map_values_follow_the_epoch(setup) -> None:  # type: ignore[no-untyped-def]
    _, data, _, res = setup
    dev5, ramp, label = map_values(res, "deviation", 5)
    dev9, _, _ = map_values(res, "deviation", 9)
    assert ramp == "diverging" and str(data.dates[5].date()) in label
    assert not np.allclose(dev5, dev9)
    np.testing.assert_allclose(map_values(res, "insar", 9)[0], data.subsidence_mm[:, 9])


def test_picked_table_keeps_pick_order_and_words_name_numbers(setup) -> None:  # type: ignore[no-untyped-def]
    _, data, _, res = setup
    ids = [str(data.ps_ids[7]), str(data.ps_ids[3])]
    assert list(picked_table(res, ids)["ps_id"]) == ids
    words = " ".join(plain_summary(res, noise_mm=4.8))
    assert "mm" in words and "measurement noise" in words


def test_geopackage_export_has_one_row_per_point_with_the_listed_columns(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    area, _, _, res = setup
    data = geopackage_bytes(results_geodataframe(area, export_table(res)))
    (tmp_path / "r.gpkg").write_bytes(data)
    back = gpd.read_file(tmp_path / "r.gpkg")
    assert len(back) == area.n_points and back.geometry.geom_type.eq("Point").all()
    for column in (
        "ps_id",
        "insar_cumulative_mm",
        "modelled_cumulative_mm",
        "cumulative_deviation_mm",
        "rmse_change_mm",
    ):
        assert column in back.columns
    assert io.BytesIO(data).getbuffer().nbytes > 10_000
