"""The web inbox (待办与通知): applicants and approvers see what waits for them (issue: notifications).

Messages go to accounts; "the office" or "the producer unit's officers" are resolved to the enabled accounts
holding that role when the message is written, so a later change of staff does not re-address old messages.

Each message is also kept on its session for e-mail: :func:`edudata.sharing.mailing.queue` (called by the
routes, pages and commands just before they commit) puts it into the mail outbox in the same transaction. A
rolled-back message is dropped, so no mail ever tells of a change that did not happen.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.org.models import Account, RoleAssignment, Unit
from edudata.policy.table import rule as policy_rule
from edudata.sharing.models import Notification


def holders(session: Session, action: str, unit_code: str | None = None) -> list[int]:
    """Ids of enabled accounts that may take ``action`` (of ``unit_code`` when given): whom a step waits for."""
    rule = policy_rule(action)
    roles = rule.unit_roles if unit_code is not None and rule.unit_roles else rule.roles
    stmt = (
        select(Account.id)
        .join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .where(RoleAssignment.role.in_(sorted(roles)), Account.disabled.is_(False))
    )
    if unit_code is not None:
        stmt = stmt.join(Unit, Unit.id == Account.unit_id).where(Unit.code == unit_code)
    return sorted(set(session.scalars(stmt)))


def send(
    session: Session,
    account_ids: Iterable[int],
    *,
    kind: str,
    zh: str,
    en: str,
    application_id: int | None = None,
) -> int:
    notes = [
        Notification(
            account_id=account_id,
            application_id=application_id,
            kind=kind,
            message_zh=zh[:500],
            message_en=en[:500],
        )
        for account_id in sorted(set(account_ids))
    ]
    session.add_all(notes)
    session.flush()
    _queue(session, notes)
    return len(notes)


PENDING = "sharing_mail_pending"


def _queue(session: Session, notes: list[Notification]) -> None:
    session.info.setdefault(PENDING, []).extend(notes)
    if not event.contains(session, "after_rollback", _rolled_back):
        event.listen(session, "after_rollback", _rolled_back)


def _rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


def take_pending(session: Session) -> list[Notification]:
    """Take the messages written in the open transaction (each is handed out once)."""
    return session.info.pop(PENDING, [])


def inbox(session: Session, account_id: int, *, limit: int = 100) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.account_id == account_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def mark_read(session: Session, account_id: int, notification_id: int | None = None) -> None:
    stmt = update(Notification).where(Notification.account_id == account_id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    session.execute(stmt.values(read_at=utcnow()))
    session.flush()


def notification_view(n: Notification) -> dict:
    return {
        "id": n.id,
        "kind": n.kind,
        "application_id": n.application_id,
        "message_zh": n.message_zh,
        "message_en": n.message_en,
        "created_at": n.created_at.isoformat(),
        "read": n.read_at is not None,
    }
