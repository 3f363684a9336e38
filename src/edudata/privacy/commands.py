"""``edudata privacy …``: count the PI register (schedule it monthly) and list outstanding obligations.

The operator acts as a data-protection officer (it may count people, never read a record) and is audited
with the operating-system user as the actor.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.table import Table

from edudata.access import datapath
from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError
from edudata.policy.roles import Role
from edudata.privacy import register

NAME = "privacy"
app = typer.Typer(help="个人信息保护 / personal-information protection (Art. 50-51)", no_args_is_help=True)
console = Console()


@dataclass(frozen=True)
class _Operator:
    account_id: int
    username: str
    unit_code: str = "0002"
    roles: frozenset[str] = frozenset({Role.DATA_PROTECTION_OFFICER})
    source_ip: str = "local"


@app.command("count")
def count() -> None:
    """Count distinct people per system and dataset now and keep the counts (Art. 50)."""
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        with database.session() as session:
            ctx = datapath.Context(session=session, settings=settings, database=database)
            counts = register.refresh_register(_Operator(0, f"cli:{getpass.getuser()}"[:150]), ctx)
            session.commit()
        table = Table("system", "people", "unlinked datasets")
        for c in counts:
            table.add_row(c["system"], f"{c['people']:,}", ", ".join(c["unlinked"]))
        console.print(table)
    except EduDataError as err:
        console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
        raise typer.Exit(code=2) from None
    finally:
        database.dispose()


@app.command("obligations")
def obligations() -> None:
    """List the Art. 50/51 obligations not met; exit 1 when there is any (for monitoring)."""
    settings = get_settings()
    database = Database(settings.resolved_database_url())
    try:
        with database.session() as session:
            found = register.outstanding_obligations(session)
    finally:
        database.dispose()
    table = Table("kind", "article", "subject", "due", "message")
    for o in found:
        table.add_row(o.kind, o.article, o.subject, o.due_on.isoformat() if o.due_on else "", o.message_zh)
    console.print(table if found else "没有待履行的义务 / nothing outstanding")
    raise typer.Exit(code=1 if found else 0)
