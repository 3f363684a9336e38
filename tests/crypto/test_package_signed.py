"""Signed export packages (Art. 25–26): the receiver can check them, and learns which file was changed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from edudata.config import Settings
from edudata.crypto import signing
from edudata.crypto.package import verify_package, write_package
from edudata.errors import Conflict, ValidationFailed

FILES = {
    "students.csv": "学号,姓名\n2024001,张三\n2024002,李四\n".encode(),
    "elements/dictionary.json": b'{"xh": "student number"}',
}
META = {"application": "SQ-2025-0007", "dataset": "student.basic", "receiver": "0110"}


@pytest.fixture
def key_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "sender")


@pytest.mark.parametrize("name", ["pkg", "pkg.zip"])
def test_package_verifies_with_the_senders_key(tmp_path: Path, key_settings: Settings, name: str) -> None:
    path = write_package(tmp_path / name, FILES, META, key_settings)
    check = verify_package(path, signing.public_key_bytes(key_settings))
    assert check.ok and check.files_checked == 2
    assert check.meta == META and check.key_id == signing.key_id(signing.public_key_bytes(key_settings))


def test_manifest_lists_the_sha256_of_every_file(tmp_path: Path, key_settings: Settings) -> None:
    path = write_package(tmp_path / "pkg", FILES, META, key_settings)
    manifest = json.loads((path / "manifest.json").read_bytes())
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == {
        n: hashlib.sha256(d).hexdigest() for n, d in FILES.items()
    }
    assert manifest["signature"]["algorithm"] == "Ed25519" and (path / "manifest.sig").stat().st_size == 64


def test_one_changed_byte_fails_and_names_the_file(tmp_path: Path, key_settings: Settings) -> None:
    path = write_package(tmp_path / "pkg", FILES, META, key_settings)
    data = bytearray((path / "students.csv").read_bytes())
    data[10] ^= 0x01
    (path / "students.csv").write_bytes(bytes(data))
    check = verify_package(path)
    assert not check.ok and check.bad_file == "students.csv"


def test_changed_byte_in_a_zip_fails_and_names_the_file(tmp_path: Path, key_settings: Settings) -> None:
    path = write_package(
        tmp_path / "pkg.zip", {"big.csv": b"id,value\n" + b"1,abcdefgh\n" * 5000}, META, key_settings
    )
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("big.csv")
    raw[info.header_offset + 30 + len("big.csv") + 40] ^= 0x01  # a byte of its compressed data
    path.write_bytes(bytes(raw))
    check = verify_package(path)
    assert not check.ok and check.bad_file == "big.csv"


def test_edited_manifest_fails_on_its_signature(tmp_path: Path, key_settings: Settings) -> None:
    path = write_package(tmp_path / "pkg", FILES, META, key_settings)
    manifest = (path / "manifest.json").read_bytes().replace(b"SQ-2025-0007", b"SQ-2025-9999")
    (path / "manifest.json").write_bytes(manifest)
    check = verify_package(path)
    assert not check.ok and check.bad_file == "manifest.json"


def test_resigned_package_fails_against_the_trusted_key(tmp_path: Path, key_settings: Settings) -> None:
    """A forger can re-sign with their own key, but not with the sender's: the receiver pins the sender's key."""
    forger = Settings(data_dir=tmp_path / "forger")
    path = write_package(tmp_path / "pkg", FILES, META, forger)
    check = verify_package(path, signing.public_key_bytes(key_settings))
    assert not check.ok and check.bad_file == "manifest.sig"


def test_missing_and_added_files_are_named(tmp_path: Path, key_settings: Settings) -> None:
    path = write_package(tmp_path / "pkg", FILES, META, key_settings)
    (path / "smuggled.csv").write_bytes(b"x")
    assert verify_package(path).bad_file == "smuggled.csv"
    (path / "smuggled.csv").unlink()
    (path / "elements" / "dictionary.json").unlink()
    assert verify_package(path).bad_file == "elements/dictionary.json"


@pytest.mark.parametrize("bad", ["../escape.csv", "/etc/passwd", "a/../../b", "manifest.json", "", "a\\b"])
def test_unsafe_file_names_are_refused(tmp_path: Path, key_settings: Settings, bad: str) -> None:
    with pytest.raises(ValidationFailed):
        write_package(tmp_path / "pkg", {bad: b"x"}, META, key_settings)


def test_an_existing_target_is_never_overwritten(tmp_path: Path, key_settings: Settings) -> None:
    (tmp_path / "out.zip").write_bytes(b"keep me")
    with pytest.raises(Conflict):
        write_package(tmp_path / "out.zip", FILES, META, key_settings)
    assert (tmp_path / "out.zip").read_bytes() == b"keep me"


def _cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("edudata")
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_verify_reports_intact_and_names_a_changed_file(tmp_path: Path, key_settings: Settings) -> None:
    path = write_package(tmp_path / "pkg.zip", FILES, META, key_settings)
    key_file = tmp_path / "sender.hex"
    key_file.write_text(signing.public_key_bytes(key_settings).hex())
    ok = _cli("package", "verify", str(path), "--public-key", str(key_file))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout

    folder = write_package(tmp_path / "pkg-dir", FILES, META, key_settings)
    (folder / "students.csv").write_bytes(b"tampered")
    bad = _cli("package", "verify", str(folder))
    assert bad.returncode == 1 and "students.csv" in bad.stdout
