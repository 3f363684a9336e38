"""Blind indexes: equality lookup on encrypted elements, whatever way the user typed the value (Art. 27-28)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from edudata import cache
from edudata.config import Settings
from edudata.crypto.blind_index import normalise
from edudata.crypto.service import (
    FieldCipher,
    dataset_purpose,
    element_aad,
    rotate_data_key,
    rotate_master_key,
)
from edudata.db import Database
from edudata.errors import Conflict
from support.crypto import key_settings, probe_table

PURPOSE = "student_basic.SFZJH"
AAD = element_aad("student_basic", "SFZJH")


@pytest.fixture
def settings_(db: Database, tmp_path: Path) -> Settings:
    return key_settings(db, tmp_path)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002X ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("110105\u300019491231002X", "11010519491231002X"),
        ("张\u3000三", "张三"),
    ],
)
def test_normalisation_makes_equal_what_a_person_would_call_equal(typed: str, stored: str) -> None:
    assert normalise(typed) == normalise(stored)


def test_a_lookup_typed_differently_finds_the_stored_row(db: Database, settings_: Settings) -> None:
    table = probe_table(db)
    ids = ["11010519491231002X", "120104200301156617", "310101199001011234"]
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        sealed = fc.encrypt_values(dataset_purpose("student_basic"), ids, AAD)
        index = fc.blind_index_many(PURPOSE, ids)
        s.execute(table.insert(), [{"sfzjh": c, "sfzjh__bi": i} for c, i in zip(sealed, index, strict=True)])
        s.commit()
    cache.clear_all()
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        wanted = fc.blind_index(PURPOSE, "１１０１０５ １９４９１２３１ ００２x")
        found = s.execute(select(table.c.sfzjh).where(table.c.sfzjh__bi == wanted)).scalars().all()
        assert fc.decrypt_values(found, AAD) == ["11010519491231002X"]
        missing = fc.blind_index(PURPOSE, "11010519491231002Y")
        assert s.execute(select(table.c.id).where(table.c.sfzjh__bi == missing)).first() is None


def test_an_index_is_32_hex_characters_and_blank_values_have_none(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        index = FieldCipher(s, settings_).blind_index_many(PURPOSE, ["110105194912310021", None, "  ", ""])
    assert len(index[0]) == 32 and int(index[0], 16) >= 0
    assert index[1:] == [None, None, None]


def test_each_purpose_has_its_own_index_key(db: Database, settings_: Settings) -> None:
    with db.session() as s:
        fc = FieldCipher(s, settings_)
        student = fc.blind_index("student_basic.SFZJH", "110105194912310021")
        staff = fc.blind_index("staff_basic.SFZJH", "110105194912310021")
    assert student != staff  # the same person is not linkable across datasets by their indexes


def test_the_index_key_survives_master_rotation_and_is_never_rotated(
    db: Database, settings_: Settings
) -> None:
    with db.session() as s:
        before = FieldCipher(s, settings_).blind_index(PURPOSE, "110105194912310021")
        s.commit()
        rotate_master_key(s, settings_)
        s.commit()
    cache.clear_all()
    with db.session() as s:
        assert FieldCipher(s, settings_).blind_index(PURPOSE, "110105194912310021") == before
        with pytest.raises(Conflict) as caught:
            rotate_data_key(s, "blind-index", settings_)
    assert "blind-index" in caught.value.en and "盲索引" in caught.value.zh


@pytest.mark.parametrize(
    "value",
    ["120103200308266963", "11010519491231002x", "a@b.cn", " 1 2 ", "１２３", "张三", "ǆ", "ß"],
)
def test_the_split_hmac_gives_the_standard_hmac_sha256_of_the_normalised_value(
    db: Database, settings_: Settings, value: str
) -> None:
    import hashlib
    import hmac

    from edudata.crypto.blind_index import INDEX_HEX, _key, blind_index_many
    from edudata.crypto.keys import KeyManager

    with db.session() as s:
        keys = KeyManager(s, settings_)
        expected = hmac.new(_key(keys, PURPOSE), normalise(value).encode(), hashlib.sha256).hexdigest()
        assert blind_index_many(keys, PURPOSE, [value]) == [expected[:INDEX_HEX]]


def test_the_split_hmac_agrees_with_hmac_for_keys_longer_than_a_block() -> None:
    import hashlib
    import hmac

    from edudata.crypto.blind_index import _pads

    key = bytes(range(100))
    inner, outer = _pads(key)
    inner.update(b"120103200308266963")
    outer.update(inner.digest())
    assert outer.hexdigest() == hmac.new(key, b"120103200308266963", hashlib.sha256).hexdigest()
