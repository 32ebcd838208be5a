"""Reproducible benchmarks of the performance budgets in DESIGN §9; run with `make bench`."""
