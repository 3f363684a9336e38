"""The demo university's catalogue: the contract other domains rely on (element codes, grades, sources)."""

from __future__ import annotations

from edudata.catalog.demo import DEMO_CATALOGUE, load_demo_catalogue
from edudata.catalog.service import get_dataset
from edudata.catalog.views import dataset_view
from edudata.db import Database
from support.catalog import CatalogFactory

STUDENT_BASIC = [
    "XH",
    "XM",
    "XBM",
    "MZM",
    "SFZJH",
    "CSRQ",
    "YXDM",
    "ZYMC",
    "NJ",
    "SJHM",
    "YHKH",
    "DZYX",
    "JTDZ",
    "XJZT",
]
STAFF_BASIC = ["GH", "XM", "XBM", "MZM", "SFZJH", "CSRQ", "DWDM", "ZC", "RZRQ", "SJHM"]


def test_demo_catalogue_loads_through_the_service_once(db: Database, catalog: CatalogFactory) -> None:
    added = catalog.demo()
    assert added == [d["code"] for d in DEMO_CATALOGUE] and len(added) == 12
    with db.session() as s:
        assert load_demo_catalogue(s) == []


def test_student_and_staff_basic_have_the_agreed_elements(db: Database, catalog: CatalogFactory) -> None:
    catalog.demo()
    with db.session() as s:
        student = dataset_view(s, get_dataset(s, "student_basic"))
        staff = dataset_view(s, get_dataset(s, "staff_basic"))
    assert [e["code"] for e in student["elements"]] == STUDENT_BASIC
    assert [e["code"] for e in staff["elements"]] == STAFF_BASIC
    assert (student["unit_element"], student["subject_element"]) == ("YXDM", "SFZJH")
    by_code = {e["code"]: e for e in student["elements"]}
    assert by_code["MZM"]["sensitive_type"] == "ethnicity" and by_code["MZM"]["code_set"] == "ethnic_group"
    assert (
        by_code["YHKH"]["sensitive_type"] == "financial_account"
        and by_code["YHKH"]["share_category"] == "none"
    )
    assert by_code["SFZJH"]["grade"] == "important" and by_code["SFZJH"]["data_type"] == "id_number"
    assert {c for c, e in by_code.items() if e["grade"] == "important"} == {"SFZJH", "MZM", "YHKH"}
    assert by_code["XBM"]["code_set"] == "gender" and by_code["XJZT"]["code_set"] == "student_status"


def test_demo_sources_follow_one_data_one_source(db: Database, catalog: CatalogFactory) -> None:
    catalog.demo()
    with db.session() as s:
        views = {code: dataset_view(s, get_dataset(s, code)) for code in ("student_basic", "student_status", "student_aid",
                                                                           "staff_basic", "course_info")}  # fmt: skip
    source = {(d, e["code"]): e["source_unit"]["code"] for d, v in views.items() for e in v["elements"]}
    assert source["student_basic", "SFZJH"] == "0104" and source["student_aid", "XH"] == "0104"
    assert source["student_basic", "XJZT"] == source["student_status", "XJZT"] == "0103"
    assert source["staff_basic", "SFZJH"] == "0102" and source["course_info", "SKJSGH"] == "0102"
    assert views["student_aid"]["owner_unit"]["code"] == "0107"
