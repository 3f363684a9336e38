"""``edudata backup …`` and ``edudata restore`` (Art. 28, 55, 60), for the office's IT staff.

    edudata backup [--to DIR] [--offsite DIR]     consistent, encrypted, signed backup (local + off-site copy)
    edudata backup verify MANIFEST                signature, digest, every chunk's tag
    edudata backup drill MANIFEST                 restore drill into a scratch database, recorded
    edudata backup schedule NAME --every-hours …  a scheduled backup with retention
    edudata backup run-scheduled                  run what is due (from cron or a systemd timer)
    edudata restore MANIFEST [--database-url URL] restore into an EMPTY database, re-applying destructions

The CLI has no login: what it does is audited with the operating-system user as the actor.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console

from edudata.audit.service import enable_checkpoints
from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError
from edudata.lifecycle import operations

NAME = None  # commands join the top level: `edudata backup …`, `edudata restore`
app = typer.Typer(help="备份与恢复 / backup and restore")
backup_app = typer.Typer(help="备份 / backups (Art. 55, 60)")
app.add_typer(backup_app, name="backup")
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
