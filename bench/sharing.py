"""Sharing delivery under load: 100 grant holders fetching pages through the data API at once.

    .venv/bin/python bench/sharing.py [--students 1000000] [--backends sqlite,postgresql] [--seconds 20] [--servers 2]

For each backend: a fresh database with the demo catalogue and ``--students`` synthetic students loaded by their
producer unit through the data path; 100 applications (one college and year of entry each, 7 elements, 姓名 and
身份证件号 masked) taken through the real sharing flow (apply → sign → producer approves → office approves), and
one grant-scoped credential each. The real app is served by uvicorn in a subprocess; ``wrk`` (Debian package
``wrk``) opens 100 connections, each request using one of the 100 credentials in turn and a keyset cursor somewhere inside that grant's rows:
``GET /api/v1/data/student_basic?limit=100&cursor=…``.

Printed: requests/s, p50 and p99 (wrk), non-2xx answers, and — measured inside the server by timing the data
path's own functions — the share of server time per request spent in the decision (credential → grant →
decision), masking, and the audit record, next to the store's SELECT and the rest (HTTP, JSON, authentication).
With ``--servers 2`` two app servers run on the same database (as ``edudata serve`` twice behind a load balancer,
docs/deployment.md) and the 100 connections are split between them (two ``wrk`` at once, 50 connections each);
the throughputs are added, p99 is the worse of the two. Figures only: no pass/fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path; other benchmarks here (inspect.py) must not shadow the
# standard library for the imports below.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402

from edudata.api.paging import encode_cursor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
HOLDERS = 100
ELEMENTS = ["XH", "XM", "XBM", "SFZJH", "YXDM", "ZYMC", "NJ"]


def _pg(sql: str) -> None:
    from edudata.db import normalise_url

    engine = create_engine(normalise_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


class Caller:
    """A principal for the set-up steps (the same shape identity builds per request)."""

    def __init__(self, account_id: int, username: str, unit_code: str, roles: set[str]) -> None:
        from edudata.identity.principal import Principal

        self.p = Principal(account_id, username, username, 0, unit_code, unit_code, frozenset(roles),
                           "127.0.0.1", "bench")  # fmt: skip


def build(url: str, data_dir: Path, students: int) -> list[tuple[str, int, int]]:
    """Migrate, load the students, run 100 applications through the flow; return one secret per grant, with
    the first and last _id of the grant's rows."""
    import polars as pl

    from edudata.access import datapath
    from edudata.catalog.demo import load_demo_catalogue
    from edudata.config import Settings
    from edudata.db import Database
    from edudata.migrate import upgrade
    from edudata.org.service import create_account, ensure_demo_units, list_units
    from edudata.reference import seed_reference_data
    from edudata.sharing import commitment, credentials, review, service
    from edudata.sharing.heads import set_head
    from edudata.sharing.service import INTERNAL_UNIT_TYPES
    from edudata.synth import people

    settings = Settings(database_url=url, data_dir=data_dir)
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        seed_reference_data(s)
        ensure_demo_units(s)
        load_demo_catalogue(s, created_by="office")
        pw = "Bench-Passw0rd!"
        office = create_account(s, username="office", password=pw, unit_code="0002", roles=("office_admin",))
        xgb = create_account(s, username="xgb", password=pw, unit_code="0104", roles=("unit_data_officer",))
        units = [u.code for u in list_units(s) if u.code not in {"0104", "0002", "0001"} and len(u.code) == 4
                 and u.unit_type in INTERNAL_UNIT_TYPES]  # fmt: skip
        applicants = []
        for code in units[:20]:
            a = create_account(s, username=f"app{code}", password=pw, unit_code=code, roles=("applicant",))
            # The applicant heads its unit, so its one signature of 附件2 is also the unit's (Art. 41).
            set_head(s, code, a.username, by="bench")
            applicants.append(Caller(a.id, a.username, code, {"applicant"}).p)
        office_p = Caller(office.id, "office", "0002", {"office_admin"}).p
        xgb_p = Caller(xgb.id, "xgb", "0104", {"unit_data_officer"}).p
        s.commit()

    t0 = time.perf_counter()
    frame = people.students(students, seed=7)
    with db.session() as s:
        ctx = datapath.Context(session=s, settings=settings, database=db, request_id="bench")
        codes = datapath.element_codes(ctx, "student_basic")
        frame = frame.select([c for c in frame.columns if c in codes])
        # The path an approved collection batch takes (decide, encrypt, blind-index, COPY, audit).
        datapath.bulk_load(xgb_p, ctx, "student_basic", frame, batch="bench")
        s.commit()
    print(f"  loaded {students:,} students through the data path (bulk) in {time.perf_counter() - t0:.1f} s")

    slices = sorted(set(zip(frame["YXDM"].to_list(), frame["NJ"].to_list(), strict=True)))
    # Each slice's rows by _id (the fresh table numbers rows in load order from 1): where its holder pages.
    ids = (
        frame.with_row_index("_id", offset=1)
        .group_by("YXDM", "NJ")
        .agg(pl.min("_id"), pl.max("_id").alias("hi"))
    )
    bounds = {(r["YXDM"], r["NJ"]): (r["_id"], r["hi"]) for r in ids.iter_rows(named=True)}
    t0 = time.perf_counter()
    secrets: list[tuple[str, int, int]] = []
    with db.session() as s:
        ctx = datapath.Context(session=s, settings=settings, database=db, request_id="bench")
        text_hash = commitment.current_commitment(s).body_sha256
        for i in range(HOLDERS):
            college, year = slices[i % len(slices)]
            who = applicants[i % len(applicants)]
            app = service.create_application(ctx, who, {
                "dataset_code": "student_basic", "elements": ELEMENTS,
                "row_filter": {"all": [{"element": "YXDM", "op": "eq", "value": college},
                                       {"element": "NJ", "op": "eq", "value": int(year)}]},
                "contact_name": "联系人", "contact_phone": "022-88186000", "purpose": "基准测试",
                "business_basis": "基准测试", "period_end": (date.today() + timedelta(days=90)).isoformat(),
                "delivery": "api", "security_measures": "基准测试",
            })  # fmt: skip
            commitment.sign(s, who, app, text_sha256=text_hash)
            review.submit(ctx, who, app)
            review.approve(ctx, xgb_p, app, changes={"masking": {"XM": "name", "SFZJH": "id_number"}})
            review.approve(ctx, office_p, app)
            _cred, secret = credentials.create_credential(s, who, app, label="bench")
            secrets.append((secret, *bounds[(college, year)]))
            s.commit()
    print(f"  {HOLDERS} applications approved and credentials issued in {time.perf_counter() - t0:.1f} s")
    db.dispose()
    return secrets


def serve(url: str, data_dir: str, port: int) -> None:
    """The real app, with the data path's steps timed (wall time per call, summed) and a route to read them."""
    import threading

    import uvicorn
    from fastapi.responses import JSONResponse
    from sqlalchemy.orm import Session

    from edudata.access import datapath
    from edudata.api.app import create_app
    from edudata.audit import service as audit_service
    from edudata.config import Settings
    from edudata.identity import deps
    from edudata.store import service as store

    totals: dict[str, float] = {}
    lock = threading.Lock()

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with lock:
                    totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    datapath._decide = timed("decision", datapath._decide)
    datapath._where = timed("scope", datapath._where)
    datapath.apply_masking = timed("masking", datapath.apply_masking)
    datapath._decrypt_and_mask = timed("decrypt+mask", datapath._decrypt_and_mask)
    audit_service.record = timed("audit", audit_service.record)
    store.select_rows = timed("select", store.select_rows)
    datapath.query = timed("data path", datapath.query)
    Session.commit = timed("commit", Session.commit)

    from edudata.audit.sequencer import attach

    app = create_app(Settings(database_url=url, data_dir=Path(data_dir)))
    attach(app)  # the audit sequencer runs in the server, as under `edudata serve`
    deps._CREDENTIALS["edg_"] = timed("credential", deps._CREDENTIALS["edg_"])

    @app.middleware("http")
    async def whole(request, call_next):  # noqa: ANN001, ANN202
        t0 = time.perf_counter()
        response = await call_next(request)
        if request.url.path.startswith("/api/v1/data/"):
            with lock:
                totals["request"] = totals.get("request", 0.0) + time.perf_counter() - t0
                totals["count"] = totals.get("count", 0.0) + 1
        return response

    @app.get("/bench/timings")
    def timings() -> JSONResponse:
        return JSONResponse(dict(totals))

    @app.post("/bench/reset")
    def reset() -> JSONResponse:
        totals.clear()
        return JSONResponse({})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


LUA = """
-- the data API's cursor is opaque to clients; the benchmark builds the keyset one ({"k": id}, base64url)
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
local tokens = {%(tokens)s}
local first = {%(first)s}
local span = {%(span)s}
local n = 0
request = function()
  n = n + 1
  local k = (n %% #tokens) + 1
  local after = first[k] + (n * 7919) %% span[k]
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[k]
  return wrk.format("GET", "/api/v1/data/student_basic?limit=100&cursor=" .. cursor(after), headers)
end
"""


def wrk(
    port: int, holders: list[tuple[str, int, int]], seconds: int, connections: int = HOLDERS
) -> dict[str, float]:
    """Each request: the next holder's credential and a cursor inside its own grant's rows (a holder pages
    through what it was granted, not through other colleges' rows)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        LUA
        % {
            "tokens": ", ".join(f'"{t}"' for t, _, _ in holders),
            "first": ", ".join(str(lo - 1) for _, lo, _ in holders),
            "span": ", ".join(str(max(hi - lo - 100, 1)) for _, lo, hi in holders),
        }
    )
    out = subprocess.run(
        ["wrk", "-t2" if connections > 50 else "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
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
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def _spread(ports: list[int], holders: list[tuple[str, int, int]], seconds: int) -> dict[str, float]:
    """The 100 connections split over the servers, one wrk each at the same time: throughputs add up."""
    from concurrent.futures import ThreadPoolExecutor

    each = HOLDERS // len(ports)
    with ThreadPoolExecutor(len(ports)) as pool:
        parts = list(pool.map(lambda p: wrk(p, holders, seconds, each), ports))
    return {
        "rps": sum(r["rps"] for r in parts),
        "p50": max(r["p50"] for r in parts),
        "p99": max(r["p99"] for r in parts),
        "errors": sum(r["errors"] for r in parts),
        "requests": sum(r["requests"] for r in parts),
    }


def _merged(ports: list[int]) -> dict[str, float]:
    import httpx

    totals: dict[str, float] = {}
    for port in ports:
        for k, v in httpx.get(f"http://127.0.0.1:{port}/bench/timings").json().items():
            totals[k] = totals.get(k, 0.0) + v
    return totals


def run_backend(name: str, students: int, seconds: int, servers: int = 1) -> None:
    import httpx

    work = Path(tempfile.mkdtemp(prefix=f"bench-sharing-{name}-"))
    pg_name = None
    if name == "sqlite":
        url = f"sqlite:///{work / 'edudata.db'}"
    else:
        pg_name = f"edudata_bench_{uuid.uuid4().hex[:8]}"
        _pg(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    print(
        f"[{name}, {servers} app server{'s' if servers > 1 else ''}, load average {os.getloadavg()[0]:.1f}]"
    )
    try:
        secrets = build(url, work, students)
        ports = random.sample(range(20000, 40000), servers)
        procs = [subprocess.Popen([sys.executable, __file__, "serve", url, str(work), str(p)], cwd=ROOT)
                 for p in ports]  # fmt: skip
        port = ports[0]
        try:
            for p in ports:
                for _ in range(300):
                    try:
                        httpx.get(f"http://127.0.0.1:{p}/api/v1/health", timeout=1)
                        break
                    except httpx.HTTPError:
                        time.sleep(0.2)
            probe = httpx.get(f"http://127.0.0.1:{port}/api/v1/data/student_basic?limit=100",
                              headers={"Authorization": f"Bearer {secrets[0][0]}"}, timeout=30)  # fmt: skip
            assert probe.status_code == 200, probe.text
            t0 = time.perf_counter()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as one:
                for i in range(50):
                    secret, lo, hi = secrets[i % HOLDERS]
                    one.get("/api/v1/data/student_basic", params={"limit": 100, "cursor": encode_cursor(
                        after=lo - 1 + i * 7919 % max(hi - lo - 100, 1))},
                            headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
            alone = (time.perf_counter() - t0) / 50 * 1000
            for p in ports:
                httpx.post(f"http://127.0.0.1:{p}/bench/reset")
            result = wrk(port, secrets, seconds) if servers == 1 else _spread(ports, secrets, seconds)
            t = _merged(ports)
            load = os.getloadavg()[0]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(10)
        total = t.get("request", 0.0) or 1.0
        n = max(t.get("count", 1), 1)
        print(f"  {HOLDERS} grant holders, limit=100, {seconds} s: {result['rps']:.1f} req/s, "
              f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, {result['requests']} requests, "
              f"non-2xx {result['errors']}, load average {load:.1f} at the end")  # fmt: skip
        print(f"  one client alone, 50 requests in sequence: {alone:.1f} ms per request")
        parts = (
            "credential",
            "decision",
            "scope",
            "select",
            "decrypt+mask",
            "masking",
            "audit",
            "data path",
            "commit",
        )
        print(f"  per request, mean wall ms (summed over concurrent requests): request {1000 * total / n:.1f}, "
              + ", ".join(f"{k} {1000 * t.get(k, 0.0) / n:.2f}" for k in parts))  # fmt: skip
        print(f"  audit append alone: {t.get('audit', 0.0) / total:.1%} of request time")
        governed = t.get("decision", 0.0) + t.get("masking", 0.0) + t.get("audit", 0.0)
        worked = t.get("data path", 0.0) + t.get("credential", 0.0) + t.get("commit", 0.0)
        print(f"  decision + masking + audit: {governed / total:.1%} of request time; "
              f"{governed / worked:.1%} of credential check + data path + commit")  # fmt: skip
    finally:
        if pg_name:
            _pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--servers", type=int, default=1, choices=(1, 2), help="app servers on the one database"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed as the load generator: apt-get install wrk")
    for name in args.backends.split(","):
        run_backend(name, args.students, args.seconds, args.servers)


if __name__ == "__main__":
    main()
