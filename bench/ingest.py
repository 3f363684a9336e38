"""Collection throughput: synthetic students as CSV → read → validate → encrypt → load, on SQLite and PostgreSQL.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--backends sqlite,postgresql] [--no-python-loop]

For each backend: a fresh database with the demo catalogue; ``--rows`` synthetic students (1 % of rows with a
planted defect, :mod:`edudata.synth.defects`) written as a UTF-8 CSV; then, timed with peak memory per stage
(``/proc/self/clear_refs`` resets the high-water mark before each one):

- read: the connector's CSV reader (header mapping, every value as text, empty rows dropped);
- validate: every rule of the dataset, vectorised (data standards, code sets, required, uniqueness within the
  batch, units exist, birth date / gender against the ID number);
- encrypt: subject references, AES-GCM of every personal element under its person's own key (issue 17: name,
  ID number, birth date, ethnic code, mobile, bank card, e-mail, address) and the HMAC blind indexes, alone
  (random per-person keys, no key table: for the figure);
- load: ``datapath.bulk_load`` as the office — decide, create the million people's keys in bulk, encrypt per
  person + blind-index again, insert (COPY on PostgreSQL),
  audit — then commit;

and, on the same file and rules in the same run: pandera (polars backend) running the same expressions as
dataframe checks (also alternated with our validation three times, best of each printed), a plain per-row Python loop over the scalar validators, and the floor: bare ``pl.read_csv`` of
the file plus a bare PostgreSQL ``COPY`` of it into a table of text columns. Figures only: no pass/fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds scripts named like standard modules (inspect.py): keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402

import polars as pl  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

PG_ADMIN = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def timed(name: str, rows: int, fn: Callable[[], object], figures: list) -> object:
    _reset_peak()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    figures.append((name, seconds, rows / seconds if seconds else float("inf"), _peak_mb()))
    print(
        f"  {name:<34} {seconds:8.2f} s  {rows / seconds:>11,.0f} rows/s  peak {_peak_mb():7.0f} MB",
        flush=True,
    )
    return out


def _pg(sql: str) -> None:
    from edudata.db import normalise_url

    engine = create_engine(normalise_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def build(url: str, data_dir: Path):  # noqa: ANN201 - (settings, database, caller)
    from edudata.catalog.demo import load_demo_catalogue
    from edudata.config import Settings
    from edudata.db import Database
    from edudata.identity.service import principal_for
    from edudata.migrate import upgrade
    from edudata.org.service import create_account, ensure_demo_units
    from edudata.reference import seed_reference_data

    settings = Settings(database_url=url, data_dir=data_dir, master_key_file=data_dir / "keys" / "master.key")
    upgrade(url)
    database = Database(url)
    with database.session() as s:
        seed_reference_data(s)
        ensure_demo_units(s)
        load_demo_catalogue(s, created_by="bench")
        account = create_account(
            s,
            username="bench_office",
            password="Passw0rd!bench",
            unit_code="0002",
            roles=("office_admin",),
            granted_by="bench",
        )
        s.commit()
        caller = principal_for(s, account.id, source_ip="bench", via="bench")
    return settings, database, caller


def write_csv(rows: int, path: Path) -> int:
    from edudata.synth.people import students

    frame = students(rows, seed=7, error_rate=0.01)
    planted = frame.filter(pl.col("_planted_error").is_not_null()).height
    frame.drop("_planted_error").with_columns(pl.col("NJ").cast(pl.String)).write_csv(path)
    return planted


def python_loop(frame: pl.DataFrame, ctx) -> int:  # noqa: ANN001
    """The same rules one row at a time with the scalar validators (what the vectorised pass replaces)."""
    from edudata.catalog.validators import VALIDATORS, check_id_consistency

    spec, bad, seen = ctx.spec, 0, {u: set() for u in ctx.unique}
    for row in frame.iter_rows(named=True):
        failed = False
        for e in spec.elements:
            value = row.get(e.code)
            if value is None or str(value).strip() == "":
                failed |= e.required
                continue
            check = VALIDATORS.get(e.data_type)
            if check is not None:
                result = check(value)
                if not result.ok:
                    failed = True
                    continue
                value = result.value
            if e.code_set and str(value) not in ctx.code_sets.get(e.code_set, set()):
                failed = True
            if len(str(value)) > (e.max_length or 255):
                failed = True
            if e.code in seen:
                failed |= value in seen[e.code]
                seen[e.code].add(value)
        if row.get("YXDM") not in ctx.unit_codes:
            failed = True
        if not failed:
            failed = not check_id_consistency(
                row["SFZJH"], gender_code=row["XBM"], birth_date=VALIDATORS["date"](row["CSRQ"]).value
            ).ok
        bad += failed
    return bad


def pandera_run(frame: pl.DataFrame, ctx) -> int | str:  # noqa: ANN001
    """The same built-in rule expressions as pandera (polars backend) dataframe checks, lazily, all failures."""
    try:
        import pandera.polars as pa
    except ImportError:
        return "pandera not installed"
    from edudata.ingest import repair
    from edudata.ingest.rules import builtin_checks, normalise_expr

    elements = [c for c in frame.columns if not c.startswith("_")]
    work = frame.with_columns(
        [normalise_expr(ctx.spec.element(e), pl.col(e)).alias(f"n|{e}") for e in elements]
    )
    # The same rules as ours: office habits and lost leading zeros repaired first, Excel damage checked too.
    work, _ = repair.apply(work, elements, ctx)
    checks = [
        pa.Check(
            lambda data, expr=c.expr: data.lazyframe.select(expr.is_null()), name=f"{c.element}:{c.rule}"
        )
        for c in builtin_checks(work, ctx) + repair.excel_checks(work, elements, ctx)
    ]
    schema = pa.DataFrameSchema(checks=checks)
    try:
        schema.validate(work, lazy=True)
    except pa.errors.SchemaErrors as err:
        return len(err.failure_cases)
    return 0


def floor(path: Path, pg_url: str | None, rows: int, figures: list) -> float:
    total = 0.0
    start = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False)
    total += time.perf_counter() - start
    print(f"  {'floor: bare pl.read_csv':<34} {total:8.2f} s")
    if pg_url:
        import psycopg

        columns = ", ".join(f'"{c}" text' for c in frame.columns)
        with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql")) as conn:
            conn.execute(f"CREATE TEMP TABLE bench_copy ({columns})")
            start = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                path.open("rb") as f,
            ):
                while block := f.read(1 << 20):
                    copy.write(block)
            seconds = time.perf_counter() - start
        total += seconds
        print(f"  {'floor: bare PostgreSQL COPY':<34} {seconds:8.2f} s")
    figures.append(("floor (read_csv + COPY)", total, rows / total, _peak_mb()))
    return total


def run_backend(backend: str, rows: int, csv_path: Path, with_loop: bool) -> None:
    from edudata.access import datapath
    from edudata.access.crypto_bridge import StoreCrypto
    from edudata.access.specs import load_spec
    from edudata.ingest import readers, service
    from edudata.ingest.review import typed_columns
    from edudata.ingest.validate import run

    data_dir = Path(tempfile.mkdtemp(prefix=f"edudata-bench-{backend}-"))
    pg_name = None
    if backend == "postgresql":
        pg_name = f"edudata_bench_{uuid.uuid4().hex[:8]}"
        _pg(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{pg_name}"
    else:
        url = f"sqlite:///{data_dir / 'edudata.db'}"
    figures: list = []
    try:
        settings, database, caller = build(url, data_dir)
        print(f"\n{backend}: {rows:,} rows", flush=True)
        with database.session() as session:
            ctx = datapath.Context(session, settings, database)
            s = service.setup(session, "student_basic")
            lookup = readers.header_lookup(s.spec, s.saved, s.names_en)
            table = timed(
                "read (connector)",
                rows,
                lambda: readers.read_csv(csv_path, lookup, s.spec, "bench.csv"),
                figures,
            )
            checks = service._context(caller, ctx, s, table.frame)
            outcome = timed(
                "validate (vectorised, all rules)", rows, lambda: run(table.frame, checks, checks=[]), figures
            )
            # Validation against pandera: both, alternately, three times each; the best of each is compared
            # (two noisy cores make any single pair of runs a coin toss at these durations).
            ours, theirs = [], []
            for _ in range(3):
                start = time.perf_counter()
                run(table.frame, checks, checks=[])
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                pandera_run(table.frame, checks)
                theirs.append(time.perf_counter() - start)
            print(
                f"  {'validate vs pandera, best of 3':<34} {min(ours):8.2f} s vs {min(theirs):.2f} s"
                f"  (ours {', '.join(f'{t:.2f}' for t in ours)}; pandera {', '.join(f'{t:.2f}' for t in theirs)})",
                flush=True,
            )
            print(f"    good {outcome.good.height:,}, quarantined {outcome.quarantined.height:,}")
            good = outcome.good.drop("_row")
            crypto, spec = StoreCrypto(session, settings), load_spec(session, "student_basic")

            def encrypt() -> None:
                # What the load does per chunk, without the key table: subject references, every person's
                # own key (random, as created in bulk), AES-GCM of each personal value under it, blind
                # indexes; elements under the dataset key as before.
                from edudata.crypto.envelope import element_aad
                from edudata.crypto.subject_keys import SubjectKeyset, seal_columns

                for start in range(0, good.height, 100_000):
                    part = good.slice(start, 100_000)
                    refs = crypto.subject_refs(part.get_column(spec.person_element.code).to_list())
                    material = os.urandom(32 * len(refs))
                    keyset = SubjectKeyset(
                        {ref: (i + 1, material[32 * i : 32 * i + 32]) for i, ref in enumerate(refs)}
                    )
                    personal = {}
                    for e in spec.elements:
                        if e.encrypted:
                            values = [None if v in (None, "") else str(v) for v in part.get_column(e.code)]
                            if e.personal:
                                personal[e.code] = values
                            else:
                                crypto.encrypt(spec, e, values)
                            if e.blind_index:
                                crypto.blind_index(spec, e, values)
                    aads = {code: element_aad(spec.code, code) for code in personal}
                    seal_columns(crypto.keys, refs, personal, aads, keyset)

            personal = [e.code for e in spec.elements if e.personal]
            print(f"    per-person elements ({len(personal)}): {', '.join(personal)}")
            timed("encrypt + blind index (alone)", good.height, encrypt, figures)
            columns = typed_columns(spec, good)

            def load() -> None:
                datapath.bulk_load(caller, ctx, "student_basic", columns, batch="bench", key=s.key)
                session.commit()

            timed("load via data path (enc+idx+ins)", good.height, load, figures)
            whole = figures[0][1] + figures[1][1] + figures[3][1]
            print(
                f"  {'whole ingest (read+validate+load)':<34} {whole:8.2f} s  {rows / whole:>11,.0f} rows/s"
            )
            pandera = []
            timed(
                "pandera (polars), same rules",
                rows,
                lambda: pandera.append(pandera_run(table.frame, checks)),
                figures,
            )
            print(f"    pandera failure cases: {pandera[0]}")
            if with_loop:
                bad = []
                timed(
                    "plain Python per-row loop",
                    rows,
                    lambda: bad.append(python_loop(table.frame, checks)),
                    figures,
                )
                print(f"    per-row loop found {bad[0]:,} bad rows")
            bare = floor(csv_path, url if backend == "postgresql" else None, rows, figures)
            print(f"  ratio whole ingest / floor: {whole / bare:.1f}")
        database.dispose()
    finally:
        if pg_name:
            _pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-python-loop", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edudata-bench-ingest-"))
    csv_path = work / "students.csv"
    start = time.perf_counter()
    planted = write_csv(args.rows, csv_path)
    size = csv_path.stat().st_size / 1e6
    print(
        f"synthetic CSV: {args.rows:,} rows, {planted:,} planted defects, {size:.0f} MB ({time.perf_counter() - start:.1f} s)"
    )
    for backend in [b for b in args.backends.split(",") if b]:
        run_backend(backend, args.rows, csv_path, not args.no_python_loop)
    csv_path.unlink()


if __name__ == "__main__":
    main()
