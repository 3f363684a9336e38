"""The platform's Ed25519 signing key: signs audit checkpoints and export packages (Art. 25, 59).

Signatures let anyone holding the public key check that an audit head (防篡改) or an exported package (传输过程
防止篡改) came from this platform unchanged. The private key is a PEM file under ``data_dir/keys/signing.key``
(override with ``EDUDATA_SIGNING_KEY_FILE``), created with mode 0600 on first use; several processes may race to
create it and all end up with the same key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edudata import cache
from edudata.config import Settings, get_settings

_keys: dict[Path, Ed25519PrivateKey] = {}
_lock = threading.Lock()
cache.register(_keys.clear)


def signing_key_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).resolved_signing_key_file().resolve()


def _create_key_file(path: Path) -> None:
    """Write a new key to a private temporary file, then link it into place (atomic; the first writer wins)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def private_key(settings: Settings | None = None) -> Ed25519PrivateKey:
    """The signing key, loaded once per process (created on first use)."""
    path = signing_key_path(settings)
    key = _keys.get(path)
    if key is not None:
        return key
    with _lock:
        if path not in _keys:
            if not path.exists():
                _create_key_file(path)
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path} does not hold an Ed25519 private key")
            _keys[path] = loaded
        return _keys[path]


def public_key_bytes(settings: Settings | None = None) -> bytes:
    """The 32-byte raw Ed25519 public key that receivers and auditors trust."""
    return (
        private_key(settings)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def key_id(public_key: bytes) -> str:
    """Short name of a public key: the first 16 hex characters of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def sign(data: bytes, settings: Settings | None = None) -> bytes:
    """A 64-byte Ed25519 signature over ``data``."""
    return private_key(settings).sign(data)


def verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``data`` by ``public_key``; never raises on bad input."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
