"""``edudata sharing …``: the daily reminders (overdue reviews, grants about to end), the overdue list for
inspection (Art. 64(2)) and the list of requests to provide data outside the school (Art. 42, 58). Reminders go to the web inbox, and to the mail outbox (sent by ``edudata worker``) when
``EDUDATA_NOTIFY_MAIL_FROM`` is set."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from edudata.config import get_settings
from edudata.db import Database
from edudata.sharing import external as external_requests
from edudata.sharing.mailing import queue
from edudata.sharing.review import STAGE_LABELS, flag_overdue, overdue_reviews, remind

NAME = "sharing"
app = typer.Typer(help="数据共享 / data sharing", no_args_is_help=True)
console = Console()


@app.command("overdue")
def overdue(
    today: str = typer.Option("", help="按此日期判断（YYYY-MM-DD，默认今天，北京时间）/ as of this date"),
) -> None:
    """Flag reviews past their working-day deadline (the office is told once) and list every overdue review."""
    day = date.fromisoformat(today) if today else None
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        with database.session() as session:
            flagged = flag_overdue(session, day)
            queue(session, settings)
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


@app.command("remind")
def remind_command(
    today: str = typer.Option("", help="按此日期判断（YYYY-MM-DD，默认今天，北京时间）/ as of this date"),
) -> None:
    """For a daily timer: flag overdue reviews (the office is told) and grants ending within 7 days (the applicant
    is told), each once; mailed too when notification mail is on."""
    day = date.fromisoformat(today) if today else None
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        with database.session() as session:
            late, ending = remind(session, day)
            queue(session, settings)
            session.commit()
    finally:
        database.dispose()
    console.print(f"超期审核 / overdue reviews: {late}; 即将到期的授权 / grants ending soon: {ending}")


@app.command("external")
def external(
    status: str = typer.Option("", help="只列此状态（如 pending_secrecy、released）/ only this status"),
) -> None:
    """List the requests to provide or publish data outside the school, with their stage and release record, for
    the office and inspection (Art. 42, 58)."""
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        with database.session() as session:
            table = Table("申请 / request", "共享申请 / application", "单位 / unit", "接收方 / recipient",
                          "状态 / status", "提供记录 / released")  # fmt: skip
            for req in external_requests.all_requests(session, status or None):
                done = external_requests.release_of(session, req)
                label = external_requests.STATUS_LABELS[req.status]
                table.add_row(f"#{req.id}", f"#{req.application_id}", req.unit_code, req.recipient,
                              f"{label[0]} / {label[1]}", done.released_at.isoformat()[:16] if done else "")  # fmt: skip
    finally:
        database.dispose()
    console.print(table)
