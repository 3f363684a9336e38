"""``edudata catalog migrate-storage DATASET --as <office>``: bring stored values in line with the catalogue.

The API and pages migrate when an element's grade, sensitivity or type changes; this command is for a large
table (with a progress bar) and for a table an earlier release left behind (Art. 27-28, 52).
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError

NAME = "catalog"
app = typer.Typer(help="数据资源目录 / the data catalogue", no_args_is_help=True)
console = Console()


@app.command("migrate-storage")
def migrate_storage_command(
    dataset: str = typer.Argument(..., help="dataset code, e.g. student_basic"),
    account: str = typer.Option(..., "--as", help="username of an office administrator"),
) -> None:
    """Re-write the stored values (and history) of every element whose layout the catalogue changed."""
    from edudata.audit.service import enable_checkpoints
    from edudata.catalog.storage import follow_catalogue
    from edudata.identity.service import cli_principal

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    enable_checkpoints(database, settings)
    try:
        with database.session() as session:
            who = cli_principal(session, account)
            bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                           TimeElapsedColumn(), console=console)  # fmt: skip
            tasks: dict[str, int] = {}

            def step(table: str, done: int, total: int) -> None:
                if table not in tasks:
                    tasks[table] = bar.add_task(table, total=total)
                bar.update(tasks[table], completed=done)

            with bar:
                result = follow_catalogue(session, settings, database, who, dataset, progress=step)
            session.commit()
    except EduDataError as err:
        console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
        raise typer.Exit(code=2) from None
    finally:
        database.dispose()
    if not result["elements"]:
        console.print("[green]存储与目录一致，无需迁移 / storage matches the catalogue[/green]")
        return
    for change in result["elements"]:
        console.print(f"{change['element']}: {change['from']} → {change['to']}")
    console.print(f"[green]已迁移 {result['values']} 个值 / {result['values']} values migrated[/green]")
