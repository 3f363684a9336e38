"""The master key ring (Art. 27-28): private file, never in the database, rotation without re-encrypting values."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from edudata import cache
from edudata.config import Settings
from edudata.crypto.errors import KeyUnavailable
from edudata.crypto.master import load_ring
from edudata.crypto.models import DataKey
from edudata.crypto.service import FieldCipher, element_aad, prune_master_keys, rotate_master_key
from edudata.db import Database
from edudata.errors import Conflict
from support.crypto import contains, key_settings, raw_cells

AAD = element_aad("student_basic", "SFZJH")
PURPOSES = [f"dataset:set_{i}" for i in range(6)]


@pytest.fixture
def settings_(db: Database, tmp_path: Path) -> Settings:
    return key_settings(db, tmp_path)


def _seal_everything(db: Database, settings: Settings) -> dict[str, list[bytes | None]]:
    """Values under several data keys, a blind index and a person's key, committed."""
    with db.session() as s:
        fc = FieldCipher(s, settings)
        sealed = {p: fc.encrypt_values(p, [f"{p} value {i}" for i in range(3)], AAD) for p in PURPOSES}
        ref = fc.subject_ref("110105194912310021")
        sealed["subject"] = fc.encrypt_for_subject(ref, ["张三", "13800000000"], AAD)
        s.commit()
    return sealed


def _read_everything(db: Database, settings: Settings, sealed: dict) -> dict[str, list[str | None]]:
    cache.clear_all()  # as a new process would: every data key unwrapped afresh through the ring
    with db.session() as s:
        fc = FieldCipher(s, settings)
        return {name: fc.decrypt_values(values, AAD) for name, values in sealed.items()}


def _wrapped(db: Database) -> dict[int, tuple[int, bytes]]:
    with db.session() as s:
        rows = s.execute(select(DataKey.id, DataKey.master_key_version, DataKey.wrapped_key)).all()
    return {r.id: (r.master_key_version, bytes(r.wrapped_key)) for r in rows}


def _drop_version(settings: Settings, version: int) -> None:
    """Lose a master-key version, as an operator deleting it from the ring file would."""
    path = settings.resolved_master_key_file()
    ring = json.loads(path.read_text())
    del ring["keys"][str(version)]
    path.write_text(json.dumps(ring))
    cache.clear_all()


def test_master_key_file_is_created_private_on_first_use(db: Database, settings_: Settings) -> None:
    path = settings_.resolved_master_key_file()
    assert not path.exists()
    _seal_everything(db, settings_)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    ring = json.loads(path.read_text())
    assert ring["active"] == 1 and len(base64.b64decode(ring["keys"]["1"])) == 32


def test_the_master_key_never_appears_in_the_database(db: Database, settings_: Settings) -> None:
    _seal_everything(db, settings_)
    with db.session() as s:
        rotate_master_key(s, settings_)
        s.commit()
    ring = load_ring(settings_, fresh=True)
    assert len(ring.keys) == 2
    needles = []
    for key in ring.keys.values():
        needles += [key, base64.b64encode(key), key.hex().encode(), key.hex().upper().encode()]
    cells = list(raw_cells(db))
    assert any(t == "crypto_data_key" for t, _, _ in cells)  # the scan did see the key tables
    assert [(t, c) for t, c, v in cells if contains(v, needles)] == []


def test_master_rotation_rewraps_every_data_key_and_leaves_ciphertexts_byte_identical(
    db: Database, settings_: Settings
) -> None:
    sealed = _seal_everything(db, settings_)
    before = _wrapped(db)
    assert {v for v, _ in before.values()} == {1}
    snapshot = {name: [bytes(v) for v in values] for name, values in sealed.items()}
    with db.session() as s:
        report = rotate_master_key(s, settings_)
        s.commit()
    after = _wrapped(db)
    assert report.new_version == 2 and report.previous_versions == (1,)
    assert report.rewrapped == len(before) == len(after) == len(PURPOSES) + 2  # + blind index, subject keys
    assert {v for v, _ in after.values()} == {2}
    assert all(after[k][1] != before[k][1] for k in before)
    assert {name: [bytes(v) for v in values] for name, values in sealed.items()} == snapshot
    readback = _read_everything(db, settings_, sealed)
    assert readback["subject"] == ["张三", "13800000000"]
    assert readback[PURPOSES[0]] == [f"{PURPOSES[0]} value {i}" for i in range(3)]


def test_after_rotation_the_old_master_version_is_no_longer_needed(db: Database, settings_: Settings) -> None:
    sealed = _seal_everything(db, settings_)
    expected = _read_everything(db, settings_, sealed)
    with db.session() as s:
        rotate_master_key(s, settings_)
        s.commit()
        assert prune_master_keys(s, settings_) == [1]
    assert set(json.loads(settings_.resolved_master_key_file().read_text())["keys"]) == {"2"}
    assert _read_everything(db, settings_, sealed) == expected


def test_before_rotation_losing_the_master_version_loses_the_data(db: Database, settings_: Settings) -> None:
    sealed = _seal_everything(db, settings_)
    path = settings_.resolved_master_key_file()
    ring = json.loads(path.read_text())
    ring["keys"]["2"] = base64.b64encode(b"k" * 32).decode()
    ring["active"] = 2
    path.write_text(json.dumps(ring))
    _drop_version(settings_, 1)
    with pytest.raises(KeyUnavailable):
        _read_everything(db, settings_, sealed)


def test_pruning_before_the_rotation_commits_keeps_the_old_version(db: Database, settings_: Settings) -> None:
    sealed = _seal_everything(db, settings_)
    with db.session() as s:
        rotate_master_key(s, settings_)
        assert prune_master_keys(s, settings_) == []  # the re-wraps are not committed yet
        s.rollback()
    assert _read_everything(db, settings_, sealed)[PURPOSES[1]][0] == f"{PURPOSES[1]} value 0"


def test_a_master_key_from_the_environment_is_used_and_not_rotated_here(db: Database, tmp_path: Path) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    settings = Settings(database_url=db.url, data_dir=tmp_path, master_key=key)
    sealed = _seal_everything(db, settings)
    assert not (tmp_path / "keys").exists()
    assert _read_everything(db, settings, sealed)[PURPOSES[0]][1] == f"{PURPOSES[0]} value 1"
    with db.session() as s, pytest.raises(Conflict) as caught:
        rotate_master_key(s, settings)
    assert "EDUDATA_MASTER_KEY" in caught.value.en


def test_a_wrong_master_key_cannot_unwrap_the_data_keys(db: Database, tmp_path: Path) -> None:
    good = Settings(database_url=db.url, data_dir=tmp_path, master_key=base64.b64encode(b"a" * 32).decode())
    wrong = Settings(database_url=db.url, data_dir=tmp_path, master_key=base64.b64encode(b"b" * 32).decode())
    sealed = _seal_everything(db, good)
    with pytest.raises(KeyUnavailable) as caught:
        _read_everything(db, wrong, sealed)
    assert caught.value.zh and caught.value.en


def test_a_malformed_master_key_is_a_clear_error(db: Database, tmp_path: Path) -> None:
    settings = Settings(database_url=db.url, data_dir=tmp_path, master_key="not-a-key")
    with db.session() as s, pytest.raises(KeyUnavailable, match="32 bytes"):
        FieldCipher(s, settings).encrypt_values("dataset:x", ["v"])
