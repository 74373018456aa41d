"""Every session-state and widget key, in one place."""

from __future__ import annotations

# study area
AREA_PATH = "area_path"  # path of the bundle now loaded
AREA_CHOICE = "area_choice"  # sidebar selectbox
AREA_UPLOAD = "area_upload"  # sidebar file uploader
AREA_ERROR = "area_error"  # message of the last rejected bundle
BASEMAP = "basemap"  # sidebar toggle: web basemap under maps

# study-area page
STUDY_MAP = "study_map"
STUDY_EPOCH = "study_epoch"
STUDY_PICKED = "study_picked"
