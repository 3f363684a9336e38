"""Data-path throughput: a governed page (decide, decrypt, mask, audit) against a plain SELECT of the same page.

    .venv/bin/python bench/datapath.py [--students 1000000] [--backends sqlite,postgresql] [--seconds 15]

For each backend: a fresh database with the demo catalogue and ``--students`` synthetic students loaded by their
producer unit through the data path; the real app served by uvicorn in a subprocess; ``wrk`` (Debian package
``wrk``) as the HTTP load generator on loopback. Measured:

(a) requests/s, p50 and p99 of ``GET /api/v1/data/student_basic?limit=1000&cursor=…`` as the office (every
    element, sensitive PI masked, one audit record per request), and of ``GET /bench/plain?after=…`` — a route
    this script adds to the same app that SELECTs the same 1,000 rows and columns and returns them as stored
    (ciphertext base64), with no decision, decryption, masking or audit; and their ratio;
(b) audit appends/s (batched ``record_many``), (c) seconds to verify the resulting chain, (d) AES-GCM
    encrypt+decrypt values/s on this data.
Figures only: no pass/fail.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg(sql: str) -> None:
    from edudata.db import normalise_url

    engine = create_engine(normalise_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def build(url: str, data_dir: Path, students: int) -> str:
    """Migrate, load the demo catalogue and the students; return an office token."""
    from edudata.catalog.demo import load_demo_catalogue
    from edudata.config import Settings
    from edudata.db import Database
    from edudata.identity.tokens import issue_token
    from edudata.migrate import upgrade
    from edudata.org.service import create_account, ensure_demo_units
    from edudata.reference import seed_reference_data
    from edudata.synth import people
    from seed import collect

    settings = Settings(database_url=url, data_dir=data_dir)
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        seed_reference_data(s)
        ensure_demo_units(s)
        office = create_account(
            s, username="office", password="Bench-Passw0rd!", unit_code="0002", roles=("office_admin",)
        )
        load_demo_catalogue(s, created_by="office")
        token = issue_token(s, office.id, settings).secret
        s.commit()

    t0 = time.perf_counter()
    # The same path the demo and the API take: one batch, validated, reviewed, loaded encrypted and audited.
    collect(db, settings, "student_basic", people.students(students, seed=7), "0104")
    print(f"  collected {students:,} students through review in {time.perf_counter() - t0:.1f} s")
    db.dispose()
    return token


def serve(url: str, data_dir: str, port: int) -> None:
    """The real app plus one benchmark-only route: a plain SELECT of the same page, nothing governed."""
    import uvicorn
    from fastapi import Query
    from fastapi.responses import JSONResponse

    from edudata.access.specs import load_spec
    from edudata.api.app import create_app
    from edudata.config import Settings
    from edudata.store import service as store
    from edudata.store.guard import datapath_scope

    app = create_app(Settings(database_url=url, data_dir=Path(data_dir)))
    db = app.state.db

    @app.get("/bench/plain")
    def plain(after: int = Query(0)) -> JSONResponse:
        with db.session() as s, datapath_scope("benchmark baseline"):
            spec = load_spec(s, "student_basic")
            current, _ = store.tables_for(s, spec)
            cols = [current.c._id] + [current.c[e.column] for e in spec.elements]
            rows = s.execute(
                select(*cols).where(current.c._id > after).order_by(current.c._id).limit(1000)
            ).all()
        names = ["_id", *spec.element_codes]
        out = [
            {
                n: (base64.b64encode(v).decode() if isinstance(v, bytes) else store.jsonable(v))
                for n, v in zip(names, r, strict=True)
            }
            for r in rows
        ]
        return JSONResponse({"rows": out, "count": len(out)})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


B64 = """-- the data API's cursor is opaque to clients; the benchmark builds the keyset one ({"k": id}, base64url)
-- to start each request at a chosen row, as edudata.api.paging.encode_cursor does
local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function cursor(id)
  local s = '{"k":' .. id .. '}'
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 2 + (b and 1 or 0) + (c and 1 or 0)
    for j = 1, chars do
      local v = math.floor(n / 2 ^ (6 * (4 - j))) %% 64
      out[#out + 1] = b64:sub(v + 1, v + 1)
    end
  end
  return table.concat(out)
end
"""

LUA = (
    """
"""
    + """%(b64)s"""
    + """
counter = 0
request = function()
  counter = counter + 1
  local after = (counter * 7919) %% %(span)d
  return wrk.format("GET", "%(path)s" .. %(encode)s(after))
end
"""
)


def wrk(url_path: str, port: int, token: str, seconds: int, connections: int, span: int) -> dict[str, float]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    encode = "cursor" if "cursor=" in url_path else "tostring"
    script.write_text(LUA % {"span": span, "path": url_path, "b64": B64 % (), "encode": encode})
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            "-H",
            f"Authorization: Bearer {token}",
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def run_backend(name: str, students: int, seconds: int, connections: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bench-datapath-{name}-"))
    pg_name = None
    if name == "sqlite":
        url = f"sqlite:///{work / 'edudata.db'}"
    else:
        pg_name = f"edudata_bench_{uuid.uuid4().hex[:8]}"
        _pg(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    print(f"[{name}]")
    try:
        token = build(url, work, students)
        port = random.randint(20000, 40000)
        server = subprocess.Popen([sys.executable, __file__, "serve", url, str(work), str(port)], cwd=ROOT)
        try:
            import httpx

            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            span = max(students - 1000, 1)
            gov = wrk(
                "/api/v1/data/student_basic?limit=1000&cursor=", port, token, seconds, connections, span
            )
            plain = wrk("/bench/plain?after=", port, token, seconds, connections, span)
        finally:
            server.terminate()
            server.wait(10)
        print(
            f"  (a) governed page of 1,000 masked+audited records: {gov['rps']:.1f} req/s, p50 {gov['p50']:.1f} ms, "
            f"p99 {gov['p99']:.1f} ms, errors {gov['errors']}"
        )
        print(
            f"      plain SELECT of the same page, same app:       {plain['rps']:.1f} req/s, p50 {plain['p50']:.1f} ms, "
            f"p99 {plain['p99']:.1f} ms, errors {plain['errors']}"
        )
        print(f"      governed / plain throughput: {gov['rps'] / plain['rps']:.0%}")
        audit_and_crypto(url, work)
    finally:
        if pg_name:
            _pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def audit_and_crypto(url: str, work: Path) -> None:
    from edudata.audit import service as audit
    from edudata.audit.verify import verify_chain
    from edudata.config import Settings
    from edudata.crypto.service import FieldCipher
    from edudata.db import Database

    settings = Settings(database_url=url, data_dir=work)
    db = Database(url)
    events = [
        {
            "operation": "query",
            "result": "success",
            "account_id": 1,
            "username": "bench",
            "unit_code": "0002",
            "source_ip": "127.0.0.1",
            "request_id": uuid.uuid4().hex,
            "dataset": "student_basic",
            "elements": ["XH", "XM", "SFZJH"],
            "row_count": 1000,
            "detail": {"basis": "office"},
        }
        for _ in range(200_000)
    ]
    t0 = time.perf_counter()
    with db.session() as s:
        for i in range(0, len(events), 10_000):
            audit.record_many(s, events[i : i + 10_000])
            s.commit()
    appends = len(events) / (time.perf_counter() - t0)
    with db.session() as s:
        t0 = time.perf_counter()
        result = verify_chain(s, settings=settings)
        verify_s = time.perf_counter() - t0
    print(f"  (b) audit appends, batched: {appends:,.0f}/s")
    print(
        f"  (c) verify {result.checked:,} chained records: {verify_s:.2f} s ({'intact' if result.ok else 'BROKEN'})"
    )
    values = [f"12010120030501{i % 10_000:04d}" for i in range(200_000)]
    with db.session() as s:
        cipher = FieldCipher(s, settings)
        t0 = time.perf_counter()
        enc = cipher.encrypt_values("dataset:bench", values)
        cipher.decrypt_values(enc)
        rate = len(values) / (time.perf_counter() - t0)
        s.rollback()
    print(f"  (d) AES-256-GCM encrypt+decrypt: {rate:,.0f} values/s")
    db.dispose()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed as the load generator: apt-get install wrk")
    for name in args.backends.split(","):
        run_backend(name, args.students, args.seconds, args.connections)


if __name__ == "__main__":
    main()
