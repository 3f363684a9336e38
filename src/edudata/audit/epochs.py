"""A rollback of the log, found against a witness, becomes a new epoch with the gap stated (Art. 59, never silent).

A restore from a backup older than the witness's last checkpoint (or a cut tail) leaves the database holding fewer
records than the witness cosigned. The records in between are gone from here; their positions must never be given
to other records, and the auditor must see the loss. So the current epoch's tree is closed with a checkpoint at
what survives, and a new epoch begins whose positions start after everything the witness saw; record numbers
(``seq``) jump past anything the lost records may have used; the witness's cosigned checkpoint is kept as
evidence; and the event is itself the first record of the new epoch (operation ``audit_rollback``).
"""

from __future__ import annotations

import json

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from edudata.audit import merkle
from edudata.audit.checkpoints import latest_checkpoint, make_checkpoint, read_checkpoint
from edudata.audit.models import AuditEpoch, AuditRecord
from edudata.audit.service import record
from edudata.audit.tree import lock_tree, save_tree
from edudata.config import Settings
from edudata.db import utcnow

#: Record numbers of epoch e start at (e − 1)·2⁴⁰ + 1 at least: no lost record's number is handed out again.
SEQ_STRIDE = 1 << 40


def _bump_seq(session: Session, at_least: int) -> int:
    """Move the record counter so the next ``seq`` is at least ``at_least``; the next seq."""
    top = session.scalar(select(func.max(AuditRecord.seq))) or 0
    target = max(at_least - 1, top)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval('audit_record_seq_seq', greatest(:t, 1))"), {"t": target})
    else:
        updated = session.execute(
            text("UPDATE sqlite_sequence SET seq = max(seq, :t) WHERE name = 'audit_record'"), {"t": target}
        )
        if not updated.rowcount:
            session.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_record', :t)"), {"t": target}
            )
    return target + 1


def _renumber_pending(session: Session, first_seq: int) -> int:
    """Records not yet in the tree that were numbered after the restore may carry numbers the lost records had:
    give them new ones from ``first_seq`` on, in the same order (no position was given to them yet)."""
    low = session.scalar(select(func.min(AuditRecord.seq)).where(AuditRecord.leaf.is_(None)))
    if low is None or low >= first_seq:
        return 0
    shift = first_seq - low
    count = session.scalar(select(func.count()).where(AuditRecord.leaf.is_(None))) or 0
    # Highest first would be needed for a unique key moving up by less than the range; the shift is past the
    # whole range (numbers of a new epoch start beyond every old one), so one statement is safe.
    session.execute(text("UPDATE audit_record SET seq = seq + :d WHERE leaf IS NULL"), {"d": shift})
    top = session.scalar(select(func.max(AuditRecord.seq))) or 0
    _bump_seq(session, top + 1)
    return count


def start_epoch(
    session: Session, settings: Settings | None, evidence: str, witness: str
) -> AuditEpoch | None:
    """Record the rollback ``evidence`` (a checkpoint signed by the log's key, cosigned by ``witness``) shows.

    Returns the new epoch, or None if the evidence does not show one (the witness holds no more than we do).
    The caller commits.
    """
    seen = read_checkpoint(evidence, settings)
    state = lock_tree(session)
    ours_end, seen_end = state.base + state.size, seen.base + seen.size
    if seen.epoch < state.epoch or (seen.epoch == state.epoch and seen.size <= state.size):
        return None
    now = utcnow()
    last = latest_checkpoint(session, state.epoch)
    if state.size and (last is None or last.size < state.size):
        make_checkpoint(session, state, now, settings)  # close the surviving part of the epoch, signed
    new_epoch = max(state.epoch, seen.epoch) + 1
    first_seq = _bump_seq(session, (new_epoch - 1) * SEQ_STRIDE + 1)
    renumbered = _renumber_pending(session, first_seq)
    base = max(ours_end, seen_end)
    epoch = AuditEpoch(
        epoch=new_epoch,
        base=base,
        started_at=now,
        first_seq=first_seq,
        gap_from=ours_end,
        gap_to=seen_end,
        witness=witness,
        evidence=evidence,
        note=json.dumps(
            {
                "previous_epoch": state.epoch,
                "surviving_size": state.size,
                "witnessed_size": seen.size,
                "renumbered_pending": renumbered,
            },
            sort_keys=True,
        ),
    )
    session.add(epoch)
    state.epoch, state.base, state.size, state.nodes, state.root = new_epoch, base, 0, [], merkle.EMPTY_ROOT
    state.anchor_size, state.anchor_nodes, state.anchor_note = 0, [], None
    save_tree(session, state, now)
    record(
        session,
        operation="audit_rollback",
        result="failed",
        username="system:sequencer",
        detail={
            "epoch": new_epoch,
            "gap_from": ours_end,
            "gap_to": seen_end,
            "lost": seen_end - ours_end,
            "witness": witness,
            "reason": "the witness cosigned more of the log than the database holds (restored from an older "
            "backup, or the tail was cut)",
        },
    )
    session.flush()
    return epoch
