"""``edudata worker``: run the periodic jobs and the mail outbox (one elected per deployment); ``edudata worker
schedule`` shows the schedule held in the database and ``edudata worker set`` changes it."""

from __future__ import annotations

import re

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from edudata.config import get_settings
from edudata.db import Database, utcnow

NAME = "worker"
app = typer.Typer(help="后台任务 / background worker", invoke_without_command=True)
console = Console()


def _database() -> tuple[Database, object]:
    settings = get_settings()
    return Database(settings.resolved_database_url()), settings


@app.callback()
def worker(
    ctx: typer.Context,
    once: bool = typer.Option(False, help="one round of due jobs, then exit"),
    poll: float = typer.Option(1.0, help="seconds between rounds"),
) -> None:
    """Run due jobs (sequencing, mail, daily spot check, reminders, pulls, backups, retention) until stopped."""
    if ctx.invoked_subcommand is not None:
        return
    import signal

    from edudata.worker.runner import WorkerProcess

    database, settings = _database()
    process = WorkerProcess(database, settings, poll=poll)
    signal.signal(signal.SIGTERM, lambda *_: process.stop_event.set())
    try:
        process.run(
            rounds=1 if once else None,
            on_round=lambda ran: ran and console.print(f"已运行 / ran: {', '.join(ran)}"),
        )
    except KeyboardInterrupt:
        pass
    finally:
        database.dispose()


@app.command("schedule")
def schedule() -> None:
    """The schedule: each job, when it runs, when it ran last and how that went."""
    from edudata.worker.models import WorkerJob
    from edudata.worker.schedule import JOBS, ensure_schedule

    database, _settings = _database()
    try:
        with database.session() as session:
            ensure_schedule(session)
            session.commit()
            table = Table("任务 / job", "", "计划 / when", "下次 / next", "上次 / last", "结果 / result")
            for row in session.scalars(select(WorkerJob).order_by(WorkerJob.name)):
                when = f"每日 {row.daily_at}（北京时间）" if row.daily_at else f"每 {row.every_seconds} 秒"
                last = row.last_finished_at.isoformat()[:19] if row.last_finished_at else "-"
                state = "" if row.last_ok is None else ("✓ " if row.last_ok else "✗ ")
                table.add_row(row.name, JOBS[row.name].zh if row.name in JOBS else "", when if row.enabled else "停用 / off",
                              row.next_run_at.isoformat()[:19], last, state + (row.last_result or ""))  # fmt: skip
    finally:
        database.dispose()
    console.print(table)


@app.command("set")
def set_job(
    name: str = typer.Argument(..., help="job name (see `edudata worker schedule`)"),
    every: int = typer.Option(None, help="run every N seconds"),
    at: str = typer.Option(None, help="run daily at HH:MM Beijing time"),
    off: bool = typer.Option(False, help="stop running it"),
    on: bool = typer.Option(False, help="run it again"),
) -> None:
    """Change one job's schedule; the worker follows from its next round."""
    from edudata.worker.models import WorkerJob
    from edudata.worker.schedule import JOBS, ensure_schedule, next_run

    if name not in JOBS:
        console.print(f"[red]错误 / error[/red]: 无此任务 / no such job: {name} ({', '.join(JOBS)})")
        raise typer.Exit(code=2)
    if at is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        console.print("[red]错误 / error[/red]: 时间应为 HH:MM / the time must be HH:MM")
        raise typer.Exit(code=2)
    if every is not None and every < 1:
        console.print("[red]错误 / error[/red]: 间隔至少 1 秒 / the interval is at least 1 second")
        raise typer.Exit(code=2)
    database, _settings = _database()
    try:
        with database.session() as session:
            ensure_schedule(session)
            row = session.get(WorkerJob, name)
            if every is not None:
                row.every_seconds, row.daily_at = every, None
            if at is not None:
                row.daily_at = at
            if off or on:
                row.enabled = on
            row.next_run_at = next_run(row, utcnow()) if (every or at) else row.next_run_at
            session.commit()
    finally:
        database.dispose()
    console.print(f"[green]已更新 / updated[/green]: {name}")
