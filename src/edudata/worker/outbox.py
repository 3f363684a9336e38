"""The mail outbox: mail is written in the request's transaction and sent by ``edudata worker`` after the commit.

- **In the transaction.** :func:`enqueue` adds a row to the session of the change the mail tells of: a
  rolled-back change leaves no mail, a committed one always has its mail (even if the process dies at once).
- **Never inline.** No request waits on, or fails because of, the relay: :func:`send_due` runs in the worker.
- **Retried with backoff.** A relay that is down or refuses leaves the row pending with its error; the next try
  comes after 1, 2, 4 … minutes (at most 6 hours), and after :data:`MAX_ATTEMPTS` the row is ``failed``.
- **Claimed, then sent.** A worker claims a batch by moving its next attempt past a lease (PostgreSQL: ``FOR
  UPDATE SKIP LOCKED``, so two workers never take the same row); one killed while sending leaves the rows to be
  taken again after the lease — a mail may then go twice, never not at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from edudata import mail
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.worker.models import MailOutbox

log = logging.getLogger("edudata.worker.outbox")
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
BATCH = 200
KEEP_SENT = timedelta(days=30)  # sent rows are kept a month for the office's questions, then removed


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, at most 6 hours."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))


def enqueue(
    session: Session,
    *,
    sender: str,
    to: str = "",
    subject: str = "",
    body: str = "",
    kind: str = "plain",
    ref_id: int | None = None,
    base_url: str = "",
) -> MailOutbox:
    """Put one mail in the outbox of ``session``'s transaction (sent after the commit, by the worker)."""
    row = MailOutbox(
        kind=kind, ref_id=ref_id, sender=sender, recipient=to, subject=subject[:500], body=body,
        base_url=base_url[:500], state="pending", attempts=0, next_attempt_at=utcnow(), created_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    return row


def _claim(database: Database, limit: int, now: datetime) -> list[int]:
    with database.session() as session:
        stmt = (
            select(MailOutbox.id)
            .where(MailOutbox.state == "pending", MailOutbox.next_attempt_at <= now)
            .order_by(MailOutbox.id)
            .limit(limit)
        )
        if not database.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        ids = list(session.scalars(stmt))
        if ids:
            session.execute(
                update(MailOutbox)
                .where(MailOutbox.id.in_(ids))
                .values(next_attempt_at=now + LEASE, attempts=MailOutbox.attempts + 1)
            )
        session.commit()
    return ids


def send_due(
    database: Database, settings: Settings, *, limit: int = BATCH, now: datetime | None = None
) -> int:
    """Send every mail that is due (batch by batch); how many were handed to the relay successfully."""
    from edudata.sharing import mailing  # composes the sharing notifications just before sending

    total = 0
    while True:
        ids = _claim(database, limit, now or utcnow())
        if not ids:
            return total
        with database.session() as session:
            rows = list(
                session.scalars(select(MailOutbox).where(MailOutbox.id.in_(ids)).order_by(MailOutbox.id))
            )
            outgoing: list[tuple[MailOutbox, EmailMessage]] = []
            for row in rows:
                if row.kind == "sharing":
                    state, msg = mailing.compose(session, settings, row)
                    if msg is None:
                        row.state = state
                        continue
                else:
                    msg = mail.message(row.sender, row.recipient, row.subject, row.body)
                outgoing.append((row, msg))
            errors = mail.send_all(settings, [msg for _row, msg in outgoing])
            sent_at = utcnow()
            for (row, _msg), error in zip(outgoing, errors, strict=True):
                if error is None:
                    row.state, row.sent_at, row.body, row.last_error = "sent", sent_at, "", None
                    total += 1
                    continue
                row.last_error = error
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = "failed"
                else:
                    row.next_attempt_at = sent_at + backoff(row.attempts)
                log.warning("mail %s to %s not sent (try %d): %s", row.id, row.recipient, row.attempts, error)
            mailing.record_outcome(session, [r for r in rows if r.kind == "sharing"])
            session.commit()
        if len(ids) < limit:
            return total


def forget_sent(session: Session, now: datetime | None = None) -> int:
    """Retention: remove sent or given-up mail older than :data:`KEEP_SENT`."""
    cutoff = (now or utcnow()) - KEEP_SENT
    result = session.execute(
        delete(MailOutbox).where(MailOutbox.state != "pending", MailOutbox.created_at < cutoff)
    )
    return result.rowcount or 0
