"""``edudata sharing …``: flag overdue reviews (for a daily timer) and list them for inspection (Art. 64(2))."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from edudata.config import get_settings
from edudata.db import Database
from edudata.sharing.review import STAGE_LABELS, flag_overdue, overdue_reviews

NAME = "sharing"
app = typer.Typer(help="数据共享 / data sharing", no_args_is_help=True)
console = Console()


@app.command("overdue")
def overdue(
    today: str = typer.Option("", help="按此日期判断（YYYY-MM-DD，默认今天，北京时间）/ as of this date"),
) -> None:
    """Flag reviews past their working-day deadline (the office is told once) and list every overdue review."""
    day = date.fromisoformat(today) if today else None
    database = Database(get_settings().resolved_database_url())
    try:
        with database.session() as session:
            flagged = flag_overdue(session, day)
            session.commit()
            items = overdue_reviews(session, day)
            table = Table("申请 / application", "环节 / stage", "单位 / unit", "截止 / due", "审核 / decided")
            for r in items:
                decided = r.decided_at.isoformat()[:16] if r.decided_at else "未审核 / open"
                table.add_row(f"#{r.application_id}", STAGE_LABELS[r.stage][0], r.reviewer_unit_code,
                              r.due_on.isoformat(), decided)  # fmt: skip
    finally:
        database.dispose()
    console.print(table)
    console.print(f"新标记超期 / newly flagged: {len(flagged)}; 超期审核共 / overdue in all: {len(items)}")
