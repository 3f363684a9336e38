"""Uploads on their way in: sealed as they stream to disk, gone on every outcome (Art. 27-28, 35).

A producer's file holds every person it lists in clear (ID and bank-card numbers), so it never rests on disk as
it came. Each upload is written in 1 MB chunks, each AES-256-GCM-sealed under a **key of that upload alone, kept in
the process's memory only** (AAD: chunk number and a final flag, so chunks cannot be reordered or cut off). The
file is created 0600 with ``O_EXCL``; it is read back into memory for checking and removed in the upload's
``finally``. A process killed mid-way (``kill -9``, power cut) takes the key with it: what it leaves is noise, and
the next ``edudata serve`` or ``edudata ingest`` removes it (:func:`sweep`) — files are named by the process id that
wrote them, so a sweep never removes an upload another live process on this host is still receiving.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edudata.config import Settings
from edudata.errors import PayloadTooLarge, ValidationFailed

CHUNK = 1024 * 1024
NONCE = 12
SUFFIX = ".sealed"


def directory(settings: Settings) -> Path:
    return Path(settings.data_dir) / "ingest" / "incoming"


@dataclass(frozen=True)
class Sealed:
    """An upload on disk: its path, size and digest of the clear bytes, and the key that opens it."""

    path: Path
    size: int
    sha256: str
    key: bytes = field(repr=False)

    def read(self) -> bytes:
        """The clear bytes, in memory (bounded by the upload limit); a changed or cut file raises ``InvalidTag``."""
        aead = AESGCM(self.key)
        out = bytearray()
        with self.path.open("rb") as f:
            index = 0
            while True:
                head = f.read(4 + NONCE)
                if not head:
                    break
                (length,) = struct.unpack(">I", head[:4])
                body = f.read(length)
                final = not f.peek(1)
                out += aead.decrypt(head[4:], body, _aad(index, final))
                index += 1
        return bytes(out)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _aad(index: int, final: bool) -> bytes:
    return b"edudata/incoming|" + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def _private(path: Path):  # noqa: ANN202 - a binary file object
    """A new file only its owner reads (0600), never one that already exists (a planted symlink)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    return os.fdopen(fd, "wb")


def receive(read: Callable[[int], bytes], folder: Path, limit: int) -> Sealed:
    """Copy a stream to ``folder`` sealed chunk by chunk, hashing the clear bytes; over ``limit`` nothing is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    key = AESGCM.generate_key(bit_length=256)
    aead = AESGCM(key)
    path = folder / f"{os.getpid()}-{os.urandom(8).hex()}{SUFFIX}"
    digest, size, index = hashlib.sha256(), 0, 0
    try:
        with _private(path) as out:
            chunk = read(CHUNK)
            while chunk:
                after = read(CHUNK)
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"文件超过上传上限 {limit // (1024 * 1024)} MB，未保存任何内容；请拆分后分批上传",
                        f"the file exceeds the upload limit of {limit // (1024 * 1024)} MB; nothing was stored. "
                        "Split it and upload the parts",
                        limit=limit,
                    )
                digest.update(chunk)
                nonce = os.urandom(NONCE)
                sealed = aead.encrypt(nonce, chunk, _aad(index, not after))
                out.write(struct.pack(">I", len(sealed)) + nonce + sealed)
                chunk, index = after, index + 1
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise ValidationFailed("上传的文件为空", "the uploaded file is empty", field="file")
    return Sealed(path, size, digest.hexdigest(), key)


class SealedSpool:
    """Where the web server's form parser puts an uploaded file while the request streams in: a file object whose
    bytes reach the disk only sealed (the format of :func:`receive`, a key in this object's memory only), never the
    clear temporary file the parser would spool to. Written by the parser, rewound, read back (opened chunk by
    chunk) by the upload's use case, removed on close; a process killed mid-stream leaves only noise, which
    :func:`sweep` removes at the next start. Over ``limit`` it stops and keeps nothing."""

    def __init__(self, folder: Path, limit: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        self._key = AESGCM.generate_key(bit_length=256)
        self._aead = AESGCM(self._key)
        self.path = folder / f"{os.getpid()}-{os.urandom(8).hex()}{SUFFIX}"
        self._out = _private(self.path)
        self._pending = bytearray()  # the tail not sealed yet: the last chunk is sealed as final at the end
        self._index, self._size, self._limit = 0, 0, limit
        self._reader: Sealed | None = None
        self._clear = b""
        self._chunks = None
        self.closed = False

    def _seal(self, data: bytes, final: bool) -> None:
        nonce = os.urandom(NONCE)
        sealed = self._aead.encrypt(nonce, bytes(data), _aad(self._index, final))
        self._out.write(struct.pack(">I", len(sealed)) + nonce + sealed)
        self._index += 1

    def write(self, data: bytes) -> int:
        if self._out is None:
            raise ValueError("the upload was already received")
        self._size += len(data)
        if self._size > self._limit:
            self.close()
            raise PayloadTooLarge(
                f"文件超过上传上限 {self._limit // (1024 * 1024)} MB，未保存任何内容；请拆分后分批上传",
                f"the file exceeds the upload limit of {self._limit // (1024 * 1024)} MB; nothing was stored. "
                "Split it and upload the parts",
                limit=self._limit,
            )
        self._pending += data
        while len(self._pending) > CHUNK:  # more than a chunk: the first one is not the last
            self._seal(self._pending[:CHUNK], final=False)
            del self._pending[:CHUNK]
        return len(data)

    def _finish(self) -> None:
        if self._out is None:
            return
        if self._pending or self._index == 0:
            if self._pending:
                self._seal(self._pending, final=True)
            self._pending = bytearray()
        self._out.close()
        self._out = None

    def seek(self, offset: int, whence: int = 0) -> int:
        """The parser rewinds the file when the part ends: the last chunk is sealed and reading starts over."""
        if offset != 0 or whence != 0:
            raise ValueError("a sealed upload is read from its start only")
        self._finish()
        self._chunks, self._clear = None, b""
        return 0

    def tell(self) -> int:
        return self._size

    def _next_chunks(self):  # noqa: ANN202 - an iterator of clear chunks
        aead = AESGCM(self._key)
        with self.path.open("rb") as f:
            index = 0
            while head := f.read(4 + NONCE):
                (length,) = struct.unpack(">I", head[:4])
                body = f.read(length)
                yield aead.decrypt(head[4:], body, _aad(index, not f.peek(1)))
                index += 1

    def read(self, size: int = -1) -> bytes:
        self._finish()
        if self._chunks is None:
            self._chunks = self._next_chunks() if self.path.exists() else iter(())
        out = bytearray(self._clear)
        while size < 0 or len(out) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            out += chunk
        if size < 0:
            self._clear = b""
            return bytes(out)
        self._clear = bytes(out[size:])
        return bytes(out[:size])

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self._pending = bytearray()
        self._chunks = None
        self.path.unlink(missing_ok=True)
        self.closed = True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(settings: Settings) -> int:
    """Remove what killed processes left in the incoming folder (and any clear file an older version left)."""
    folder = directory(settings)
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        pid = path.name.split("-", 1)[0]
        if path.name.endswith(SUFFIX) and pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        if path.name.endswith(SUFFIX) and pid.isdigit() and int(pid) == os.getpid():
            continue
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
