"""Year-end inspection on a large university: every registered check over every unit.

    .venv/bin/python bench/inspect.py [--students 1000000] [--units 100] [--applications 10000]
                                      [--audit 5000000] [--backends postgresql,sqlite]

For each backend: a fresh database with the demo catalogue, ``--units`` units, ``--students`` synthetic students
loaded by their producer unit through the data path, ``--applications`` share applications (each with a review;
half granted, with their grants), and ``--audit`` audit records spread over the last 200 days (queries and
exports on grants, logins, refusals, bulk exports). Then one year-end run (``edudata inspect run``): the seconds
of the whole run and of each check, and how many findings it stored. Figures only: no pass/fail.
"""

from __future__ import annotations

import sys

# This file is named like the standard library's ``inspect``; run as a script its folder comes first on the
# path and would shadow it for every library that imports it. Drop the folder before importing anything else.
if sys.path and sys.path[0] and __file__.startswith(sys.path[0]):
    sys.path.pop(0)
sys.path.append(__file__.rsplit("/", 1)[0])  # last, after the standard library: for seed.py

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import create_engine, insert, text  # noqa: E402

PG_ADMIN = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SPAN_DAYS = 200
BATCH = 10_000


def _pg(sql: str) -> None:
    from edudata.db import normalise_url

    engine = create_engine(normalise_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _units(session, count: int) -> list[str]:  # noqa: ANN001
    from edudata.org.service import create_unit, ensure_demo_units, list_units

    ensure_demo_units(session)
    existing = [u for u in list_units(session) if u.unit_type != "school"]
    for n in range(count - len(existing)):
        create_unit(
            session,
            code=f"{500 + n:04d}",
            name=f"学院{n + 1}",
            unit_type="producer",
            name_en=f"School {n + 1}",
        )
    return [u.code for u in list_units(session) if u.unit_type != "school"]


def _students(db, settings, count: int) -> float:  # noqa: ANN001
    from edudata.synth import people
    from seed import collect

    t0 = time.perf_counter()
    # Collected as the school collects it: one reviewed batch (学籍状态 is 教务处's, dropped, Art. 19).
    collect(db, settings, "student_basic", people.students(count, seed=7), "0104")
    return time.perf_counter() - t0


def _applications(session, applicant_id: int, units: list[str], count: int) -> list[int]:  # noqa: ANN001
    """Applications with one review each (5 % undecided and overdue), half granted with an access grant."""
    from edudata.access.models import AccessGrant
    from edudata.db import utcnow
    from edudata.sharing.models import ShareApplication, ShareReview

    now = utcnow()
    today = now.date()
    grants = [
        {"dataset_code": "student_basic", "grantee_unit_code": units[i % len(units)], "grantee_account_id": None,
         "elements": ["XH", "XM"], "row_filter": None, "masking": {}, "purpose": "评估", "deidentified": False,
         "starts_at": now - timedelta(days=100 if i % 4 == 0 else 10), "expires_at": now + timedelta(days=200),
         "created_at": now}
        for i in range(count // 2)
    ]  # fmt: skip
    grant_ids = list(session.execute(insert(AccessGrant).returning(AccessGrant.id), grants).scalars())
    apps = [
        {"applicant_account_id": applicant_id, "applicant_username": "applicant", "applicant_unit_code": units[i % len(units)],
         "contact_name": "李老师", "contact_phone": "13800000000", "purpose": "教学评估", "business_basis": "方案",
         "dataset_code": "student_basic", "owner_unit_code": "0104", "share_category": "conditional",
         "elements": ["XH", "XM"], "masking": {}, "period_start": today, "period_end": today + timedelta(days=200),
         "delivery": "api", "security_measures": "专人专机", "third_party": False, "third_party_name": "",
         "status": "granted" if i % 2 == 0 else "pending_producer", "sensitive_elements": [],
         "people_count": 1000, "grant_id": grant_ids[i // 2] if i % 2 == 0 else None,
         "created_at": now, "updated_at": now}
        for i in range(count)
    ]  # fmt: skip
    app_ids = list(session.execute(insert(ShareApplication).returning(ShareApplication.id), apps).scalars())
    reviews = [
        {"application_id": a, "stage": "producer", "reviewer_unit_code": "0104", "opened_at": now,
         "due_on": today - timedelta(days=3) if i % 20 == 1 else today + timedelta(days=5),
         "decided_at": now if i % 2 == 0 else None, "decision": "approve" if i % 2 == 0 else None, "comment": ""}
        for i, a in enumerate(app_ids)
    ]  # fmt: skip
    session.execute(insert(ShareReview), reviews)
    return grant_ids


def _audit(db, count: int, grant_ids: range, units: list[str]) -> float:  # noqa: ANN001
    """``count`` records in batches spread over the last 200 days, oldest first (the chain only moves forward)."""
    from edudata.audit.service import record_many
    from edudata.db import utcnow

    t0 = time.perf_counter()
    start = utcnow() - timedelta(days=SPAN_DAYS)
    batches = max(1, count // BATCH)
    for b in range(batches):
        at = start + timedelta(seconds=SPAN_DAYS * 86400 * b / batches)
        events = []
        for i in range(BATCH if b < batches - 1 else count - BATCH * (batches - 1)):
            n = b * BATCH + i
            kind = n % 10
            unit = units[n % len(units)]
            if kind < 6:
                g = grant_ids[n % len(grant_ids)]
                events.append({"operation": "query", "username": f"user{n % 500}", "unit_code": unit,
                               "dataset": "student_basic", "elements": ["XH", "XM"], "row_count": 100,
                               "detail": {"basis": f"grant:{g}", "masking": {}}})  # fmt: skip
            elif kind < 8:
                events.append({"operation": "login", "username": f"user{n % 500}", "unit_code": unit,
                               "source_ip": f"10.1.{n % 250}.{n % 200}", "request_id": uuid.uuid4().hex})  # fmt: skip
            elif kind == 8:
                events.append({"operation": "export", "username": f"user{n % 500}", "unit_code": unit,
                               "dataset": "student_basic", "row_count": 20_000 if n % 5000 == 8 else 50,
                               "detail": {"basis": "office"}})  # fmt: skip
            else:
                events.append({"operation": "query", "result": "denied", "username": f"user{n % 500}",
                               "unit_code": unit, "dataset": "student_basic", "detail": {"reason": "no grant"}})  # fmt: skip
        with db.session() as s:
            record_many(s, events, at=at)
            s.commit()
    return time.perf_counter() - t0


def run_backend(name: str, args: argparse.Namespace) -> None:
    from edudata.config import Settings
    from edudata.db import Database
    from edudata.inspect.registry import CheckContext, all_checks
    from edudata.inspect.runs import run_inspection
    from edudata.migrate import upgrade
    from edudata.org.service import create_account
    from edudata.reference import seed_reference_data

    work = Path(tempfile.mkdtemp(prefix=f"bench-inspect-{name}-"))
    pg_name = None
    if name == "sqlite":
        url = f"sqlite:///{work / 'edudata.db'}"
    else:
        pg_name = f"edudata_bench_{uuid.uuid4().hex[:8]}"
        _pg(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{pg_name}"
    try:
        settings = Settings(database_url=url, data_dir=work)
        upgrade(url)
        db = Database(settings.resolved_database_url())
        from edudata.catalog.demo import load_demo_catalogue

        with db.session() as s:
            seed_reference_data(s)
            units = _units(s, args.units)
            s.commit()
        print(f"[{name}] {len(units)} units")
        # The audit history first: the chain only moves forward, and everything below is recorded at "now".
        grants = range(1, args.applications // 2 + 1)  # the ids the grants below receive in a fresh database
        seconds = _audit(db, args.audit, grants, units)
        print(f"[{name}] {args.audit:,} audit records appended over {SPAN_DAYS} days: {seconds:.1f} s")

        with db.session() as s:
            create_account(
                s, username="office", password="Bench-Passw0rd!", unit_code="0002", roles=("office_admin",)
            )
            officer = create_account(
                s, username="xgb", password="Bench-Passw0rd!", unit_code="0104", roles=("unit_data_officer",)
            )
            applicant = create_account(
                s, username="applicant", password="Bench-Passw0rd!", unit_code="0110", roles=("applicant",)
            )
            load_demo_catalogue(s, created_by="office")
            ids = (officer.id, applicant.id)
            grant_ids = _applications(s, ids[1], units, args.applications)
            s.commit()
        assert grant_ids == list(grants), "grant ids differ from the audit history's"
        print(f"[{name}] {args.applications:,} applications, {len(grant_ids):,} grants")
        seconds = _students(db, settings, args.students)
        print(f"[{name}] {args.students:,} students through the data path: {seconds:.1f} s")

        t0 = time.perf_counter()
        with db.session() as s:
            run = run_inspection(s, "year_end", started_by="bench", settings=settings)
            s.commit()
            total = time.perf_counter() - t0
            print(
                f"[{name}] YEAR-END CHECK: {total:.1f} s, {len(run.checks)} checks, {run.new_count:,} findings, status {run.status}"
            )
            if run.error:
                print(run.error)
        # Each check alone, to show where the time goes.
        with db.session() as s:
            ctx = CheckContext(s, run.started_at, settings, office_unit_code="0002")
            for c in all_checks():
                t1 = time.perf_counter()
                hits = c.run(ctx)
                print(f"[{name}]   {c.code:34s} {time.perf_counter() - t1:7.2f} s  {len(hits):6,} hits")
        db.dispose()
    finally:
        if pg_name:
            _pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--audit", type=int, default=5_000_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    for name in args.backends.split(","):
        run_backend(name, args)


if __name__ == "__main__":
    main()
