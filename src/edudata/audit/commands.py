"""``edudata audit …``: verify the chain, sign its head, purge with archive, search (Art. 30, 59).

Each command works on the configured database. What an operator does here is itself audited, with the
operating-system user as the actor, because the CLI has no login of its own.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from edudata.audit.checkpoints import sign_head
from edudata.audit.retention import purge as purge_records
from edudata.audit.retention import verify_archive
from edudata.audit.search import MAX_PAGE_SIZE, AuditQuery
from edudata.audit.search import search as search_records
from edudata.audit.service import RESULTS, enable_checkpoints, record_now
from edudata.audit.verify import verify_chain
from edudata.config import Settings, get_settings
from edudata.crypto import signing
from edudata.db import Database
from edudata.errors import EduDataError

NAME = "audit"
app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)
console = Console()


def _actor() -> dict[str, str]:
    return {"username": f"cli:{getpass.getuser()}"[:150], "source_ip": "local"}


@contextmanager
def _database() -> Iterator[tuple[Database, Settings]]:
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    enable_checkpoints(database, settings)
    try:
        yield database, settings
    except EduDataError as err:
        console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
        raise typer.Exit(code=2) from None
    finally:
        database.dispose()


@app.command("verify")
def verify() -> None:
    """Recompute the whole chain and check every signed checkpoint; exit 1 naming the first broken record."""
    with _database() as (database, settings):
        with database.session() as session:
            result = verify_chain(session, settings)
        record_now(
            database,
            operation="audit_verify",
            row_count=result.checked,
            detail={"intact": result.ok, "first_bad_seq": result.first_bad_seq, "reason": result.reason_en},
            **_actor(),
        )
    if result.ok:
        console.print(f"[green]{result.summary()}[/green]")
        return
    console.print(f"[red]{result.summary()}[/red]")
    raise typer.Exit(code=1)


@app.command("sign")
def sign() -> None:
    """Sign the chain's current head (cheap; safe to run from cron as often as wanted)."""
    with _database() as (database, settings), database.session() as session:
        checkpoint = sign_head(session, settings)
        session.commit()
        if checkpoint is None:
            console.print("审计日志为空，无需签名 / the audit log is empty: nothing to sign")
        else:
            console.print(
                f"已签名 / signed: seq {checkpoint.seq} {checkpoint.hash[:16]}… key {checkpoint.key_id}"
            )


@app.command("purge")
def purge(
    before: datetime = typer.Option(
        ..., formats=["%Y-%m-%d"], help="清理此日期之前的记录 / remove records before"
    ),
    archive: Path = typer.Option(..., help="归档文件（.zip）或目录 / archive file (.zip) or directory"),
) -> None:
    """Archive (signed) and then remove records older than BEFORE; refused unless BEFORE is 180+ days ago."""
    with _database() as (database, settings), database.session() as session:
        result = purge_records(session, before.date(), archive, settings=settings, actor=_actor())
        session.commit()
    if result.removed == 0:
        console.print("没有早于该日期的记录 / no records before that date")
    else:
        console.print(
            f"[green]已归档并清理 / archived and removed[/green] {result.removed} 条 / records "
            f"(seq {result.first_seq}–{result.last_seq}) → {result.archive}"
        )


@app.command("verify-archive")
def verify_archive_command(path: Path = typer.Argument(..., help="审计归档 / audit archive")) -> None:
    """Check an audit archive's signature (by this platform's key), file hashes and chain."""
    check = verify_archive(path, signing.public_key_bytes(get_settings()))
    if check.ok:
        console.print(f"[green]{check.summary()}[/green]")
        return
    console.print(f"[red]不完整 / NOT intact[/red]: {check.summary()}")
    raise typer.Exit(code=1)


@app.command("search")
def search(
    account: str = typer.Option(None, help="用户名或账户号 / username or account id"),
    unit: str = typer.Option(None, help="单位代码 / unit code"),
    dataset: str = typer.Option(None),
    operation: str = typer.Option(None),
    result: str = typer.Option(None, help=" / ".join(RESULTS)),
    since: datetime = typer.Option(None, formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    until: datetime = typer.Option(None, formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    limit: int = typer.Option(50, min=1, max=MAX_PAGE_SIZE),
) -> None:
    """Show the newest matching records."""

    def day_or_time(value: datetime | None) -> date | datetime | None:
        return value.date() if value is not None and value.time() == datetime.min.time() else value

    query = AuditQuery(
        account, unit, dataset, operation, result, day_or_time(since), day_or_time(until), 1, limit
    )
    with _database() as (database, _settings):
        with database.session() as session:
            rows, total = search_records(session, query)
        record_now(
            database,
            operation="query",
            dataset="audit_record",
            filter=query.describe(),
            row_count=len(rows),
            **_actor(),
        )
    table = Table(
        "seq",
        "时间 / at (UTC)",
        "账户 / account",
        "单位 / unit",
        "操作 / operation",
        "数据集 / dataset",
        "结果 / result",
        "IP",
    )
    for rec in rows:
        table.add_row(
            str(rec.seq),
            rec.at.strftime("%Y-%m-%d %H:%M:%S"),
            rec.username or "",
            rec.unit_code or "",
            rec.operation,
            rec.dataset or "",
            rec.result,
            rec.source_ip or "",
        )
    console.print(table)
    console.print(f"共 {total} 条，显示 {len(rows)} 条 / {total} matching, {len(rows)} shown")
