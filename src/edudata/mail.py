"""The platform's one SMTP client (``EDUDATA_SMTP_*``) and the e-mail address format, shared by the domains.

The open-data portal mails verification links to public users through it; sharing mails its notifications to
staff (待办提醒). Only ``edudata worker`` calls it, for the rows of the mail outbox (:mod:`edudata.worker.outbox`):
no request sends mail inline. Everything goes through the configured relay, with STARTTLS and a login when configured. A
batch goes over one connection; what failed is returned per message rather than raised, so a caller decides
whether a failure is the user's problem (a verification mail that did not go out) or only a record to keep (a
reminder whose inbox entry already exists).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from edudata.config import Settings

#: A plain mailbox address (no display name, no comments, no quoting): what a form field accepts.
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
TIMEOUT_SECONDS = 10


def is_address(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 254 and EMAIL.match(value) is not None


def message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message; header values come from code, never with a line break (no injection)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(body)
    return msg


def send_all(settings: Settings, messages: Sequence[EmailMessage]) -> list[str | None]:
    """Send ``messages`` over one connection to the relay; per message, None when accepted or why it was not.

    A relay that cannot be reached, refuses STARTTLS or the login fails every message; a recipient or a
    message refused by the relay fails that message only. Nothing here raises for a mail problem.
    """
    if not messages:
        return []
    outcome: list[str | None] = [None] * len(messages)
    attempted = 0  # messages before this index have their outcome, whatever happens to the connection later
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            for msg in messages:
                try:
                    smtp.send_message(msg)
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError,
                ) as err:
                    outcome[attempted] = _reason(err)
                    attempted += 1
                    smtp.rset()
                    continue
                attempted += 1
    except (OSError, smtplib.SMTPException) as err:
        for i in range(attempted, len(messages)):
            outcome[i] = _reason(err)
    return outcome


def send(settings: Settings, msg: EmailMessage) -> str | None:
    """One message; None when the relay accepted it, else why not."""
    return send_all(settings, [msg])[0]


def _reason(err: BaseException) -> str:
    """A short reason for logs and records: the error's class and the relay's answer, never a credential."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {text.decode(errors='replace')}" for code, text in err.recipients.values()]
        return f"recipient refused: {'; '.join(codes)}"[:300]
    if isinstance(err, smtplib.SMTPResponseException):
        text = (
            err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) else err.smtp_error
        )
        return f"{type(err).__name__}: {err.smtp_code} {text}"[:300]
    return f"{type(err).__name__}: {err}"[:300]
