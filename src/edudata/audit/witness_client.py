"""The log's side of witnessing: ask each configured witness to cosign the latest checkpoint (Art. 59).

After a round that signed a checkpoint, the sequencer sends it with a consistency proof from the size the witness
last cosigned. A witness that holds more of this log than the database does (its size is beyond ours, or it saw
a later epoch) is evidence of a rollback — a restore from an older backup, or a cut tail: the log records it as
a new epoch with the gap stated (:mod:`edudata.audit.epochs`) instead of going on as if nothing happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata.audit import note, proofs
from edudata.audit.checkpoints import latest_checkpoint, origin, read_checkpoint
from edudata.audit.models import AuditCosignature
from edudata.audit.witness import parse_vkey
from edudata.config import Settings
from edudata.db import Database, utcnow

log = logging.getLogger("edudata.audit.witness")
TIMEOUT = 10.0


@dataclass(frozen=True)
class WitnessConfig:
    name: str
    public_key: bytes
    url: str


def configured_witnesses(settings: Settings) -> list[WitnessConfig]:
    """``EDUDATA_AUDIT_WITNESSES``: comma-separated ``<verifier key>@<URL>``."""
    out = []
    for item in filter(None, (part.strip() for part in settings.audit_witnesses.split(","))):
        vkey, _, url = item.partition("@")
        name, public_key, kind = parse_vkey(vkey)
        if kind != note.COSIGNATURE_V1 or not url:
            raise note.NoteError(f"EDUDATA_AUDIT_WITNESSES: {item!r} is not '<cosignature vkey>@<url>'")
        out.append(WitnessConfig(name, public_key, url.rstrip("/")))
    return out


def fetch_witnessed(url: str, settings: Settings) -> list[str]:
    """The checkpoints a witness cosigned for this log (its history), from outside the database."""
    r = httpx.get(f"{url.rstrip('/')}/history", params={"origin": origin(settings)}, timeout=TIMEOUT)
    if r.status_code == 404:
        return []
    r.raise_for_status()
    return list(r.json()["notes"])


def _last_cosigned(session: Session, witness: str, epoch: int) -> int:
    return (
        session.scalar(
            select(func.max(AuditCosignature.size)).where(
                AuditCosignature.witness == witness, AuditCosignature.epoch == epoch
            )
        )
        or 0
    )


def _post(w: WitnessConfig, old: int, proof: list[str], signed: str) -> httpx.Response:
    body = f"old {old}\n" + "".join(p + "\n" for p in proof) + "\n" + signed
    return httpx.post(f"{w.url}/add-checkpoint", content=body.encode(), timeout=TIMEOUT)


def submit(database: Database, settings: Settings, w: WitnessConfig) -> str:
    """Ask one witness to cosign the latest checkpoint; what happened (cosigned / rollback / refused / …)."""
    with database.session() as session:
        cp = latest_checkpoint(session)
        if cp is None:
            return "empty"
        old = _last_cosigned(session, w.name, cp.epoch)
        if old >= cp.size:
            return "up to date"
        proof = proofs.consistency(session, old, cp.size, cp.epoch)["proof"]
    r = _post(w, old, proof, cp.note)
    if r.status_code == 409:
        witness_size = int(r.text.strip() or 0)
        latest = _witness_latest(w, settings)
        seen = read_checkpoint(latest, settings) if latest else None
        if seen is not None and (seen.epoch > cp.epoch or (seen.epoch == cp.epoch and seen.size > cp.size)):
            from edudata.audit.epochs import start_epoch

            with database.session() as session:
                start_epoch(session, settings, latest, w.name)
                session.commit()
            return "rollback"
        if witness_size <= cp.size:
            with database.session() as session:
                proof = proofs.consistency(session, witness_size, cp.size, cp.epoch)["proof"]
            r = _post(w, witness_size, proof, cp.note)
    if r.status_code != 200:
        log.error(
            "witness %s refused checkpoint %s/%s: %s %s", w.name, cp.epoch, cp.size, r.status_code, r.text
        )
        return f"refused {r.status_code}"
    line = r.text
    note.verify_cosignature(cp.note + line, w.name, w.public_key)
    with database.session() as session:
        session.merge(
            AuditCosignature(witness=w.name, epoch=cp.epoch, size=cp.size, cosigned_at=utcnow(), line=line)
        )
        session.commit()
    return "cosigned"


def _witness_latest(w: WitnessConfig, settings: Settings) -> str | None:
    r = httpx.get(f"{w.url}/latest", params={"origin": origin(settings)}, timeout=TIMEOUT)
    return r.text if r.status_code == 200 else None


def check_witnesses(database: Database, settings: Settings) -> bool:
    """Before the tree grows: does a witness hold more of this log than the database? Then record the rollback
    first, so no lost position is given to another record. True if a new epoch was started."""
    started = False
    for w in configured_witnesses(settings):
        try:
            latest = _witness_latest(w, settings)
            seen = read_checkpoint(latest, settings) if latest else None
        except (httpx.HTTPError, note.NoteError, ValueError) as err:
            log.warning("witness %s: %s", w.name, err)
            continue
        if seen is None:
            continue
        from edudata.audit.epochs import start_epoch

        with database.session() as session:
            if start_epoch(session, settings, latest, w.name) is not None:
                started = True
            session.commit()
    return started


def submit_to_witnesses(database: Database, settings: Settings) -> dict[str, str]:
    """Every configured witness, in turn; a witness that cannot be reached is retried after the next round."""
    outcome = {}
    for w in configured_witnesses(settings):
        try:
            outcome[w.name] = submit(database, settings, w)
        except (httpx.HTTPError, note.NoteError, ValueError) as err:
            log.warning("witness %s: %s", w.name, err)
            outcome[w.name] = f"unreachable: {err}"
    return outcome
