"""How the benchmarks were asked to run."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    quick: bool = False  # shorter runs and smaller data: a smoke test, not a measurement
    patient: bool = False  # wait for slow runs to end instead of giving up at 3x their budget
