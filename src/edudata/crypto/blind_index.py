"""Blind indexes (盲索引): equality search on encrypted elements without decrypting the column (Art. 27-28).

``blind_index(purpose, value)`` = HMAC-SHA256 over the *normalised* value with a key derived by HKDF from the
dedicated ``blind-index`` data key, one sub-key per purpose (``student_basic.SFZJH``), so equal ID numbers in
two datasets do not give equal indexes. Normalisation makes a user's lookup match however it was typed:
full-width characters become half-width (NFKC), all white space goes, letters are upper-cased
(``１１０１０５…２x`` → ``110105…2X``).

Trade-offs, chosen on purpose:
- The HMAC is truncated to 128 bits (32 hex characters). For a million people the chance of any two distinct
  values sharing an index is about n²/2¹²⁹ ≈ 10⁻²⁷; a lookup still decrypts and compares the rows it finds.
  A shorter index would hide more (k-anonymous buckets) but cost extra decryptions per lookup.
- An index reveals which rows share a value (equality), never the value; this is the price of searching.
- The blind-index key is *not* rotated, neither by master-key rotation (which only re-wraps it) nor by
  ``rotate_data_key`` (refused): a new key would change every stored index, so rotation would mean
  re-indexing every table. If the key were ever exposed, create a new purpose name and re-index.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable

from edudata.crypto.keys import BLIND_INDEX_PURPOSE, KeyManager

INDEX_HEX = 32  # 128 bits


def normalise(value: str) -> str:
    """The form a value is indexed in: NFKC (full-width → half-width), no white space, upper case."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return "".join(value.split()).upper()


def _key(keys: KeyManager, purpose: str) -> bytes:
    return keys.active(BLIND_INDEX_PURPOSE).derive(b"edudata/blind-index|" + purpose.encode())


BLOCK = 64  # SHA-256 block size
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def _pads(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256 (RFC 2104) split into its keyed inner and outer hash states, computed once per column.

    Copying two SHA-256 states per value is about twice as fast as copying an ``hmac`` object, and a bulk
    load indexes millions of values; the digests are the same (the tests compare them with :mod:`hmac`).
    """
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))


def blind_index_many(keys: KeyManager, purpose: str, values: Iterable[str | None]) -> list[str | None]:
    """Indexes for a column of values (``None`` and blank values have none)."""
    inner, outer = _pads(_key(keys, purpose))
    out: list[str | None] = []
    append = out.append
    for value in values:
        if value is None:
            append(None)
            continue
        # Plain ASCII letters and digits (ID, phone and card numbers) only need upper-casing.
        text = value.upper() if value.isascii() and value.isalnum() else normalise(value)
        if not text:
            append(None)
            continue
        mac = inner.copy()
        mac.update(text.encode())
        mac, digest = outer.copy(), mac.digest()
        mac.update(digest)
        append(mac.hexdigest()[:INDEX_HEX])
    return out


def blind_index(keys: KeyManager, purpose: str, value: str | None) -> str | None:
    """The index of one value, e.g. to look up a person by the ID number a user typed."""
    return blind_index_many(keys, purpose, [value])[0]
