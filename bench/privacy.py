"""PI register: distinct people over 1,000,000 governed records, counted by the subject reference (no decryption),
against decrypting every ID number and counting in Python; and the 用而不存 verification's latency.

    .venv/bin/python bench/privacy.py [--records 1000000] [--backends sqlite,postgresql]

For each backend: a fresh database with the demo catalogue; 70 % of the records are students (student_basic),
30 % staff (staff_basic), and a third of the staff rows carry the ID number of a student, so the expected count
is 90 % of the records. Rows are loaded through the data path's insert (validated, encrypted, audited).
Measured: (a) ``count_people_across`` over both datasets — ``COUNT(DISTINCT _subject)`` per table and a UNION;
(b) the same answer by decrypting every ID number through the data path's export and counting distinct values;
their ratio; (c) verification calls (key by ID number, check the name) per second, one after another.
Figures only: no pass/fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg(sql: str) -> None:
    from edudata.db import normalise_url

    engine = create_engine(normalise_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


class Caller:
    def __init__(self, account_id: int, username: str, unit_code: str, roles: set[str]) -> None:
        self.account_id, self.username, self.unit_code = account_id, username, unit_code
        self.roles, self.source_ip = frozenset(roles), "127.0.0.1"


def run(url: str, data_dir: Path, records: int) -> None:
    import polars as pl

    from edudata.access import datapath
    from edudata.catalog.demo import load_demo_catalogue
    from edudata.config import Settings
    from edudata.db import Database
    from edudata.migrate import upgrade
    from edudata.org.service import ensure_demo_units
    from edudata.privacy import verify
    from edudata.reference import seed_reference_data
    from edudata.synth import people
    from seed import collect

    settings = Settings(database_url=url, data_dir=data_dir)
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        seed_reference_data(s)
        ensure_demo_units(s)
        load_demo_catalogue(s, created_by="bench")
        s.commit()
    n_students = records * 7 // 10
    n_staff = records - n_students
    stu = people.students(n_students, seed=7)
    stf = people.staff(n_staff, seed=8)
    shared = n_staff // 3
    stf = pl.concat(
        [
            stf.slice(0, shared).with_columns(stu.get_column("SFZJH").slice(0, shared).alias("SFZJH")),
            stf.slice(shared),
        ]
    )
    t0 = time.perf_counter()
    for code, unit, frame in (("student_basic", "0104", stu), ("staff_basic", "0102", stf)):
        collect(db, settings, code, frame, unit)
    print(f"  collected {records:,} records through review in {time.perf_counter() - t0:.1f} s")
    # Synthetic ID numbers can repeat (birth date and sequence); the truth is the distinct values loaded.
    expected = pl.concat([stu.get_column("SFZJH"), stf.get_column("SFZJH")]).n_unique()
    office = Caller(2, "office", "0002", {"office_admin", "data_protection_officer"})
    with db.session() as s:
        ctx = datapath.Context(session=s, settings=settings, database=db, request_id="bench")
        times = []
        for _ in range(3):
            t = time.perf_counter()
            per, total = datapath.count_people_across(office, ctx, ["student_basic", "staff_basic"])
            times.append(time.perf_counter() - t)
            s.commit()
        assert total == expected, (total, expected)
        count_s = statistics.median(times)
        t = time.perf_counter()
        seen: set[str] = set()
        for code in ("student_basic", "staff_basic"):
            _page, frames = datapath.export_frames(office, ctx, code, elements=["SFZJH"], chunk=50_000)
            for f in frames:
                seen.update(f.get_column("SFZJH").to_list())
        decrypt_s = time.perf_counter() - t
        s.commit()
        assert len(seen) == expected, (len(seen), expected)
        sample = stu.slice(0, 200)
        t = time.perf_counter()
        for i, row in enumerate(sample.iter_rows(named=True)):
            asker = Caller(100 + i // 20, f"asker{i // 20}", "0110", {"applicant"})  # 20 a minute each
            assert verify.verify(asker, ctx, "student_basic", ("SFZJH", row["SFZJH"]), ("XM", row["XM"]))
            s.commit()
        verify_s = (time.perf_counter() - t) / sample.height
    print(
        f"  people: {total:,} of {records:,} records (student_basic {per['student_basic']:,}, staff_basic {per['staff_basic']:,})"
    )
    print(f"  (a) count by subject reference (median of 3): {count_s:.2f} s")
    print(
        f"  (b) decrypt every ID number and count:        {decrypt_s:.2f} s  ratio {decrypt_s / count_s:.1f}x"
    )
    print(
        f"  (c) verification: {verify_s * 1000:.1f} ms a call ({1 / verify_s:,.0f}/s, one caller after another)"
    )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        tmp = Path(tempfile.mkdtemp(prefix="edudata-bench-privacy-"))
        name = f"edudata_bench_{uuid.uuid4().hex[:8]}"
        try:
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'bench.db'}"
            else:
                _pg(f'CREATE DATABASE "{name}"')
                url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
            print(f"{backend}:")
            run(url, tmp, args.records)
        finally:
            if backend != "sqlite":
                _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
