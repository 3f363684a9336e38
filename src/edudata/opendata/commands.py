"""``edudata opendata …``: refresh published views on their schedule (Art. 45, 48).

Run ``edudata opendata refresh`` from cron or a systemd timer on one app server; each due view is read through
the data path, derived again and, when its content changed, stored as a new version (earlier ones are kept).
"""

from __future__ import annotations

import typer
from rich.console import Console

from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError
from edudata.opendata.publish import refresh_due

NAME = "opendata"
app = typer.Typer(help="开放数据 / open data", no_args_is_help=True)
console = Console()


@app.command("refresh")
def refresh() -> None:
    """Refresh every published view whose update time has come."""
    settings = get_settings()
    db = Database(settings.resolved_database_url())
    try:
        with db.session() as session:
            changed = refresh_due(session, settings, db)
            session.commit()
    except EduDataError as err:
        console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
        raise typer.Exit(code=2) from None
    finally:
        db.dispose()
    console.print(f"新版本 / new versions: {', '.join(changed) if changed else '无 / none'}")
