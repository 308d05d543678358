"""Batch runs: one file in this process (`local`) or whole archives on Dask (`archive`),
reading records and writing sentence rows the same way (`records`, `output`)."""
