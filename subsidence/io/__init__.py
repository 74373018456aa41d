"""Reading and checking study-area bundles and survey formats; exports and model files."""
