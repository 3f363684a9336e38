"""Where a batch waits for review: Parquet files sealed with AES-256-GCM under a data key (Art. 27-28).

Good rows and quarantined rows hold personal information in clear form before they reach the store, so they
never sit on disk unencrypted: each file is ``header | nonce | ciphertext`` under the active key of purpose
``ingest:staging`` (the same envelope format as field encryption), bound to its batch and part by AAD.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.crypto.envelope import FORMAT_DATA_KEY, HEADER, NONCE, header
from edudata.crypto.keys import KeyManager
from edudata.errors import NotFound

PURPOSE = "ingest:staging"


def directory(settings: Settings) -> Path:
    return Path(settings.data_dir) / "ingest"


def _path(settings: Settings, batch_code: str, part: str) -> Path:
    return directory(settings) / "batches" / batch_code / f"{part}.parquet.enc"


def write_frame(
    session: Session, settings: Settings, batch_code: str, part: str, frame: pl.DataFrame
) -> Path:
    """Seal ``frame`` as the ``part`` (good, quarantine, snapshot …) of ``batch_code``."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    dek = KeyManager(session, settings).active(PURPOSE)
    head = header(FORMAT_DATA_KEY, dek.id)
    nonce = os.urandom(NONCE)
    sealed = head + nonce + dek.aead.encrypt(nonce, buffer.getvalue(), head + f"{batch_code}/{part}".encode())
    path = _path(settings, batch_code, part)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # only the service reads staging files
    with os.fdopen(fd, "wb") as out:
        out.write(sealed)
    tmp.replace(path)
    return path


def read_frame(session: Session, settings: Settings, batch_code: str, part: str) -> pl.DataFrame:
    path = _path(settings, batch_code, part)
    if not path.exists():
        raise NotFound(
            f"批次 {batch_code} 的暂存数据（{part}）不存在",
            f"staged data '{part}' of batch {batch_code} is missing",
        )
    sealed = path.read_bytes()
    head = sealed[:HEADER]
    aead = KeyManager(session, settings).cipher(int.from_bytes(head[1:HEADER], "big"))
    clear = aead.decrypt(
        sealed[HEADER : HEADER + NONCE], sealed[HEADER + NONCE :], head + f"{batch_code}/{part}".encode()
    )
    return pl.read_parquet(io.BytesIO(clear))


def exists(settings: Settings, batch_code: str, part: str) -> bool:
    return _path(settings, batch_code, part).exists()


def remove_batch(settings: Settings, batch_code: str) -> None:
    folder = directory(settings) / "batches" / batch_code
    if folder.exists():
        for f in folder.iterdir():
            f.unlink(missing_ok=True)
        folder.rmdir()


FINISHED = ("approved", "rejected", "rolled_back")


def purge_finished(session: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Remove the staging files of batches loaded, refused or rolled back more than ``staging_retention_days``
    ago (Art. 35): the rows are in the store, or were refused; the quarantine download of such a batch is gone
    with them. Batches still under review keep theirs. Returns the codes purged."""
    from sqlalchemy import select

    from edudata.db import utcnow
    from edudata.ingest.models import Batch

    cutoff = (now or utcnow()) - timedelta(days=settings.staging_retention_days)
    purged = []
    rows = session.execute(
        select(Batch.code, Batch.uploaded_at, Batch.unit_reviewed_at, Batch.office_reviewed_at).where(
            Batch.status.in_(FINISHED)
        )
    )
    for code, uploaded, unit_at, office_at in rows:
        done = max(t for t in (uploaded, unit_at, office_at) if t is not None)
        if done.tzinfo is None:
            done = done.replace(tzinfo=UTC)
        if done <= cutoff and (directory(settings) / "batches" / code).exists():
            remove_batch(settings, code)
            purged.append(code)
    return purged
