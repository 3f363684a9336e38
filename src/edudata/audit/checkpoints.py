"""Signed heads (签名校验点): the chain head signed with the platform's Ed25519 key (Art. 59 防篡改).

A chain alone shows that records were changed unless someone recomputed every later hash; a signature over
the head at regular points shows it even then, because recomputing needs the private key. Signing is cheap (one
lock, one lookup, one signature), so a scheduler may call :func:`sign_head` as often as it likes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit.chain import format_at
from edudata.audit.head import lock_head
from edudata.audit.models import AuditCheckpoint
from edudata.config import Settings
from edudata.crypto import signing
from edudata.db import utcnow


def checkpoint_message(seq: int, hash_: str, signed_at: datetime) -> bytes:
    return f"edudata-audit-checkpoint/v1\n{seq}\n{hash_}\n{format_at(signed_at)}".encode()


def anchor_message(seq: int, hash_: str, at: datetime) -> bytes:
    return f"edudata-audit-anchor/v1\n{seq}\n{hash_}\n{format_at(at)}".encode()


def sign_head(session: Session, settings: Settings | None = None) -> AuditCheckpoint | None:
    """Sign the current head unless it is already signed (or empty); returns the head's checkpoint."""
    head = lock_head(session)
    if head.seq == 0 or head.seq == head.anchor_seq:
        return None
    existing = session.get(AuditCheckpoint, head.seq)
    if existing is not None:
        return existing
    signed_at = utcnow()
    public_key = signing.public_key_bytes(settings)
    checkpoint = AuditCheckpoint(
        seq=head.seq,
        hash=head.hash,
        signed_at=signed_at,
        key_id=signing.key_id(public_key),
        public_key=public_key.hex(),
        signature=signing.sign(checkpoint_message(head.seq, head.hash, signed_at), settings).hex(),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
