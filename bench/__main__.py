"""python -m bench [NAME ...] [--quick] [--patient]: run the benchmarks, print their figures against the budgets of docs/performance.md."""

import argparse
import importlib
import logging
import os
import sys
import time
import traceback

from bench.options import Options
from bench.results import Figure, failed, table

BENCHMARKS = (
    "authz_check",
    "authz_check_batch",
    "filter_notes",
    "folder_read",
    "note_write",
    "authz_catch_up",
    "decision_engines",
    "authz_startup",
    "user_import",
    "user_import_memory",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line, with benchmark names checked."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs, smaller data: a smoke test, not a measurement"
    )
    parser.add_argument(
        "--patient",
        action="store_true",
        help="wait for slow imports to end instead of giving up at 3x budget",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return args


def show(figure: Figure) -> str:
    """One figure as a progress line."""
    return f"  {figure.name}: {figure.shown} [{figure.verdict}] {figure.note}"


def run_one(name: str, options: Options) -> list[Figure]:
    """Run one benchmark; a failure becomes a FAILED figure, never a crash of the whole run."""
    print(f"\n== {name}{' (quick)' if options.quick else ''}", flush=True)
    started = time.perf_counter()
    try:
        figures = importlib.import_module(f"bench.{name}").run(options)
    except Exception as error:  # noqa: BLE001 - report it and go on with the next benchmark
        traceback.print_exc()
        figures = [failed(name, error)]
    for figure in figures:
        print(show(figure), flush=True)
    print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    return figures


def load() -> str:
    """The machine's load average: other work on it skews every figure."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks and print the table; exit 1 if any failed."""
    args = parse_args(argv)
    options = Options(quick=args.quick, patient=args.patient)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    mode = " (--quick: a smoke run, not a measurement)" if args.quick else ""
    print(f"Elevhälsa benchmarks on {os.cpu_count()} cores{mode}; {load()}")
    figures = [figure for name in args.names or BENCHMARKS for figure in run_one(name, options)]
    print("\nResults\n")
    print(table(figures))
    print(f"\nTotal {time.perf_counter() - started:.0f} s; {load()}.")
    return 1 if any(f.verdict == "FAILED" for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
