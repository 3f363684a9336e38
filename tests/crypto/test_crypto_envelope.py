"""Field encryption (Art. 27-28): round trip, AAD binding, tamper detection, no plaintext at rest, DEK rotation."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from edudata import cache
from edudata.config import Settings
from edudata.crypto.errors import CiphertextInvalid, KeyUnavailable
from edudata.crypto.models import DataKey
from edudata.crypto.service import FieldCipher, dataset_purpose, element_aad, rotate_data_key
from edudata.db import Database
from support.crypto import contains, key_settings, probe_table, raw_cells

PURPOSE = dataset_purpose("student_basic")
SFZJH = element_aad("student_basic", "SFZJH")
IDS = ["11010519491231002X", "120104200301156617", None, "张三丰", ""]


@pytest.fixture
def settings_(db: Database, tmp_path: Path) -> Settings:
    return key_settings(db, tmp_path)


def test_values_round_trip_including_none_empty_and_chinese(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        sealed = fc.encrypt_values(PURPOSE, IDS, SFZJH)
        s.commit()
    assert sealed[2] is None
    assert all(isinstance(v, bytes) for i, v in enumerate(sealed) if i != 2)
    cache.clear_all()  # a fresh process: keys come back from the database through the master key
    with db.session() as s:
        assert FieldCipher(s, settings_).decrypt_values(sealed, SFZJH) == IDS


def test_equal_values_give_different_ciphertexts(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        a, b = FieldCipher(s, settings_).encrypt_values(PURPOSE, ["110105194912310021"] * 2, SFZJH)
    assert a != b  # a fresh nonce per value: equal ID numbers are not visible as equal ciphertexts


def test_a_value_cannot_be_read_under_another_elements_aad(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        sealed = fc.encrypt_values(PURPOSE, ["110105194912310021"], SFZJH)
        with pytest.raises(CiphertextInvalid):
            fc.decrypt_values(sealed, element_aad("student_basic", "XM"))
        with pytest.raises(CiphertextInvalid):
            fc.decrypt_values(sealed, element_aad("staff_basic", "SFZJH"))


def test_row_bound_values_cannot_be_swapped_between_rows(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        aads = [element_aad("student_basic", "SFZJH", row) for row in (1, 2)]
        first, second = fc.encrypt_values(PURPOSE, ["A1", "B2"], aads)
        assert fc.decrypt_values([first, second], aads) == ["A1", "B2"]
        with pytest.raises(CiphertextInvalid):
            fc.decrypt_values([second, first], aads)


def test_every_flipped_byte_raises_a_typed_error_never_garbage(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        [sealed] = fc.encrypt_values(PURPOSE, ["110105194912310021"], SFZJH)
        for position in range(len(sealed)):
            damaged = bytearray(sealed)
            damaged[position] ^= 0x01
            expected = (CiphertextInvalid, KeyUnavailable) if 1 <= position < 5 else CiphertextInvalid
            with pytest.raises(expected) as caught:
                fc.decrypt_values([bytes(damaged)], SFZJH)
            assert caught.value.zh and caught.value.en


def test_truncated_and_foreign_bytes_are_refused(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        [sealed] = fc.encrypt_values(PURPOSE, ["110105194912310021"], SFZJH)
        for bad in (sealed[:-1], sealed[:20], b"", b"110105194912310021", b"\x07" + sealed[1:]):
            with pytest.raises(CiphertextInvalid):
                fc.decrypt_values([bad], SFZJH)


def test_the_integrity_error_is_a_bilingual_problem(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        [sealed] = fc.encrypt_values(PURPOSE, ["110105194912310021"], SFZJH)
        with pytest.raises(CiphertextInvalid) as caught:
            fc.decrypt_values([sealed[:5] + bytes(40)], SFZJH)
    problem = caught.value.to_problem()
    assert problem["code"] == "ciphertext-invalid"
    assert "完整性" in problem["title"] and "integrity" in problem["detail_en"]


def test_the_raw_database_holds_no_plaintext_of_encrypted_values(db: Database, settings_: Settings) -> None:
    table = probe_table(db)
    values = [f"1101051949123{i:04d}X" for i in range(50)]
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        sealed = fc.encrypt_values(PURPOSE, values, SFZJH)
        index = fc.blind_index_many("student_basic.SFZJH", values)
        s.execute(table.insert(), [{"sfzjh": c, "sfzjh__bi": b} for c, b in zip(sealed, index, strict=True)])
        s.commit()
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT sfzjh FROM crypto_probe ORDER BY id")).scalars().all()
    assert [bytes(v) for v in stored] == sealed
    needles = [v.encode() for v in values] + [v[:12].encode() for v in values]
    leaks = [(t, c) for t, c, v in raw_cells(db) if contains(v, needles)]
    assert leaks == []
    with db.session() as s:
        assert FieldCipher(s, settings_).decrypt_values(stored, SFZJH) == values


def test_a_rotated_data_key_takes_new_writes_and_old_values_still_decrypt(
    db: Database, settings_: Settings
) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        old = fc.encrypt_values(PURPOSE, ["old value"], SFZJH)
        s.commit()
        new_id = rotate_data_key(s, PURPOSE, settings_)
        s.commit()
        new = FieldCipher(s, settings_).encrypt_values(PURPOSE, ["new value"], SFZJH)
        s.commit()
        keys = s.execute(
            select(DataKey).where(DataKey.purpose == PURPOSE).order_by(DataKey.generation)
        ).scalars()
        keys = list(keys)
    assert [k.generation for k in keys] == [1, 2]
    assert keys[0].retired_at is not None and keys[1].retired_at is None
    assert int.from_bytes(new[0][1:5], "big") == new_id == keys[1].id
    assert int.from_bytes(old[0][1:5], "big") == keys[0].id
    cache.clear_all()
    with db.session() as s:
        assert FieldCipher(s, settings_).decrypt_values(old + new, SFZJH) == ["old value", "new value"]


def test_a_key_made_in_a_rolled_back_transaction_is_never_used(db: Database, settings_: Settings) -> None:
    """Otherwise values written later would name a key that does not exist: unreadable for ever."""
    with db.session() as s:
        FieldCipher(s, settings_).encrypt_values(PURPOSE, ["lost"], SFZJH)
        s.rollback()
    with db.session() as s:
        sealed = FieldCipher(s, settings_).encrypt_values(PURPOSE, ["kept"], SFZJH)
        s.commit()
    cache.clear_all()
    with db.session() as s:
        assert FieldCipher(s, settings_).decrypt_values(sealed, SFZJH) == ["kept"]
        assert s.execute(select(func.count()).select_from(DataKey)).scalar_one() == 1


def test_each_dataset_has_its_own_data_key(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        [a] = fc.encrypt_values(dataset_purpose("student_basic"), ["x"], b"")
        [b] = fc.encrypt_values(dataset_purpose("staff_basic"), ["x"], b"")
        assert a[1:5] != b[1:5]
        assert fc.decrypt_values([a, b]) == ["x", "x"]  # self-describing: no purpose needed to read


def test_two_servers_creating_the_same_data_key_at_once_agree_on_one(
    db: Database, settings_: Settings
) -> None:
    """The second creator waits on the first one's transaction, then uses its key instead of making a rival."""
    first = db.sessionmaker()
    mine = FieldCipher(first, settings_).encrypt_values(PURPOSE, ["first"], SFZJH)  # key made, not committed
    theirs: list[bytes | None] = []

    def other_server() -> None:
        with db.session() as s:
            fc = FieldCipher(s, settings_)
            theirs.extend(fc.encrypt_values(PURPOSE, ["second"], SFZJH))
            theirs.extend(fc.encrypt_values(PURPOSE, ["third"], SFZJH))
            s.commit()

    thread = threading.Thread(target=other_server)
    thread.start()
    time.sleep(0.3)  # let the other server reach its insert and wait on our transaction
    first.commit()
    first.close()
    thread.join(timeout=30)
    cache.clear_all()
    with db.session() as s:
        assert FieldCipher(s, settings_).decrypt_values(mine + theirs, SFZJH) == ["first", "second", "third"]
        assert s.execute(select(func.count()).select_from(DataKey)).scalar_one() == 1
