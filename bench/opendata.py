"""Open-data portal throughput: CKAN ``package_search`` and a 10,000-row CSV download through the data path,
against the very same response bodies served as static files by the same server.

    .venv/bin/python bench/opendata.py [--rows 10000] [--backends sqlite,postgresql] [--seconds 10]

For each backend: a fresh database with the demo catalogue, ``--rows`` papers loaded into ``research_output`` by
科研处 through the data path, proposed, reviewed at the three levels and published (the view then holds the
rows as version 1). The real app is served by uvicorn in a subprocess, with ``/bench-static`` mounted on the
same app (Starlette ``StaticFiles``) holding the bytes the portal answered; ``wrk`` (Debian package ``wrk``)
loads it over loopback. Measured, each for requests/s, p50 and p99:

(a) ``GET /api/3/action/package_search?q=论文`` (Chinese n-gram search, CKAN JSON) vs the same JSON as a file;
(b) ``GET /api/v1/open/datasets/research-output/data.csv`` (decide, read the published version, CSV with BOM,
    one ``open_download`` audit record per request) vs the same CSV as a file;
(c) ``package_search`` with facets (``q=论文``, ``fq`` on the producer unit, ``facet.field`` organization, groups,
    tags, res_format, license_id) over a catalogue of ``--views`` published views, at ``--facet-connections``
    (100) concurrent clients, vs the same JSON as a file at the same concurrency;

and the ratio. Rate limits are lifted for the run; the load average is printed before and after (the machine is
shared). Figures only: no pass/fail.
"""

from __future__ import annotations

import os
import sys

# bench/ holds scripts named like standard modules (inspect.py): never let them shadow the standard library.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.append(_HERE)  # last, after the standard library: for seed.py

import argparse  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SEARCH = "/api/3/action/package_search?q=%E8%AE%BA%E6%96%87"  # q=论文
CSV = "/api/v1/open/datasets/research-output/data.csv"
FACETS = "/api/3/action/package_search?" + urlencode(
    {"q": "论文", "fq": "organization:0106", "rows": 10,
     "facet.field": '["organization","groups","tags","res_format","license_id"]'}
)  # fmt: skip
UNLIMITED = {"opendata_rate_burst": 1_000_000_000, "opendata_rate_per_second": 1_000_000_000.0}


def _pg(sql: str) -> None:
    from edudata.db import normalise_url

    engine = create_engine(normalise_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _principal(account, unit_code: str, role: str):  # noqa: ANN001, ANN202
    from edudata.identity.principal import Principal

    return Principal(
        account_id=account.id, username=account.username, display_name=account.username, unit_id=0,
        unit_code=unit_code, unit_name=unit_code, roles=frozenset({role}), source_ip="127.0.0.1", via="token",
    )  # fmt: skip


def build(url: str, data_dir: Path, rows: int, views: int = 1) -> None:
    """Migrate, load the demo catalogue and ``rows`` papers, publish them as ``research-output`` and ``views - 1``
    aggregates of them (per journal, per unit …) so that facets have something to count."""
    import polars as pl

    from edudata.catalog.demo import load_demo_catalogue
    from edudata.config import Settings
    from edudata.db import Database
    from edudata.migrate import upgrade
    from edudata.opendata import publish, review
    from edudata.org.service import create_account, ensure_demo_units
    from edudata.reference import seed_reference_data
    from seed import collect

    settings = Settings(database_url=url, data_dir=data_dir)
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        seed_reference_data(s)
        ensure_demo_units(s)
        load_demo_catalogue(s, created_by="bench")
        who = {}
        for name, unit, role in (
            ("kyc", "0106", "unit_data_officer"), ("kyc_rev", "0106", "unit_reviewer"),
            ("office", "0002", "office_admin"), ("leader", "0002", "leadership"),
        ):  # fmt: skip
            account = create_account(
                s, username=name, password="Bench-Passw0rd!", unit_code=unit, roles=(role,)
            )
            who[name] = _principal(account, unit, role)
        s.commit()
        papers = [
            {"LWBH": f"P{i:06d}", "LWTM": f"教育数据治理研究之{i}", "DYZZ": ["张伟", "王芳", "李强"][i % 3],
             "KWMC": "经济研究", "FBRQ": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}", "SSDWDM": "0201"}
            for i in range(rows)
        ]  # fmt: skip
    # Collected as the school collects it: one batch of 科研处, reviewed and loaded (Art. 22).
    collect(db, settings, "research_output", pl.DataFrame(papers), "0106")
    with db.session() as s:
        body = {
            "dataset": "research_output", "description": "本校教师发表的学术论文目录", "keywords": ["学术论文"],
            "open_category": "unconditional", "licence": "CC-BY-4.0", "update_frequency": "monthly",
        }  # fmt: skip
        view = review.propose(s, who["kyc"], body, settings)
        secrecy = {
            "no_state_secret": True,
            "no_personal_privacy": True,
            "no_security_risk": True,
            "conclusion": "不涉密",
        }
        for i in range(views):
            if i:
                extra = {"code": f"papers-{i:03d}", "kind": "aggregate", "title": f"论文统计（{i}）",
                         "keywords": ["学术论文", f"统计{i % 7}"], "definition": {"group_by": ["KWMC"]}}  # fmt: skip
                view = review.propose(s, who["kyc"], {**body, **extra}, settings)
            review.review(s, who["kyc_rev"], view.code, decision="approve")
            review.review(s, who["office"], view.code, decision="approve", secrecy=secrecy)
            review.review(s, who["leader"], view.code, decision="approve")
            publish.publish(s, view, settings, db)
            s.commit()
    db.dispose()


def serve(url: str, data_dir: str, port: int) -> None:
    """The real app, its rate limits lifted, with ``/bench-static`` (the same responses as files) mounted."""
    import uvicorn
    from fastapi.staticfiles import StaticFiles

    from edudata.api.app import create_app
    from edudata.config import Settings

    app = create_app(Settings(database_url=url, data_dir=Path(data_dir), **UNLIMITED))
    app.mount("/bench-static", StaticFiles(directory=Path(data_dir) / "static"), name="bench-static")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def wrk(path: str, port: int, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        # --timeout: wrk's default (2 s) would drop the slowest answers from the percentiles under load.
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "--latency",
            f"http://127.0.0.1:{port}{path}",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0),
    }


def _line(label: str, r: dict[str, float]) -> str:
    return f"{label:<44} {r['rps']:>9.1f} req/s  p50 {r['p50']:>7.1f} ms  p99 {r['p99']:>7.1f} ms  errors {r['errors']}"


def run_backend(
    name: str, rows: int, seconds: int, connections: int, views: int, facet_connections: int
) -> None:
    import httpx

    work = Path(tempfile.mkdtemp(prefix=f"bench-opendata-{name}-"))
    (work / "static").mkdir()
    pg_name = None
    if name == "sqlite":
        url = f"sqlite:///{work / 'edudata.db'}"
    else:
        pg_name = f"edudata_bench_{uuid.uuid4().hex[:8]}"
        _pg(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    print(f"[{name}] {rows:,} rows")
    try:
        build(url, work, rows, views)
        port = random.randint(20000, 40000)
        server = subprocess.Popen([sys.executable, __file__, "serve", url, str(work), str(port)], cwd=ROOT)
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            search = httpx.get(f"http://127.0.0.1:{port}{SEARCH}", timeout=60)
            csv = httpx.get(f"http://127.0.0.1:{port}{CSV}", timeout=60)
            facets = httpx.get(f"http://127.0.0.1:{port}{FACETS}", timeout=60)
            assert search.status_code == csv.status_code == facets.status_code == 200, (
                search.text[:200],
                csv.text[:200],
            )
            assert facets.json()["result"]["search_facets"]["tags"]["items"], facets.text[:200]
            (work / "static" / "package_search.json").write_bytes(search.content)
            (work / "static" / "facets.json").write_bytes(facets.content)
            (work / "static" / "data.csv").write_bytes(csv.content)
            print(f"  package_search body {len(search.content):,} bytes; CSV {len(csv.content):,} bytes")
            results = {
                "search": wrk(SEARCH, port, seconds, connections),
                "search_static": wrk("/bench-static/package_search.json", port, seconds, connections),
                "csv": wrk(CSV, port, seconds, connections),
                "csv_static": wrk("/bench-static/data.csv", port, seconds, connections),
                "facets": wrk(FACETS, port, seconds, facet_connections),
                "facets_static": wrk("/bench-static/facets.json", port, seconds, facet_connections),
            }
        finally:
            server.terminate()
            server.wait(10)
        print(_line("  (a) package_search?q=论文 (CKAN API)", results["search"]))
        print(_line("      same JSON as a static file", results["search_static"]))
        print(
            f"      portal / static throughput: {results['search']['rps'] / results['search_static']['rps']:.0%}"
        )
        print(_line(f"  (b) {rows:,}-row CSV download (audited)", results["csv"]))
        print(_line("      same CSV as a static file", results["csv_static"]))
        print(f"      portal / static throughput: {results['csv']['rps'] / results['csv_static']['rps']:.0%}")
        print(
            _line(
                f"  (c) package_search + 5 facets, {views} views, {facet_connections} clients",
                results["facets"],
            )
        )
        print(
            _line(f"      same JSON ({len(facets.content):,} B) as a static file", results["facets_static"])
        )
        print(
            f"      portal / static throughput: {results['facets']['rps'] / results['facets_static']['rps']:.0%}"
        )
    finally:
        if pg_name:
            _pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--views", type=int, default=30)
    parser.add_argument("--facet-connections", type=int, default=100)
    args = parser.parse_args()
    print("load average before: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    for name in args.backends.split(","):
        run_backend(name, args.rows, args.seconds, args.connections, args.views, args.facet_connections)
    print("load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
