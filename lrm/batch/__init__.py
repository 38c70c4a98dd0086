"""Cohort processing: one night per Dask task, a cohort table at the end."""
