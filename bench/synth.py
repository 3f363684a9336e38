"""Time to generate synthetic students, staff and records (prints figures only).

    .venv/bin/python bench/synth.py [--count 1000000] [--runs 3]

Reports the median of ``--runs`` runs for one million students (the figure in bench/README.md), the same with
1 % planted defects, and 100,000 each of staff, courses, research projects and assets.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import polars as pl

from edudata.synth.people import staff, students
from edudata.synth.records import assets, courses, research_projects


def median_seconds(make: Callable[[], pl.DataFrame], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        make()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, Polars {pl.__version__}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    cases: list[tuple[str, int, Callable[[], pl.DataFrame]]] = [
        ("students", args.count, lambda: students(args.count, seed=1)),
        ("students, 1 % defects", args.count, lambda: students(args.count, seed=1, error_rate=0.01)),
        ("staff", args.others, lambda: staff(args.others, seed=1)),
        ("courses", args.others, lambda: courses(args.others, seed=1)),
        ("research projects", args.others, lambda: research_projects(args.others, seed=1)),
        ("assets", args.others, lambda: assets(args.others, seed=1)),
    ]
    for label, count, make in cases:
        seconds = median_seconds(make, args.runs)
        print(f"{label:<24} {count:>10,} rows  {seconds:6.2f} s  {count / seconds:>12,.0f} rows/s")


if __name__ == "__main__":
    main()
