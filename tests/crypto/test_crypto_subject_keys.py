"""Per-person keys (Art. 34-36 数据销毁): destroying one key makes every copy of that person's data unreadable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from edudata import cache
from edudata.config import Settings
from edudata.crypto.errors import CiphertextInvalid, SubjectDataDestroyed
from edudata.crypto.models import SubjectKey
from edudata.crypto.service import (
    FieldCipher,
    destroy_subject_key,
    destroy_subject_keys,
    element_aad,
    is_destroyed,
    rotate_master_key,
)
from edudata.db import Database
from support.crypto import contains, key_settings, raw_cells

AAD = element_aad("student_basic", "XM")
ZHANG, LI = "110105194912310021", "120104200301156617"


@pytest.fixture
def settings_(db: Database, tmp_path: Path) -> Settings:
    return key_settings(db, tmp_path)


def _seal_two_people(
    db: Database, settings: Settings
) -> tuple[str, str, list[bytes | None], list[bytes | None]]:
    with db.session() as s:
        fc = FieldCipher(s, settings)
        zhang, li = fc.subject_ref(ZHANG), fc.subject_ref(LI)
        zhang_values = fc.encrypt_for_subject(zhang, ["张三", "13800000001"], AAD)
        li_values = fc.encrypt_for_subject(li, ["李四", "13800000002"], AAD)
        s.commit()
    return zhang, li, zhang_values, li_values


def test_a_destroyed_person_is_unreadable_and_another_person_still_readable(
    db: Database, settings_: Settings
) -> None:
    zhang, _, zhang_values, li_values = _seal_two_people(db, settings_)
    with db.session() as s:
        assert destroy_subject_key(s, zhang) is True
        s.commit()
    cache.clear_all()
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        with pytest.raises(SubjectDataDestroyed) as caught:
            fc.decrypt_values(zhang_values, AAD)
        assert caught.value.zh.startswith("该人员数据已按规定销毁")
        assert "destroyed" in caught.value.en and caught.value.status == 410
        assert fc.decrypt_values(li_values, AAD) == ["李四", "13800000002"]
        assert fc.decrypt_values(zhang_values + li_values, AAD, on_destroyed="none") == [
            None,
            None,
            "李四",
            "13800000002",
        ]


def test_a_copy_taken_before_destruction_is_unreadable_after_it(
    db: Database, settings_: Settings, tmp_path: Path
) -> None:
    """An export or backup holding the ciphertext is shredded too: the key it needs is gone (Art. 35 副本)."""
    zhang, _, zhang_values, _ = _seal_two_people(db, settings_)
    exported = tmp_path / "export.bin"
    exported.write_bytes(b"".join(len(v).to_bytes(2, "big") + v for v in zhang_values))
    with db.session() as s:
        assert FieldCipher(s, settings_).decrypt_values(zhang_values, AAD)[0] == "张三"
        destroy_subject_keys(s, [zhang])
        s.commit()
    data, copies = exported.read_bytes(), []
    while data:
        size = int.from_bytes(data[:2], "big")
        copies.append(data[2 : 2 + size])
        data = data[2 + size :]
    with db.session() as s, pytest.raises(SubjectDataDestroyed):
        FieldCipher(s, settings_).decrypt_values(copies, AAD)


def test_destruction_wipes_the_key_records_the_time_and_is_idempotent(
    db: Database, settings_: Settings
) -> None:
    zhang, li, _, _ = _seal_two_people(db, settings_)
    with db.session() as s:
        assert destroy_subject_keys(s, [zhang, zhang, "0" * 32]) == 1
        s.commit()
        assert destroy_subject_key(s, zhang) is False
        row = s.execute(select(SubjectKey).where(SubjectKey.subject_ref == zhang)).scalar_one()
        assert row.wrapped_key is None and row.destroyed_at is not None
        assert is_destroyed(s, zhang) and not is_destroyed(s, li)


def test_new_data_for_a_destroyed_person_is_refused(db: Database, settings_: Settings) -> None:
    zhang, _, _, _ = _seal_two_people(db, settings_)
    with db.session() as s:
        destroy_subject_key(s, zhang)
        s.commit()
        with pytest.raises(SubjectDataDestroyed):
            FieldCipher(s, settings_).encrypt_for_subject(zhang, ["张三"], AAD)


def test_decrypt_for_subject_refuses_another_persons_value(db: Database, settings_: Settings) -> None:
    zhang, li, zhang_values, li_values = _seal_two_people(db, settings_)
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        assert fc.decrypt_for_subject(li, li_values, AAD) == ["李四", "13800000002"]
        with pytest.raises(CiphertextInvalid):
            fc.decrypt_for_subject(li, zhang_values, AAD)


def test_a_batch_for_many_people_creates_their_keys_in_bulk(db: Database, settings_: Settings) -> None:
    people = [f"1101051990{i:08d}" for i in range(300)]
    rows = [(people[i % 300], f"value {i}") for i in range(1000)]
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        refs = fc.subject_refs([p for p, _ in rows])
        sealed = fc.encrypt_for_subjects(refs, [v for _, v in rows], AAD)
        s.commit()
        assert s.execute(select(func.count()).select_from(SubjectKey)).scalar_one() == 300
        again = fc.encrypt_for_subjects(refs[:10], ["x"] * 10, AAD)  # existing keys are reused
        assert [v[:5] for v in again] == [v[:5] for v in sealed[:10]]
        destroy_subject_key(s, refs[0])
        s.commit()
    cache.clear_all()
    with db.session() as s:
        readback = FieldCipher(s, settings_).decrypt_values(sealed, AAD, on_destroyed="none")
    assert readback == [None if i % 300 == 0 else f"value {i}" for i in range(1000)]


def test_the_key_table_holds_no_identifier_and_no_plaintext(db: Database, settings_: Settings) -> None:
    _seal_two_people(db, settings_)
    needles = [ZHANG.encode(), LI.encode(), "张三".encode(), "李四".encode(), b"13800000001"]
    assert [(t, c) for t, c, v in raw_cells(db) if contains(v, needles)] == []


def test_a_persons_values_survive_master_rotation(db: Database, settings_: Settings) -> None:
    zhang, _, zhang_values, _ = _seal_two_people(db, settings_)
    with db.session() as s:
        rotate_master_key(s, settings_)
        s.commit()
    cache.clear_all()
    with db.session() as s:
        assert FieldCipher(s, settings_).decrypt_for_subject(zhang, zhang_values, AAD) == [
            "张三",
            "13800000001",
        ]


def test_columns_sealed_per_person_read_back_and_shred_only_the_destroyed_person(
    db: Database, settings_: Settings
) -> None:
    """The bulk primitive: several columns of the same rows, each value under its row's person's key, the keys
    made once for all columns; destroying one person nulls exactly their values in every column."""
    import polars as pl

    from edudata.crypto.subject_keys import open_columns, open_series, seal_columns, seal_series

    ids = [f"1101051990010{i:04d}" for i in range(1200)]
    names = [f"学生{i}" for i in range(1200)]
    mobiles = [None if i % 7 == 0 else f"138{i:08d}" for i in range(1200)]
    aads = {"XM": element_aad("student_basic", "XM"), "SJHM": element_aad("student_basic", "SJHM")}
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        refs = fc.subject_refs(ids)
        sealed = seal_columns(fc.keys, refs, {"XM": names, "SJHM": mobiles}, aads)
        assert s.scalar(select(func.count()).select_from(SubjectKey)) == 1200
        # Each value's header names its person's key: two values of one row share it, two rows do not.
        assert sealed["XM"][5][:5] == sealed["SJHM"][5][:5] != sealed["XM"][6][:5]
        assert sealed["SJHM"][0] is None
        series = seal_series(fc.keys, pl.Series(refs), pl.Series("XM", names), aads["XM"])
        assert series.dtype == pl.Binary and series.name == "XM"
        s.commit()
    with db.session() as s:
        destroy_subject_keys(s, [refs[3]])
        s.commit()
    cache.clear_all()
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        opened = open_columns(fc.keys, sealed, aads)
        assert opened["XM"][3] is None and opened["SJHM"][3] is None
        assert opened["XM"][:3] + opened["XM"][4:] == names[:3] + names[4:]
        assert opened["SJHM"][:3] + opened["SJHM"][4:] == mobiles[:3] + mobiles[4:]
        back = open_series(fc.keys, series, aads["XM"])
        assert back.to_list() == [None if i == 3 else n for i, n in enumerate(names)]
        with pytest.raises(SubjectDataDestroyed):
            open_columns(fc.keys, {"XM": sealed["XM"][:5]}, aads, on_destroyed="raise")
        # A value moved into another column fails its tag check (the AAD binds it to XM).
        with pytest.raises(CiphertextInvalid):
            open_columns(fc.keys, {"SJHM": [sealed["XM"][1]]}, aads)
        with pytest.raises(ValueError):
            seal_columns(fc.keys, [None], {"XM": ["无主之值"]}, aads)


def test_keys_wrapped_in_bulk_and_keys_of_the_older_per_key_format_both_open(
    db: Database, settings_: Settings
) -> None:
    """New keys are wrapped by one AES-ECB call (32 bytes); a key stored before that (nonce · AES-GCM, 60 bytes)
    must still open, and a tampered bulk wrap must not decrypt a value (its tag fails)."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from sqlalchemy import update

    from edudata.crypto.keys import NONCE, SUBJECT_KEYS_PURPOSE
    from edudata.crypto.subject_keys import _wrap_aad

    zhang, li, zhang_values, li_values = _seal_two_people(db, settings_)
    with db.session() as s:
        wrapped = dict(s.execute(select(SubjectKey.subject_ref, SubjectKey.wrapped_key)).all())
        assert {len(bytes(w)) for w in wrapped.values()} == {32}
        fc = FieldCipher(s, settings_)
        # Re-wrap Zhang's key the way keys were wrapped before (per key, GCM, bound to the reference).
        from edudata.crypto.subject_keys import prepare_subjects

        raw = prepare_subjects(fc.keys, [zhang])[zhang][1]
        dek = fc.keys.active(SUBJECT_KEYS_PURPOSE)
        nonce = os.urandom(NONCE)
        legacy = nonce + AESGCM(dek.raw).encrypt(nonce, raw, _wrap_aad(zhang))
        s.execute(update(SubjectKey).where(SubjectKey.subject_ref == zhang).values(wrapped_key=legacy))
        tampered = bytearray(bytes(wrapped[li]))
        tampered[0] ^= 1
        s.execute(update(SubjectKey).where(SubjectKey.subject_ref == li).values(wrapped_key=bytes(tampered)))
        s.commit()
    cache.clear_all()
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        assert fc.decrypt_values(zhang_values, AAD) == ["张三", "13800000001"]
        with pytest.raises(CiphertextInvalid):
            fc.decrypt_values(li_values, AAD)
