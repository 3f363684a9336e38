"""The master key ring (主密钥): the key-encryption keys that wrap every data key (Art. 27-28).

It never enters the database. It comes from ``EDUDATA_MASTER_KEY`` (one base64 key, or a JSON ring, for
containers) or from ``settings.resolved_master_key_file()``, created on first use with mode 0600 in a 0700
directory. The file is a ring of versions so that rotation adds a key and keeps the old ones until every data
key has been re-wrapped; only then may the old versions be pruned::

    {"active": 2, "keys": {"1": "<base64 of 32 bytes>", "2": "<base64 of 32 bytes>"}}

Several app servers must see the same ring (a shared, access-controlled file or the same environment value).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from edudata import cache
from edudata.config import Settings
from edudata.crypto.errors import KeyUnavailable
from edudata.errors import Conflict

try:  # POSIX advisory lock so two rotations on one host cannot interleave their writes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("edudata.crypto")

KEY_BYTES = 32


@dataclass(frozen=True)
class MasterKeyRing:
    """The versions of the master key; ``active`` wraps new data keys, any listed version unwraps."""

    active: int
    keys: dict[int, bytes]
    path: Path | None  # None when the ring comes from the environment (cannot be rotated from here)
    stamp: int = 0  # the file's mtime_ns when read, to notice another process's rotation

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise KeyUnavailable(
                f"主密钥版本 {version} 不在密钥环中，无法解开数据密钥",
                f"master key version {version} is not in the key ring; the data key cannot be unwrapped",
            ) from None


def _decode_key(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise KeyUnavailable(
            f"{where} 中的主密钥不是 base64 编码的 32 字节",
            f"the master key in {where} is not 32 bytes of base64",
        )
    return raw


def parse_ring(text: str, where: str) -> tuple[int, dict[int, bytes]]:
    """A JSON ring, or a bare base64 key taken as version 1."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return 1, {1: _decode_key(stripped, where)}
    try:
        doc = json.loads(stripped)
        keys = {int(v): _decode_key(k, where) for v, k in doc["keys"].items()}
        active = int(doc["active"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KeyUnavailable(
            f"{where} 不是有效的主密钥环", f"{where} is not a valid master key ring"
        ) from None
    if active not in keys:
        raise KeyUnavailable(f"{where} 的当前主密钥版本缺失", f"the active version is missing from {where}")
    return active, keys


def _ring_text(active: int, keys: dict[int, bytes]) -> str:
    body = {"active": active, "keys": {str(v): base64.b64encode(k).decode() for v, k in sorted(keys.items())}}
    return json.dumps(body, indent=2) + "\n"


def _write_private(path: Path, text: str) -> Path:
    """Write ``text`` to a fresh 0600 file beside ``path`` and return it (the caller links or renames it)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def _ensure_dir(path: Path) -> None:
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)


def _create_file(path: Path) -> None:
    """Create the ring with one fresh key; if another process won the race, keep its file."""
    _ensure_dir(path)
    tmp = _write_private(path, _ring_text(1, {1: secrets.token_bytes(KEY_BYTES)}))
    try:
        os.link(tmp, path)  # atomic and exclusive: never overwrites a ring another process just made
        log.warning("created a new master key ring at %s; back it up separately from the database", path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


_rings: dict[str, MasterKeyRing] = {}
cache.register(_rings.clear)


def _read_file(path: Path) -> MasterKeyRing:
    stat = path.stat()
    if stat.st_mode & 0o077:
        log.warning("master key ring %s was readable by others; tightening to 0600", path)
        os.chmod(path, 0o600)
    active, keys = parse_ring(path.read_text(encoding="utf-8"), str(path))
    return MasterKeyRing(active=active, keys=keys, path=path, stamp=stat.st_mtime_ns)


def load_ring(settings: Settings, *, fresh: bool = False) -> MasterKeyRing:
    """The ring for ``settings``; re-read when the file changed (another process rotated) or ``fresh``."""
    if settings.master_key:
        active, keys = parse_ring(settings.master_key, "EDUDATA_MASTER_KEY")
        return MasterKeyRing(active=active, keys=keys, path=None)
    path = settings.resolved_master_key_file().resolve()
    cached = _rings.get(str(path))
    if cached is not None and not fresh:
        return cached
    if not path.exists():
        _create_file(path)
    ring = _read_file(path)
    if cached is None or ring.stamp != cached.stamp or ring.keys != cached.keys:
        _rings[str(path)] = ring
    return ring


def current_ring(settings: Settings) -> MasterKeyRing:
    """The ring, checked against the file's mtime: used before wrapping, so new keys use the newest version."""
    ring = load_ring(settings)
    if ring.path is not None:
        try:
            changed = ring.path.stat().st_mtime_ns != ring.stamp
        except FileNotFoundError:
            changed = True
        if changed:
            ring = load_ring(settings, fresh=True)
    return ring


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    _ensure_dir(path)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _writable_path(settings: Settings) -> Path:
    if settings.master_key:
        raise Conflict(
            "主密钥来自环境变量 EDUDATA_MASTER_KEY，请在密钥环中增加新版本后更新该变量",
            "the master key comes from EDUDATA_MASTER_KEY; add a version to that ring and update the variable",
        )
    return settings.resolved_master_key_file().resolve()


def _replace(path: Path, active: int, keys: dict[int, bytes]) -> MasterKeyRing:
    os.replace(_write_private(path, _ring_text(active, keys)), path)
    _rings.pop(str(path), None)
    return _read_file(path)


def add_version(settings: Settings) -> MasterKeyRing:
    """Append a fresh master-key version and make it active; older versions stay until pruned."""
    path = _writable_path(settings)
    load_ring(settings)  # creates the file when absent
    with _locked(path):
        ring = _read_file(path)
        version = max(ring.keys) + 1
        return _replace(path, version, {**ring.keys, version: secrets.token_bytes(KEY_BYTES)})


def remove_versions(settings: Settings, versions: set[int]) -> MasterKeyRing:
    """Drop master-key versions no data key needs any more (never the active one)."""
    path = _writable_path(settings)
    with _locked(path):
        ring = _read_file(path)
        keep = {v: k for v, k in ring.keys.items() if v not in versions or v == ring.active}
        if keep == ring.keys:
            return ring
        return _replace(path, ring.active, keep)
