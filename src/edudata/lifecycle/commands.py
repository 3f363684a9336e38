"""``edudata backup …`` and ``edudata restore`` (Art. 28, 55, 60), for the office's IT staff.

    edudata backup [--to DIR] [--offsite DIR]     consistent, encrypted, signed backup (local + off-site copy)
    edudata backup verify MANIFEST                signature, digest, every chunk's tag
    edudata backup drill MANIFEST                 restore drill into a scratch database, recorded
    edudata backup schedule NAME --every-hours …  a scheduled backup with retention
    edudata backup run-scheduled                  run what is due (from cron or a systemd timer)
    edudata restore MANIFEST [--database-url URL] restore into an EMPTY database, re-applying destructions
    edudata destruction request --as OFFICE …      file a destruction request (Art. 34-36), e.g. a list of people
    edudata destruction list / approve / reject / execute / certificate

The backup commands have no login: what they do is audited with the operating-system user as the actor. The
destruction commands act as the account named by ``--as`` (its roles, its duties: Art. 30), through the same
service functions as the API and the page.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from edudata.audit.service import enable_checkpoints
from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError, ValidationFailed
from edudata.lifecycle import operations

NAME = None  # commands join the top level: `edudata backup …`, `edudata restore`
app = typer.Typer(help="备份与恢复 / backup and restore")
backup_app = typer.Typer(help="备份 / backups (Art. 55, 60)")
app.add_typer(backup_app, name="backup")
destruction_app = typer.Typer(help="数据销毁 / destruction of data (Art. 34-36)", no_args_is_help=True)
app.add_typer(destruction_app, name="destruction")
console = Console()


def _actor() -> dict[str, str]:
    return {"username": f"cli:{getpass.getuser()}"[:150], "source_ip": "local"}


def _fail(err: EduDataError) -> None:
    console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
    raise typer.Exit(code=2)


def _database() -> tuple[Database, object]:
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    enable_checkpoints(database, settings)
    return database, settings


@backup_app.callback(invoke_without_command=True)
def backup(
    ctx: typer.Context,
    to: Path = typer.Option(None, "--to", help="local backup folder (default: <data_dir>/backups)"),
    offsite: Path = typer.Option(
        None, "--offsite", help="off-site folder (a second disk or mounted remote store)"
    ),
    content_hashes: bool = typer.Option(
        True, help="hash every table's content (--no-content-hashes: counts only)"
    ),
) -> None:
    """Back up the configured database now."""
    if ctx.invoked_subcommand is not None:
        return
    database, settings = _database()
    try:
        made = operations.run_backup(
            settings, database, to or settings.data_dir / "backups", offsite, actor=_actor(),
            content_hashes=content_hashes,
        )  # fmt: skip
    except EduDataError as err:
        _fail(err)
    finally:
        database.dispose()
    tables = made.manifest["tables"]
    console.print(f"[green]备份完成 / backup written[/green]: {made.local}")
    if made.offsite:
        console.print(f"异地副本 / off-site copy: {made.offsite}")
    console.print(
        f"{len(tables)} tables, {sum(t['rows'] for t in tables.values())} rows, sha256 {made.manifest['sha256']}"
    )


@backup_app.command("verify")
def verify(manifest: Path = typer.Argument(..., help="<name>.manifest.json")) -> None:
    """Check the manifest's signature, the archive's digest and every chunk; exit 1 when anything is wrong."""
    database, settings = _database()
    try:
        result = operations.verify_and_record(settings, database, manifest, actor=_actor())
    except EduDataError as err:
        _fail(err)
    finally:
        database.dispose()
    console.print(("[green]" if result.ok else "[red]") + result.summary())
    if not result.ok:
        raise typer.Exit(code=1)


@backup_app.command("drill")
def drill(manifest: Path = typer.Argument(..., help="<name>.manifest.json")) -> None:
    """Restore drill: restore into a scratch database, compare with the manifest, verify the audit chain."""
    database, settings = _database()
    try:
        row = operations.drill(settings, database, manifest, actor=_actor())
    finally:
        database.dispose()
    console.print(
        ("[green]演练通过 / drill passed" if row.ok else "[red]演练未通过 / drill failed") + f": {row.detail}"
    )
    if not row.ok:
        raise typer.Exit(code=1)


@backup_app.command("schedule")
def schedule(
    name: str = typer.Argument(...),
    every_hours: int = typer.Option(24, help="interval"),
    keep_last: int = typer.Option(7, help="always keep this many newest sets"),
    keep_days: int = typer.Option(30, help="remove older sets only after this many days"),
    to: Path = typer.Option(..., "--to", help="local folder"),
    offsite: Path = typer.Option(None, "--offsite", help="off-site folder"),
) -> None:
    """Add a scheduled backup with retention; `edudata backup run-scheduled` runs it when due."""
    database, _settings = _database()
    try:
        with database.session() as session:
            operations.add_schedule(session, name=name, every_hours=every_hours, keep_last=keep_last,
                                    keep_days=keep_days, local_dir=str(to.resolve()),
                                    offsite_dir=str(offsite.resolve()) if offsite else None,
                                    created_by=_actor()["username"])  # fmt: skip
            session.commit()
    except EduDataError as err:
        _fail(err)
    finally:
        database.dispose()
    console.print(f"[green]备份计划已添加 / schedule added[/green]: {name}")


@backup_app.command("run-scheduled")
def run_scheduled() -> None:
    """Run every due schedule and apply its retention (call from cron or a systemd timer)."""
    database, settings = _database()
    try:
        made = operations.run_due(settings, database, actor=_actor())
    except EduDataError as err:
        _fail(err)
    finally:
        database.dispose()
    console.print(f"{len(made)} backup(s): {', '.join(made) or '-'}")


@app.command("restore")
def restore(
    manifest: Path = typer.Argument(..., help="<name>.manifest.json"),
    database_url: str = typer.Option(
        None, help="target database (default: the configured one); must be empty"
    ),
) -> None:
    """Restore a backup into an empty database, re-apply the destruction ledger, compare with the manifest."""
    settings = get_settings()
    url = database_url or settings.resolved_database_url()
    try:
        result = operations.restore(settings, manifest, url, actor=_actor())
    except EduDataError as err:
        _fail(err)
    console.print(f"恢复 / restored {result.name}: {result.tables} tables, {result.rows} rows; "
                  f"re-applied destructions: {result.reapplied}")  # fmt: skip
    if result.differ:
        console.print(f"[red]与备份清单不一致 / differs from the manifest[/red]: {', '.join(result.differ)}")
        raise typer.Exit(code=1)
    console.print("[green]与备份清单一致 / identical to the manifest[/green]")


# ------------------------------------------------------------------ destruction (Art. 34-36)
# A thin adapter: the account named by --as acts, with the policy action of the API route of the same step.


@contextmanager
def _acting(username: str, action: str, command: str) -> Iterator[tuple]:
    """``(session, principal, data-path context)`` for the account named by ``--as``, refused (like the API) when
    its duties lack ``action``; a refused or failed step is audited (:func:`_refused`) and ends the command."""
    from edudata.access.datapath import Context
    from edudata.identity.service import cli_principal
    from edudata.policy import require

    database, settings = _database()
    try:
        with database.session() as session:
            who = cli_principal(session, username)
            require(who, action)
            yield (
                session,
                who,
                Context(session=session, settings=settings, database=database, request_id=None),
            )
    except EduDataError as err:
        _refused(database, username, command, err)
    finally:
        database.dispose()


def _refused(database: Database, username: str, command: str, err: EduDataError) -> None:
    """A refused or failed step is audited like the API's (its own transaction; the step's writes rolled back),
    with the account that asked and the operating-system user, never the values typed (issue 17)."""
    from edudata.audit.service import record_now

    denied = err.status in (401, 403)
    record_now(
        database, operation="permission_denied" if denied else "request_failed",
        result="denied" if denied else "failed", username=username[:150], source_ip="local",
        detail={"command": command, "status": err.status, "code": err.code, "reason": err.en[:500],
                "os_user": getpass.getuser()[:100]},
    )  # fmt: skip
    _fail(err)


def _people(id_numbers: list[str], file: Path | None) -> list[str]:
    from edudata.lifecycle import id_lists

    listed = list(id_numbers)
    if file is not None:
        listed += id_lists.from_file(file.name, file.read_bytes())
    return listed


@destruction_app.command("request")
def destruction_request(
    account: str = typer.Option(..., "--as", help="网信办账户 / username of an office administrator"),
    reason: str = typer.Option(..., "--reason", help="销毁理由 / why the data is destroyed"),
    id_number: list[str] = typer.Option(
        [], "--id-number", help="身份证件号（可重复）/ an ID number of a person (repeat for several)"
    ),
    file: Path = typer.Option(
        None,
        "--file",
        exists=True,
        dir_okay=False,
        readable=True,
        help="身份证件号名单 / a CSV or XLSX with an ID-number column, or a text file with one a line",
    ),  # fmt: skip
    dataset: str = typer.Option(None, "--dataset", help="整个数据集 / a whole dataset (instead of people)"),
    before: str = typer.Option(None, "--before", help="YYYY-MM-DD: the dataset's records created before it"),
) -> None:
    """File a request: people by their ID numbers (scope ``people``), or a dataset, or its records before a date."""
    from datetime import date

    from edudata.lifecycle import destruction

    with _acting(account, "lifecycle.destruction.request", "destruction request") as (session, who, ctx):
        if dataset:
            try:
                cutoff = date.fromisoformat(before) if before else None
            except ValueError:
                raise ValidationFailed("截止日期须为 YYYY-MM-DD", "the cut-off date is YYYY-MM-DD",
                                       field="cutoff") from None  # fmt: skip
            req = destruction.request_destruction(
                who, ctx, scope_kind="before" if cutoff else "dataset", reason=reason,
                dataset_code=dataset, cutoff=cutoff,
            )  # fmt: skip
        else:
            req = destruction.request_destruction(
                who, ctx, scope_kind="people", reason=reason, id_numbers=_people(id_number, file)
            )
        session.commit()
        view = destruction.request_view(req)
    console.print(
        f"[green]已提出销毁申请 #{view['id']} / destruction request #{view['id']} filed[/green]: "
        f"{view['people']} 人 / people, {view['row_count']} 条记录 / rows; "
        "由另一名网信办人员审批 / another office member approves it"
    )


@destruction_app.command("list")
def destruction_list(
    account: str = typer.Option(..., "--as", help="username (office, destruction officer or auditor)"),
) -> None:
    """The requests, newest first, with their status."""
    from rich.table import Table

    from edudata.lifecycle import destruction

    with _acting(account, "lifecycle.destruction.read", "destruction list") as (session, _who, _ctx):
        views = [destruction.request_view(r) for r in destruction.list_requests(session)]
    table = Table(title="销毁申请 / destruction requests")
    for column in ("#", "范围 / scope", "人数 / people", "行数 / rows", "状态 / status", "申请人 / by"):
        table.add_column(column)
    for v in views:
        table.add_row(
            str(v["id"]), v["scope"], str(v["people"]), str(v["row_count"]), v["status"], v["requested_by"]
        )
    console.print(table)


def _decide(request_id: int, account: str, approve: bool, note: str | None) -> None:
    from edudata.lifecycle import destruction

    with _acting(account, "lifecycle.destruction.approve", "destruction decision") as (session, who, ctx):
        req = destruction.decide(who, ctx, request_id, approve=approve, note=note)
        session.commit()
        status = req.status
    console.print(f"[green]销毁申请 #{request_id} / destruction request #{request_id}[/green]: {status}")


@destruction_app.command("approve")
def destruction_approve(
    request_id: int = typer.Argument(...),
    account: str = typer.Option(
        ..., "--as", help="网信办账户，不是申请人 / an office administrator, not the requester"
    ),
    note: str = typer.Option(None, "--note"),
) -> None:
    """Approve a request (the office; never the requester, Art. 30)."""
    _decide(request_id, account, True, note)


@destruction_app.command("reject")
def destruction_reject(
    request_id: int = typer.Argument(...),
    account: str = typer.Option(
        ..., "--as", help="网信办账户，不是申请人 / an office administrator, not the requester"
    ),
    note: str = typer.Option(..., "--note", help="驳回理由 / why"),
) -> None:
    """Reject a request, stating why."""
    _decide(request_id, account, False, note)


@destruction_app.command("execute")
def destruction_execute(
    request_id: int = typer.Argument(...),
    account: str = typer.Option(..., "--as", help="数据销毁专员 / username of the destruction officer"),
) -> None:
    """Carry out an approved request (the destruction officer only); prints the certificate's summary."""
    import json

    from edudata.lifecycle import destruction

    with _acting(account, "lifecycle.destruction.execute", "destruction execute") as (session, who, ctx):
        cert = destruction.execute(who, ctx, request_id)
        session.commit()
        body = json.loads(cert.body)
        reclaimed = destruction.after_commit(ctx, destruction.reclaimed_tables(cert))
    _print_certificate(body, reclaimed)


def _print_certificate(body: dict, reclaimed: bool | None = None) -> None:
    what = body["what"]
    rows = sum(t["current"] for t in what["tables"].values())
    console.print(f"[green]销毁证明 / certificate {body['certificate']}[/green]")
    console.print(f"人数 / people: {len(what.get('people') or [])}; 行数 / rows: {rows}; "
                  f"个人密钥 / subject keys destroyed: {what['subject_keys_destroyed']}")  # fmt: skip
    copies = what.get("copies_handed_out") or []
    console.print(f"已交出的副本 / copies handed out: {len(copies)}"
                  + "".join(f"\n  #{c['copy']} {c['kind']} {c['dataset']} → {c['holder']} ({c['rows']} rows)"
                            for c in copies))  # fmt: skip
    if reclaimed is False:
        console.print("[yellow]有更早的事务仍在运行，旧行版本稍后回收 / an older transaction was still running: "
                      "the old row versions are reclaimed later[/yellow]")  # fmt: skip


@destruction_app.command("certificate")
def destruction_certificate(
    request_id: int = typer.Argument(...),
    account: str = typer.Option(..., "--as", help="username (office, destruction officer or auditor)"),
) -> None:
    """Show a request's signed certificate (the signature is checked)."""
    import json

    from edudata.lifecycle import destruction

    with _acting(account, "lifecycle.destruction.read", "destruction certificate") as (session, _who, _ctx):
        cert = destruction.certificate_for(session, request_id)
        body, valid = json.loads(cert.body), destruction.certificate_valid(cert)
    _print_certificate(body)
    console.print("签名有效 / signature valid" if valid else "[red]签名无效 / signature INVALID[/red]")
    if not valid:
        raise typer.Exit(code=1)
