"""The pull connector: read a table or a query from a producer's business database (any SQLAlchemy URL).

The rows go through the same mapping, validation, quarantine and review as an uploaded file (Art. 20-23).
Pulls run as jobs of the durable queue; :func:`schedule_due` queues one per source whose dataset is due by its
update frequency (数据同步频率, Art. 48). A pull runs as the data officer who registered the source, with the
roles that officer holds at the time of the pull.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from edudata.access import datapath
from edudata.catalog.models import Dataset
from edudata.db import Database, normalise_url, utcnow
from edudata.errors import NotFound, PermissionDenied, ValidationFailed
from edudata.identity.service import principal_for
from edudata.ingest import readers
from edudata.ingest.jobs import as_utc, enqueue, handler
from edudata.ingest.models import Batch, Job, Source
from edudata.ingest.service import check_submitter, process, setup

MAX_PULL_ROWS = 5_000_000
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")


def safe_url(url: str) -> str:
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "?"


def _statement(query: str) -> str:
    q = query.strip().rstrip(";")
    if _IDENT.match(q):
        return "SELECT * FROM " + ".".join(f'"{p}"' for p in q.split("."))
    if not re.match(r"^(select|with)\b", q, re.IGNORECASE) or ";" in q:
        raise ValidationFailed(
            "只能读取一张表或一条 SELECT 查询", "give a table name or one SELECT query", field="query"
        )
    return q


def create_source(
    caller: datapath.Caller, ctx: datapath.Context, dataset_code: str, *, name: str, url: str, query: str
) -> Source:
    s = setup(ctx.session, dataset_code)
    check_submitter(caller, s.spec, caller.unit_code)
    try:
        make_url(normalise_url(url))
    except ArgumentError:
        raise ValidationFailed(
            "数据库地址不是有效的 SQLAlchemy URL", "not a valid SQLAlchemy URL", field="url"
        ) from None
    _statement(query)
    source = Source(
        dataset_code=dataset_code, unit_code=caller.unit_code, name=(name or dataset_code)[:100], url=url, query=query,
        enabled=True, owner_account_id=caller.account_id, created_by=caller.username, created_at=utcnow(),
    )  # fmt: skip
    ctx.session.add(source)
    ctx.session.flush()
    return source


def read_source(source: Source, s, limit: int = MAX_PULL_ROWS) -> readers.Table:  # noqa: ANN001
    """The source's rows as a table of text columns mapped to elements (read-only transaction)."""
    engine = create_engine(normalise_url(source.url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            result = conn.execute(text(_statement(source.query)))
            headers = [str(k) for k in result.keys()]  # noqa: SIM118 - a Result, not a dict
            lookup = readers.header_lookup(s.spec, s.saved, s.names_en)
            columns, ignored = readers.map_headers(headers, lookup, s.spec)
            data: dict[str, list] = {el: [] for el in columns.values()}
            count = 0
            while rows := result.fetchmany(10_000):
                count += len(rows)
                if count > limit:
                    raise ValidationFailed(
                        f"源数据超过 {limit} 行", f"the source holds more than {limit} rows"
                    )
                for i, el in columns.items():
                    data[el].extend(readers._cell(r[i]) for r in rows)
    except SQLAlchemyError as exc:
        raise ValidationFailed(
            f"无法从业务数据库读取：{type(exc).__name__}",
            f"cannot read the business database: {type(exc).__name__}",
            field="url",
        ) from None
    finally:
        engine.dispose()
    frame = pl.DataFrame(
        {
            "_row": pl.Series(range(1, count + 1), dtype=pl.Int64),
            **{k: pl.Series(v, dtype=pl.String) for k, v in data.items()},
        }
    )
    kept, blank = readers._finish(frame)
    return readers.Table(kept, {headers[i]: el for i, el in columns.items()}, ignored, blank)


def pull(database: Database, settings: Any, source_id: int, request_id: str | None = None) -> Batch:
    """Pull one source now, as its owner; the batch awaits review like an upload."""
    with database.session() as session:
        source = session.get(Source, source_id)
        if source is None or not source.enabled:
            raise NotFound(f"没有启用的数据源 {source_id}", f"no enabled source {source_id}")
        caller = principal_for(session, source.owner_account_id, source_ip="job", via="job")
        if caller is None:
            raise PermissionDenied(
                "数据源的登记人账户已停用", "the account that registered the source is disabled"
            )
        ctx = datapath.Context(session=session, settings=settings, database=database, request_id=request_id)
        s = setup(session, source.dataset_code)
        check_submitter(caller, s.spec, source.unit_code)
        table = read_source(source, s)
        batch = process(
            caller, ctx, s, table, source_kind="pull", filename=f"{source.name} ({safe_url(source.url)})"
        )
        source.last_run_at = utcnow()
        session.commit()
        return batch


@handler("pull")
def _pull_job(database: Database, settings: Any, payload: dict[str, Any]) -> dict[str, Any]:
    batch = pull(database, settings, int(payload["source_id"]))
    return {"batch": batch.code, "good": batch.rows_good, "quarantined": batch.rows_quarantined}


def schedule_due(database: Database, now: datetime | None = None) -> list[int]:
    """Queue a pull for every enabled source whose dataset's update interval has passed since its last pull."""
    now = now or utcnow()
    queued: list[int] = []
    with database.session() as session:
        pending = {
            int((j.payload or {}).get("source_id", 0))
            for j in session.execute(
                select(Job).where(Job.kind == "pull", Job.status.in_(["queued", "running"]))
            ).scalars()
        }
        rows = session.execute(
            select(Source, Dataset.sync_interval_seconds)
            .join(Dataset, Dataset.code == Source.dataset_code)
            .where(Source.enabled.is_(True))
        ).all()
        for source, interval in rows:
            last = as_utc(source.last_run_at)
            if source.id in pending or (last is not None and (now - last).total_seconds() < interval):
                continue
            enqueue(session, "pull", {"source_id": source.id})
            queued.append(source.id)
        session.commit()
    return queued


@handler("schedule")
def _schedule_job(database: Database, settings: Any, payload: dict[str, Any]) -> dict[str, Any]:
    return {"queued": schedule_due(database)}
