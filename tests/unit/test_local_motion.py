"""Local motion no cause explains: flagged where a point moves unlike its neighbours, carried on."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from subsidence.models.consolidation import Consolidation, ConsolidationConfig
from subsidence.models.local_motion import detect, neighbourhood_median
from subsidence.series import SeriesData
from subsidence.validation.hindcast import fit_model, observed_since, run_forward
from tests.unit.test_consolidation import TRUE as PARAMS  # the same physics as the model's own tests

TURN = 15
BOWL = (6000.0, 6000.0, 900.0)  # x, y, radius (m) of a dewatering bowl starting at epoch 6


def area(n: int = 900, seed: int = 3, extent_m: float = 12_000.0) -> tuple[SeriesData, np.ndarray]:
    """Heads fall then rise (a turn at epoch 15); a bowl no head explains; 2 mm noise.

    Layers vary smoothly (as kriged layers do); the west sinks up to 10 mm/yr more than its heads
    say (a regional error, not local). Returns the data and which points lie in the bowl.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2012-01-01", periods=30, freq="36D")
    t = (dates - dates[0]).days.to_numpy(float)
    rate = rng.uniform(1, 3, n)[:, None] / 365.25
    head = 20 - rate * t[None, :] + rng.uniform(0.5, 2, n)[:, None] * np.cos(2 * np.pi * t / 365.25)[None, :]
    head[:, TURN + 1 :] = head[:, TURN : TURN + 1] + rate * (t[TURN + 1 :] - t[TURN])[None, :]
    xy = rng.uniform(0, extent_m, (n, 2))
    u, v = xy[:, 0] / extent_m, xy[:, 1] / extent_m
    data = SeriesData(
        ps_ids=np.array([f"P{i}" for i in range(n)]),
        xy_m=xy,
        dates=dates,
        subsidence_mm=np.zeros((n, len(t))),
        head_m=head,
        thickness_m=5 + 115 * (0.5 + 0.5 * np.sin(2.5 * u + 1.5 * v)),
        permeability_m_per_day=10 ** (1.3 - 2 * v),
    )
    truth = Consolidation()
    truth.params = dict(PARAMS)
    sub = truth.physics_mm(data)
    in_bowl = np.hypot(xy[:, 0] - BOWL[0], xy[:, 1] - BOWL[1]) < BOWL[2]
    sub[in_bowl] += 80.0 * np.maximum(t - t[6], 0)[None, :] / 365.25
    sub += 10.0 * (1 - u)[:, None] * t[None, :] / 365.25
    sub += rng.normal(0, 2.0, sub.shape)
    return replace(data, subsidence_mm=sub - sub[:, :1]), in_bowl


def test_the_bowl_is_flagged_and_the_regional_error_is_not() -> None:
    data, in_bowl = area()
    model = fit_model("consolidation", data, TURN)
    terms = model.point_terms(data, TURN)
    assert in_bowl.sum() >= 8
    assert terms.n_flagged >= 3
    assert not terms.flagged[~in_bowl].any()  # the west's extra motion moves neighbours alike
    # the bowl's own motion (80 mm/yr, read beside a physics fitted within some 30 mm/yr) is
    # carried on with the neighbours' gain, not the gain it would inflate
    assert np.all(
        (terms.rate_mm_per_yr[terms.flagged] > 50.0) & (terms.rate_mm_per_yr[terms.flagged] < 110.0)
    )
    assert np.all(terms.gain[terms.flagged] < 1.5)
    assert np.all(terms.rate_mm_per_yr[~terms.flagged] == 0.0)


def test_carrying_the_local_motion_on_beats_the_physics_alone_in_the_bowl() -> None:
    data, in_bowl = area()
    observed = observed_since(data, TURN)
    errors = {}
    for local in (True, False):
        model = fit_model("consolidation", data, TURN, config=ConsolidationConfig(local_motion=local))
        errors[local] = np.sqrt(np.mean((run_forward(model, data, TURN) - observed)[in_bowl] ** 2))
        errors[local, "outside"] = np.sqrt(
            np.mean((run_forward(model, data, TURN) - observed)[~in_bowl] ** 2)
        )
    assert errors[True] < 0.7 * errors[False]
    assert errors[True, "outside"] == errors[False, "outside"]  # nothing changes elsewhere


def test_a_sparse_survey_flags_nothing() -> None:
    data, _ = area(n=12)
    terms = fit_model("consolidation", data, TURN).point_terms(data, TURN)
    assert terms.n_flagged == 0
    np.testing.assert_array_equal(terms.rate_mm_per_yr, 0.0)


def test_too_few_acquisitions_in_the_window_flag_nothing() -> None:
    rng = np.random.default_rng(0)
    obs = rng.normal(0, 1, (50, 3))
    obs[0] += 100.0 * np.arange(3)
    found = detect(
        obs, np.zeros_like(obs), np.ones(50), np.array([0.0, 100.0, 200.0]), rng.uniform(0, 9000, (50, 2))
    )
    assert found.n_flagged == 0


def test_neighbourhood_median_ignores_a_bowl_smaller_than_the_block() -> None:
    xy = np.array([[x, y] for x in range(0, 15_000, 500) for y in range(0, 15_000, 500)], float)
    values = np.zeros(len(xy))
    bowl = np.hypot(xy[:, 0] - 7500, xy[:, 1] - 7500) < 800
    values[bowl] = 30.0
    median, used, around = neighbourhood_median(values, xy, 1500.0, 5)
    assert np.all(median[bowl] == 0.0)
    assert used.min() >= 9  # a corner sees 3 x 3 cells with points
    assert around.min() == 9 * 9  # 3 x 3 points in each of them


def test_the_flagged_points_are_named_in_plain_words_and_escaped_in_the_pack() -> None:
    from subsidence.models.local_motion import LocalMotion
    from subsidence.planning.scenarios import Forecast, Scenario, local_motion_sentence
    from subsidence.report.pack_sections import scenarios_html

    dates = pd.date_range("2020-01-01", periods=2, freq="365D")
    median = np.zeros((3, 2))
    flagged = np.array([True, False, True])
    local = LocalMotion(flagged, np.ones(3), np.array([22.0, 0.0, -16.0]))
    f = Forecast(Scenario("trend"), dates, median, median, median - 1, median + 1, local)
    ids = np.array(["<b>A</b>", "B", "C"])
    sentence = local_motion_sentence(f, ids)
    assert sentence is not None and sentence.startswith(
        "2 point(s) move unlike their neighbours (-16 to +22 mm/yr"
    )
    assert "<b>A</b>, C." in sentence
    html = scenarios_html([f], ids)
    assert "&lt;b&gt;A&lt;/b&gt;" in html and "<b>A</b>" not in html
    quiet = Forecast(Scenario("trend"), dates, median, median, median - 1, median + 1)
    assert local_motion_sentence(quiet, ids) is None and "unlike their neighbours" not in scenarios_html(
        [quiet], ids
    )
