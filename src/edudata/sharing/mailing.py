"""Notifications by e-mail (待办提醒): what lands in someone's sharing inbox is also mailed to them — when the office
has turned it on (``EDUDATA_NOTIFY_MAIL_FROM`` names the sender; the relay is ``EDUDATA_SMTP_*``). Off by
default: then nothing is sent, nothing is recorded, nothing can fail.

- **After the commit.** Routes, pages and commands call :func:`deliver` once their change is committed; only
  messages of committed transactions are mailed (``notify.committed``), so a mail never tells of a change that
  was rolled back, and the change never waits on, or depends on, the relay.
- **Nothing from the data.** A mail carries the application number, the dataset's title, the step, the reviewer's
  reason, and a link to sign in — never a record, a value or a person of the dataset (最小必要, Art. 38).
- **The recipient, looked at again.** Just before sending: an account disabled, or no longer allowed to see the
  application (role lost, moved away), gets nothing (``skipped``); one without an address is ``no_address``.
- **Failure stays a record.** A relay that is down or refuses leaves the workflow as committed; the notification
  row says ``failed`` with the relay's answer, an audit record ``share_mail`` (result ``failed``) lists it, the
  log warns. The user never sees a traceback; the inbox entry is there regardless.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger("edudata.sharing.mail")

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


def deliver(session: Session, settings: Settings, base_url: str = "") -> None:
    """Mail the messages of the transactions ``session`` has committed; never raises (see the module)."""
    notes = notify.committed(session)
    if not notes or not settings.notify_mail_from:
        return
    try:
        _deliver(session, settings, base_url, notes)
    except (
        Exception
    ):  # the change is committed and the inbox has it: a mail problem must not turn it into a 500
        session.rollback()
        log.exception("sharing notification mail: could not deliver %d notification(s)", len(notes))


def _deliver(session: Session, settings: Settings, base_url: str, notes: list[Notification]) -> None:
    outgoing: list[tuple[Notification, EmailMessage]] = []
    for note in notes:
        state, msg = _prepare(session, settings, base_url, note)
        note.mail_state = state
        if msg is not None:
            outgoing.append((note, msg))
    errors = mail.send_all(settings, [msg for _n, msg in outgoing])
    now = utcnow()
    for (note, _msg), error in zip(outgoing, errors, strict=True):
        note.mail_state, note.mail_error, note.mailed_at = ("failed" if error else "sent"), error, now
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
    session.commit()
    for note in failed:
        log.warning("sharing notification %s to account %s not mailed: %s", note.id, note.account_id,
                    note.mail_error)  # fmt: skip


def _prepare(
    session: Session, settings: Settings, base_url: str, note: Notification
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
    return "pending", _message(session, settings, base_url, note, account, app)


def _message(
    session: Session, settings: Settings, base_url: str, note: Notification, account: Account,
    app: ShareApplication | None,
) -> EmailMessage:  # fmt: skip
    zh, en = SUBJECTS.get(note.kind, ("通知", "notification"))
    base = (settings.public_base_url or base_url).rstrip("/")
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
    return mail.message(settings.notify_mail_from, account.email or "", subject, body)
