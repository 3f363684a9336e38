"""Directory sync (人员与单位同步, Art. 30, 53): people and their units from the school's LDAP / Active Directory
or, where there is none, from 人事处's authoritative staff records (一人一号).

The directory is the record of who works where; the platform follows it:
- a new number → a person and an account with no role and no local password (the office grants roles; the
  person signs on through 统一身份认证);
- another unit → the move rules (``org.service.move_account``: every role revoked, grant credentials ended);
- a number gone from the directory → the offboarding path's revocations (``lifecycle.people.cut_off``: roles,
  grants, tokens, sessions, appointments ended, account disabled); the office then files 附件4 as usual;
- a new name → the person's and the account's name follow.
:func:`plan` computes the changes (the dry run shows them); :func:`apply` makes them, one audit record each, in
one transaction. Accounts with no person (break-glass, service accounts) are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit.service import record
from edudata.config import Settings
from edudata.errors import Conflict, EduDataError, ValidationFailed
from edudata.identity.passwords import UNUSABLE_PASSWORD
from edudata.org.models import Account, Person, Unit
from edudata.org.service import move_account
from edudata.org.validation import PERSON_NUMBER, USERNAME

ACTOR = "directory-sync"
#: A directory answer that would disable more than this share of the people it manages is refused unless
#: forced: an empty or mis-filtered search must not offboard the school.
MAX_LEAVING_SHARE = 0.2


@dataclass(frozen=True)
class DirectoryEntry:
    """One person as the directory has them."""

    number: str  # 工号 / 学号
    name: str
    unit_code: str
    username: str = ""


@dataclass(frozen=True)
class Change:
    """One change the sync makes (``kind``: add, move, rename, leave, skip)."""

    kind: str
    number: str
    username: str
    name: str = ""
    from_unit: str = ""
    to_unit: str = ""
    note: str = ""


def read_ldap(settings: Settings) -> list[DirectoryEntry]:
    """People under ``ldap_people_base`` matching ``ldap_people_filter`` (paged search, ldap3)."""
    import ldap3

    from edudata.identity.cas import IdpUnavailable

    attrs = [
        settings.ldap_attr_number,
        settings.ldap_attr_name,
        settings.ldap_attr_unit,
        settings.ldap_attr_username,
    ]
    try:
        server = ldap3.Server(settings.ldap_url, connect_timeout=10)
        conn = ldap3.Connection(
            server, user=settings.ldap_bind_dn or None, password=settings.ldap_bind_password or None,
            auto_bind=True, read_only=True, receive_timeout=30,
        )  # fmt: skip
    except ldap3.core.exceptions.LDAPException as err:
        raise IdpUnavailable(
            "无法连接目录服务器（LDAP）", f"the LDAP directory cannot be reached ({err})"
        ) from None
    try:
        found = conn.extend.standard.paged_search(
            settings.ldap_people_base,
            settings.ldap_people_filter,
            attributes=attrs,
            paged_size=500,
            generator=True,
        )

        def first(entry: dict, name: str) -> str:
            value = entry.get("attributes", {}).get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value or "").strip()

        return [
            DirectoryEntry(
                number=first(e, settings.ldap_attr_number),
                name=first(e, settings.ldap_attr_name),
                unit_code=first(e, settings.ldap_attr_unit),
                username=first(e, settings.ldap_attr_username),
            )  # fmt: skip
            for e in found
            if e.get("type") == "searchResEntry"
        ]
    finally:
        conn.unbind()


def read_staff_dataset(caller: Any, ctx: Any) -> list[DirectoryEntry]:
    """People from 人事处's authoritative staff dataset (一人一号), read through the data path as ``caller`` (the
    office), so the read is decided, masked and audited like any other. A name the data path masks for this
    caller is not taken (the person's first sign-on brings it)."""
    from edudata.access import datapath

    settings = ctx.settings
    number, name, unit = (
        settings.directory_staff_number,
        settings.directory_staff_name,
        settings.directory_staff_unit,
    )
    entries: list[DirectoryEntry] = []
    after = None
    while True:
        page = datapath.query(caller, ctx, settings.directory_staff_dataset, elements=[number, name, unit],
                              page_size=datapath.MAX_PAGE_SIZE, after_id=after)  # fmt: skip
        masked = name in page.masking
        entries += [
            DirectoryEntry(
                number=str(r.get(number) or ""),
                name="" if masked else str(r.get(name) or ""),
                unit_code=str(r.get(unit) or ""),
            )  # fmt: skip
            for r in page.rows
        ]
        if page.next_after is None:
            return entries
        after = page.next_after


def read_source(settings: Settings, caller: Any = None, ctx: Any = None) -> list[DirectoryEntry]:
    """The configured source: the LDAP directory, or the staff dataset (which needs the office as caller)."""
    if settings.directory_source == "staff_dataset":
        return read_staff_dataset(caller, ctx)
    return read_ldap(settings)


def plan(session: Session, entries: Iterable[DirectoryEntry], *, force: bool = False) -> list[Change]:
    """What a sync would change, in a stable order; refused when the directory looks broken."""
    units = {code: uid for code, uid in session.execute(select(Unit.code, Unit.id))}
    code_of = {uid: code for code, uid in units.items()}
    managed = {
        p.number: (p, a)
        for p, a in session.execute(select(Person, Account).join(Account, Account.person_id == Person.id))
    }
    taken = set(session.scalars(select(Account.username)))
    seen: set[str] = set()
    changes: list[Change] = []
    for entry in sorted(entries, key=lambda e: (e.number, e.username)):
        number = entry.number
        if not PERSON_NUMBER.fullmatch(number or "") or number in seen:
            changes.append(Change("skip", number[:32], entry.username[:64], note="bad or repeated number"))
            continue
        seen.add(number)
        if entry.unit_code not in units:
            changes.append(Change("skip", number, entry.username, entry.name, to_unit=entry.unit_code[:32],
                                  note="unknown unit"))  # fmt: skip
            continue
        known = managed.get(number)
        if known is None:
            username = entry.username if USERNAME.fullmatch(entry.username or "") else number
            if username in taken:
                changes.append(Change("skip", number, username, entry.name, note="username taken"))
                continue
            taken.add(username)
            changes.append(Change("add", number, username, entry.name or number, to_unit=entry.unit_code))
            continue
        person, account = known
        if account.disabled:
            continue  # left earlier: coming back is the office's decision, not the directory's
        if code_of[account.unit_id] != entry.unit_code:
            changes.append(Change("move", number, account.username, entry.name, code_of[account.unit_id],
                                  entry.unit_code))  # fmt: skip
        if entry.name and entry.name != person.name:
            changes.append(Change("rename", number, account.username, entry.name))
    active = [(n, a) for n, (_p, a) in managed.items() if not a.disabled]
    leaving = [
        Change("leave", n, a.username, from_unit=code_of[a.unit_id]) for n, a in active if n not in seen
    ]
    if leaving and not force and (not seen or len(leaving) > MAX_LEAVING_SHARE * len(active)):
        raise Conflict(
            f"目录只给出 {len(seen)} 人，同步将停用 {len(leaving)} 个账户：请核对目录配置，确认无误后使用 --force",
            f"the directory lists {len(seen)} people and the sync would disable {len(leaving)} accounts; "
            "check the directory settings, then force it",
            leaving=len(leaving),
        )
    return changes + sorted(leaving, key=lambda c: c.number)


def apply(session: Session, changes: list[Change], *, by: str = ACTOR, source: str = "ldap") -> list[Change]:
    """Make the planned changes with their rules, one audit record each; returns what was done (a change the
    rules refuse, such as removing the last office administrator, is reported as a skip)."""
    from edudata.access.grants import end_for_account
    from edudata.lifecycle.people import cut_off

    done: list[Change] = []
    units = {code: uid for code, uid in session.execute(select(Unit.code, Unit.id))}
    for change in changes:
        detail = {"change": change.kind, "source": source, "username": change.username}
        try:
            with session.begin_nested():
                if change.kind == "add":
                    person = Person(name=change.name, number=change.number, unit_id=units[change.to_unit])
                    session.add(person)
                    session.flush()
                    session.add(Account(
                        username=change.username, display_name=change.name, unit_id=person.unit_id,
                        person_id=person.id, password_hash=UNUSABLE_PASSWORD, disabled=False, totp_enabled=False,
                    ))  # fmt: skip
                    detail["to_unit"] = change.to_unit
                elif change.kind in ("move", "rename", "leave"):
                    person, account = _person(session, change.number)
                    if change.kind == "move":
                        lost = move_account(session, account, change.to_unit, by)
                        ended = end_for_account(session, account.id, by=by, reason="directory: moved 调岗")
                        person.unit_id = units[change.to_unit]
                        detail.update(from_unit=change.from_unit, to_unit=change.to_unit, roles_revoked=lost,
                                      grants_ended=ended)  # fmt: skip
                    elif change.kind == "rename":
                        person.name = account.display_name = change.name
                    else:
                        detail["revoked"] = cut_off(
                            session, account, performed_by=by, reason="directory: left 离职"
                        )
                else:
                    continue
                session.flush()
                record(session, operation="directory_sync", username=by, unit_code=change.to_unit or change.from_unit or None,
                       detail=detail)  # fmt: skip
        except EduDataError as err:
            done.append(Change("skip", change.number, change.username, change.name, change.from_unit,
                               change.to_unit, note=f"{change.kind} refused: {err.en}"[:200]))  # fmt: skip
            continue
        done.append(change)
    return done


def _person(session: Session, number: str) -> tuple[Person, Account]:
    row = session.execute(
        select(Person, Account).join(Account, Account.person_id == Person.id).where(Person.number == number)
    ).first()
    if row is None:
        raise ValidationFailed(f"编号 {number} 无对应人员", f"no person numbered {number}")
    return row[0], row[1]


def as_rows(changes: list[Change]) -> list[dict]:
    return [asdict(c) for c in changes]
