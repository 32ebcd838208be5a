"""Figures, their budgets, percentiles and the results table."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """A limit a figure must stay within: at most (`<=`) or at least (`>=`) `limit`."""

    op: str
    limit: float

    def holds(self, value: float) -> bool:
        """Whether the value is within the budget."""
        return value <= self.limit if self.op == "<=" else value >= self.limit


def at_most(limit: float) -> Budget:
    """A budget the value must not exceed."""
    return Budget("<=", limit)


def at_least(limit: float) -> Budget:
    """A budget the value must reach."""
    return Budget(">=", limit)


@dataclass(frozen=True)
class Figure:
    """One measured number, with its budget (None: for information only) and how it was measured."""

    benchmark: str
    name: str
    value: float | None
    unit: str
    budget: Budget | None = None
    note: str = ""
    errors: int = 0  # failed calls while measuring: a budget is never met with errors
    skipped: bool = False  # not measured, for the reason in the note
    lower_bound: bool = False  # the value is a lower bound: the benchmark gave up waiting for more

    @property
    def shown(self) -> str:
        """The value as printed, e.g. "4.2 ms" or "> 60.0 s"."""
        if self.value is None:
            return "-"
        return f"{'> ' if self.lower_bound else ''}{number(self.value)} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        """within, OVER, FAILED, not run, or - without a budget."""
        if self.skipped:
            return "not run"
        if self.value is None:
            return "FAILED"
        if self.budget is None:
            return "-"
        return "within" if self.budget.holds(self.value) and not self.errors else "OVER"


def failed(benchmark: str, error: BaseException) -> Figure:
    """The figure of a benchmark that could not finish."""
    return Figure(
        benchmark, "benchmark failed", None, "", note=one_line(f"{type(error).__name__}: {error}", 300)
    )


def one_line(text: str, limit: int) -> str:
    """Whitespace-collapsed and cut to `limit` characters, to fit a table cell."""
    return " ".join(text.split())[:limit]


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (0 < q <= 100) of the samples."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    """Seconds in milliseconds."""
    return seconds * 1000


def number(value: float) -> str:
    """A short human form: 3 significant digits, thousands separated."""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def cells(figure: Figure) -> list[str]:
    """One table row."""
    budget = (
        "-" if figure.budget is None else f"{figure.budget.op} {number(figure.budget.limit)} {figure.unit}"
    )
    return [figure.benchmark, figure.name, figure.shown, budget, figure.verdict, figure.note]


def table(figures: list[Figure]) -> str:
    """The figures as an aligned plain-text table."""
    rows = [["benchmark", "figure", "measured", "budget (docs/performance.md)", "verdict", "how measured"]]
    rows += [cells(f) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(row[-1]))
    return "\n".join(line.rstrip() for line in lines)
