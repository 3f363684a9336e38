"""``edudata ingest FILE --dataset … --unit …`` and the job worker, for the office's IT staff (Art. 20-23).

The CLI has no login of its own: ``--as`` names the account the batch is submitted as (it must be a data
officer of the unit), so the same rules and audit apply as on the web. A Rich progress bar follows the stages
and the quality summary is printed at the end.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError

app = typer.Typer(help="数据采集 / data collection")
console = Console()
STAGES = ("receive", "read", "validate", "stage")
STAGE_NAMES = {
    "receive": "接收 / receive",
    "read": "读取 / read",
    "validate": "校验 / validate",
    "stage": "暂存 / stage",
}


def _fail(err: EduDataError) -> None:
    console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
    raise typer.Exit(code=2)


@app.command("ingest")
def ingest_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV or XLSX file"),
    dataset: str = typer.Option(..., "--dataset", help="dataset code, e.g. student_basic"),
    unit: str = typer.Option(..., "--unit", help="producer unit code, e.g. 0104"),
    account: str = typer.Option(..., "--as", help="username of the unit's data officer submitting the batch"),
    encoding: str = typer.Option("auto", help="auto, utf-8, gbk or gb18030"),
    parent: str = typer.Option(None, help="the batch this file corrects"),
) -> None:
    """Submit a file as a batch: checked, good rows staged for review, bad rows quarantined with reasons."""
    from edudata.access.datapath import Context
    from edudata.audit.service import enable_checkpoints
    from edudata.identity.service import cli_principal
    from edudata.ingest import service
    from edudata.ingest.incoming import sweep

    settings = get_settings()
    sweep(settings)  # what a killed ingest left: sealed under a key that died with it, removed now
    database = Database(settings.resolved_database_url())
    enable_checkpoints(database, settings)
    try:
        with database.session() as session, file.open("rb") as f:
            who = cli_principal(session, account)
            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console,
            )
            with progress:
                task = progress.add_task("开始 / start", total=len(STAGES))

                def step(stage: str) -> None:
                    progress.update(task, description=STAGE_NAMES[stage], completed=STAGES.index(stage))

                batch = service.upload(
                    who, Context(session, settings, database), dataset_code=dataset, unit_code=unit, read=f.read,
                    filename=file.name, encoding=encoding, parent_code=parent, progress=step,
                )  # fmt: skip
                session.commit()
                progress.update(task, description="完成 / done", completed=len(STAGES))
            _summary(batch)
    except EduDataError as err:
        _fail(err)
    finally:
        database.dispose()


def _summary(batch) -> None:  # noqa: ANN001
    report = batch.report or {}
    table = Table(title=f"质量摘要 / quality summary · {batch.code}")
    table.add_column("项目 / item")
    table.add_column("值 / value", justify="right")
    for label, value in (
        ("行数 / rows", batch.rows_total),
        ("合格 / good", batch.rows_good),
        ("隔离 / quarantined", batch.rows_quarantined),
        ("空行 / empty rows", batch.rows_blank),
        ("已收到过 / received before", batch.rows_already),
        ("合格率 / validity", f"{report.get('validity_rate', 1.0):.2%}"),
        ("完整率 / completeness", f"{report.get('completeness_rate', 1.0):.2%}"),
    ):
        table.add_row(label, str(value))
    for r in report.get("by_rule", [])[:20]:
        table.add_row(f"  {r['element']} · {r['rule']}", str(r["count"]))
    for element, n in (report.get("normalised") or {}).items():
        table.add_row(f"  规范化 / normalised {element}", str(n["changed"]))
    console.print(table)
    console.print(f"状态 / status: {batch.status} — 待单位审核人审核 / awaiting the unit reviewer")


@app.command("ingest-worker")
def worker_command(
    once: bool = typer.Option(False, help="run at most one due job and exit"),
    max_jobs: int = typer.Option(None, help="stop after this many jobs"),
) -> None:
    """Run queued pull jobs (a job whose worker died is taken again when its lease ends)."""
    from edudata.ingest.jobs import Worker

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        worker = Worker(database, settings)
        if once:
            ran = worker.run_once()
            console.print(f"任务 / job: {ran if ran is not None else '无 / none'}")
        else:
            console.print(f"已运行任务 / jobs run: {worker.run(max_jobs=max_jobs)}")
    finally:
        database.dispose()


@app.command("ingest-schedule")
def schedule_command() -> None:
    """Queue a pull for every source whose dataset's update interval has passed (run it from cron)."""
    from edudata.ingest.pull import schedule_due

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        console.print(f"已排队的数据源 / sources queued: {schedule_due(database)}")
    finally:
        database.dispose()


@app.command("ingest-purge-staging")
def purge_staging_command() -> None:
    """Remove the staging files of batches finished longer ago than the office's retention (the worker runs it daily)."""
    from edudata.ingest.retention import purge_finished

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        with database.session() as session:
            purged = purge_finished(session, settings)
            session.commit()
        console.print(f"已清除暂存批次 / staging removed: {len(purged)}")
    finally:
        database.dispose()
