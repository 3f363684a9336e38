"""``edudata account …``: open, unlock, disable and grant roles from the command line (Art. 6, 30, 54).

For the office's IT staff, e.g. to create the first office administrator before anyone can log in. The CLI has
no login of its own, so the operating-system user is named as the actor in the audit log.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from edudata.audit.service import record
from edudata.config import get_settings
from edudata.db import Database
from edudata.errors import EduDataError
from edudata.identity import totp
from edudata.identity.service import unlock as unlock_login
from edudata.identity.tokens import revoke_all
from edudata.org import service

NAME = "account"
app = typer.Typer(help="账户与角色 / accounts and roles", no_args_is_help=True)
console = Console()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"[:150]


@contextmanager
def _session() -> Iterator[Session]:
    database = Database(get_settings().resolved_database_url())
    try:
        with database.session() as session:
            yield session
    except EduDataError as err:
        console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
        raise typer.Exit(code=2) from None
    finally:
        database.dispose()


def _audit(session: Session, operation: str, **detail: object) -> None:
    record(session, operation=operation, username=_actor(), source_ip="local", detail=detail)


def _new_password() -> str:
    """A random password meeting the policy (upper, lower, digit, symbol)."""
    return "Ed-" + secrets.token_urlsafe(12) + "7a"


@app.command("create")
def create(
    username: str = typer.Argument(..., help="用户名 / username"),
    unit: str = typer.Option(..., "--unit", help="单位代码 / unit code, e.g. 0002"),
    role: list[str] = typer.Option([], "--role", help="角色，可重复 / role, repeatable"),
    display_name: str = typer.Option(None, "--name", help="姓名 / display name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="从标准输入读取密码 / read the password from stdin"
    ),
    demo_units: bool = typer.Option(
        False, "--demo-units", help="先登记演示大学的单位 / register the demo units first"
    ),
    email: str = typer.Option(None, "--email", help="接收提醒的电子邮箱 / e-mail address for reminders"),
) -> None:
    """Open an account; without --password-stdin a random password is generated and printed once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else _new_password()
    with _session() as session:
        if demo_units:
            service.ensure_demo_units(session)
        account = service.create_account(
            session, username=username, password=password, unit_code=unit, roles=role,
            display_name=display_name, granted_by=_actor(), email=email,
        )  # fmt: skip
        _audit(session, "create_account", target=account.username, roles=sorted(role),
               email=account.email is not None)  # fmt: skip
        session.commit()
    console.print(f"[green]已开设账户 / account created[/green]: {username} ({unit}) {', '.join(role)}")
    if not password_stdin:
        console.print(f"初始密码 / initial password: {password}")


@app.command("unlock")
def unlock(username: str = typer.Argument(..., help="用户名 / username")) -> None:
    """Clear the failed-login lock of an account (the address lock, if any, still runs out by itself)."""
    with _session() as session:
        service.get_account(session, username)
        unlock_login(session, username, _actor())
        _audit(session, "unlock_account", target=username)
        session.commit()
    console.print(f"[green]已解除锁定 / unlocked[/green]: {username}")


@app.command("disable")
def disable(username: str = typer.Argument(..., help="用户名 / username")) -> None:
    """Disable an account without roles (one holding a role leaves through offboarding, Art. 53)."""
    with _session() as session:
        account = service.get_account(session, username)
        service.disable_account(session, account, _actor())
        revoke_all(session, account.id)
        _audit(session, "disable_account", target=username)
        session.commit()
    console.print(f"[green]已停用 / disabled[/green]: {username}")


@app.command("enable")
def enable(username: str = typer.Argument(..., help="用户名 / username")) -> None:
    with _session() as session:
        service.set_disabled(session, service.get_account(session, username), False, _actor())
        _audit(session, "enable_account", target=username)
        session.commit()
    console.print(f"[green]已恢复 / enabled[/green]: {username}")


@app.command("grant")
def grant(username: str, role: str) -> None:
    """Grant a role (refused when it conflicts with one held, Art. 30)."""
    with _session() as session:
        service.grant_role(session, service.get_account(session, username), role, _actor())
        _audit(session, "grant_role", target=username, role=role)
        session.commit()
    console.print(f"[green]已授予 / granted[/green]: {username} {role}")


@app.command("revoke")
def revoke(username: str, role: str) -> None:
    """Take one role away; an account's last role goes with offboarding (``/lifecycle/offboarding/{user}``, Art. 53)."""
    with _session() as session:
        account = service.get_account(session, username)
        try:
            service.revoke_role(session, account, role, _actor())
        except service.OffboardingRequired as err:
            # The refusal is on record like the API's and the page's (Art. 59); nothing else was changed.
            session.rollback()
            record(session, operation="request_failed", result="failed", username=_actor(), source_ip="local",
                   detail={"code": err.code, "status": err.status, "command": "account revoke", "target": username,
                           "role": role})  # fmt: skip
            session.commit()
            raise
        _audit(session, "revoke_role", target=username, role=role)
        session.commit()
    console.print(f"[green]已撤销 / revoked[/green]: {username} {role}")


@app.command("email")
def set_email(
    username: str = typer.Argument(..., help="用户名 / username"),
    address: str = typer.Argument("", help="电子邮箱，留空即清除 / e-mail address; empty clears it"),
) -> None:
    """Set or clear the address the platform's reminders are mailed to."""
    with _session() as session:
        account = service.set_email(session, service.get_account(session, username), address)
        _audit(session, "set_email", target=username, cleared=account.email is None)
        session.commit()
    console.print(f"[green]已设置 / set[/green]: {username} {account.email or '（无 / none）'}")


@app.command("move")
def move(
    username: str = typer.Argument(..., help="用户名 / username"),
    unit: str = typer.Option(..., "--unit", help="新单位代码 / the new unit's code"),
) -> None:
    """Transfer to another unit (调岗): every role is revoked; grant the new post's roles afterwards."""
    with _session() as session:
        account = service.get_account(session, username)
        lost = service.move_account(session, account, unit, _actor())
        _audit(session, "move_account", target=username, to_unit=unit, revoked_roles=lost)
        session.commit()
    console.print(
        f"[green]已调岗 / moved[/green]: {username} → {unit}; 已撤销角色 / roles revoked: {', '.join(lost)}"
    )


@app.command("reset-totp")
def reset_totp(username: str) -> None:
    """Remove a lost second factor, after checking the person's identity."""
    with _session() as session:
        totp.reset(session, service.get_account(session, username))
        _audit(session, "reset_totp", target=username)
        session.commit()
    console.print(f"[green]已移除动态验证码 / second factor removed[/green]: {username}")


@app.command("list")
def list_accounts(unit: str = typer.Option(None, "--unit", help="单位代码 / unit code")) -> None:
    with _session() as session:
        table = Table("username", "name", "unit", "roles", "status")
        units = {u.id: u.code for u in service.list_units(session)}
        for account in service.list_accounts(session, unit):
            roles = ", ".join(sorted(service.roles_of(session, account.id)))
            status = "disabled" if account.disabled else "active"
            table.add_row(
                account.username, account.display_name, units.get(account.unit_id, ""), roles, status
            )
    console.print(table)
