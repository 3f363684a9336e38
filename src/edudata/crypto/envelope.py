"""Field-level envelope encryption with AES-256-GCM (Art. 27-28 存储保密性、完整性).

Each value becomes one self-describing ciphertext, so any key generation decrypts it and a reader needs no
side table::

    format (1 byte) | key id (4 bytes, big-endian) | nonce (12 random bytes) | ciphertext + 16-byte tag

``format`` 1 names a data key (``crypto_data_key.id``), ``format`` 2 a person's own key
(``crypto_subject_key.id``, crypto-shredding). The 5-byte header plus the caller's associated data (AAD) are
authenticated: the AAD binds a value to its dataset and element (and optionally its row), so a ciphertext
copied into another column or row fails its tag check instead of decrypting there. A 96-bit random nonce per
value is safe for about 2**32 values per key (NIST SP 800-38D); rotate a data key well before that.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edudata.crypto.errors import CiphertextInvalid, SubjectDataDestroyed
from edudata.crypto.keys import KeyManager

FORMAT_DATA_KEY = 1
FORMAT_SUBJECT_KEY = 2
HEADER = 5
NONCE = 12
TAG = 16
MIN_LENGTH = HEADER + NONCE + TAG

Aad = bytes | Sequence[bytes] | None
# Resolves the headers found in a batch to their AEAD objects; ``None`` means the key was destroyed.
Resolver = Callable[[set[bytes]], dict[bytes, AESGCM | None]]


def element_aad(dataset: str, element: str, row: str | int | None = None) -> bytes:
    """The associated data for a value of ``element`` in ``dataset`` (and of one row, when given)."""
    text = f"{dataset}.{element}" if row is None else f"{dataset}.{element}#{row}"
    return text.encode()


def header(fmt: int, key_id: int) -> bytes:
    return bytes((fmt,)) + key_id.to_bytes(4, "big")


def aad_list(aad: Aad, count: int) -> Sequence[bytes]:
    if aad is None:
        return [b""] * count
    if isinstance(aad, bytes | bytearray):
        return [bytes(aad)] * count
    if len(aad) != count:
        raise ValueError(f"{len(aad)} associated-data items for {count} values")
    return aad


def seal(
    aead: AESGCM, head: bytes, values: Sequence[str | None], aads: Sequence[bytes]
) -> list[bytes | None]:
    """Encrypt each value under one key; ``None`` stays ``None`` (an absent value is not a secret)."""
    nonces = os.urandom(NONCE * len(values))  # one system call for the whole batch
    encrypt = aead.encrypt
    out: list[bytes | None] = []
    append = out.append
    for i, value in enumerate(values):
        if value is None:
            append(None)
            continue
        if not isinstance(value, str):
            raise TypeError(f"encrypted values are text, got {type(value).__name__}")
        nonce = nonces[i * NONCE : i * NONCE + NONCE]
        append(head + nonce + encrypt(nonce, value.encode(), head + aads[i]))
    return out


def _invalid(position: int) -> CiphertextInvalid:
    return CiphertextInvalid(
        f"第 {position + 1} 个加密值校验失败：数据被篡改、截断，或不属于该数据项",
        f"encrypted value {position + 1} failed its integrity check: tampered, truncated, "
        "or not a value of this element",
        position=position,
    )


def open_all(
    values: Sequence[bytes | None],
    aads: Sequence[bytes],
    resolve: Resolver,
    on_destroyed: Literal["raise", "none"] = "raise",
) -> list[str | None]:
    """Decrypt a batch, looking up each distinct key once; any failed tag raises :class:`CiphertextInvalid`."""
    heads: set[bytes] = set()
    for i, value in enumerate(values):
        if value is None:
            continue
        if len(value) < MIN_LENGTH or value[0] not in (FORMAT_DATA_KEY, FORMAT_SUBJECT_KEY):
            raise _invalid(i)
        heads.add(bytes(value[:HEADER]))
    ciphers = resolve(heads) if heads else {}
    out: list[str | None] = []
    append = out.append
    last_head, aead = None, None
    for i, value in enumerate(values):
        if value is None:
            append(None)
            continue
        if type(value) is not bytes:
            value = bytes(value)
        head = value[:HEADER]
        if head != last_head:  # a column is mostly under one key: look it up only when it changes
            last_head, aead = head, ciphers[head]
        if aead is None:
            if on_destroyed == "none":
                append(None)
                continue
            raise SubjectDataDestroyed()
        try:
            append(
                aead.decrypt(value[HEADER : HEADER + NONCE], value[HEADER + NONCE :], head + aads[i]).decode()
            )
        except (InvalidTag, UnicodeDecodeError):
            raise _invalid(i) from None
    return out


def key_ids(heads: set[bytes], fmt: int) -> dict[int, bytes]:
    return {int.from_bytes(h[1:HEADER], "big"): h for h in heads if h[0] == fmt}


def encrypt_values(
    keys: KeyManager, purpose: str, values: Sequence[str | None], aad: Aad = None
) -> list[bytes | None]:
    """Encrypt ``values`` under the active data key of ``purpose`` (e.g. ``dataset:student_basic``)."""
    dek = keys.active(purpose)
    return seal(dek.aead, header(FORMAT_DATA_KEY, dek.id), values, aad_list(aad, len(values)))


def decrypt_values(
    keys: KeyManager,
    values: Sequence[bytes | None],
    aad: Aad = None,
    *,
    on_destroyed: Literal["raise", "none"] = "raise",
) -> list[str | None]:
    """Decrypt values made by :func:`encrypt_values` or by a subject key, under whichever key made each one.

    ``on_destroyed="none"`` reads a destroyed person's values as ``None`` (e.g. listing a restored backup);
    the default raises :class:`SubjectDataDestroyed`.
    """

    def resolve(heads: set[bytes]) -> dict[bytes, AESGCM | None]:
        found: dict[bytes, AESGCM | None] = {}
        by_id = key_ids(heads, FORMAT_DATA_KEY)
        if by_id:
            deks = keys.deks(by_id)
            found.update({head: deks[key_id].aead for key_id, head in by_id.items()})
        by_subject = key_ids(heads, FORMAT_SUBJECT_KEY)
        if by_subject:
            from edudata.crypto.subject_keys import subject_ciphers  # subject keys build on this module

            ciphers = subject_ciphers(keys, by_subject)
            found.update({head: ciphers[key_id] for key_id, head in by_subject.items()})
        return found

    return open_all(values, aad_list(aad, len(values)), resolve, on_destroyed)
