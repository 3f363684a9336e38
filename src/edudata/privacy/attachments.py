"""Documents kept on file for the privacy registers (assessment reports, minutes, filing receipts, audits)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from edudata.errors import NotFound, ValidationFailed
from edudata.privacy.models import PrivacyAttachment
from edudata.safe_text import check_filename

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def store_attachment(
    session: Session, name: str, content: bytes, content_type: str | None, actor: str | None
) -> PrivacyAttachment:
    """Keep a document and its SHA-256 (so a later copy can be checked against the one on file)."""
    name = check_filename((name or "").strip(), "attachment")
    if not name or len(name) > 200 or any(c in name for c in "<>\"'/\\\x00"):
        raise ValidationFailed(
            "附件文件名不合法", "the attachment's file name is not acceptable", field="attachment"
        )
    if not content:
        raise ValidationFailed("附件不能为空", "the attachment is empty", field="attachment")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed("附件不能超过 10 MB", "the attachment exceeds 10 MB", field="attachment")
    row = PrivacyAttachment(
        name=name,
        content_type=(content_type or "application/octet-stream")[:100],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
        uploaded_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def get_attachment(session: Session, attachment_id: int) -> PrivacyAttachment:
    row = session.get(PrivacyAttachment, attachment_id)
    if row is None:
        raise NotFound(f"没有编号为 {attachment_id} 的附件", f"no attachment {attachment_id}")
    return row
