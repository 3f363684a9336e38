"""The catalogue service (C1): datasets, elements, grades and categories, 一数一源 (Art. 8(4), 39, 51, 52, 56)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from edudata.catalog import service, sources
from edudata.catalog.models import AuthoritativeSource, DataElement
from edudata.catalog.search import search_datasets
from edudata.db import Database
from edudata.errors import Conflict, NotFound, ValidationFailed
from support.catalog import CatalogFactory, ensure_units


def test_second_source_for_an_element_is_refused_naming_element_and_registered_unit(
    db: Database, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="student_basic", owner_unit_code="0104")
    ensure_units(db, ["0103"])
    before = catalog.fingerprint()
    with db.session() as s, pytest.raises(Conflict) as refused:
        service.create_dataset(
            s, code="student_status", name="学生学籍信息", owner_unit_code="0103", subject_area="students",
            nature="students", elements=[{"code": "XH", "name": "学号", "source_unit_code": "0103"}],
        )  # fmt: skip
    err = refused.value
    assert err.status == 409
    assert "学号" in err.zh and "学生工作部" in err.zh and "第八条" in err.zh
    assert "student.XH" in err.en and "0104" in err.en and "Art. 8(4)" in err.en
    assert catalog.fingerprint() == before


def test_another_unit_may_carry_the_element_naming_the_registered_source(
    db: Database, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="student_basic", owner_unit_code="0104")
    view = catalog.dataset(
        code="student_status", owner_unit_code="0103", elements=[{"code": "XH", "name": "学号"}]
    )
    assert view["elements"][0]["source_unit"]["code"] == "0104"
    assert view["owner_unit"]["code"] == "0103"


def test_the_register_refuses_a_second_source_in_the_database_itself(
    db: Database, catalog: CatalogFactory
) -> None:
    """Even a writer bypassing the service cannot give one standard element two sources."""
    catalog.dataset(code="student_basic", owner_unit_code="0104")
    ensure_units(db, ["0103"])
    with db.session() as s:
        other = s.scalar(text("SELECT id FROM org_unit WHERE code = '0103'"))
        with pytest.raises(Exception, match="(?i)unique|duplicate|constraint"):
            s.execute(
                text("INSERT INTO catalog_source (standard_code, source_unit_id, assigned_at, note) "
                     "VALUES ('student.XH', :u, CURRENT_TIMESTAMP, '')"),
                {"u": other},
            )  # fmt: skip
            s.flush()
    with db.session() as s:
        ds = s.scalar(text("SELECT id FROM catalog_dataset WHERE code = 'student_basic'"))
        with pytest.raises(Exception, match="(?i)foreign key|constraint"):
            s.execute(
                text(
                    "UPDATE catalog_data_element SET source_unit_id = :u WHERE dataset_id = :d AND code = 'XH'"
                ),
                {"u": other, "d": ds},
            )
            s.flush()


def test_office_reassignment_moves_every_element_and_is_recorded(
    db: Database, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="student_basic", owner_unit_code="0104")
    catalog.dataset(code="student_status", owner_unit_code="0103", elements=[{"code": "XH", "name": "学号"}])
    with db.session() as s:
        sources.assign_source(
            s, "student.XH", source_unit_code="0103", reason="学号由教务处编制", assigned_by="office"
        )
        s.commit()
    with db.session() as s:
        units = {
            e.dataset.code: e.source_unit_id
            for e in s.scalars(select(DataElement).where(DataElement.code == "XH"))
        }
        registered = s.get(AuthoritativeSource, "student.XH")
        assert set(units.values()) == {registered.source_unit_id}
        history = sources.source_history(s, "student.XH")
        assert [h.reason for h in history][-1] == "学号由教务处编制"
        assert history[-1].previous_unit_id is not None and history[-1].assigned_by == "office"
    view = catalog.dataset(
        code="student_aid", owner_unit_code="0104", elements=[{"code": "XH", "name": "学号"}]
    )
    assert view["elements"][0]["source_unit"]["code"] == "0103"


def test_grade_defaults_follow_art_52_and_map_to_gbt_43697(catalog: CatalogFactory) -> None:
    students = catalog.dataset(code="student_x", nature="students")
    assets = catalog.dataset(code="asset_x", owner_unit_code="0108", nature="assets", subject_area="assets",
                             elements=[{"code": "ZCBH", "name": "资产编号"}])  # fmt: skip
    assert (students["grade"], students["gbt43697_level"]) == ("important", "important")
    assert (assets["grade"], assets["gbt43697_level"]) == ("general", "general")
    assert students["elements"][0]["grade"] == "important"  # elements default to the dataset's grade


def test_sensitive_element_is_important_and_needs_its_type(db: Database, catalog: CatalogFactory) -> None:
    view = catalog.dataset(
        code="campus", nature="routine", subject_area="routine",
        elements=[{"code": "ZDWZ", "name": "消费地点", "sensitive": True, "sensitive_type": "whereabouts"}],
    )  # fmt: skip
    assert view["grade"] == "general" and view["elements"][0]["grade"] == "important" and view["sensitive"]
    with db.session() as s, pytest.raises(ValidationFailed) as err:
        service.add_element(s, "campus", {"code": "MZ", "name": "民族", "sensitive": True})
    assert err.value.field == "sensitive_type"


def test_important_or_sensitive_data_can_never_be_open_unconditionally(
    db: Database, catalog: CatalogFactory
) -> None:
    ensure_units(db, ["0106"])
    with db.session() as s, pytest.raises(ValidationFailed) as err:
        service.create_dataset(
            s, code="x", name="学生名单", owner_unit_code="0106", subject_area="students", nature="students",
            open_category="unconditional",
        )  # fmt: skip
    assert "第五十六条" in err.value.zh and "Art. 56" in err.value.en
    catalog.dataset(code="papers", owner_unit_code="0106", nature="research", subject_area="research", grade="public",
                    share_category="unconditional", open_category="unconditional", elements=[{"code": "LWTM", "name": "论文题目"}])  # fmt: skip
    with db.session() as s, pytest.raises(ValidationFailed):
        service.add_element(s, "papers", {"code": "MZM", "name": "作者民族", "data_type": "code", "code_set": "ethnic_group",
                                          "sensitive_type": "ethnicity"})  # fmt: skip


def test_element_cannot_be_more_open_than_its_dataset_but_may_be_closed(
    db: Database, catalog: CatalogFactory
) -> None:
    view = catalog.dataset(code="s", elements=[{"code": "YHKH", "name": "银行卡号", "data_type": "bank_card",
                                                "share_category": "none", "sensitive_type": "financial_account"}])  # fmt: skip
    assert view["share_category"] == "conditional" and view["elements"][0]["share_category"] == "none"
    with db.session() as s, pytest.raises(ValidationFailed):
        service.add_element(s, "s", {"code": "XM", "name": "姓名", "share_category": "unconditional"})


def test_unknown_owner_unit_is_a_validation_error(db: Database) -> None:
    with db.session() as s, pytest.raises(ValidationFailed) as err:
        service.create_dataset(
            s, code="x", name="某数据", owner_unit_code="9999", subject_area="staff", nature="staff"
        )
    assert err.value.status == 422 and err.value.field == "owner_unit_code"


def test_duplicate_dataset_and_element_codes_are_conflicts(db: Database, catalog: CatalogFactory) -> None:
    catalog.dataset(code="dup")
    with db.session() as s, pytest.raises(Conflict):
        service.create_dataset(
            s, code="dup", name="再来", owner_unit_code="0104", subject_area="students", nature="students"
        )
    with db.session() as s, pytest.raises(Conflict):
        service.add_element(s, "dup", {"code": "XH", "name": "学号"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "<script>alert(1)</script>"),
        ("name", "x'; DROP TABLE catalog_dataset;--"),
        ("code", "Bad-Code"),
        ("subject_area", "weather"),
        ("grade", "secret"),
        ("update_frequency", "P1Y"),
        ("description", "<b>hi</b>"),
    ],
)
def test_bad_dataset_attributes_are_refused_naming_the_field(db: Database, field: str, value: str) -> None:
    ensure_units(db, ["0104"])
    fields = {
        "code": "ok_code",
        "name": "正常名称",
        "owner_unit_code": "0104",
        "subject_area": "students",
        "nature": "students",
    }
    with db.session() as s, pytest.raises(ValidationFailed) as err:
        service.create_dataset(s, **{**fields, field: value})
    assert err.value.field == field


def test_code_elements_need_an_existing_code_set(db: Database, catalog: CatalogFactory) -> None:
    catalog.dataset(code="d")
    for spec, field in [({"data_type": "code"}, "code_set"), ({"data_type": "code", "code_set": "nope"}, "code_set"),
                        ({"data_type": "date", "code_set": "gender"}, "code_set"), ({"data_type": "date", "max_length": 5}, "max_length")]:  # fmt: skip
        with db.session() as s, pytest.raises(ValidationFailed) as err:
            service.add_element(s, "d", {"code": "XBM", "name": "性别码", **spec})
        assert err.value.field == field


def test_update_frequency_takes_a_name_or_an_iso_8601_duration(catalog: CatalogFactory) -> None:
    assert catalog.dataset(code="a", update_frequency="termly")["sync_interval_seconds"] == 183 * 86400
    view = catalog.dataset(code="b", update_frequency="PT15M")
    assert (view["update_frequency"], view["sync_interval_seconds"], view["sync_interval"]) == (
        "PT15M",
        900,
        "PT15M",
    )


def test_making_a_dataset_stricter_tightens_its_open_elements(db: Database, catalog: CatalogFactory) -> None:
    catalog.dataset(
        code="c", share_category="unconditional", grade="general", nature="teaching", subject_area="teaching"
    )
    with db.session() as s:
        service.update_dataset(s, "c", {"share_category": "none"}, updated_by="office")
        s.commit()
        assert {e.share_category for e in service.get_dataset(s, "c").elements} == {"none"}
    with db.session() as s, pytest.raises(NotFound):
        service.update_dataset(s, "missing", {"name": "x"})


def test_search_finds_a_dataset_by_chinese_keyword_in_name_or_element(
    catalog: CatalogFactory, db: Database
) -> None:
    catalog.demo()
    with db.session() as s:
        assert [d.code for d in search_datasets(s, q="学生基本信息").items] == ["student_basic"]
        by_element = {d.code for d in search_datasets(s, q="卡号").items}
        assert by_element == {"student_basic", "staff_work", "student_aid", "campus_card"}
        assert search_datasets(s, q="%").total == 0  # wildcards are literal
        assert {d.code for d in search_datasets(s, unit_code="0102").items} == {"staff_basic", "staff_work"}
        assert search_datasets(s, grade="public", open_category="unconditional").total == 2
        paged = search_datasets(s, page=2, page_size=5)
        assert paged.total == 12 and len(paged.items) == 5
