"""The coverage policy and the model period (docs/coverage.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from subsidence import coverage
from subsidence.errors import SubsidenceError
from subsidence.geostat.kriging import KrigingConfig, krige_study_area
from subsidence.io.reader import load_study_area

REAL = Path(__file__).parents[1] / "data" / "real"


@pytest.fixture(scope="module")
def psbas():  # type: ignore[no-untyped-def]
    return load_study_area(REAL / "psbas_like")


def test_tolerance_is_half_the_median_interval_within_bounds() -> None:
    monthly = pd.date_range("2010-01-01", periods=24, freq="MS")
    assert coverage.tolerance_days(monthly) == 15.5
    assert coverage.tolerance_days(pd.date_range("2010-01-01", periods=10, freq="7D")) == 15.0
    assert coverage.tolerance_days(pd.date_range("2010-01-01", periods=5, freq="YS")) == 90.0
    assert coverage.tolerance_days(pd.DatetimeIndex(["2010-01-01"])) == 15.0


def test_default_period_stops_where_the_wells_stop(psbas) -> None:  # type: ignore[no-untyped-def]
    period = coverage.default_period(psbas)
    assert period.first == psbas.dates[0]
    assert period.last == pd.Timestamp("2019-08-14")  # the last acquisition within 15.5 days of 2019-08-01
    assert period.n_kept == 135 and period.n_total == 146 and period.heads == "observed"
    left = [d for d, _ in period.left_out]
    assert left == [str(d.date()) for d in psbas.dates[135:]]
    assert all("only 0 well(s)" in reason for _, reason in period.left_out)
    out = period.to_json()
    assert out["first"] == "2014-10-27" and out["last"] == "2019-08-14" and out["n_left_out"] == 11
    assert out["left_out"][0] == {"date": left[0], "reason": period.left_out[0][1]}
    assert "135 of 146" in period.sentence() and "left out" in period.sentence()


def test_applied_period_is_krigeable_and_rezeroed(psbas) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SubsidenceError, match="0 well\\(s\\) report at 2019-08-26"):
        krige_study_area(psbas, KrigingConfig(grid=False))
    restricted, period = coverage.restrict(psbas)
    assert restricted.n_epochs == 135 and restricted.dates[-1] == period.last
    assert restricted.fingerprint != psbas.fingerprint
    assert np.all(restricted.subsidence_mm[:, 0] == 0.0)
    diff = psbas.subsidence_mm[:, :135] - restricted.subsidence_mm
    assert np.allclose(diff[np.isfinite(diff)], 0.0)  # already zeroed at the first date
    result = krige_study_area(restricted, KrigingConfig(grid=False))
    assert result.factors.head_m.shape == (900, 135) and np.isfinite(result.factors.head_m).all()
    assert any("Model period" in note for note in restricted.notes)


def test_start_and_end_choose_a_window_and_rezero(psbas) -> None:  # type: ignore[no-untyped-def]
    period = coverage.period_for(psbas, start="2016-01-01", end="2017-12-31")
    assert period.first >= pd.Timestamp("2016-01-01") and period.last <= pd.Timestamp("2017-12-31")
    reasons = dict(period.left_out)
    assert reasons["2014-10-27"] == "before the chosen start"
    assert reasons[str(psbas.dates[-1].date())] == "after the chosen end"
    area = coverage.apply_period(psbas, period)
    k = int(np.flatnonzero(psbas.dates == period.first)[0])
    row = int(np.flatnonzero(np.isfinite(psbas.subsidence_mm[:, k]))[0])
    expected = psbas.subsidence_mm[row, k:] - psbas.subsidence_mm[row, k]
    np.testing.assert_allclose(area.subsidence_mm[row], expected[: area.n_epochs])
    with pytest.raises(SubsidenceError, match="after end"):
        coverage.period_for(psbas, start="2018-01-01", end="2017-01-01")
    with pytest.raises(SubsidenceError, match="--extend-heads"):
        coverage.period_for(psbas, start="2019-10-01")
    with pytest.raises(SubsidenceError, match="YYYY-MM-DD"):
        coverage.period_for(psbas, start="last spring")


def test_extended_heads_cover_every_acquisition_and_are_marked(psbas) -> None:  # type: ignore[no-untyped-def]
    area, period = coverage.restrict(psbas, extend_heads=True)
    assert period.heads == "extrapolated" and period.n_kept == 146 and not period.left_out
    assert "extrapolated" in period.sentence()
    readings = area.wells.readings
    added = readings[readings["extrapolated"]]
    assert len(added) == 6 * 11 and added["date"].min() > pd.Timestamp("2019-08-14")
    assert not readings.loc[~readings["extrapolated"], "date"].gt(pd.Timestamp("2019-08-01")).any()
    # the extension continues each well near its last readings and keeps its season
    for _well, own in readings.groupby("well_id"):
        observed, extended = own[~own["extrapolated"]], own[own["extrapolated"]]["head_m"]
        assert abs(extended.iloc[0] - observed["head_m"].iloc[-3:].mean()) < 1.0
        assert extended.max() - extended.min() > 0.3  # the 0.6 m annual season goes on
    assert area.fingerprint not in (psbas.fingerprint, coverage.restrict(psbas)[0].fingerprint)
    result = krige_study_area(area, KrigingConfig(grid=False))
    assert np.isfinite(result.factors.head_m).all()


def test_full_coverage_changes_nothing() -> None:
    area = load_study_area(REAL / "levelling_like")
    period = coverage.default_period(area)
    assert period.is_full and period.sentence().endswith("the wells cover every acquisition.")
    assert coverage.apply_period(area, period) is area


def test_a_gap_in_the_middle_keeps_the_longest_run(psbas) -> None:  # type: ignore[no-untyped-def]
    r = psbas.wells.readings
    early = r["well_id"].isin(["PZ1", "PZ2", "PZ3"])  # these three stop, the others start later
    keep = (early & (r["date"] < "2016-01-01")) | (~early & (r["date"] > "2016-07-01"))
    area = dataclasses.replace(psbas, wells=dataclasses.replace(psbas.wells, readings=r[keep]))
    period = coverage.default_period(area)
    assert pd.Timestamp("2016-07-01") < period.first < pd.Timestamp("2016-08-01")
    assert period.last == pd.Timestamp("2019-08-14")
    reasons = dict(period.left_out)
    assert "separated from the model period" in reasons["2014-10-27"]
    middle = [r for d, r in period.left_out if "2016-02-01" < d < "2016-06-15"]
    assert middle and all(r.startswith("only 0 well(s)") for r in middle)
    restricted = coverage.apply_period(area, period)
    assert np.isfinite(krige_study_area(restricted, KrigingConfig(grid=False)).factors.head_m).all()


def test_quality_report_flags_uncovered_acquisitions_before_any_step(psbas) -> None:  # type: ignore[no-untyped-def]
    from subsidence.validation.quality import area_summary, quality_table

    table = quality_table(psbas).set_index("check")
    assert table.loc["acquisitions the wells cover", "value"] == "135 of 146"
    assert "fewer than 3 wells" in table.loc["acquisitions the wells cover", "comment"]
    assert "2019-08-26" in table.loc["acquisitions the wells cover", "comment"]
    assert table.loc["model period", "value"] == "2014-10-27 to 2019-08-14"
    assert any(
        note.startswith("Model period 2014-10-27 to 2019-08-14") for note in area_summary(psbas)["notes"]
    )
    covered = quality_table(load_study_area(REAL / "levelling_like")).set_index("check")
    assert covered.loc["acquisitions the wells cover", "value"] == "all 9"


def test_well_chart_marks_extrapolated_levels(psbas) -> None:  # type: ignore[no-untyped-def]
    from subsidence.viz.kriging_figures import well_series_figure

    area, _ = coverage.restrict(psbas, extend_heads=True)
    fig = well_series_figure(krige_study_area(area, KrigingConfig(grid=False)), area, "PZ1")
    traces = {t.name: t for t in fig.data}
    assert len(traces["observed"].x) == 116  # monthly 2010-01 to 2019-08, nothing invented
    assert len(traces["extrapolated (trend + season)"].x) == 11
