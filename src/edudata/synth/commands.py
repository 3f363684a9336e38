"""``edudata synth …``: write synthetic university data to CSV or XLSX for demos, load tests and ingest drills.

Nothing here touches the database; the files are what a producer unit's system would deliver (C2).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from edudata.errors import EduDataError, ValidationFailed
from edudata.synth import people, records

NAME = "synth"
app = typer.Typer(help="合成数据 / synthetic university data (CSV, XLSX)", no_args_is_help=True)
console = Console()

XLSX_MAX_ROWS = 100_000  # a spreadsheet beyond this is slow to write and to open; use CSV


class FileFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def _fail(err: EduDataError) -> None:
    console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
    raise typer.Exit(code=2)


def check_xlsx_rows(count: int) -> None:
    if count > XLSX_MAX_ROWS:
        raise ValidationFailed(
            f"XLSX 最多 {XLSX_MAX_ROWS} 行，请改用 CSV",
            f"XLSX is limited to {XLSX_MAX_ROWS} rows here; use CSV",
            field="count",
        )


def write_frame(frame: pl.DataFrame, out: Path, file_format: FileFormat, *, bom: bool = False) -> None:
    """Write ``frame`` as UTF-8 CSV (dates ISO 8601) or as one XLSX sheet."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format is FileFormat.xlsx:
        check_xlsx_rows(frame.height)
        frame.write_excel(out, worksheet="data", autofit=frame.height <= 10_000)
    else:
        frame.write_csv(out, include_bom=bom)


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1_048_576:,.1f} MiB" if size >= 1_048_576 else f"{size / 1024:,.1f} KiB"


def _run(
    what: str, count: int, make: Callable[[], pl.DataFrame], out: Path, file_format: FileFormat, bom: bool
) -> None:
    started = time.perf_counter()
    try:
        if file_format is FileFormat.xlsx:
            check_xlsx_rows(count)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task(f"生成 / generating {what}", total=None)
            frame = make()
            generated = time.perf_counter()
            progress.update(task, description=f"写入 / writing {out}")
            write_frame(frame, out, file_format, bom=bom)
    except EduDataError as err:
        _fail(err)
    written = time.perf_counter()
    summary = Table(title=f"{what} → {out}", show_header=False)
    summary.add_row("行数 / rows", f"{frame.height:,}")
    summary.add_row("列 / columns", ", ".join(frame.columns))
    summary.add_row("生成 / generated in", f"{generated - started:.2f} s")
    summary.add_row("写入 / written in", f"{written - generated:.2f} s")
    summary.add_row("文件大小 / file size", _size(out))
    if "_planted_error" in frame.columns:
        counts = frame["_planted_error"].drop_nulls().value_counts(sort=True)
        planted = ", ".join(f"{k} {v}" for k, v in counts.iter_rows())
        summary.add_row("植入错误 / planted defects", planted or "0")
    console.print(summary)


_COUNT = typer.Option(1000, "--count", "-n", min=0, help="行数 / number of rows")
_OUT = typer.Option(..., "--out", "-o", help="输出文件 / output file")
_SEED = typer.Option(0, help="随机种子：同一种子得到同样的数据 / same seed, same data")
_FORMAT = typer.Option(FileFormat.csv, "--format", help="csv, or xlsx for small counts")
_BOM = typer.Option(False, help="CSV 带 UTF-8 BOM（便于 Excel 打开）/ write a UTF-8 BOM for Excel")


@app.command("students")
def students_command(
    count: int = _COUNT,
    out: Path = _OUT,
    seed: int = _SEED,
    error_rate: float = typer.Option(
        0.0, min=0.0, max=1.0, help="植入错误的行比例 / share of rows with a planted defect"
    ),
    file_format: FileFormat = _FORMAT,
    bom: bool = _BOM,
) -> None:
    """学生基本信息 (XH, XM, SFZJH …); --error-rate plants defects named in _planted_error."""
    _run(
        "students", count, lambda: people.students(count, seed, error_rate=error_rate), out, file_format, bom
    )


@app.command("staff")
def staff_command(
    count: int = _COUNT,
    out: Path = _OUT,
    seed: int = _SEED,
    file_format: FileFormat = _FORMAT,
    bom: bool = _BOM,
) -> None:
    """教职工基本信息 (GH, XM, SFZJH, DWDM, ZC, RZRQ …)."""
    _run("staff", count, lambda: people.staff(count, seed), out, file_format, bom)


@app.command("courses")
def courses_command(
    count: int = _COUNT,
    out: Path = _OUT,
    seed: int = _SEED,
    file_format: FileFormat = _FORMAT,
    bom: bool = _BOM,
) -> None:
    """课程信息 (KCH, KCMC, KKDWDM, XF …)."""
    _run("courses", count, lambda: records.courses(count, seed), out, file_format, bom)


@app.command("projects")
def projects_command(
    count: int = _COUNT,
    out: Path = _OUT,
    seed: int = _SEED,
    file_format: FileFormat = _FORMAT,
    bom: bool = _BOM,
) -> None:
    """科研项目 (XMBH, XMMC, XMLB, FZRGH, HTJF …)."""
    _run("research projects", count, lambda: records.research_projects(count, seed), out, file_format, bom)


@app.command("assets")
def assets_command(
    count: int = _COUNT,
    out: Path = _OUT,
    seed: int = _SEED,
    file_format: FileFormat = _FORMAT,
    bom: bool = _BOM,
) -> None:
    """固定资产 (ZCBH, ZCMC, JZ, GZRQ, SYDWDM …)."""
    _run("assets", count, lambda: records.assets(count, seed), out, file_format, bom)
