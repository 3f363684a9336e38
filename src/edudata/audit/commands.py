"""``edudata audit …``: sequence, sign, verify, prove, purge with archive, search (Art. 30, 59).

Each command works on the configured database. What an operator does here is itself audited, with the
operating-system user as the actor, because the CLI has no login of its own. The witness has its own commands
(``edudata audit witness …``, :mod:`edudata.audit.witness_commands`): it runs apart from the database.
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

from edudata.audit import proofs
from edudata.audit.checkpoints import log_vkey, sign_head
from edudata.audit.retention import purge as purge_records
from edudata.audit.retention import verify_archive
from edudata.audit.search import MAX_PAGE_SIZE, AuditQuery
from edudata.audit.search import search as search_records
from edudata.audit.sequencer import SequencerThread, sequence_all
from edudata.audit.service import RESULTS, enable_checkpoints, record_now
from edudata.audit.verify import verify_log
from edudata.audit.witness_commands import app as witness_app
from edudata.config import Settings, get_settings
from edudata.crypto import signing
from edudata.db import Database
from edudata.errors import EduDataError

NAME = "audit"
app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)
app.add_typer(witness_app, name="witness")
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


def _witnessed(urls: list[str], files: list[Path], settings: Settings) -> tuple[list[str], dict[str, bytes]]:
    """Checkpoints from outside the database: the witnesses' latest, over HTTP or from their state files."""
    from edudata.audit.witness import read_state_checkpoints
    from edudata.audit.witness_client import configured_witnesses, fetch_witnessed

    notes: list[str] = []
    keys: dict[str, bytes] = {}
    for witness in configured_witnesses(settings):
        keys[witness.name] = witness.public_key
        if witness.url not in urls:
            urls = [*urls, witness.url]
    for url in urls:
        notes.extend(fetch_witnessed(url, settings))
    for path in files:
        notes.extend(read_state_checkpoints(path))
    return notes, keys


@app.command("verify")
def verify(
    witness: list[str] = typer.Option([], help="见证方地址 / witness URL (besides EDUDATA_AUDIT_WITNESSES)"),
    witness_state: list[Path] = typer.Option([], help="见证方状态文件 / a witness's state file"),
    read_only: bool = typer.Option(False, help="不先排序待处理记录 / do not integrate pending records first"),
) -> None:
    """Check every leaf, the tree and every checkpoint (and the witnesses'); exit 1 naming the first bad record.

    Exit 3 when the log is intact but a rollback was recorded (a gap the witness saw): shown, never hidden.
    """
    with _database() as (database, settings):
        if not read_only:  # the answer then covers every record committed before the command
            sequence_all(database, settings, checkpoint=True)
        notes, keys = _witnessed(witness, witness_state, settings)
        with database.session() as session:
            result = verify_log(session, settings, witnessed=notes, witness_keys=keys or None)
        record_now(
            database,
            operation="audit_verify",
            row_count=result.checked,
            detail={
                "intact": result.ok,
                "first_bad_seq": result.first_bad_seq,
                "reason": result.reason_en,
                "witnessed": result.witnessed,
                "gaps": len(result.gaps),
            },
            **_actor(),
        )
    if result.ok and not result.gaps:
        console.print(f"[green]{result.summary()}[/green]")
        return
    if result.ok:
        console.print(f"[yellow]{result.summary()}[/yellow]")
        raise typer.Exit(code=3)
    console.print(f"[red]{result.summary()}[/red]")
    raise typer.Exit(code=1)


@app.command("sequence")
def sequence_command(
    watch: bool = typer.Option(False, help="一直运行（工作进程）/ keep running (a worker)"),
    interval: float = typer.Option(0.5, min=0.05, help="间隔秒数 / seconds between rounds"),
) -> None:
    """Integrate pending records into the Merkle tree and sign a checkpoint (once, or --watch as a worker)."""
    with _database() as (database, settings):
        if not watch:
            n = sequence_all(database, settings, checkpoint=True)
            console.print(f"已排序 / sequenced: {n} 条 / records")
            return
        thread = SequencerThread(database, settings, interval)
        thread.start()
        try:
            thread._thread.join()
        except KeyboardInterrupt:
            thread.stop()


@app.command("sign")
def sign() -> None:
    """Integrate what is pending and sign the head (cheap; safe to run from cron as often as wanted)."""
    with _database() as (database, settings), database.session() as session:
        checkpoint = sign_head(session, settings)
        session.commit()
        if checkpoint is None:
            console.print("审计日志为空，无需签名 / the audit log is empty: nothing to sign")
        else:
            console.print(
                f"已签名 / signed: epoch {checkpoint.epoch} size {checkpoint.size} key {checkpoint.key_id}"
            )
            console.print(checkpoint.note, markup=False, highlight=False)


@app.command("public-key")
def public_key() -> None:
    """The log's verifier key (C2SP vkey): give it to witnesses and auditors, out of band."""
    console.print(log_vkey(get_settings()), markup=False, highlight=False)


@app.command("prove")
def prove(
    seq: int = typer.Argument(..., help="审计记录编号 / the record's seq"),
    size: int = typer.Option(None, help="树大小（默认最新校验点）/ tree size (default: latest checkpoint)"),
) -> None:
    """An inclusion proof (JSON) that the record is in the log of a signed size."""
    import json

    with _database() as (database, _settings), database.session() as session:
        proof = proofs.inclusion(session, seq, size)
    console.print_json(json.dumps(proof, ensure_ascii=False))


@app.command("consistency")
def consistency(
    old: int = typer.Argument(..., help="旧的树大小 / older size"),
    new: int = typer.Option(None, help="新的树大小（默认最新）/ newer size (default: latest)"),
) -> None:
    """A consistency proof (JSON) between two signed sizes of the current epoch."""
    import json

    with _database() as (database, _settings), database.session() as session:
        proof = proofs.consistency(session, old, new)
    console.print_json(json.dumps(proof, ensure_ascii=False))


@app.command("purge")
def purge(
    before: datetime = typer.Option(
        ..., formats=["%Y-%m-%d"], help="清理此日期之前的记录 / remove records before"
    ),
    archive: Path = typer.Option(..., help="归档文件（.zip）或目录 / archive file (.zip) or directory"),
) -> None:
    """Archive (signed) and then remove records older than BEFORE; refused unless BEFORE is six calendar months ago (Beijing) or earlier."""
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


@app.command("access-trace")
def access_trace(
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="起始日期 / from (YYYY-MM-DD)"),
    until: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="截止日期（含）/ until, inclusive"),
    dataset: str = typer.Option(None, help="数据集代码 / dataset code"),
    row_id: int = typer.Option(
        None, "--row-id", min=1, help="数据集中一条记录的编号 / one record of the dataset (its id)"
    ),
    person: bool = typer.Option(
        False,
        "--person",
        help="询问个人的证件号、学号等（不回显，不记录）/ ask for a person's number (hidden)",
    ),
    output: Path = typer.Option(
        None, help="把完整结果（含包含证明）写成 JSON / write the full answer with proofs"
    ),
) -> None:
    """Who read, and who could have read, a person's, a dataset's or one record's data (行为追溯, Art. 30, 59)."""
    import json

    from edudata.audit.access_trace import TraceQuery, trace
    from edudata.audit.redact import value_hash
    from edudata.crypto.keys import KeyManager

    number = typer.prompt("证件号或学号 / number", hide_input=True).strip() if person else ""
    if not dataset and not number:
        console.print("[red]错误 / error[/red]: 请指定数据集或个人 / name a dataset or a person (--person)")
        raise typer.Exit(code=2)
    if row_id is not None and not dataset:
        console.print(
            "[red]错误 / error[/red]: 追溯一条记录时须指定数据集 / a record is traced within its dataset"
        )
        raise typer.Exit(code=2)
    with _database() as (database, settings):
        with database.session() as session:
            hashed = value_hash(KeyManager(session, settings), number) if number else None
            session.commit()
        query = TraceQuery(since.date(), until.date(), dataset, hashed, row_id)
        sequence_all(database, settings, checkpoint=True)
        with database.session() as session:
            answer = trace(session, query)
        record_now(database, operation="query", dataset="audit_record", filter=query.describe(),
                   row_count=len(answer["reads"]), **_actor())  # fmt: skip
    reads = Table("seq", "时间 / at (UTC)", "账户 / account", "单位 / unit", "操作 / operation",
                  "数据集 / dataset", "经由 / through", "此记录 / this record", "证明 / proof")  # fmt: skip
    for r in answer["reads"]:
        proof = f"{r['proof']['leaf_index']}/{r['proof']['tree_size']}" if r["proof"] else "pending"
        touch = f"{r['touches']['zh']} / {r['touches']['en']}" if r.get("touches") else "-"
        reads.add_row(str(r["seq"]), r["at"], r["username"] or "", r["unit_code"] or "", r["operation"],
                      r["dataset"] or "", f"{r['via']['zh']} / {r['via']['en']}", touch, proof)  # fmt: skip
    console.print(f"谁读取过 / who read it: {len(answer['reads'])}")
    console.print(reads)
    for code, could in answer["could"].items():
        console.print(f"谁能读取 / who could read {code}:")
        for g in could["grants"]:
            console.print(
                f"  授权 / grant #{g['grant_id']} {g['grantee_unit_code']}: {', '.join(g['could_read'])}"
            )
        for r in could["roles"]:
            console.print(f"  角色 / role {r['role']}: {r['username']} ({r['unit_code']})")
        for v in could["public_views"]:
            console.print(f"  开放视图 / open view {v['code']}: {v['title']}")
    if output is not None:
        output.write_text(json.dumps(answer, ensure_ascii=False, indent=1), encoding="utf-8")
        console.print(f"[green]已写入 / written[/green]: {output}")
