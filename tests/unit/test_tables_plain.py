"""Plain tables and the training progress line (ui helpers, no browser)."""

from __future__ import annotations

import pandas as pd

from ui.tables import plain, plain_name
from ui.training import progress_text


def test_plain_names_carry_units_and_no_snake_case() -> None:
    assert plain_name("rmse_change_mm") == "RMSE change (mm)"
    assert plain_name("ps_id") == "PS point"
    assert plain_name("well_km") == "well (km)"
    assert plain_name("head_sd_m") == "head standard deviation (m)"
    assert plain_name("scenario") == "scenario"


def test_plain_tables_drop_times_and_round_coordinates() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-02", None]),
            "lon": [116.1234567, 116.2],
            "x": [451234.567, 1.2],
            "added_mm": [1.23456, 2.0],
        }
    )
    out = plain(frame)
    assert list(out.columns) == ["date", "longitude (°)", "x (m)", "added (mm)"]
    assert list(out["date"]) == ["2020-01-02", "—"]
    assert out["longitude (°)"].iloc[0] == 116.12346 and out["x (m)"].iloc[0] == 451235
    assert out["added (mm)"].iloc[0] == 1.23


def test_training_line_counts_epochs_and_estimates_the_time_left() -> None:
    line = progress_text("paper-lstm", 10, 40, 20.0, False)
    assert "epoch 10 of 40" in line and "about 60 s left" in line
    assert "about 10 min" in progress_text("x", 1, 301, 2.0, False)
    assert progress_text("x", 5, 5, 9.0, True) == "x: finished · 9 s"
