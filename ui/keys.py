"""Every session-state and widget key, in one place."""

from __future__ import annotations

# study area
AREA_PATH = "area_path"  # path of the bundle now loaded
AREA_CHOICE = "area_choice"  # sidebar selectbox
AREA_UPLOAD = "area_upload"  # sidebar file uploader
AREA_ERROR = "area_error"  # message of the last rejected bundle
BASEMAP = "basemap"  # sidebar toggle: web basemap under maps
BASEMAP_ON = "basemap_on"  # its value, kept outside the widget
AREA_SELECTED = "area_selected"  # the picker's choice, kept outside the widget (survives page changes)
AREA_UPLOADS = "area_uploads"  # this session's kept uploads: label -> archive path
AREA_KEY = "area_key"  # path#fingerprint of the bundle now loaded: key of every per-area store
AREA_PERIOD = "area_period"  # the model period now applied (subsidence.coverage.ModelPeriod)
PERIOD_BY_AREA = "period_by_area"  # the user's model period per bundle path
PERIOD_RANGE = "period_range"  # sidebar date range (suffixed per area)
PERIOD_EXTEND = "period_extend"  # sidebar toggle (suffixed per area)
SESSION_ID = "session_id"  # id of this browser session (upload folder, training heartbeat)

# study-area page
STUDY_MAP = "study_map"
STUDY_EPOCH = "study_epoch"
STUDY_PICKED = "study_picked"  # per area: the point shown on Study area

# model page
MODEL_MODE = "model_mode"
MODEL_NAME = "model_name"
SPLIT_KIND = "split_kind"
SEED = "seed"
HIDDEN = "hidden_size"
LAYERS = "num_layers"
OPTIMIZER = "optimizer"
LEARNING_RATE = "learning_rate"
BATCH = "batch_size"
MAX_EPOCHS = "max_epochs"
PATIENCE = "patience"
VALIDATION = "validation_fraction"
CHANGE_UNIT = "change_unit"
TRAIN_FORM = "train_form"
TRAIN_JOB = "train_job"
SAVE_NAME = "save_name"
SAVED_CHOICE = "saved_choice"
CONFIRM_DELETE = "confirm_delete"
CURRENT_MODEL = "current_model"
MODEL_UPLOAD = "model_upload"  # the model the Results page shows

# results page
RESULTS_MAP = "results_map"
RESULTS_MEASURE = "results_measure"
RESULTS_EPOCH = "results_epoch"
RESULTS_MODE = "results_mode"
RESULTS_BASELINES = "results_baselines"
RESULTS_PAPER = "results_paper"  # toggle: compare with the paper's figures (off the demo)
PICKED = "picked_ids"  # per area: the planner's validation points (survive page changes)
PICK_TEXT = "pick_text"
PICK_ERROR = "pick_error"
PICK_TILE = "pick_tile"  # per area and map: the tile whose points can be clicked (large areas)
MAP_CLICKS = "map_clicks"  # per map key: clicks handled (the map widget is renewed after each)
PICK_MANY = "pick_many"  # box/lasso plotly chart
PICK_MANY_ON = "pick_many_on"

# interpolation page
VARIOGRAM_MODEL = "variogram_model"
VARIOGRAM_POOLED = "variogram_pooled"
INTERP_LAYER = "interp_layer"
INTERP_EPOCH = "interp_epoch"
INTERP_MAP = "interp_map"
INTERP_WELL = "interp_well"
INTERP_PLAY = "interp_play"
INTERP_CELL = "interp_cell"
KRIGING_SETTINGS = "kriging_settings"  # per area: ui.inputs.KrigingSettings (reach the models)

# compare page
COMPARE_MODELS = "compare_models"
COMPARE_KIND = "compare_kind"
COMPARE_FOLDS = "compare_folds"
COMPARE_EPOCHS = "compare_epochs"
COMPARE_JOB = "compare_job"
COMPARE_MAP = "compare_map"

# scenarios page
SCENARIOS = "scenarios"
SCENARIO_RATE = "scenario_rate"
HORIZON = "horizon_years"
SCENARIO_SHOWN = "scenario_shown"
SCENARIO_MAP = "scenario_map"  # the Scenarios page's picking map (ui.picks.picking_map)

DASK_ADDRESS = "dask_address"  # sidebar: the Dask scheduler of cluster runs ("local" or tcp://host:port)
DASK_ADDRESS_KEPT = "dask_address_kept"  # its value, kept outside the widget
CLUSTER_JOB = "cluster_job"  # the Model page's cluster run (a ui.jobs.Job)
CLUSTER_MODEL = "cluster_model"
CLUSTER_SAMPLE = "cluster_sample"
CLUSTER_SAVE_NAME = "cluster_save_name"
