"""The platform's Ed25519 signing key (Art. 25, 59): private file, stable identity, signatures that verify."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from edudata import cache
from edudata.config import Settings
from edudata.crypto import signing


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_key_is_created_on_first_use_with_mode_0600(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    path = tmp_path / "keys" / "signing.key"
    assert not path.exists()
    public = signing.public_key_bytes(settings)
    assert path.exists() and len(public) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_the_same_key_is_used_after_a_restart(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = signing.public_key_bytes(settings)
    cache.clear_all()  # as a new process would: nothing cached
    assert signing.public_key_bytes(settings) == first
    assert signing.key_id(first) == signing.key_id(signing.public_key_bytes(settings))
    assert len(signing.key_id(first)) == 16


def test_key_file_location_can_be_configured(tmp_path: Path) -> None:
    elsewhere = tmp_path / "hsm-mount" / "audit-signing.pem"
    settings = Settings(data_dir=tmp_path / "data", signing_key_file=elsewhere)
    signing.public_key_bytes(settings)
    assert elsewhere.exists() and not (tmp_path / "data" / "keys" / "signing.key").exists()


def test_processes_racing_to_create_the_key_agree_on_one(tmp_path: Path) -> None:
    settings, keys = _settings(tmp_path), []

    def create() -> None:
        cache.clear_all()
        keys.append(signing.public_key_bytes(settings))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["signing.key"]  # no temporary files left


def test_signature_verifies_and_any_change_breaks_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    public = signing.public_key_bytes(settings)
    signature = signing.sign(b"head 42 abcdef", settings)
    assert signing.verify(public, b"head 42 abcdef", signature)
    assert not signing.verify(public, b"head 43 abcdef", signature)
    assert not signing.verify(public, b"head 42 abcdef", bytes([signature[0] ^ 1]) + signature[1:])
    other = signing.public_key_bytes(_settings(tmp_path / "other"))
    assert not signing.verify(other, b"head 42 abcdef", signature)
    assert not signing.verify(b"short", b"x", b"y")  # malformed input is a plain False, never an exception
