"""Geostatistics: variograms, kriging of heads and layers, grids and rasters."""
