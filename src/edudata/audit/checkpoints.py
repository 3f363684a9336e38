"""Signed checkpoints (签名校验点): the tree head as a C2SP signed note by the platform's key (Art. 59 防篡改).

A checkpoint states the log's origin, the epoch's tree size, its root, the time and (after a rollback) the
epoch and where its positions begin. Signed with the same Ed25519 key as export packages; anyone with the
public key (``edudata audit public-key`` gives it as a C2SP verifier key) can check it, and witnesses cosign it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit import note
from edudata.audit.models import AuditCheckpoint
from edudata.audit.tree import TreeState
from edudata.config import Settings, get_settings
from edudata.crypto import signing


def origin(settings: Settings | None = None) -> str:
    """The log's name: the first line of its checkpoints and the name its key signs under."""
    return note.check_name((settings or get_settings()).audit_origin)


def log_public_key(settings: Settings | None = None) -> bytes:
    return signing.public_key_bytes(settings)


def log_vkey(settings: Settings | None = None) -> str:
    return note.vkey(origin(settings), log_public_key(settings))


def make_checkpoint(
    session: Session, state: TreeState, when: datetime, settings: Settings | None
) -> AuditCheckpoint:
    """Sign the state's tree head and store it (the caller holds the sequencer's lock and commits)."""
    body = note.Checkpoint(
        origin(settings), state.size, state.root, int(when.timestamp()), state.epoch, state.base
    )
    signed = note.sign(body.text(), origin(settings), signing.private_key(settings))
    checkpoint = AuditCheckpoint(
        epoch=state.epoch,
        size=state.size,
        root=state.root.hex(),
        signed_at=when,
        key_id=signing.key_id(log_public_key(settings)),
        note=signed,
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def latest_checkpoint(session: Session, epoch: int | None = None) -> AuditCheckpoint | None:
    stmt = select(AuditCheckpoint)
    if epoch is not None:
        stmt = stmt.where(AuditCheckpoint.epoch == epoch)
    order = (AuditCheckpoint.epoch.desc(), AuditCheckpoint.size.desc())
    return session.scalars(stmt.order_by(*order).limit(1)).first()


def read_checkpoint(
    signed: str, settings: Settings | None = None, public_key: bytes | None = None
) -> note.Checkpoint:
    """The checkpoint a note states, if the log's key signed it for this log; else :class:`note.NoteError`."""
    name = origin(settings)
    parsed = note.verify(signed, name, public_key or log_public_key(settings))
    checkpoint = note.parse_checkpoint(parsed.text)
    if checkpoint.origin != name:
        raise note.NoteError(f"checkpoint of another log: {checkpoint.origin}")
    return checkpoint


def sign_head(session: Session, settings: Settings | None = None) -> AuditCheckpoint | None:
    """Integrate what is pending and sign the head now, unless already signed (or empty); the caller commits."""
    from edudata.audit.sequencer import sequence

    result = sequence(session, settings, checkpoint=True, wait=True)
    if result.state is None or result.state.size == 0:
        return None
    return latest_checkpoint(session, result.state.epoch)
