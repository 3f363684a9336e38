"""Backup, restore and destruction on a million-student database, against the bare database tools.

    .venv/bin/python bench/lifecycle.py [--students 1000000] [--backends sqlite,postgresql]

For each backend: a fresh database with the demo catalogue and ``--students`` synthetic students loaded through
the data path (validated, encrypted, audited). Measured in the same run:

(a) ``edudata backup`` (consistent copy, per-table row counts and content hashes, AES-GCM, Ed25519 manifest) against
    the bare tool: ``sqlite3 <db> ".backup <file>"`` / ``pg_dump -Fc``; and their ratio;
(b) ``edudata restore`` into an empty database (verify every chunk, decrypt, load, re-apply the destruction ledger,
    recompute and compare every table's content hash) against ``sqlite3 <new> ".restore <file>"`` /
    ``pg_restore`` of the bare dump; and their ratio;
(c) destroying one person (request with rows located through the data path, approval, execution with history,
    key, side stores, copies, certificate and ledger, then the vacuum of the tables / WAL checkpoint);
(d) with ``--people N`` (e.g. 10000): destroying N people by one request (scope ``people``: one approval, one
    execution, one certificate listing them), then one vacuum (``after_commit`` once). ``--only-destroy`` skips (a) and (b).
Figures only: no pass/fail. PostgreSQL: scratch databases on ``EDUDATA_TEST_PG_URL``, dropped afterwards.
"""

from __future__ import annotations

import sys

# The script's folder holds other benchmarks named like standard modules (bench/inspect.py): keep it off the path.
sys.path[:] = [p for p in sys.path if p not in ("", __file__.rsplit("/", 1)[0])]
sys.path.append(__file__.rsplit("/", 1)[0])  # last, after the standard library: for seed.py

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402

PG_ADMIN = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ACTOR = {"username": "bench", "source_ip": "local"}


@dataclass(frozen=True)
class Caller:
    account_id: int
    username: str
    unit_code: str
    roles: frozenset
    source_ip: str = "127.0.0.1"


def _pg(sql: str) -> None:
    from edudata.db import normalise_url

    engine = create_engine(normalise_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _new_url(backend: str, folder: Path, label: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{label}.db'}"
    name = f"edudata_bench_{label}_{uuid.uuid4().hex[:8]}"
    _pg(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        _pg(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def build(url: str, settings, students: int) -> dict:  # noqa: ANN001
    from edudata.catalog.demo import load_demo_catalogue
    from edudata.db import Database
    from edudata.migrate import upgrade
    from edudata.org.service import create_account, ensure_demo_units
    from edudata.reference import seed_reference_data
    from edudata.synth import people
    from seed import collect

    upgrade(url)
    db = Database(url)
    ids = {}
    with db.session() as s:
        seed_reference_data(s)
        ensure_demo_units(s)
        for name, unit, role in (
            ("xgb", "0104", "unit_data_officer"),
            ("office", "0002", "office_admin"),
            ("office2", "0002", "office_admin"),
            ("destroyer", "0002", "destruction_officer"),
        ):
            ids[name] = create_account(s, username=name, password="Bench-Passw0rd!", unit_code=unit,
                                       roles=(role,)).id  # fmt: skip
        load_demo_catalogue(s, created_by="office")
        s.commit()
    callers = {n: Caller(ids[n], n, u, frozenset({r})) for n, u, r in (
        ("xgb", "0104", "unit_data_officer"), ("office", "0002", "office_admin"),
        ("office2", "0002", "office_admin"), ("destroyer", "0002", "destruction_officer"))}  # fmt: skip
    t0 = time.perf_counter()
    frame = people.students(students, seed=7)
    # 学籍状态 has its own authoritative source (教务处): 学生工作部 writes the rest (Art. 19).
    collect(db, settings, "student_basic", frame.drop("XJZT"), "0104")
    print(f"  collected {students:,} students through review in {time.perf_counter() - t0:.1f} s")
    db.dispose()
    return {
        "callers": callers,
        "id_number": frame["SFZJH"][students // 2],
        "id_numbers": frame["SFZJH"].to_list(),
    }


def _timed(fn) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bare_backup(backend: str, url: str, target: Path) -> float:
    from edudata.lifecycle import snapshot

    if backend == "sqlite":
        path = snapshot.sqlite_path(url)
        return _timed(lambda: subprocess.run(["sqlite3", str(path), f".backup '{target}'"], check=True))
    with snapshot.pg_engine(url) as engine, engine.connect() as conn:
        tool = snapshot.pg_tool(conn, "pg_dump")
    cmd = [
        tool,
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
        f"--dbname={snapshot.libpq_url(url)}",
    ]
    return _timed(lambda: subprocess.run(cmd, check=True))


def bare_restore(backend: str, dump: Path, url: str) -> float:
    from edudata.lifecycle import snapshot

    if backend == "sqlite":
        path = snapshot.sqlite_path(url)
        return _timed(lambda: subprocess.run(["sqlite3", str(path), f".restore '{dump}'"], check=True))
    with snapshot.pg_engine(url) as engine, engine.connect() as conn:
        tool = snapshot.pg_tool(conn, "pg_restore")
    cmd = [
        tool,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        f"--dbname={snapshot.libpq_url(url)}",
        str(dump),
    ]
    return _timed(lambda: subprocess.run(cmd, check=True))


def destroy_one(url: str, settings, world: dict) -> float:  # noqa: ANN001
    from edudata.access import datapath
    from edudata.db import Database
    from edudata.lifecycle import destruction

    db = Database(url)
    c = world["callers"]
    t0 = time.perf_counter()
    with db.session() as s:
        ctx = datapath.Context(session=s, settings=settings, database=db, request_id="bench")
        req = destruction.request_destruction(c["office"], ctx, scope_kind="person", reason="bench",
                                              id_number=world["id_number"])  # fmt: skip
        s.commit()
        destruction.decide(c["office2"], ctx, req.id, approve=True, note=None)
        s.commit()
        cert = destruction.execute(c["destroyer"], ctx, req.id)
        s.commit()
        complete = destruction.after_commit(ctx, destruction.reclaimed_tables(cert))
        rows = cert.body.count('"current":1')
    elapsed = time.perf_counter() - t0
    db.dispose()
    print(f"  destroyed one person ({rows} dataset(s)) in {elapsed:.2f} s"
          f"{'' if complete else ' (an older transaction was still running at the vacuum)'}")  # fmt: skip
    return elapsed


def destroy_many(url: str, settings, world: dict, people: int) -> float:  # noqa: ANN001
    """``people`` destroyed by one request (scope ``people``): one approval, one execution, one certificate."""
    from edudata.access import datapath
    from edudata.db import Database
    from edudata.lifecycle import destruction

    db = Database(url)
    c = world["callers"]
    chosen = world["id_numbers"][:people]
    t0 = time.perf_counter()
    with db.session() as s:
        ctx = datapath.Context(session=s, settings=settings, database=db, request_id="bench")
        req = destruction.request_destruction(c["office"], ctx, scope_kind="people", reason="bench",
                                              id_numbers=chosen)  # fmt: skip
        s.commit()
        requested = time.perf_counter() - t0
        destruction.decide(c["office2"], ctx, req.id, approve=True, note=None)
        s.commit()
        cert = destruction.execute(c["destroyer"], ctx, req.id)
        s.commit()
        executed = time.perf_counter() - t0
        complete = destruction.after_commit(ctx, destruction.reclaimed_tables(cert))
    elapsed = time.perf_counter() - t0
    db.dispose()
    print(f"  destroyed {people:,} people by one request in {elapsed:.1f} s ({requested:.1f} s the request, "
          f"{executed - requested:.1f} s approval and execution, {elapsed - executed:.1f} s the vacuum"
          f"{'' if complete else ', an older transaction was still running'})")  # fmt: skip
    return elapsed


def run(backend: str, students: int, people: int = 0, only_destroy: bool = False) -> dict:
    from edudata import cache
    from edudata.config import Settings
    from edudata.db import Database
    from edudata.lifecycle import backup, operations

    folder = Path(tempfile.mkdtemp(prefix="edudata-bench-lc-"))
    urls = []
    try:
        url = _new_url(backend, folder, "source")
        urls.append(url)
        settings = Settings(database_url=url, data_dir=folder / "data")
        print(f"[{backend}]")
        world = build(url, settings, students)
        results = {}
        if only_destroy:
            cache.clear_all()
            one = destroy_one(url, settings, world)
            many = (
                destroy_many(url, settings, {**world, "id_numbers": world["id_numbers"][1:]}, people)
                if people
                else None
            )
            return {"destroy": one, "destroy_many": many}
        bare_file = folder / ("bare.db" if backend == "sqlite" else "bare.dump")
        bare = bare_backup(backend, url, bare_file)
        target_bare = _new_url(backend, folder, "bare_restored")
        urls.append(target_bare)
        bare_r = bare_restore(backend, bare_file, target_bare)
        print(
            f"  bare: backup {bare:.1f} s, restore {bare_r:.1f} s, dump {bare_file.stat().st_size / 2**20:.0f} MiB"
        )
        for hashes in (True, False):
            label = "content hashes" if hashes else "row counts only"
            out = folder / f"ours-{hashes}"
            t0 = time.perf_counter()
            backup.create(settings, url, out, None, created_by="bench", content_hashes=hashes)
            ours = time.perf_counter() - t0
            (manifest,) = out.glob("*.manifest.json")
            size = next(out.glob("*.edbk")).stat().st_size
            target = _new_url(backend, folder, f"ours_restored_{int(hashes)}")
            urls.append(target)
            cache.clear_all()
            ours_r = _timed(lambda: operations.restore(settings, manifest, target, actor=ACTOR))  # noqa: B023
            print(f"  edudata ({label}): backup {ours:.1f} s (ratio {ours / bare:.2f}), "
                  f"restore {ours_r:.1f} s (ratio {ours_r / bare_r:.2f}), archive {size / 2**20:.0f} MiB")  # fmt: skip
            results[label] = (ours, ours_r)
        cache.clear_all()
        destroy = destroy_one(url, settings, world)
        if people:
            destroy_many(url, settings, {**world, "id_numbers": world["id_numbers"][1:]}, people)
        Database(url).dispose()
        return {
            "backup": ours,
            "bare_backup": bare,
            "restore": ours_r,
            "bare_restore": bare_r,
            "destroy": destroy,
        }
    finally:
        for u in urls:
            _drop(u)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--people", type=int, default=0, help="also destroy this many people (e.g. 10000)")
    parser.add_argument("--only-destroy", action="store_true", help="skip the backup and restore measures")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.students, args.people, args.only_destroy)


if __name__ == "__main__":
    main()
