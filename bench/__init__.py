"""Reproducible benchmarks of the performance budgets in docs/performance.md; run with `make bench`."""
