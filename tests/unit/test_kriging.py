"""Batched ordinary kriging: PyKrige agreement, exactness, grouping, errors, the small demo."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pykrige.ok import OrdinaryKriging

from subsidence.errors import SubsidenceError
from subsidence.geostat.grids import grid_axes, sample_raster
from subsidence.geostat.kriging import (
    KrigingConfig,
    interpolate_wells_in_time,
    krige_study_area,
    summary,
)
from subsidence.geostat.kriging_io import write_kriging
from subsidence.geostat.kriging_solver import krige_epochs, loo_residuals
from subsidence.geostat.variogram import Variogram, experimental_variogram, fit_variogram
from subsidence.io.studyarea import Raster, Wells

SMALL_DEMO = Path(__file__).parents[2] / "data" / "demo_small"


def _sites(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40_000, (n, 2))
    values = 50 + 3 * rng.normal(size=(n, 8))
    return xy, values


def _wells(table: dict[str, list[tuple[str, float]]], xy: dict[str, tuple[float, float]]) -> Wells:
    rows = [(w, pd.Timestamp(d), h) for w, obs in table.items() for d, h in obs]
    readings = pd.DataFrame(rows, columns=["well_id", "date", "head_m"]).sort_values(["well_id", "date"])
    ids = np.array(sorted(table))
    x = np.array([xy[w][0] for w in ids])
    y = np.array([xy[w][1] for w in ids])
    return Wells(ids, x, y, x * 0, y * 0, readings.reset_index(drop=True))


@pytest.mark.parametrize("model", ["spherical", "exponential", "gaussian", "linear"])
def test_batched_equals_pykrige_epoch_by_epoch(model: str) -> None:
    xy, z = _sites()
    z[:4, :3] = np.nan  # wells that start late
    z[20:23, 5:] = np.nan  # wells that stop early
    rng = np.random.default_rng(9)
    targets = np.vstack([rng.uniform(0, 40_000, (300, 2)), xy[5:7]])
    v = Variogram(model, 9.0, 15_000.0, 0.5 if model == "gaussian" else 0.1)
    est, var = krige_epochs(xy, z, targets, v)
    assert var is not None
    for e in range(z.shape[1]):
        ok = np.isfinite(z[:, e])
        ref = OrdinaryKriging(
            xy[ok, 0], xy[ok, 1], z[ok, e], variogram_model=model, variogram_parameters=v.pykrige_parameters()
        )
        ref_z, ref_var = ref.execute("points", targets[:, 0], targets[:, 1])
        np.testing.assert_allclose(est[:, e], ref_z, rtol=0, atol=1e-6)
        np.testing.assert_allclose(var[:, e], ref_var, rtol=0, atol=1e-6)


def test_exact_at_the_wells_with_zero_nugget() -> None:
    xy, z = _sites()
    est, var = krige_epochs(xy, z, xy, Variogram("spherical", 9.0, 15_000.0, 0.0))
    np.testing.assert_allclose(est, z, atol=1e-9)
    assert var is not None and np.abs(var).max() < 1e-9


def test_a_linear_field_is_recovered() -> None:
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 20_000, (40, 2))

    def field(p: np.ndarray) -> np.ndarray:
        return 30 + 0.001 * p[:, 0] - 0.0005 * p[:, 1]

    inside = rng.uniform(3000, 17_000, (500, 2))
    est, _ = krige_epochs(xy, field(xy), inside, Variogram("gaussian", 50.0, 30_000.0), variance=False)
    # within 0.1 % of the field's 20 m span: a smooth variogram reproduces a plane
    assert np.abs(est[:, 0] - field(inside)).max() < 0.02
    # a rougher fitted model still follows it (ordinary kriging shrinks towards the local mean)
    fitted = fit_variogram(experimental_variogram(xy, field(xy)), "spherical")
    est, _ = krige_epochs(xy, field(xy), inside, fitted, variance=False)
    assert np.sqrt(np.mean((est[:, 0] - field(inside)) ** 2)) < 0.01 * np.ptp(field(xy))  # measured 0.7 %
    # the fitted Gaussian of a plane has an unusable range: a clear error, not garbage
    gaussian = fit_variogram(experimental_variogram(xy, field(xy)), "gaussian")
    with pytest.raises(SubsidenceError, match="ill-conditioned"):
        krige_epochs(xy, field(xy), inside, gaussian)


def test_leave_one_out_closed_form_equals_refitting() -> None:
    xy, z = _sites()
    z[3, 2] = np.nan
    v = Variogram("exponential", 9.0, 15_000.0, 0.2)
    residuals = loo_residuals(xy, z, v)
    assert np.isnan(residuals[3, 2]) and np.isfinite(residuals[3, 1])
    for i, e in [(0, 0), (7, 2), (29, 7)]:
        keep = np.flatnonzero(np.isfinite(z[:, e]) & (np.arange(len(z)) != i))
        alone, _ = krige_epochs(xy[keep], z[keep, e], xy[i : i + 1], v, variance=False)
        assert residuals[i, e] == pytest.approx(z[i, e] - alone[0, 0], abs=1e-9)


def test_time_interpolation_never_extrapolates() -> None:
    wells = _wells(
        {
            "A": [("2012-01-01", 10.0), ("2012-03-01", 16.0)],
            "B": [("2011-06-01", 5.0), ("2011-06-01", 7.0), ("2013-01-01", 7.0)],
        },
        {"A": (0.0, 0.0), "B": (1000.0, 0.0)},
    )
    dates = pd.DatetimeIndex(["2011-12-01", "2012-01-01", "2012-01-31", "2012-03-01", "2012-04-01"])
    levels = interpolate_wells_in_time(wells, dates)
    assert np.isnan(levels[0, 0]) and np.isnan(levels[0, 4])  # A: before its first, after its last
    assert levels[0, 1] == 10.0 and levels[0, 3] == 16.0
    assert levels[0, 2] == pytest.approx(10.0 + 6.0 * 30 / 60)  # linear in days
    # B: two readings on its first date are averaged (6.0), then linear to 7.0 over 580 days
    days = (dates - pd.Timestamp("2011-06-01")).days.to_numpy()
    np.testing.assert_allclose(levels[1], 6.0 + days / 580.0)


def test_late_and_early_wells_are_grouped_by_presence() -> None:
    xy, z = _sites(12)
    z[0, :4] = np.nan
    z[1, 6:] = np.nan
    v = Variogram("spherical", 9.0, 15_000.0)
    targets = np.array([[20_000.0, 20_000.0], [5000.0, 35_000.0]])
    est, _ = krige_epochs(xy, z, targets, v)
    for e in (0, 5, 7):  # three different sets of wells
        ok = np.isfinite(z[:, e])
        alone, _ = krige_epochs(xy[ok], z[ok, e], targets, v)
        np.testing.assert_allclose(est[:, e], alone[:, 0], atol=1e-9)


def test_too_few_collinear_or_duplicate_wells_raise_clear_errors() -> None:
    v = Variogram("spherical", 9.0, 15_000.0)
    xy, z = _sites(5)
    z[1:, 2] = np.nan  # one well at the third date
    dates = pd.date_range("2012-01-01", periods=8, freq="MS")
    with pytest.raises(SubsidenceError, match=r"1 well\(s\) report at 2012-03-01; expected at least 3"):
        krige_epochs(xy, z, xy, v, dates=dates, site_names=np.array(list("ABCDE")))
    line = np.column_stack([np.arange(5) * 1000.0, np.arange(5) * 500.0])
    with pytest.raises(SubsidenceError, match="lie on one line"):
        krige_epochs(line, np.arange(5.0), xy, v)
    twin = xy.copy()
    twin[4] = twin[2]
    with pytest.raises(SubsidenceError, match="C and E are at the same place"):
        krige_epochs(twin, np.arange(5.0), xy, v, site_names=np.array(list("ABCDE")))


def test_grid_cell_size_defaults_to_20_m_or_the_finest_round_size_that_fits() -> None:
    x, y, cell = grid_axes((0.0, 0.0, 2000.0, 1000.0), max_cells=20_000)
    assert cell == 20.0 and len(x) * len(y) <= 20_000
    assert np.allclose(np.diff(x), 20.0) and x[0] < 0 < x[-1] - 2000 + 40
    x, y, cell = grid_axes((0.0, 0.0, 60_000.0, 50_000.0), max_cells=60_000)
    assert cell in (250.0, 300.0) and len(x) * len(y) <= 60_000
    x, y, cell = grid_axes((0.0, 0.0, 60_000.0, 50_000.0), cell_size_m=500.0)
    assert cell == 500.0
    with pytest.raises(SubsidenceError, match="choose a larger cell size"):
        grid_axes((0.0, 0.0, 60_000.0, 50_000.0), cell_size_m=5.0)


def test_raster_sampling_is_bilinear_and_nan_outside() -> None:
    cols, rows = np.meshgrid(np.arange(10), np.arange(8))
    # north-up 100 m cells, top-left corner at (1000, 5000): value = x + 2 y at cell centres
    xc, yc = 1000 + (cols + 0.5) * 100, 5000 - (rows + 0.5) * 100
    raster = Raster(xc + 2 * yc, (100.0, 0.0, 1000.0, 0.0, -100.0, 5000.0), "EPSG:32650")
    px, py = np.array([1234.0, 1500.0, 900.0]), np.array([4567.0, 4321.0, 4500.0])
    got = sample_raster(raster, px, py, "EPSG:32650")
    np.testing.assert_allclose(got[:2], px[:2] + 2 * py[:2])
    assert np.isnan(got[2])


# --- the small demo ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_result(small_area):  # type: ignore[no-untyped-def]
    return krige_study_area(small_area, KrigingConfig(max_cells=20_000))


def test_small_demo_factors_grid_and_cross_validation(small_area, demo_result) -> None:  # type: ignore[no-untyped-def]
    f, n, e = demo_result.factors, small_area.n_points, small_area.n_epochs
    assert f.head_m.shape == (n, e) and f.head_sd_m.shape == (n, e)
    assert np.isfinite(f.head_m).all() and (f.head_sd_m >= 0).all()
    grid = demo_result.grid
    assert grid is not None and grid.head_m.shape == (e, *grid.shape) and grid.head_m.dtype == np.float32
    assert len(grid.x_m) * len(grid.y_m) <= 20_000 and grid.cell_size_m >= 20
    assert grid.thickness_m is not None and (grid.thickness_m >= 0).all()
    assert grid.permeability_m_per_day is not None and (grid.permeability_m_per_day > 0).all()
    cv = demo_result.head_cv
    assert (
        cv.per_epoch is not None and len(cv.per_epoch) == e and len(cv.per_site) == small_area.wells.n_wells
    )
    assert demo_result.head_loo_rmse_m == pytest.approx(cv.rmse) and 0 < cv.rmse < 10
    assert set(demo_result.head_model_scores) == {"spherical", "exponential", "gaussian"}
    assert demo_result.head_variogram.model == min(
        demo_result.head_model_scores, key=demo_result.head_model_scores.get
    )
    assert cv.worst(3)["rmse"].is_monotonic_decreasing
    keys = summary(demo_result)
    assert {"n_epochs", "head_loo_rmse_m", "thickness_loo_rmse_m", "seconds"} <= set(keys)
    assert keys["n_epochs"] == e and keys["thickness_loo_rmse_m"] > 0


def test_small_demo_matches_the_generator_truth(small_area, demo_result) -> None:  # type: ignore[no-untyped-def]
    from subsidence.demo.synthetic_bundle import load_truth

    truth = load_truth(SMALL_DEMO)
    f = demo_result.factors
    # Thickness is published as 10 m contours from 10 to 140 m: below 10 m (a third of the points)
    # the map says nothing, so compare where the truth lies within the contoured range.
    # Measured (600 samples): mean 0.42 m, 95th percentile 1.2 m, max 3.5 m; bounds are a
    # tenth, a quarter and half of the 10 m contour interval.
    inside = (truth.thickness_m >= 10) & (truth.thickness_m <= 120)
    err = np.abs(f.thickness_m[inside] - truth.thickness_m[inside])
    assert inside.mean() > 0.5
    assert err.mean() < 1.0 and np.percentile(err, 95) < 2.5 and err.max() < 5.0
    # Permeability (contours 0.2 .. 40 m/day, roughly a factor 2 apart), compared in log10:
    # measured mean 0.02, max 0.21 (a factor 1.6); bound: a factor 2 at most.
    inside = (truth.permeability_m_per_day >= 0.2) & (truth.permeability_m_per_day <= 40)
    ratio = np.abs(np.log10(f.permeability_m_per_day[inside] / truth.permeability_m_per_day[inside]))
    assert ratio.mean() < 0.05 and ratio.max() < np.log10(2)
    # Heads: 60 wells for cones of 4-5 km radius; measured RMSE 3.5 m against the true field
    assert np.sqrt(np.mean((f.head_m - truth.head_m) ** 2)) < 5.0


def test_per_epoch_variograms_without_layers(small_area) -> None:  # type: ignore[no-untyped-def]
    area = dataclasses.replace(small_area, thickness=None, permeability=None)
    result = krige_study_area(area, KrigingConfig(pooled=False, grid=False, variogram_model="spherical"))
    assert len(result.head_variograms) == area.n_epochs
    assert len(set(result.head_variograms)) > 1 and all(
        v.model == "spherical" for v in result.head_variograms
    )
    assert result.factors.thickness_m is None and result.thickness_loo_rmse_m is None
    assert result.grid is None and summary(result)["thickness_loo_rmse_m"] is None


def test_write_kriging(small_area, demo_result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import rasterio

    written = write_kriging(demo_result, small_area, tmp_path / "out")
    names = {p.name for p in written}
    assert {"kriged_ps.csv", "head_m.tif", "thickness_m.tif", "kriging_summary.json"} <= names
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)  # no temporary files left
    table = pd.read_csv(tmp_path / "out" / "kriged_ps.csv")
    assert len(table) == small_area.n_points and table.columns[0] == "ps_id"
    first = f"head_m_{small_area.dates[0]:%Y-%m-%d}"
    np.testing.assert_allclose(table[first], demo_result.factors.head_m[:, 0], atol=1e-4)
    with rasterio.open(tmp_path / "out" / "head_m.tif") as src:
        assert src.count == small_area.n_epochs and src.descriptions[0] == f"{small_area.dates[0]:%Y-%m-%d}"
        band = src.read(1)
        grid = demo_result.grid
        np.testing.assert_allclose(band[::-1], grid.head_m[0])  # stored north-up
        assert src.transform.a == grid.cell_size_m
    saved = json.loads((tmp_path / "out" / "kriging_summary.json").read_text())
    assert saved["n_epochs"] == small_area.n_epochs


def test_figures(small_area, demo_result) -> None:  # type: ignore[no-untyped-def]
    from subsidence.viz import kriging_figures as kf

    e = small_area.n_epochs
    fig = kf.head_map_figure(demo_result, small_area, epoch=3)
    wells = next(t for t in fig.data if t.name == kf.WELLS_TRACE)
    assert list(wells.customdata) == list(small_area.wells.ids.astype(str))
    assert "km" in fig.layout.xaxis.title.text and fig.data[0].colorbar.title.text == "head (m)"
    np.testing.assert_allclose(fig.data[0].z, demo_result.grid.head_m[3], rtol=1e-6)
    change = kf.head_change_figure(demo_result, small_area)
    assert (
        change.data[0].zmid == 0
        and np.nanmax(np.abs(kf.head_change_figure(demo_result, small_area, 0).data[0].z)) == 0
    )
    assert "s.d." in kf.head_variance_figure(demo_result, small_area).data[0].colorbar.title.text
    layer = kf.layer_map_figure(demo_result, small_area, "thickness")
    assert sum(t.name == "source contours" for t in layer.data) == len(small_area.thickness.lines)
    assert "log10" in kf.layer_map_figure(demo_result, small_area, "permeability").data[0].colorbar.title.text
    vario = kf.variogram_figure(demo_result.head_experimental, demo_result.head_variogram)
    assert len(vario.data) == 2 and vario.layout.yaxis.title.text == "semivariance (m²)"
    well = str(small_area.wells.ids[0])
    series = kf.well_series_figure(demo_result, small_area, well)
    assert len(series.data[1].y) == e and series.layout.xaxis.title.text == "date"
    with pytest.raises(SubsidenceError, match="no well"):
        kf.well_series_figure(demo_result, small_area, "nope")
    table = kf.cv_table(demo_result)
    assert list(table["quantity"]) == ["groundwater level", "thickness", "permeability"]
    from subsidence.viz.kriging_animation import head_animation_figure

    anim = head_animation_figure(demo_result, small_area, max_cells=2000)
    assert len(anim.frames) == e and len(anim.layout.sliders[0].steps) == e
    assert np.size(anim.frames[0].data[0].z) <= 2000 * 1.2


def test_study_area_with_too_few_wells_at_a_date_names_it(small_area) -> None:  # type: ignore[no-untyped-def]
    wells = small_area.wells
    cut = small_area.dates[-4]
    r = wells.readings
    keep = (r["date"] < cut) | r["well_id"].isin(wells.ids[:2])  # only two wells read after `cut`
    thin = dataclasses.replace(wells, readings=r[keep].reset_index(drop=True))
    area = dataclasses.replace(small_area, wells=thin, thickness=None, permeability=None)
    levels = interpolate_wells_in_time(thin, area.dates)
    first_bad = area.dates[int(np.flatnonzero(np.isfinite(levels).sum(axis=0) < 3)[0])]
    with pytest.raises(SubsidenceError, match=f"2 well\\(s\\) report at {first_bad.date()}"):
        krige_study_area(area, KrigingConfig(grid=False))


def test_progress_is_reported_in_order(small_area) -> None:  # type: ignore[no-untyped-def]
    area = dataclasses.replace(small_area, thickness=None, permeability=None)
    seen: list[float] = []
    krige_study_area(area, KrigingConfig(max_cells=5000), progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 4


def test_time_interpolation_carries_an_end_reading_only_within_the_tolerance() -> None:
    monthly = [(f"2012-{m:02d}-01", 10.0 + m) for m in range(1, 7)]  # median interval ~30 days
    wells = _wells({"A": monthly}, {"A": (0.0, 0.0)})
    dates = pd.DatetimeIndex(["2011-12-18", "2011-12-10", "2012-06-15", "2012-06-20"])
    levels = interpolate_wells_in_time(wells, dates)[0]
    assert levels[0] == 11.0 and levels[2] == 16.0  # 14 days before the first, 14 after the last
    assert np.isnan(levels[1]) and np.isnan(levels[3])  # 22 and 19 days away: beyond 15 days


def test_demo_heads_are_informative(small_area) -> None:  # type: ignore[no-untyped-def]
    result = krige_study_area(
        dataclasses.replace(small_area, thickness=None, permeability=None), KrigingConfig(grid=False)
    )
    assert result.head_informative and result.head_warning is None
    out = summary(result)
    assert out["head_informative"] is True and out["head_warning"] is None


def test_heads_without_spatial_pattern_are_flagged() -> None:
    from subsidence.geostat.kriging_heads import head_information

    rng = np.random.default_rng(3)
    levels = 51.0 + rng.normal(0, 0.5, (6, 40))  # six wells, no pattern at all
    flat = Variogram("gaussian", 1e-8, 2000.0, 0.25)
    informative, warning = head_information(flat, 0.66, levels)
    assert not informative
    assert "nugget is 100% of its sill" in warning and "0.66 m" in warning and "wells' average" in warning
    xy, z = _sites(30)
    z = z + xy[:, :1] / 1000.0  # a strong gradient across 40 km
    informative, warning = head_information(Variogram("spherical", 150.0, 30_000.0, 1.0), 1.0, z)
    assert informative and warning is None
    informative, warning = head_information(Variogram("spherical", 150.0, 30_000.0, 1.0), 1.0, z[:4])
    assert not informative and "only 4 wells" in warning


def test_a_well_that_stops_makes_no_step_in_the_heads() -> None:
    """Every well falls by the same amount each epoch on top of its own level; one well near the
    target stops halfway. Filled from the others, the kriged change stays the common change;
    without the fill the head steps by that well's own offset when it stops."""
    from subsidence.geostat.kriging_heads import fill_silent_wells

    rng = np.random.default_rng(3)
    xy, _ = _sites(15, seed=3)
    common = -0.5 * np.arange(10)
    z = 40 + rng.normal(0, 3, (15, 1)) + common[None, :]
    target = xy[:1] + 50.0
    z[0, 5:] = np.nan  # the well beside the target stops
    v = Variogram("exponential", 9.0, 15_000.0, 0.5)
    dates = pd.date_range("2020-01-01", periods=10, freq="MS")
    names = np.array([f"W{i}" for i in range(15)])
    filled = fill_silent_wells(xy, z, v, dates, names)
    assert np.isfinite(filled).all()
    np.testing.assert_allclose(filled[1:], z[1:])  # wells that report keep their readings
    with_fill, var_fill = krige_epochs(xy, z, target, v, estimate_values=filled)
    plain, var_plain = krige_epochs(xy, z, target, v)
    np.testing.assert_allclose(np.diff(with_fill[0]), np.diff(common), atol=1e-6)
    assert abs(np.diff(plain[0])[4] - (-0.5)) > 0.1  # the step the fill removes
    assert var_fill is not None and var_plain is not None
    np.testing.assert_allclose(var_fill, var_plain)  # the variance follows the wells' own readings
    assert var_fill[0, 6] > var_fill[0, 2]  # and is larger once the nearest well is silent


def test_krige_study_area_notes_filled_wells(small_area) -> None:  # type: ignore[no-untyped-def]
    levels = interpolate_wells_in_time(small_area.wells, small_area.dates)
    silent = int((~np.isfinite(levels)).any(axis=1).sum())
    config = KrigingConfig(grid=False)
    filled = krige_study_area(small_area, config)
    plain = krige_study_area(small_area, dataclasses.replace(config, fill_silent_wells=False))
    assert silent > 0
    assert any(f"{silent} well(s) silent" in n for n in filled.notes)
    assert not any("silent" in n for n in plain.notes)
    np.testing.assert_array_equal(filled.well_levels_m, plain.well_levels_m)  # readings unchanged
    assert filled.head_cv.rmse == plain.head_cv.rmse  # scored on the wells' own readings
    assert not np.allclose(filled.factors.head_m, plain.factors.head_m)
