"""Throughput of the data-standard checks: vectorised Polars expressions vs the scalar validators (prints only).

.venv/bin/python bench/catalog_validators.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

import polars as pl

from edudata.catalog.validators import check_id_number, id_check_char, id_number_check_expr, mobile_check_expr


def _ids(n: int) -> list[str]:
    rng = random.Random(1)
    out = []
    for i in range(n):
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(20000))
        body = (
            rng.choice(["120101", "120116", "110105", "440305"])
            + birth.strftime("%Y%m%d")
            + f"{rng.randrange(1000):03d}"
        )
        number = body + id_check_char(body)
        out.append(number if i % 20 else number[:17] + ("0" if number[17] != "0" else "1"))  # 5 % bad
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    ids = _ids(rows)
    mobiles = [f"1{random.Random(i).randrange(30, 100)}{i:08d}"[:11] for i in range(rows)]
    df = pl.DataFrame({"SFZJH": ids, "SJHM": mobiles})
    start = time.perf_counter()
    out = df.select(id_number_check_expr("SFZJH"), mobile_check_expr("SJHM"))
    vector = time.perf_counter() - start
    bad = out["SFZJH"].is_not_null().sum()
    sample = ids[: min(rows, 100_000)]
    start = time.perf_counter()
    for value in sample:
        check_id_number(value)
    scalar = (time.perf_counter() - start) * rows / len(sample)
    print(f"rows: {rows:,}; bad ID numbers found: {bad:,}")
    print(f"vectorised (ID number + mobile): {vector:.2f} s  ({rows / vector:,.0f} rows/s)")
    print(
        f"scalar ID number check (extrapolated from {len(sample):,}): {scalar:.2f} s  ({rows / scalar:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
