"""Beyond memory and beyond one machine: chunked pipeline, sampling rule, Dask."""
