"""Code sets are versioned data (Art. 8(2)): shipped standards, membership, new versions by the office."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from edudata.catalog import codesets
from edudata.catalog.bundled import bundled_code_set
from edudata.catalog.models import Code, CodeSetVersion
from edudata.catalog.seed import seed
from edudata.db import Database
from edudata.errors import Conflict, NotFound, ValidationFailed
from support import clock


def test_ethnic_groups_follow_gbt_3304_in_standard_order() -> None:
    codes = bundled_code_set("ethnic_group").codes
    assert [c.value for c in codes] == [f"{i:02d}" for i in range(1, 57)] + ["97", "98"]
    labels = {c.value: c.label for c in codes}
    assert (labels["01"], labels["02"], labels["05"], labels["10"], labels["56"]) == (
        "汉族",
        "蒙古族",
        "维吾尔族",
        "朝鲜族",
        "基诺族",
    )
    assert (labels["97"], labels["98"]) == ("其他", "外国血统中国籍人士")
    assert all(label.endswith("族") for value, label in labels.items() if value not in ("97", "98"))


def test_provinces_and_the_sixteen_tianjin_districts_are_shipped() -> None:
    codes = bundled_code_set("admin_division").codes
    provinces = [c for c in codes if c.attributes["level"] == "province"]
    assert len(provinces) == 34 and all(c.value.endswith("0000") for c in provinces)
    tianjin = {
        c.value: c.label for c in codes if c.value.startswith("12") and c.active and c.value != "120000"
    }
    assert len(tianjin) == 16
    assert (tianjin["120101"], tianjin["120116"], tianjin["120119"]) == ("和平区", "滨海新区", "蓟州区")
    assert not {"120107", "120225"} & set(tianjin)  # abolished: kept, but inactive


def test_gender_and_family_relation_codes() -> None:
    assert [c.value for c in bundled_code_set("gender").codes] == ["0", "1", "2", "9"]
    assert [c.value for c in bundled_code_set("family_relation").codes] == [
        "01",
        "10",
        "20",
        "30",
        "51",
        "52",
        "97",
        "99",
    ]


def test_membership_uses_the_current_version(db: Database) -> None:
    with db.session() as s:
        assert codesets.is_member(s, "ethnic_group", "98")
        assert not codesets.is_member(
            s, "ethnic_group", "58"
        )  # some online tables use 57/58 — not the standard
        assert not codesets.is_member(s, "admin_division", "120107")
        assert codesets.is_member(s, "admin_division", "120107", include_inactive=True)
        assert codesets.label_of(s, "gender", "2") == ("女", "Female")


def test_a_code_only_in_an_older_version_is_answered_by_naming_that_version(db: Database) -> None:
    with db.session() as s:
        old = codesets.get_version(s, "student_status")
        codes = [
            {"value": c.value, "label": c.label, "label_en": c.label_en} for c in old.codes if c.value != "08"
        ]
        codesets.publish_version(s, "student_status", version="2", effective_from=date(2025, 1, 1), codes=codes,
                                 note="取消开除学籍代码", created_by="office")  # fmt: skip
        s.commit()
    with db.session() as s:
        assert codesets.get_version(s, "student_status").version == "2"
        assert not codesets.is_member(s, "student_status", "08")
        assert codesets.is_member(s, "student_status", "08", version="1")
        assert [v.version for v in codesets.get_code_set(s, "student_status").versions] == ["1", "2"]


def test_a_version_not_yet_in_effect_is_not_current(db: Database) -> None:
    with db.session() as s:
        codesets.publish_version(s, "gender", version="next", effective_from=clock.today() + timedelta(days=30),
                                 codes=[{"value": "1", "label": "男"}])  # fmt: skip
        s.commit()
        assert codesets.get_version(s, "gender").version == "2003"
        assert codesets.is_member(s, "gender", "9")


def test_published_versions_are_never_changed_and_codes_are_checked(db: Database) -> None:
    with db.session() as s, pytest.raises(Conflict):
        codesets.publish_version(
            s, "gender", version="2003", effective_from=clock.today(), codes=[{"value": "1", "label": "男"}]
        )
    for codes in ([], [{"value": "1", "label": "男"}, {"value": "1", "label": "女"}], [{"value": "<x>", "label": "男"}],
                  [{"value": "1", "label": "<b>男</b>"}]):  # fmt: skip
        with db.session() as s, pytest.raises(ValidationFailed):
            codesets.publish_version(s, "gender", version="x", effective_from=clock.today(), codes=codes)
    with db.session() as s, pytest.raises(NotFound):
        codesets.get_version(s, "gender", "1999")


def test_seeding_again_changes_nothing_and_keeps_office_versions(db: Database) -> None:
    with db.session() as s:
        codesets.create_code_set(
            s, code="title", name="职称", codes=[{"value": "01", "label": "教授"}], created_by="office"
        )
        s.commit()
        counts = (
            s.scalar(select(func.count()).select_from(CodeSetVersion)),
            s.scalar(select(func.count()).select_from(Code)),
        )
        seed(s)
        s.commit()
        assert counts == (
            s.scalar(select(func.count()).select_from(CodeSetVersion)),
            s.scalar(select(func.count()).select_from(Code)),
        )
        assert codesets.is_member(s, "title", "01")
