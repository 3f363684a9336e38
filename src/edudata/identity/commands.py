"""``edudata identity …``: the directory sync from the command line (人员与单位同步, Art. 30, 53).

Run from cron (e.g. nightly) or by hand; ``--dry-run`` shows the changes and makes none. The CLI has no login of
its own, so the operating-system user is named as the actor in the audit log.
"""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.table import Table

from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError
from edudata.identity import directory

NAME = "identity"
app = typer.Typer(help="统一身份认证与目录同步 / campus identity and directory sync", no_args_is_help=True)
console = Console()

KIND_NAMES = {"add": "新增 add", "move": "调岗 move", "rename": "改名 rename", "leave": "离职停用 leave",
              "skip": "跳过 skip"}  # fmt: skip


def show(changes: list[directory.Change], title: str) -> None:
    table = Table(title=title)
    for column in (
        "变更 change",
        "编号 number",
        "账户 account",
        "姓名 name",
        "原单位 from",
        "新单位 to",
        "说明 note",
    ):
        table.add_column(column)
    for c in changes:
        table.add_row(
            KIND_NAMES.get(c.kind, c.kind), c.number, c.username, c.name, c.from_unit, c.to_unit, c.note
        )
    console.print(table)
    counts = {k: sum(1 for c in changes if c.kind == k) for k in KIND_NAMES}
    console.print(" · ".join(f"{KIND_NAMES[k]}: {n}" for k, n in counts.items()))


def _entries(settings, database: Database, session, as_user: str) -> list[directory.DirectoryEntry]:  # noqa: ANN001
    if settings.directory_source != "staff_dataset":
        return directory.read_ldap(settings)
    from edudata.access.datapath import Context
    from edudata.errors import PermissionDenied
    from edudata.identity.service import principal_for
    from edudata.org.service import get_account
    from edudata.policy import require

    principal = principal_for(session, get_account(session, as_user).id, source_ip="local", via="cli")
    if principal is None:
        raise PermissionDenied("账户已停用", "this account is disabled")
    require(principal, "identity.directory.sync")
    entries = directory.read_source(
        settings, principal, Context(session=session, settings=settings, database=database)
    )
    session.commit()  # the data path's audit record of the read
    return entries


@app.command("sync")
def sync(
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示将发生的变更 / show the changes, make none"),
    force: bool = typer.Option(False, "--force", help="允许大量停用 / allow a mass disabling"),
    as_user: str = typer.Option(
        "", "--as", help="读取人事数据集的网信办账户 / the office account that reads the staff dataset"
    ),
) -> None:
    """People and units from the school's LDAP / AD (EDUDATA_LDAP_*) or, with EDUDATA_DIRECTORY_SOURCE=
    staff_dataset, from 人事处's staff dataset: add, move, rename, disable leavers."""
    settings = get_settings()
    if settings.directory_source == "ldap" and not settings.ldap_url:
        console.print("[red]错误 / error[/red]: 未配置 EDUDATA_LDAP_URL / EDUDATA_LDAP_URL is not set")
        raise typer.Exit(code=2)
    database = Database(settings.resolved_database_url())
    actor = f"cli:{getpass.getuser()}"[:150]
    try:
        with database.session() as session:
            entries = _entries(settings, database, session, as_user)
            changes = directory.plan(session, entries, force=force)
            if dry_run:
                show(changes, f"目录同步（演练，未做变更）/ directory sync, dry run — {len(entries)} entries")
                return
            done = directory.apply(session, changes, by=actor, source=settings.directory_source)
            session.commit()
        show(done, f"目录同步已完成 / directory sync done — {len(entries)} entries")
    except EduDataError as err:
        console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
        raise typer.Exit(code=2) from None
    finally:
        database.dispose()
