"""The pull connector: read a mapped table of a producer's business system (Art. 20-23, 30).

Three parties, three steps, so no one of them can point the platform at data it may not read:

1. the operator lists the business systems in the ``pull_connections`` setting (:mod:`edudata.ingest.connections`);
2. the office (网信办) registers a source: a dataset, its producer unit and one listed connection, with that
   connection's password, which is kept sealed under the key ring;
3. the unit's data officer maps it: a table of that system and which column holds which element. No free SQL:
   the statement is built from quoted identifiers that the system itself reports, in a read-only transaction.

The rows go through the same mapping, validation, quarantine and review as an uploaded file. Pulls run as jobs of
the durable queue; :func:`schedule_due` queues one per source whose dataset is due by its update frequency
(数据同步频率, Art. 48). A pull runs as the data officer who mapped the source, with the roles that officer holds
at the time of the pull.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import column, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import object_session

from edudata.access import datapath
from edudata.catalog.models import Dataset
from edudata.crypto.keys import KeyManager
from edudata.crypto.sealed import open_text, seal_text
from edudata.db import Database, utcnow
from edudata.errors import NotFound, PermissionDenied, ValidationFailed
from edudata.identity.service import principal_for
from edudata.ingest import connections, readers
from edudata.ingest.jobs import as_utc, enqueue, handler
from edudata.ingest.models import Batch, Job, Source
from edudata.ingest.service import Setup, check_submitter, process, setup
from edudata.org.models import Unit
from edudata.policy import require

MAX_PULL_ROWS = 5_000_000
SEALING_PURPOSE = "pull-source-secrets"  # the data key that seals connection passwords
_NAME = re.compile(r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff$]{0,63}$")


def _secret_aad(source: Source) -> str:
    return f"ingest_source#{source.id}"


def _office(caller: datapath.Caller) -> None:
    require(caller, "ingest.pull.manage")


def create_source(
    caller: datapath.Caller,
    ctx: datapath.Context,
    dataset_code: str,
    *,
    name: str,
    unit_code: str,
    connection: str,
    password: str | None = None,
) -> Source:
    """Register an allow-listed business system as the source of ``dataset_code`` for ``unit_code`` (the office)."""
    _office(caller)
    s = setup(ctx.session, dataset_code)
    if ctx.session.query(Unit).filter_by(code=unit_code).one_or_none() is None:
        raise ValidationFailed(f"没有单位 {unit_code[:32]}", f"no unit {unit_code[:32]}", field="unit")
    if unit_code != s.spec.owner_unit_code:
        raise ValidationFailed(
            f"单位 {unit_code} 不是数据集“{s.spec.name}”的权威来源单位（一数一源，第十九条）",
            f"unit {unit_code} is not the authoritative source of dataset {s.spec.code} (Art. 19)",
            field="unit",
        )
    conn_name, url, in_url = connections.resolve(ctx.settings, connection)
    source = Source(
        dataset_code=dataset_code, unit_code=unit_code, name=(name or dataset_code)[:100],
        url=connections.display(url), query="", connection=conn_name, table_name="", columns={},
        enabled=False, owner_account_id=caller.account_id, created_by=caller.username, created_at=utcnow(),
    )  # fmt: skip
    ctx.session.add(source)
    ctx.session.flush()
    secret = password or in_url
    if secret:
        source.secret = seal_text(
            KeyManager(ctx.session, ctx.settings), SEALING_PURPOSE, secret, _secret_aad(source)
        )
    ctx.session.flush()
    return source


def _open(source: Source, settings: Any):  # noqa: ANN202 - a context manager of a read-only connection
    """The source's connection, read-only; refused when the operator has since taken it off the allow-list."""
    if not source.connection:
        raise PermissionDenied(
            "该数据源登记于旧版本（任意地址与查询），已停用；请网信办按业务系统清单重新登记",
            "this source was registered by an older version (any URL and query) and is disabled; the office "
            "registers it again against the allow-list",
        )
    _, url, _ = connections.resolve(settings, source.connection)
    password = None
    if source.secret:
        session = object_session(source)
        assert session is not None
        password = open_text(KeyManager(session, settings), source.secret, _secret_aad(source))
    return connections.read_only(url, password)


def _split(name: str) -> tuple[str | None, str]:
    parts = name.split(".")
    if len(parts) > 2 or not all(_NAME.match(p) for p in parts):
        raise ValidationFailed(
            "表名只能由字母、数字、下划线或汉字组成（可带一个模式名前缀）",
            "a table name is letters, digits, underscores or Chinese characters (one schema prefix allowed)",
            field="table",
        )
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def set_mapping(
    caller: datapath.Caller,
    ctx: datapath.Context,
    source_id: int,
    *,
    table_name: str,
    columns: dict[str, str],
) -> Source:
    """The unit's data officer picks a table of the registered system and maps its columns to elements.

    The table and every column must exist in that system (asked read-only); each element once, of the dataset.
    """
    source = ctx.session.get(Source, source_id)
    if source is None:
        raise NotFound(f"没有数据源 {source_id}", f"no source {source_id}")
    s = setup(ctx.session, source.dataset_code)
    check_submitter(caller, s.spec, source.unit_code)
    schema, name = _split(table_name)
    for col, element in columns.items():
        if not _NAME.match(col) or s.spec.element(element) is None:
            raise ValidationFailed(
                f"列“{col[:64]}”或数据项“{element[:64]}”无效", f"bad column {col[:64]!r} or element {element[:64]!r}",
                field="columns",
            )  # fmt: skip
    if len(set(columns.values())) != len(columns):
        raise ValidationFailed("同一数据项映射了两列", "two columns map to the same element", field="columns")
    try:
        with _open(source, ctx.settings) as conn:
            present = inspect(conn)
            if name not in present.get_table_names(schema=schema):
                raise ValidationFailed(
                    f"业务系统中没有表 {table_name}",
                    f"the business system has no table {table_name}",
                    field="table",
                )
            have = {c["name"] for c in present.get_columns(name, schema=schema)}
    except SQLAlchemyError as exc:
        raise _unreadable(exc) from None
    missing = sorted(set(columns) - have)
    if missing:
        raise ValidationFailed(
            f"表 {table_name} 中没有列：{', '.join(missing)[:200]}",
            f"table {table_name} has no column: {', '.join(missing)[:200]}",
            field="columns",
        )
    source.table_name, source.columns = table_name, dict(columns)
    source.owner_account_id, source.enabled = caller.account_id, True
    ctx.session.flush()
    return source


def _unreadable(exc: Exception) -> ValidationFailed:
    return ValidationFailed(
        f"无法从业务数据库读取：{type(exc).__name__}",
        f"cannot read the business database: {type(exc).__name__}",
        field="connection",
    )


def read_source(source: Source, s: Setup, settings: Any, limit: int = MAX_PULL_ROWS) -> readers.Table:
    """The mapped table's rows as text columns mapped to elements (read-only transaction)."""
    if not source.table_name:
        raise ValidationFailed(
            "数据源尚未选择表与列映射", "the source has no table and column mapping yet", field="table"
        )
    schema, name = _split(source.table_name)
    try:
        with _open(source, settings) as conn:
            if source.columns:
                cols = list(source.columns)
                headers = [source.columns[c] for c in cols]
            else:
                cols = [c["name"] for c in inspect(conn).get_columns(name, schema=schema)]
                headers = cols
            statement = select(*[column(c) for c in cols]).select_from(table(name, schema=schema))
            result = conn.execute(statement)
            lookup = readers.header_lookup(s.spec, s.saved, s.names_en)
            mapped, ignored = readers.map_headers(headers, lookup, s.spec)
            data: dict[str, list] = {el: [] for el in mapped.values()}
            count = 0
            while rows := result.fetchmany(10_000):
                count += len(rows)
                if count > limit:
                    raise ValidationFailed(
                        f"源数据超过 {limit} 行", f"the source holds more than {limit} rows"
                    )
                for i, el in mapped.items():
                    data[el].extend(readers._cell(r[i]) for r in rows)
    except SQLAlchemyError as exc:
        raise _unreadable(exc) from None
    frame = pl.DataFrame(
        {
            "_row": pl.Series(range(1, count + 1), dtype=pl.Int64),
            **{k: pl.Series(v, dtype=pl.String) for k, v in data.items()},
        }
    )
    kept, blank = readers._finish(frame)
    return readers.Table(kept, {cols[i]: el for i, el in mapped.items()}, ignored, blank)


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
        rows = read_source(source, s, settings)
        batch = process(
            caller, ctx, s, rows, source_kind="pull", filename=f"{source.name} ({source.connection})"
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
