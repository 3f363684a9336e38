"""Where a batch waits for review: Parquet files sealed with AES-256-GCM under a data key (Art. 27-28).

Good rows and quarantined rows hold personal information in clear form before they reach the store, so they
never sit on disk unencrypted: each file is ``header | nonce | ciphertext`` under the active key of purpose
``ingest:staging`` (the same envelope format as field encryption), bound to its batch and part by AAD.
"""

from __future__ import annotations

import io
import os
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(sealed)
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
