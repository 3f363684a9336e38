"""``edudata inspect …``: run inspections (Art. 62), list checks, write a report as JSON or PDF.

``edudata inspect daily`` is idempotent per day: schedule it hourly (cron, systemd timer) and the daily spot
check runs once. What an operator does here is audited with the operating-system user as the actor.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from edudata.clock import today_in_china
from edudata.config import Settings, get_settings
from edudata.db import Database
from edudata.errors import EduDataError
from edudata.inspect.registry import all_checks
from edudata.inspect.report import build_report, render_pdf
from edudata.inspect.runs import get_run, run_daily_if_due
from edudata.inspect.service import start_run

NAME = "inspect"
app = typer.Typer(help="检查与监督 / inspections (Art. 61-64)", no_args_is_help=True)
console = Console()


def _actor() -> dict[str, str]:
    return {"username": f"cli:{getpass.getuser()}"[:150], "source_ip": "local"}


@contextmanager
def _session() -> Iterator[tuple[Session, Settings]]:
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        with database.session() as session:
            yield session, settings
    except EduDataError as err:
        console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
        raise typer.Exit(code=2) from None
    finally:
        database.dispose()


def _print_run(session: Session, run_id: int) -> None:
    run = get_run(session, run_id)
    console.print(
        f"检查 / inspection #{run.id} ({run.mode}): 新发现 / new {run.new_count}, 仍存在 / still open "
        f"{run.open_count}, 已整改 / resolved {run.resolved_count}"
    )
    if run.error:
        console.print(f"[yellow]未完成的检查项 / checks that failed[/yellow]: {run.error}")


@app.command("checks")
def checks() -> None:
    """List every registered check with its article and severity."""
    table = Table("code", "article", "severity", "title")
    for c in all_checks():
        table.add_row(c.code, c.article, c.severity, f"{c.title_zh} / {c.title_en}")
    console.print(table)


@app.command("run")
def run(
    mode: str = typer.Option("year_end", help="daily | special | year_end"),
    check: list[str] = typer.Option(None, "--check", help="检查项 (special) / check code, repeatable"),
    unit: list[str] = typer.Option(None, "--unit", help="单位代码 (special) / unit code, repeatable"),
    seed: int = typer.Option(None, help="daily sample seed (to repeat a sample)"),
) -> None:
    """Run an inspection now and store its findings."""
    with _session() as (session, settings):
        result = start_run(
            session, None, mode, checks=check or None, units=unit or None, seed=seed, settings=settings,
            actor=_actor(),
        )  # fmt: skip
        session.commit()
        _print_run(session, result.id)


@app.command("daily")
def daily() -> None:
    """Today's daily spot check, unless it already ran today (UTC)."""
    with _session() as (session, settings):
        result = run_daily_if_due(session, started_by=_actor()["username"], settings=settings)
        if result is None:
            console.print("今日抽查已完成 / today's spot check has already run")
            return
        session.commit()
        _print_run(session, result.id)


@app.command("report")
def report(
    run_id: int = typer.Argument(..., help="检查编号 / inspection id"),
    pdf: Path = typer.Option(None, help="write the PDF report here"),
    lang: str = typer.Option("zh", help="zh | en"),
) -> None:
    """Print the report as JSON, or write it as PDF."""
    from edudata.inspect.pages import report_html

    with _session() as (session, settings):
        data = build_report(session, get_run(session, run_id), today_in_china())
        if pdf is None:
            console.print_json(json.dumps(data, ensure_ascii=False, default=str))
            return
        pdf.write_bytes(
            render_pdf(report_html(data, lang if lang in ("zh", "en") else "zh", settings.school_name))
        )
        console.print(f"[green]已写入 / written[/green]: {pdf}")
