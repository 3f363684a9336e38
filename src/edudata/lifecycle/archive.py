"""The encrypted backup archive (``.edbk``): AES-256-GCM in authenticated chunks under a per-backup file key.

Layout: ``MAGIC · len(header) (4 bytes) · header (JSON) · chunks``; each chunk is ``len (4) · nonce (12) ·
ciphertext+tag``. The associated data of chunk *i* is ``SHA-256(header) · i (8 bytes) · final flag``, so chunks
cannot be reordered, dropped, swapped between archives or the archive truncated without the tag check failing.
The random file key is wrapped by the **backup key**, HKDF-SHA256 from a version of the master key ring (the ring
lives outside the database, so a backup can be opened when the database is gone; Art. 27-28, 55, 60).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from edudata.config import Settings
from edudata.crypto.master import current_ring, load_ring
from edudata.errors import EduDataError

MAGIC = b"EDUDATA-BACKUP\x01"
CHUNK = 8 * 1024 * 1024
NONCE = 12


class BackupInvalid(EduDataError):
    status, code, title_zh, title_en = 422, "backup-invalid", "备份校验失败", "Backup invalid"


def backup_key(settings: Settings, version: int) -> bytes:
    """The backup key of master-key ``version`` (derived, never stored)."""
    ring = load_ring(settings)
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"edudata/backup-key/v1").derive(ring.key(version))


def _aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + struct.pack(">Q?", index, final)


def encrypt_file(settings: Settings, source: Path, target: Path, meta: dict[str, Any]) -> str:
    """Encrypt ``source`` into ``target``; returns the archive's SHA-256 (hex)."""
    ring = current_ring(settings)
    file_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce = os.urandom(NONCE)
    name = str(meta["name"]).encode()
    wrapped = AESGCM(backup_key(settings, ring.active)).encrypt(
        wrap_nonce, file_key, b"edudata/backup|" + name
    )
    header = json.dumps(
        {
            **meta,
            "format": "edudata-backup/1",
            "master_version": ring.active,
            "wrapped_key": base64.b64encode(wrap_nonce + wrapped).decode(),
            "chunk": CHUNK,
        },
        sort_keys=True,
    ).encode()
    digest_header = hashlib.sha256(header).digest()
    aead = AESGCM(file_key)
    out_hash = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:

        def put(data: bytes) -> None:
            dst.write(data)
            out_hash.update(data)

        put(MAGIC + struct.pack(">I", len(header)) + header)
        index = 0
        block = src.read(CHUNK)
        while True:
            following = src.read(CHUNK) if block else b""
            final = not following
            nonce = os.urandom(NONCE)
            sealed = aead.encrypt(nonce, block, _aad(digest_header, index, final))
            put(struct.pack(">I", len(sealed)) + nonce + sealed)
            if final:
                break
            block, index = following, index + 1
        dst.flush()
        os.fsync(dst.fileno())
    return out_hash.hexdigest()


def read_header(stream: BinaryIO) -> tuple[dict[str, Any], bytes]:
    start = stream.read(len(MAGIC) + 4)
    if len(start) < len(MAGIC) + 4 or start[: len(MAGIC)] != MAGIC:
        raise BackupInvalid("不是 EduData 备份文件", "not an EduData backup archive")
    (length,) = struct.unpack(">I", start[len(MAGIC) :])
    raw = stream.read(length)
    try:
        return json.loads(raw), raw
    except ValueError:
        raise BackupInvalid("备份文件头损坏", "the archive header is damaged") from None


def _chunks(settings: Settings, stream: BinaryIO) -> Iterator[bytes]:
    header, raw = read_header(stream)
    try:
        sealed_key = base64.b64decode(header["wrapped_key"])
        key = AESGCM(backup_key(settings, int(header["master_version"]))).decrypt(
            sealed_key[:NONCE], sealed_key[NONCE:], b"edudata/backup|" + str(header["name"]).encode()
        )
    except (InvalidTag, KeyError, ValueError):
        raise BackupInvalid(
            "备份密钥无法解开（密钥环不符或文件被篡改）", "the backup key does not unwrap"
        ) from None
    aead = AESGCM(key)
    digest_header = hashlib.sha256(raw).digest()
    index = 0
    while True:
        size = stream.read(4)
        if len(size) < 4:
            raise BackupInvalid("备份文件不完整（被截断）", "the archive is truncated")
        (length,) = struct.unpack(">I", size)
        nonce = stream.read(NONCE)
        sealed = stream.read(length)
        if len(sealed) < length:
            raise BackupInvalid("备份文件不完整（被截断）", "the archive is truncated")
        for final in (False, True):
            try:
                block = aead.decrypt(nonce, sealed, _aad(digest_header, index, final))
            except InvalidTag:
                continue
            yield block
            if final:
                if stream.read(1):
                    raise BackupInvalid("备份文件末尾有多余内容", "data after the final chunk")
                return
            break
        else:
            raise BackupInvalid(
                f"备份第 {index + 1} 块校验失败（被篡改）", f"chunk {index + 1} fails its tag check"
            )
        index += 1


def decrypt_file(settings: Settings, archive: Path, target: Path | None) -> int:
    """Decrypt (and so authenticate) every chunk; write the payload to ``target`` unless it is ``None``."""
    size = 0
    with archive.open("rb") as src:
        if target is None:
            for block in _chunks(settings, src):
                size += len(block)
            return size
        with target.open("wb") as dst:
            for block in _chunks(settings, src):
                dst.write(block)
                size += len(block)
            dst.flush()
            os.fsync(dst.fileno())
    return size


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()
