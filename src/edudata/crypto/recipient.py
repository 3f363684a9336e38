"""Packages of important data encrypted to their recipient (Art. 26: 重要数据传输必须经过加密处理).

A signed package (:mod:`edudata.crypto.package`) proves who sent it and that nothing changed; sealed to the
recipient it is also unreadable to anyone who intercepts it on the way (a mail server, a USB stick, a shared
folder). The seal is X25519 key agreement with a fresh ephemeral key, HKDF-SHA256 and AES-256-GCM, all from
``cryptography``; the header (format, recipient key id, ephemeral public key, nonce) is the associated data, so
a header moved or changed does not open. The recipient holds the X25519 private key (``edudata package keygen``)
and registers only the public key; ``edudata package open`` decrypts, then verifies the signature inside.

File layout: ``MAGIC`` · 4-byte big-endian header length · header JSON · AES-GCM ciphertext (with its tag).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.clock import utcnow
from edudata.crypto.models import RecipientKey
from edudata.errors import Conflict, PermissionDenied, ValidationFailed

MAGIC = b"EDUSEAL1"
FORMAT = "edudata-sealed-package/1"
_INFO = FORMAT.encode()
SUFFIX = ".sealed"


def key_id(public_key: bytes) -> str:
    """A short, stable name for a recipient's public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def parse_public_key(text: str) -> bytes:
    """An X25519 public key given as 64 hex characters or a PEM ``PUBLIC KEY`` block."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, X25519PublicKey):
                raise ValueError("not X25519")
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        raw = bytes.fromhex(text)
        X25519PublicKey.from_public_bytes(raw)
        return raw
    except ValueError:
        raise ValidationFailed(
            "接收方公钥应为 X25519 公钥（64 位十六进制或 PEM）",
            "the recipient key must be an X25519 public key (64 hex characters or PEM)",
            field="public_key",
        ) from None


def generate_private_key() -> tuple[bytes, bytes]:
    """A new recipient key pair: (private key as unencrypted PKCS#8 PEM, raw public key)."""
    private = X25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem, public


def load_private_key(pem: bytes) -> X25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, X25519PrivateKey):
        raise ValidationFailed("不是 X25519 私钥", "not an X25519 private key", field="key")
    return key


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO).derive(shared)


def seal(data: bytes, recipient_public_key: bytes) -> bytes:
    """``data`` (a signed package's bytes) encrypted so that only the holder of the private key can read it."""
    recipient = X25519PublicKey.from_public_bytes(recipient_public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    nonce = os.urandom(12)
    header = json.dumps(
        {
            "format": FORMAT,
            "algorithm": "X25519-HKDF-SHA256-AES-256-GCM",
            "recipient_key_id": key_id(recipient_public_key),
            "ephemeral_public_key": ephemeral_public.hex(),
            "nonce": nonce.hex(),
        },
        sort_keys=True,
    ).encode()
    key = _key(ephemeral.exchange(recipient), ephemeral_public, recipient_public_key)
    return MAGIC + struct.pack(">I", len(header)) + header + AESGCM(key).encrypt(nonce, data, header)


@dataclass(frozen=True)
class SealedHeader:
    recipient_key_id: str
    ephemeral_public_key: bytes
    nonce: bytes
    raw: bytes


def is_sealed(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def read_header(data: bytes) -> tuple[SealedHeader, bytes]:
    if not is_sealed(data) or len(data) < len(MAGIC) + 4:
        raise ValidationFailed("不是加密数据包", "not a sealed package", field="path")
    (size,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    raw = data[start : start + size]
    try:
        h = json.loads(raw)
        header = SealedHeader(
            h["recipient_key_id"], bytes.fromhex(h["ephemeral_public_key"]), bytes.fromhex(h["nonce"]), raw
        )
    except (ValueError, KeyError, TypeError):
        raise ValidationFailed(
            "加密数据包的头部无法读取", "the sealed package's header cannot be read"
        ) from None
    return header, data[start + size :]


def open_sealed(data: bytes, private_key: X25519PrivateKey) -> bytes:
    """The package inside ``data``; refused when the key is not the recipient's or a byte was changed."""
    header, ciphertext = read_header(data)
    public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if key_id(public) != header.recipient_key_id:
        raise PermissionDenied(
            f"该数据包加密给密钥 {header.recipient_key_id}，不是此私钥（{key_id(public)}）",
            f"the package is sealed to key {header.recipient_key_id}, not to this private key ({key_id(public)})",
        )
    shared = private_key.exchange(X25519PublicKey.from_public_bytes(header.ephemeral_public_key))
    key = _key(shared, header.ephemeral_public_key, public)
    try:
        return AESGCM(key).decrypt(header.nonce, ciphertext, header.raw)
    except InvalidTag:
        raise ValidationFailed(
            "加密数据包无法解密：内容被改动或密钥不符",
            "the sealed package does not decrypt: altered, or the wrong key",
        ) from None


def open_file(path: Path, private_key_pem: bytes, out: Path) -> Path:
    """Decrypt the sealed package at ``path`` into the zip ``out`` (which must not exist yet)."""
    plain = open_sealed(path.read_bytes(), load_private_key(private_key_pem))
    with out.open("xb") as f:
        f.write(plain)
    return out


def register_key(session: Session, account_id: int, public_key_text: str) -> RecipientKey:
    """Set (or replace) the account's recipient key; later packages of important data are sealed to it."""
    raw = parse_public_key(public_key_text)
    row = session.get(RecipientKey, account_id) or RecipientKey(account_id=account_id)
    row.public_key, row.key_id, row.registered_at = raw.hex(), key_id(raw), utcnow()
    session.add(row)
    session.flush()
    return row


def recipient_key(session: Session, account_id: int | None) -> bytes | None:
    """The account's registered X25519 public key, or None."""
    row = session.get(RecipientKey, account_id) if account_id is not None else None
    return bytes.fromhex(row.public_key) if row is not None else None


class RecipientKeyMissing(Conflict):
    """A package of important data asked for by an account with no registered recipient key (Art. 26)."""

    code, title_zh, title_en = "recipient-key-missing", "未登记接收密钥", "No recipient key registered"


def holds_important_data(session: Session, dataset_code: str) -> bool:
    """Whether the dataset is graded 重要数据 or holds an element that is (Art. 52)."""
    from edudata.catalog.models import DataElement, Dataset

    ds = session.scalar(select(Dataset).where(Dataset.code == dataset_code))
    if ds is None:
        return False
    if ds.grade == "important":
        return True
    return (
        session.scalar(
            select(DataElement.id).where(DataElement.dataset_id == ds.id, DataElement.grade == "important")
        )
        is not None
    )


def sealing_key(session: Session, account_id: int | None, dataset_code: str) -> bytes | None:
    """The key a package of ``dataset_code`` must be sealed to: the account's registered key when the dataset
    holds important data (refused when there is none), else None (signed only)."""
    if not holds_important_data(session, dataset_code):
        return None
    key = recipient_key(session, account_id)
    if key is None:
        raise RecipientKeyMissing(
            "重要数据的数据包须加密给接收方（第二十六条）：请先在“数据包接收密钥”页面登记您的 X25519 公钥",
            "packages of important data are encrypted to their recipient (Art. 26): register your X25519 "
            "public key on the package-key page first",
            field="format",
        )
    return key
