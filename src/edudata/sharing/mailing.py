"""Notifications by e-mail (待办提醒): what lands in someone's sharing inbox is also mailed to them — when the office
has turned it on (``EDUDATA_NOTIFY_MAIL_FROM`` names the sender; the relay is ``EDUDATA_SMTP_*``). Off by
default: then nothing is sent, nothing is recorded, nothing can fail.

- **Through the outbox.** Routes, pages and commands call :func:`queue` just before they commit: each message
  becomes a row of the mail outbox (:mod:`edudata.worker.outbox`) in the same transaction, so a mail never tells
  of a change that was rolled back, and the change never waits on, or depends on, the relay. ``edudata worker``
  sends it after the commit and retries with backoff.
- **Nothing from the data.** A mail carries the application number, the dataset's title, the step, the reviewer's
  reason, and a link to sign in — never a record, a value or a person of the dataset (最小必要, Art. 38).
- **The recipient, looked at again.** Just before sending (in the worker): an account disabled, or no longer allowed to see the
  application (role lost, moved away), gets nothing (``skipped``); one without an address is ``no_address``.
- **Failure stays a record.** A relay that is down or refuses leaves the workflow as committed; the notification
  row says ``failed`` with the relay's answer, an audit record ``share_mail`` (result ``failed``) lists it, the
  log warns, and the outbox tries again later. The inbox entry is there regardless.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata import mail
from edudata.audit import service as audit
from edudata.catalog.models import Dataset
from edudata.config import Settings
from edudata.db import utcnow
from edudata.identity.service import principal_for
from edudata.org.models import Account
from edudata.sharing import notify
from edudata.sharing.models import Notification, ShareApplication
from edudata.sharing.service import may_see
from edudata.worker import outbox
from edudata.worker.models import MailOutbox

#: The subject's words per kind of message (中文, English).
SUBJECTS: dict[str, tuple[str, str]] = {
    "review_waiting": ("待您审核", "awaits your review"),
    "approved": ("审核通过", "approved at a review"),
    "refused": ("已驳回", "refused"),
    "granted": ("已授权", "granted"),
    "revoked": ("授权已撤销", "grant revoked"),
    "expiring": ("授权即将到期", "grant ends soon"),
    "review_overdue": ("审核已超期", "review overdue"),
    "art50": ("待上传市教委批准文件", "awaits the commission's approval"),
    "release": ("待去标识化发布", "awaits de-identified release"),
}


def queue(session: Session, settings: Settings, base_url: str = "") -> int:
    """Put the notifications written in ``session``'s open transaction into the mail outbox (call before the
    commit); how many were queued. Nothing when notification mail is off."""
    notes = notify.take_pending(session)
    if not notes or not settings.notify_mail_from:
        return 0
    base = (settings.public_base_url or base_url).rstrip("/")
    for note in notes:
        note.mail_state = "queued"
        outbox.enqueue(
            session, sender=settings.notify_mail_from, kind="sharing", ref_id=note.id, base_url=base
        )
    session.flush()
    return len(notes)


def compose(session: Session, settings: Settings, row: MailOutbox) -> tuple[str, EmailMessage | None]:
    """The mail of an outbox row of kind ``sharing``, composed now; ``(state, None)`` when it is not to be sent."""
    note = session.get(Notification, row.ref_id)
    if note is None:
        return "skipped", None
    state, msg = _prepare(session, settings, row.base_url, note, row.sender)
    if msg is not None:
        row.recipient, row.subject = msg["To"], str(msg["Subject"])[:500]
    return state, msg


def record_outcome(session: Session, rows: list[MailOutbox]) -> None:
    """Write each try's outcome on its notification and one audit record ``share_mail`` for the batch."""
    if not rows:
        return
    notes: list[Notification] = []
    now = utcnow()
    for row in rows:
        note = session.get(Notification, row.ref_id)
        if note is None:
            continue
        if row.state == "sent":
            note.mail_state, note.mail_error, note.mailed_at = "sent", None, now
        elif row.state in ("skipped", "no_address"):
            note.mail_state = row.state
        else:  # this try failed: pending again (a later try) or given up
            note.mail_state, note.mail_error, note.mailed_at = "failed", row.last_error, now
        notes.append(note)
    session.flush()
    failed = [n for n in notes if n.mail_state == "failed"]
    by_state: dict[str, Any] = {
        state: [n.id for n in notes if n.mail_state == state] for state in ("sent", "no_address", "skipped")
    }
    by_state["failed"] = [{"notification_id": n.id, "account_id": n.account_id, "error": n.mail_error}
                          for n in failed]  # fmt: skip
    audit.record(
        session,
        operation="share_mail",
        result="failed" if failed else "success",
        username="system",
        source_ip="local",
        detail=by_state,
    )


def _prepare(
    session: Session, settings: Settings, base_url: str, note: Notification, sender: str
) -> tuple[str, EmailMessage | None]:
    account = session.get(Account, note.account_id)
    if account is None or account.disabled:
        return "skipped", None
    app = session.get(ShareApplication, note.application_id) if note.application_id else None
    if note.application_id is not None:
        who = principal_for(session, account.id, source_ip="local", via="mail")
        if app is None or who is None or not may_see(who, app):
            return "skipped", None
    if not account.email:
        return "no_address", None
    return "pending", _message(session, settings, base_url, note, account, app, sender)


def _message(
    session: Session, settings: Settings, base_url: str, note: Notification, account: Account,
    app: ShareApplication | None, sender: str,
) -> EmailMessage:  # fmt: skip
    zh, en = SUBJECTS.get(note.kind, ("通知", "notification"))
    base = base_url.rstrip("/")
    if app is not None:
        link = f"{base}/sharing/applications/{app.id}"
        subject = f"[EduData] 共享申请 #{app.id} {zh} / application #{app.id} {en}"
        dataset = session.scalar(select(Dataset).where(Dataset.code == app.dataset_code))
        title_zh = f"数据资源：{dataset.name}（{dataset.code}）\n" if dataset else ""
        title_en = f"Dataset: {dataset.name_en or dataset.name} ({dataset.code})\n" if dataset else ""
    else:
        link = f"{base}/sharing/inbox"
        subject = f"[EduData] {zh} / {en}"
        title_zh = title_en = ""
    english = note.message_en[:1].upper() + note.message_en[1:]
    body = (
        f"{account.display_name}，您好：\n\n{note.message_zh}\n{title_zh}请登录平台查看：{link}\n\n"
        f"Hello {account.display_name},\n\n{english}\n{title_en}Sign in to see it: {link}\n\n"
        f"—— {settings.school_name}教育数据治理平台自动发送；邮件不含任何数据记录。\n"
        "   Sent by EduData; this mail contains no data records.\n"
    )
    return mail.message(sender, account.email or "", subject, body)
