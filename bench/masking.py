"""Throughput of masking and pseudonymisation over a million synthetic students (prints figures only).

    .venv/bin/python bench/masking.py [--count 1000000] [--runs 3]

Each figure is the median of ``--runs`` runs of :func:`edudata.access.masking.apply_masking` on the columns
named; the data comes from :func:`edudata.synth.people.students`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import polars as pl

from edudata.access.masking import apply_masking
from edudata.synth.people import students

CASES: list[tuple[str, dict[str, str]]] = [
    ("ID + name + mobile", {"SFZJH": "id_number", "XM": "name", "SJHM": "mobile"}),
    ("ID number", {"SFZJH": "id_number"}),
    ("name", {"XM": "name"}),
    ("mobile", {"SJHM": "mobile"}),
    ("bank card", {"YHKH": "bank_card"}),
    ("e-mail", {"DZYX": "email"}),
    ("address → county", {"JTDZ": "address"}),
    ("birth date → year", {"CSRQ": "birth_date"}),
    ("pseudonym (HMAC) of ID", {"SFZJH": "pseudonym"}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, Polars {pl.__version__}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    frame = students(args.count, seed=1)
    key = os.urandom(32)
    for label, profiles in CASES:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            apply_masking(frame, profiles, pseudonym_key=key)
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        print(f"{label:<24} {args.count:>10,} rows  {seconds:6.2f} s  {args.count / seconds:>12,.0f} rows/s")


if __name__ == "__main__":
    main()
