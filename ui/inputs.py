"""The settings that shape the model inputs, chosen on the Interpolation page and kept per study area.

The variogram family and pooling reach the models: :func:`ui.cache.series_for` passes them to
:func:`subsidence.pipeline.prepare`, the route the command line takes too. The map cell size
changes the maps only (the models use the levels kriged at the PS points themselves).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from subsidence.geostat.kriging import SCREEN_MAX_CELLS, KrigingConfig
from ui import keys
from ui.area import per_area, set_per_area


@dataclass(frozen=True)
class KrigingSettings:
    """The Interpolation page's choice (the defaults are the command line's).

    Attributes
    ----------
    variogram_model : {"auto", "spherical", "exponential", "gaussian", "linear"}
        Reaches the models.
    pooled : bool
        One head variogram for all epochs, else one per epoch; reaches the models.
    cell_size_m : float or None
        Map cell size in metres (None: the finest that fits :data:`SCREEN_MAX_CELLS`); maps only.
    """

    variogram_model: str = "auto"
    pooled: bool = True
    cell_size_m: float | None = None

    def map_config(self) -> KrigingConfig:
        """Kriging for the browser's maps: the grid kept to a size a map can draw quickly."""
        return KrigingConfig(
            variogram_model=self.variogram_model,
            pooled=self.pooled,
            cell_size_m=self.cell_size_m,
            max_cells=SCREEN_MAX_CELLS,
        )

    def model_config(self) -> KrigingConfig:
        """Kriging for the models: the settings that reach them, at the PS points only."""
        return KrigingConfig(variogram_model=self.variogram_model, pooled=self.pooled, grid=False)


def kriging_settings() -> KrigingSettings:
    """The settings of the study area now loaded (the defaults until the page's form is applied)."""
    found = per_area(keys.KRIGING_SETTINGS)
    return found if isinstance(found, KrigingSettings) else KrigingSettings()


def seed_kriging_widgets() -> None:
    """Put the kept settings into the Interpolation form's widgets (their state is lost on page changes)."""
    chosen = kriging_settings()
    st.session_state[keys.VARIOGRAM_MODEL] = chosen.variogram_model
    st.session_state[keys.VARIOGRAM_POOLED] = chosen.pooled
    st.session_state[keys.INTERP_CELL] = chosen.cell_size_m


def keep_kriging_widgets() -> None:
    """Form callback: keep the widgets' values as this study area's settings."""
    cell = st.session_state.get(keys.INTERP_CELL)
    set_per_area(
        keys.KRIGING_SETTINGS,
        KrigingSettings(
            str(st.session_state.get(keys.VARIOGRAM_MODEL, "auto")),
            bool(st.session_state.get(keys.VARIOGRAM_POOLED, True)),
            None if cell is None else float(cell),
        ),
    )
