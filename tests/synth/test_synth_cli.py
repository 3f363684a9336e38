"""``edudata synth …`` writes the same data the library generates, as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from edudata.cli import app
from edudata.synth.people import students

runner = CliRunner()


def test_students_csv_with_planted_defects(tmp_path: Path) -> None:
    out = tmp_path / "students.csv"
    result = runner.invoke(
        app, ["synth", "students", "--count", "400", "--out", str(out), "--seed", "4", "--error-rate", "0.05"]
    )
    assert result.exit_code == 0, result.output
    assert "planted defects" in result.output and "400" in result.output
    written = pl.read_csv(out, infer_schema=False)
    expected = students(400, 4, error_rate=0.05).with_columns(pl.col("NJ").cast(pl.String))
    assert written.equals(expected)


def test_staff_xlsx_for_a_small_count(tmp_path: Path) -> None:
    out = tmp_path / "staff.xlsx"
    result = runner.invoke(app, ["synth", "staff", "-n", "50", "-o", str(out), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    sheet = pl.read_excel(out, engine="openpyxl")
    assert sheet.height == 50 and sheet.columns[0] == "GH"


def test_xlsx_is_refused_for_a_large_count_with_a_bilingual_message(tmp_path: Path) -> None:
    out = tmp_path / "big.xlsx"
    result = runner.invoke(app, ["synth", "students", "-n", "100001", "-o", str(out), "--format", "xlsx"])
    assert result.exit_code == 2
    assert "XLSX" in result.output and "请改用 CSV" in result.output and "use CSV" in result.output
    assert not out.exists()


def test_every_record_kind_has_a_command(tmp_path: Path) -> None:
    for kind in ("courses", "projects", "assets"):
        out = tmp_path / f"{kind}.csv"
        result = runner.invoke(app, ["synth", kind, "-n", "30", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert pl.read_csv(out).height == 30
