"""``edudata demo``: build the demo university on the embedded SQLite file and serve it on localhost."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edudata.config import get_settings

app = typer.Typer()
console = Console()


@app.command()
def demo(
    students: int = typer.Option(30_000, min=0, max=2_000_000, help="学生人数 / number of students"),
    staff: int = typer.Option(3_000, min=0, max=200_000, help="教职工人数 / number of staff"),
    serve: bool = typer.Option(True, help="build, then serve on http://HOST:PORT"),
    port: int = typer.Option(None, help="port (default 8000)"),
) -> None:
    """演示大学：建库、导入合成数据、打印各角色账号并启动服务 / build the demo university and serve it."""
    from edudata.demo.service import build_demo

    settings = get_settings()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(dataset: str, done: int, total: int) -> None:
            if dataset not in tasks:
                tasks[dataset] = bar.add_task(f"导入 / loading {dataset}", total=total)
            bar.update(tasks[dataset], completed=done)

        def report(line: str) -> None:
            bar.console.print(line, soft_wrap=True, highlight=False)

        logins = build_demo(settings, students=students, staff=staff, progress=progress, report=report)

    # Plain lines, never a table: a login must be copyable in full however narrow the terminal is.
    console.print("[bold]演示账号（每次启动重置密码）/ demo logins (passwords reset at each start)[/bold]")
    width = max(len(login.username) for login in logins)
    for login in logins:
        console.print(
            f"  {login.username:<{width}}  {login.password}  {login.role} · {login.unit_code} {login.display_name}",
            soft_wrap=True,
            highlight=False,
        )
    url = f"http://{settings.host}:{port or settings.port}"
    console.print(f"网页 / web: [bold]{url}/login[/bold]    API 文档 / API docs: [bold]{url}/docs[/bold]")
    if serve:
        import uvicorn

        from edudata.api.app import create_app

        uvicorn.run(create_app(settings), host=settings.host, port=port or settings.port, log_level="warning")
