"""Land-subsidence modelling from PS-InSAR time series and their causes.

The library under the dashboard: loading and validating study-area bundles, kriging
groundwater levels and geology layers, building features, training and evaluating models,
and building figures. It never imports streamlit and has no side effects at import.
"""

from __future__ import annotations

__version__ = "0.1.0"
