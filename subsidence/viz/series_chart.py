"""The InSAR time series of clicked points as a Vega-Lite chart, for maps of large areas.

On a large area's map a click must be answered in under a second in a browser without a GPU.
Plotly's first chart on a page costs about a second there (its 4.7 MB script is loaded, run and
drawn on the click that shows it); Vega-Lite, which Streamlit also ships, draws the same lines in
under 0.1 s (docs/big-maps.md). Same content as :func:`subsidence.viz.figures.insar_series_figure`:
cumulative subsidence in mm, down positive, the y axis reversed, one line per point, values on
hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from subsidence.io.studyarea import StudyArea
from subsidence.text import shorten

Y_TITLE = "cumulative subsidence (mm, down positive)"


def series_chart(area: StudyArea, rows: Sequence[int] | np.ndarray) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The long table (date, subsidence_mm, point) and the Vega-Lite spec of the points at ``rows``.

    Parameters
    ----------
    area : StudyArea
        The study area.
    rows : sequence of int
        Row positions of the points in ``area.points``, in the order they were picked.

    Returns
    -------
    frame : DataFrame
        One row per point and acquisition; ``point`` is "PS <id>" (text, never markup).
    spec : dict
        For ``st.vega_lite_chart(frame, spec)``.
    """
    rows = np.asarray(rows, dtype=int)
    names = [f"PS {shorten(area.points['ps_id'].iloc[i], 60)}" for i in rows]  # drawn as text
    n_dates = len(area.dates)
    frame = pd.DataFrame(
        {
            "date": np.tile(pd.DatetimeIndex(area.dates).to_numpy(), len(rows)),
            "subsidence_mm": np.round(area.subsidence_mm[rows].ravel(), 2),
            "point": np.repeat(np.asarray(names, dtype=object), n_dates),
        }
    )
    where = (
        names[0]
        if len(names) == 1
        else f"{len(names)} points ({', '.join(names[:4])}{'…' if len(names) > 4 else ''})"
    )
    spec: dict[str, Any] = {
        "title": f"InSAR cumulative subsidence at {where}",
        "height": 340,
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "date", "type": "temporal", "title": "acquisition date"},
            "y": {
                "field": "subsidence_mm",
                "type": "quantitative",
                "title": Y_TITLE,
                "scale": {"reverse": True, "zero": False},
            },
            "color": {
                "field": "point",
                "type": "nominal",
                "sort": names,
                "legend": {"orient": "bottom", "title": None},
            },
            "tooltip": [
                {"field": "point", "type": "nominal", "title": "point"},
                {"field": "date", "type": "temporal", "title": "date", "format": "%Y-%m-%d"},
                {"field": "subsidence_mm", "type": "quantitative", "title": "mm", "format": ".1f"},
            ],
        },
    }
    return frame, spec
