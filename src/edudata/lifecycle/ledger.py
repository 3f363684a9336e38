"""The destruction ledger (销毁登记簿): every executed destruction, kept beside the key ring, outside the database.

Why outside: a database backup taken before a destruction still holds the destroyed rows and the person's key.
The ledger is the one record a restore cannot roll back, because it does not live in what is restored. Each line is
one destruction — scope (dataset codes, row ids, cut-off dates, pseudonymous ``subject_ref``s; never a value) and
the certificate's id and scope hash — signed with the platform's Ed25519 key, so a forged line is refused.
``edudata restore`` re-applies every line before the restored database is handed over (docs/lifecycle.md).

Keep the ledger as long as the longest-kept backup, and copy it wherever the key ring is copied.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from edudata.config import Settings
from edudata.crypto import signing
from edudata.errors import EduDataError

LEDGER_NAME = "destruction-ledger.jsonl"


class LedgerInvalid(EduDataError):
    status, code, title_zh, title_en = (
        409,
        "ledger-invalid",
        "销毁登记簿校验失败",
        "Destruction ledger invalid",
    )


def ledger_path(settings: Settings) -> Path:
    """``<key directory>/destruction-ledger.jsonl``: the directory of the master key ring, never backed up with it."""
    return settings.resolved_master_key_file().resolve().parent / LEDGER_NAME


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def append(settings: Settings, entry: dict[str, Any]) -> None:
    """Append one signed line and fsync it (called before the destruction's transaction commits)."""
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = canonical(entry)
    public = signing.public_key_bytes(settings)
    line = {
        "entry": entry,
        "key_id": signing.key_id(public),
        "signature": base64.b64encode(signing.sign(body, settings)).decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, canonical(line) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def entries(settings: Settings) -> list[dict[str, Any]]:
    """Every entry, oldest first; a line whose signature does not verify raises :class:`LedgerInvalid`."""
    path = ledger_path(settings)
    if not path.exists():
        return []
    public = signing.public_key_bytes(settings)
    out = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            signature = base64.b64decode(line["signature"])
            entry = line["entry"]
        except (ValueError, KeyError, TypeError):
            raise LedgerInvalid(
                f"销毁登记簿第 {number} 行无法读取", f"ledger line {number} is unreadable"
            ) from None
        if not signing.verify(public, canonical(entry), signature):
            raise LedgerInvalid(
                f"销毁登记簿第 {number} 行签名无效（可能被篡改）",
                f"ledger line {number} has an invalid signature (tampered?)",
            )
        out.append(entry)
    return out
