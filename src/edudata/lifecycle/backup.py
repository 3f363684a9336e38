"""Backups (备份, Art. 28, 55, 60): consistent, encrypted, signed; a local and an off-site copy; verify; restore.

A backup set is two files in each target folder: ``<name>.edbk`` (the encrypted dump, see :mod:`archive`) and
``<name>.manifest.json`` — backend, time, the archive's SHA-256 and size, every table's row count and content hash,
signed with the platform's Ed25519 key. :func:`restore` refuses a database that is not empty, checks the manifest
and every chunk first, then re-applies the destruction ledger (so nothing destroyed comes back) and compares what
it restored with the manifest.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from edudata.config import Settings
from edudata.crypto import signing
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.lifecycle import archive, snapshot
from edudata.lifecycle.archive import BackupInvalid
from edudata.lifecycle.ledger import canonical
from edudata.safe_text import check_name

SUFFIX_ARCHIVE, SUFFIX_MANIFEST = ".edbk", ".manifest.json"


@dataclass
class BackupSet:
    name: str
    manifest: dict[str, Any]
    local: Path
    offsite: Path | None


@dataclass
class VerifyResult:
    ok: bool
    name: str
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.ok:
            return f"备份 {self.name} 完好 / backup {self.name} is intact ({', '.join(self.checked)})"
        return f"备份 {self.name} 有问题 / backup {self.name} has problems: " + "; ".join(self.problems)


def _sign(manifest: dict[str, Any], settings: Settings) -> dict[str, Any]:
    body = {k: v for k, v in manifest.items() if k not in {"signature", "key_id", "public_key"}}
    public = signing.public_key_bytes(settings)
    return {
        **body,
        "key_id": signing.key_id(public),
        "public_key": public.hex(),
        "signature": base64.b64encode(signing.sign(canonical(body), settings)).decode(),
    }


def manifest_signed(manifest: dict[str, Any], trusted: bytes | None) -> bool:
    body = {k: v for k, v in manifest.items() if k not in {"signature", "key_id", "public_key"}}
    try:
        public = bytes.fromhex(manifest["public_key"])
        signature = base64.b64decode(manifest["signature"])
    except (KeyError, ValueError, TypeError):
        return False
    if trusted is not None and public != trusted:
        return False
    return signing.verify(public, canonical(body), signature)


def target_dir(settings: Settings, raw: str | Path, *, offsite: bool = False) -> Path:
    """The folder ``raw`` names under the configured backup root (relative to it, or absolute inside it).

    Refused (422, both languages): ``..``, control characters, or anything that resolves outside the root —
    a backup holds the whole database, and the office must not be able to write it anywhere the server can."""
    root = settings.resolved_backup_offsite_root() if offsite else settings.resolved_backup_root()
    text = str(raw)
    path = Path(text)
    field = "offsite_dir" if offsite else "local_dir"
    check_name(text, field, "备份目录", "a backup folder")
    if not text or ".." in path.parts:
        raise ValidationFailed("备份目录不能含“..”", "a backup folder may not contain '..'", field=field)
    full = (path if path.is_absolute() else root / path).resolve()
    if full != root and root not in full.parents:
        raise ValidationFailed(
            f"备份目录须位于备份根目录 {root} 之内",
            f"a backup folder must lie inside the backup root {root}",
            field=field,
        )
    return full


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders; an existing one is tightened to 0700."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for p in [*missing, path]:
        os.chmod(p, 0o700)
    return path


def create(
    settings: Settings,
    url: str,
    local_dir: Path,
    offsite_dir: Path | None = None,
    *,
    created_by: str,
    content_hashes: bool = True,
) -> BackupSet:
    """Take a consistent copy of the database at ``url``, encrypt, sign and write it to both targets.

    ``content_hashes=False`` records row counts only (much faster on millions of rows; a restore then compares
    counts, while the archive's digest and every chunk's tag still prove the payload unchanged)."""
    backend = snapshot.backend_of(url)
    now = utcnow()
    name = f"edudata-{backend}-{now.strftime('%Y%m%dT%H%M%S%fZ')}"
    local_dir = private_dir(target_dir(settings, local_dir))
    offsite_dir = (
        private_dir(target_dir(settings, offsite_dir, offsite=True)) if offsite_dir is not None else None
    )
    with tempfile.TemporaryDirectory(dir=local_dir, prefix=".tmp-") as tmp:
        plain = Path(tmp) / "payload"
        if backend == "sqlite":
            snapshot.sqlite_copy(url, plain)
            stats = snapshot.sqlite_stats(plain, content_hashes)
        else:
            stats = snapshot.pg_dump(url, plain, content_hashes)
        target = local_dir / f"{name}{SUFFIX_ARCHIVE}"
        meta = {"name": name, "backend": backend, "created_at": now.isoformat()}
        digest = archive.encrypt_file(settings, plain, target, meta)
        os.chmod(target, 0o600)
        payload_size = plain.stat().st_size
    manifest = _sign(
        {
            "format": "edudata-backup-manifest/1",
            **meta,
            "created_by": created_by,
            "archive": target.name,
            "size": target.stat().st_size,
            "payload_size": payload_size,
            "sha256": digest,
            "tables": stats,
        },
        settings,
    )
    _write_private(local_dir / f"{name}{SUFFIX_MANIFEST}", json.dumps(manifest, indent=1, sort_keys=True))
    offsite = None
    if offsite_dir is not None:
        offsite = copy_set(local_dir / f"{name}{SUFFIX_MANIFEST}", offsite_dir)
    return BackupSet(name, manifest, local_dir / f"{name}{SUFFIX_MANIFEST}", offsite)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)


def _copy_private(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, 1024 * 1024)
    os.chmod(target, 0o600)


def copy_set(manifest_path: Path, target_dir: Path) -> Path:
    """Copy a backup set to another folder (the off-site target, Art. 60) and check the copy's digest."""
    manifest = load_manifest(manifest_path)
    private_dir(target_dir)
    source = manifest_path.parent / manifest["archive"]
    partial = target_dir / f".{manifest['archive']}.partial"
    _copy_private(source, partial)
    if archive.sha256_file(partial) != manifest["sha256"]:
        partial.unlink()
        raise BackupInvalid("异地副本校验不符", "the off-site copy does not match its digest")
    partial.rename(target_dir / manifest["archive"])
    _copy_private(manifest_path, target_dir / manifest_path.name)
    return target_dir / manifest_path.name


def load_manifest(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise NotFound(f"找不到备份清单 {path.name}", f"no backup manifest {path.name}")
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise BackupInvalid("备份清单无法读取", "the backup manifest is unreadable") from None


def verify(settings: Settings, manifest_path: Path, trusted: bytes | None = None) -> VerifyResult:
    """Signature of the manifest, digest and size of the archive, and every chunk's tag (full decryption)."""
    manifest = load_manifest(manifest_path)
    result = VerifyResult(ok=True, name=str(manifest.get("name", manifest_path.name)))
    trusted = trusted if trusted is not None else signing.public_key_bytes(settings)
    if not manifest_signed(manifest, trusted):
        result.problems.append("清单签名无效 / manifest signature invalid")
    else:
        result.checked.append("signature")
    path = manifest_path.parent / str(manifest.get("archive", ""))
    if not path.is_file():
        result.problems.append("备份文件缺失 / archive missing")
    elif archive.sha256_file(path) != manifest.get("sha256"):
        result.problems.append("备份文件摘要不符 / archive digest mismatch")
    else:
        result.checked.append("sha256")
        try:
            size = archive.decrypt_file(settings, path, None)
            if size != manifest.get("payload_size"):
                result.problems.append("解密后大小不符 / payload size mismatch")
            else:
                result.checked.append("decryption")
        except BackupInvalid as err:
            result.problems.append(f"{err.zh} / {err.en}")
    result.ok = not result.problems
    return result


def is_empty(url: str) -> bool:
    if snapshot.backend_of(url) == "sqlite":
        path = snapshot.sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
        import sqlite3

        conn = sqlite3.connect(str(path))
        try:
            return not conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        finally:
            conn.close()
    return snapshot.pg_is_empty(url)


def restore_payload(settings: Settings, manifest_path: Path, url: str) -> dict[str, Any]:
    """Verify the set, then write it into the empty database at ``url``; returns the manifest."""
    manifest = load_manifest(manifest_path)
    backend = snapshot.backend_of(url)
    if manifest.get("backend") != backend:
        raise Conflict(
            f"备份来自 {manifest.get('backend')}，不能恢复到 {backend}",
            f"a {manifest.get('backend')} backup cannot be restored into {backend}",
        )
    if not is_empty(url):
        raise Conflict(
            "恢复目标数据库不是空库；请恢复到新建的空数据库",
            "the target database is not empty; restore into an empty one",
        )
    checked = verify(settings, manifest_path)
    if not checked.ok:
        raise BackupInvalid("备份校验未通过：" + "；".join(checked.problems), checked.summary())
    source = manifest_path.parent / manifest["archive"]
    if backend == "sqlite":
        target = snapshot.sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):  # leftovers of a wiped database must not be replayed over the restore
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        archive.decrypt_file(settings, source, partial)
        partial.rename(target)
    else:
        with tempfile.TemporaryDirectory(prefix="edudata-restore-") as tmp:
            dump = Path(tmp) / "payload.dump"
            archive.decrypt_file(settings, source, dump)
            snapshot.pg_restore(url, dump)
    return manifest


def has_hashes(manifest: dict[str, Any]) -> bool:
    return all("sha256" in t for t in manifest["tables"].values())


def compare(manifest: dict[str, Any], now: dict[str, Any], changed: set[str]) -> list[str]:
    """Tables whose rows or content differ from the manifest (ignoring ``changed``: re-applied destructions)."""
    expected = manifest["tables"]
    differ = []
    for name in sorted(set(expected) | set(now)):
        if name in changed:
            continue
        if expected.get(name) != now.get(name):
            differ.append(name)
    return differ


def sets_in(folder: Path) -> list[tuple[datetime, Path]]:
    """Backup sets (manifests) in a folder, newest first."""
    found = []
    for path in folder.glob(f"*{SUFFIX_MANIFEST}"):
        try:
            created = datetime.fromisoformat(load_manifest(path)["created_at"])
        except (BackupInvalid, KeyError, ValueError):
            continue
        found.append((created, path))
    return sorted(found, reverse=True)


def remove_set(manifest_path: Path) -> None:
    manifest = load_manifest(manifest_path)
    (manifest_path.parent / manifest["archive"]).unlink(missing_ok=True)
    manifest_path.unlink(missing_ok=True)
