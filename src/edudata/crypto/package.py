"""Signed export packages (Art. 25–26: 传输过程防止丢失、泄露、篡改; 签名、鉴别).

A package is the data files plus ``manifest.json`` (SHA-256 and size of every file, the sender's metadata, when
it was made, the signing key's id and public key) and ``manifest.sig`` (raw 64-byte Ed25519 signature over the
exact bytes of ``manifest.json``). It is written as a directory or, when the path ends in ``.zip``, a zip file.
The receiver checks it with :func:`verify_package` / ``edudata package verify`` — or with OpenSSL alone — and
learns which file, if any, was changed or lost on the way.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edudata.config import Settings
from edudata.crypto import signing
from edudata.db import utcnow
from edudata.errors import Conflict, ValidationFailed

FORMAT = "edudata-package/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class PackageCheck:
    """The outcome of checking a package; ``bad_file`` names the first file that fails."""

    ok: bool
    files_checked: int
    bad_file: str | None = None
    reason_zh: str = ""
    reason_en: str = ""
    key_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        if self.ok:
            return f"完整，签名有效 / intact, signature valid: {self.files_checked} 个文件 / files, key {self.key_id}"
        return f"{self.bad_file}: {self.reason_zh} / {self.reason_en}"


def _check_name(name: str) -> str:
    """A relative POSIX path inside the package: no absolute paths, ``..``, backslashes or NUL."""
    parts = PurePosixPath(name).parts
    if (
        not name
        or len(name) > 255
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or any(p in ("", ".", "..") for p in parts)
        or name in (MANIFEST, SIGNATURE)
    ):
        raise ValidationFailed(
            f"包内文件名不合法：{name!r}", f"invalid file name in package: {name!r}", field="files"
        )
    return name


class _Hashing(io.RawIOBase):
    """Counts and hashes what passes through to ``target``."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.sha256, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.target.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


class PackageWriter:
    """Writes a package file by file (large files streamed), then the signed manifest on :meth:`close`."""

    def __init__(self, path: str | Path, settings: Settings | None = None) -> None:
        self.path, self.settings = Path(path), settings
        self.is_zip = self.path.suffix.lower() == ".zip"
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.exists() and (self.is_zip or not self.path.is_dir() or any(self.path.iterdir())):
            raise Conflict(
                f"目标已存在：{self.path}", f"the target already exists: {self.path}", field="path"
            )
        if self.is_zip:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._zip: zipfile.ZipFile | None = zipfile.ZipFile(self.path, "x", zipfile.ZIP_DEFLATED)
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self._zip = None

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary stream for one file of the package."""
        name = _check_name(name)
        if name in self.entries:
            raise ValidationFailed(
                f"包内文件重复：{name}", f"duplicate file in package: {name}", field="files"
            )
        if self._zip is not None:
            target: IO[bytes] = self._zip.open(name, "w", force_zip64=True)
        else:
            dest = self.path / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            target = dest.open("xb")
        with target:
            hashing = _Hashing(target)
            yield hashing  # type: ignore[misc]
        self.entries[name] = {"name": name, "size": hashing.size, "sha256": hashing.sha256.hexdigest()}

    def abort(self) -> None:
        """Remove what was written so far (the package is not finished and must not be mistaken for one)."""
        if self._zip is not None:
            self._zip.close()
            self.path.unlink(missing_ok=True)
        else:
            for name in self.entries:
                (self.path / name).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.path.rmdir()

    def add(self, name: str, data: bytes) -> None:
        with self.open(name) as f:
            f.write(data)

    def close(self, meta: Mapping[str, Any]) -> Path:
        """Write ``manifest.json`` and its signature; returns the package's path."""
        public_key = signing.public_key_bytes(self.settings)
        pem = Ed25519PublicKey.from_public_bytes(public_key).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
            "meta": dict(meta),
            "files": [self.entries[name] for name in sorted(self.entries)],
            "signature": {
                "algorithm": "Ed25519",
                "file": SIGNATURE,
                "key_id": signing.key_id(public_key),
                "public_key": public_key.hex(),
                "public_key_pem": pem.decode(),
            },
        }
        manifest_bytes = json.dumps(
            manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str
        ).encode()
        signature = signing.sign(manifest_bytes, self.settings)
        if self._zip is not None:
            self._zip.writestr(MANIFEST, manifest_bytes)
            self._zip.writestr(SIGNATURE, signature)
            self._zip.close()
        else:
            (self.path / MANIFEST).write_bytes(manifest_bytes)
            (self.path / SIGNATURE).write_bytes(signature)
        return self.path


def write_package(
    dir_or_zip_path: str | Path,
    files: Mapping[str, bytes],
    meta: dict[str, Any],
    settings: Settings | None = None,
) -> Path:
    """Write ``files`` and a signed manifest to a new directory, or a zip when the path ends in ``.zip``."""
    writer = PackageWriter(dir_or_zip_path, settings)
    for name, data in files.items():
        writer.add(name, data)
    return writer.close(meta)


class PackageReader:
    """Uniform read access to a package directory or zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None

    def names(self) -> list[str]:
        if self.zip is not None:
            return [i.filename for i in self.zip.infolist() if not i.is_dir()]
        return sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if self.zip is not None:
            with self.zip.open(name) as f:
                yield f
        else:
            with (self.path / name).open("rb") as f:
                yield f

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _fail(
    checked: int, name: str, zh: str, en: str, key: str | None = None, meta: dict | None = None
) -> PackageCheck:
    return PackageCheck(False, checked, name, zh, en, key, meta or {})


def verify_package(path: str | Path, trusted_public_key: bytes | None = None) -> PackageCheck:
    """Check the manifest's signature (by ``trusted_public_key`` when given) and every file's size and SHA-256."""
    path = Path(path)
    if not path.exists() or (path.is_file() and not zipfile.is_zipfile(path)):
        return _fail(
            0, path.name, "不是数据包（目录或 zip 文件）", "not a package (a directory or a zip file)"
        )
    try:
        reader = PackageReader(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return _fail(0, path.name, f"数据包无法读取：{exc}", f"the package cannot be read: {exc}")
    try:
        return _verify(reader, trusted_public_key)
    finally:
        reader.close()


def _verify(reader: PackageReader, trusted: bytes | None) -> PackageCheck:
    names = reader.names()
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        return _fail(0, dup, "数据包内文件重复", "the package holds this file twice")
    for required in (MANIFEST, SIGNATURE):
        if required not in names:
            return _fail(0, required, "缺少该文件", "this file is missing")
    try:
        manifest_bytes, signature = reader.read(MANIFEST), reader.read(SIGNATURE)
        manifest = json.loads(manifest_bytes)
        public_key = bytes.fromhex(manifest["signature"]["public_key"])
        entries = manifest["files"]
        meta = manifest.get("meta", {})
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, KeyError, TypeError) as exc:
        return _fail(0, MANIFEST, f"清单无法读取：{exc}", f"the manifest cannot be read: {exc}")
    key = signing.key_id(public_key)
    if trusted is not None and public_key != trusted:
        return _fail(
            0,
            SIGNATURE,
            f"签名密钥 {key} 不是受信任的密钥 {signing.key_id(trusted)}",
            f"signed by key {key}, not by the trusted key {signing.key_id(trusted)}",
            key,
            meta,
        )
    if not signing.verify(public_key, manifest_bytes, signature):
        return _fail(
            0,
            MANIFEST,
            "签名与清单不符：清单或签名被改动",
            "the signature does not match: manifest or signature altered",
            key,
            meta,
        )
    listed = set()
    for checked, entry in enumerate(entries):
        name = entry.get("name", "")
        listed.add(name)
        if name not in names:
            return _fail(
                checked, name, "清单中的文件缺失", "a file listed in the manifest is missing", key, meta
            )
        digest, size = hashlib.sha256(), 0
        try:
            with reader.open(name) as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            return _fail(checked, name, f"文件已损坏：{exc}", f"the file is damaged: {exc}", key, meta)
        if size != entry.get("size") or digest.hexdigest() != entry.get("sha256"):
            return _fail(
                checked,
                name,
                "文件内容与清单不符（被改动）",
                "the file does not match the manifest (altered)",
                key,
                meta,
            )
    extra = sorted(set(names) - listed - {MANIFEST, SIGNATURE})
    if extra:
        return _fail(
            len(entries),
            extra[0],
            "文件不在清单中（被加入）",
            "this file is not in the manifest (added)",
            key,
            meta,
        )
    return PackageCheck(True, len(entries), None, "", "", key, meta)
