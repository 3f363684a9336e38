"""Audit log throughput: batched appends, sequencing into the Merkle tree, verifying 1,000,000 records (prints only).

    .venv/bin/python bench/audit.py                      # SQLite (temporary file) and PostgreSQL
    .venv/bin/python bench/audit.py --records 200000 --backends sqlite

PostgreSQL: a scratch database is created on the server of EDUDATA_TEST_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record_many, record_now
from edudata.audit.verify import verify_log
from edudata.config import Settings
from edudata.db import Database, normalise_url
from edudata.migrate import upgrade
from edudata.reference import seed_reference_data

PG_ADMIN_URL = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _events(count: int) -> list[dict]:
    """Records shaped like the data path's: a share-API query by one of 500 accounts."""
    return [
        {
            "operation": "query",
            "account_id": i % 500,
            "username": f"user{i % 500:04d}",
            "unit_code": f"01{i % 10:02d}",
            "source_ip": f"10.1.{i % 250}.{i % 200}",
            "request_id": uuid.uuid4().hex,
            "dataset": "student.basic",
            "elements": ["XM", "XH", "SFZJH"],
            "row_count": i % 1000,
            "filter": "unit_code = '0102'",
            "detail": {"method": "GET", "path": "/api/v1/share/student.basic"},
        }
        for i in range(count)
    ]


def _admin(sql: str) -> None:
    engine = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def run(name: str, url: str, work: Path, records: int, batch: int) -> None:
    upgrade(url)
    db = Database(url)
    settings = Settings(database_url=url, data_dir=work)
    with db.session() as s:
        seed_reference_data(s)
    events = _events(batch)

    started = time.perf_counter()
    for _ in range(records // batch):
        with db.session() as s:
            record_many(s, events)
            s.commit()
    appended = time.perf_counter() - started

    single = 500
    started = time.perf_counter()
    for i in range(single):
        record_now(db, operation="login", username=f"user{i}", source_ip="10.0.0.1")
    one_by_one = time.perf_counter() - started

    started = time.perf_counter()
    integrated = sequence_all(db, settings, checkpoint=True)
    sequenced = time.perf_counter() - started
    if not db.is_sqlite:
        # As autovacuum would have done after a real day's appends (VACUUM runs outside a transaction).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE audit_record"))

    with db.session() as s:
        started = time.perf_counter()
        result = verify_log(s, settings)
        verified = time.perf_counter() - started
    assert result.ok, result
    db.dispose()
    print(f"{name:<10} batched appends ({batch:,}/transaction): {records / appended:>10,.0f}/s")
    print(f"{name:<10} single appends (own transaction each): {single / one_by_one:>9,.0f}/s")
    print(f"{name:<10} sequencing into the tree (batches of 20,000): {integrated / sequenced:>9,.0f}/s")
    print(
        f"{name:<10} verify {result.checked:,} records: {verified:.2f} s ({result.checked / verified:,.0f}/s)"
    )
    print(f"{name:<10} load average at the end: {os.getloadavg()[0]:.1f}")  # the machine is shared: say so


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="edudata-bench-audit-") as tmp:
        work = Path(tmp)
        if "sqlite" in backends:
            run("SQLite", f"sqlite:///{work / 'audit.db'}", work, args.records, args.batch)
        if "postgresql" in backends:
            name = f"edudata_bench_{uuid.uuid4().hex[:8]}"
            _admin(f'CREATE DATABASE "{name}"')
            try:
                url = normalise_url(PG_ADMIN_URL).rsplit("/", 1)[0] + f"/{name}"
                run("PostgreSQL", url, work, args.records, args.batch)
            finally:
                _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
