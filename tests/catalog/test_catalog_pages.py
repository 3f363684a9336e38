"""Catalogue web pages (Chinese first): browse and search, and the office's forms with field-level errors."""

from __future__ import annotations

import re

import httpx
import pytest

from support.catalog import CatalogFactory, ensure_units

HTML = {"accept": "text/html"}


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def office(accounts, db, http: httpx.Client) -> dict[str, str]:  # noqa: ANN001
    """An office admin logged in through the login page: ``http`` now carries the session cookie."""
    ensure_units(db, ["0002"])
    accounts.create(username="office1", roles=("office_admin",), unit_code="0002", password="Passw0rd!edu")
    login = http.get("/login", headers=HTML)
    r = http.post("/login", headers=HTML, data={
        "csrf_token": _csrf(login.text), "username": "office1", "password": "Passw0rd!edu", "next": "/catalog",
    })  # fmt: skip
    assert r.status_code == 303, r.text
    return HTML


@pytest.fixture
def csrf(http: httpx.Client, office: dict) -> str:
    """The office session's CSRF token, as every form of its pages carries it."""
    return _csrf(http.get("/catalog/new", headers=office).text)


@pytest.fixture
def reader(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="reader1", roles=("applicant",), unit_code="0110")
    return {**accounts.headers("reader1"), "accept": "text/html"}


def test_catalogue_page_searches_by_chinese_keyword(
    http: httpx.Client, reader: dict, catalog: CatalogFactory
) -> None:
    catalog.demo()
    r = http.get("/catalog", params={"q": "学生基本信息"}, headers=reader)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "数据资源目录" in r.text and "/catalog/student_basic" in r.text
    assert "/catalog/staff_basic" not in r.text
    assert "新建数据集" not in r.text  # not the office


def test_dataset_page_shows_the_element_dictionary_and_tags(
    http: httpx.Client, reader: dict, catalog: CatalogFactory
) -> None:
    catalog.demo()
    page = http.get("/catalog/student_basic", headers=reader).text
    for text in (
        "学生基本信息",
        "身份证件号",
        "student.SFZJH",
        "学生工作部",
        "重要数据",
        "有条件共享",
        "不予开放",
        "民族",
        "金融账号",
        "不予共享",
    ):
        assert text in page, text
    assert http.get("/catalog/no_such", headers=reader).status_code == 404


def test_pages_are_in_english_on_request(http: httpx.Client, reader: dict, catalog: CatalogFactory) -> None:
    catalog.demo()
    page = http.get("/catalog/student_basic", params={"lang": "en"}, headers=reader).text
    assert "Element dictionary" in page and "Important data" in page and "Student basic information" in page


def test_office_creates_a_dataset_through_the_form(
    http: httpx.Client, office: dict, csrf: str, catalog: CatalogFactory, db
) -> None:  # noqa: ANN001
    ensure_units(db, ["0104"])
    form = http.get("/catalog/new", headers=office)
    assert form.status_code == 200 and 'name="owner_unit_code"' in form.text
    r = http.post("/catalog/new", headers=office, data={
        "csrf_token": _csrf(form.text), "code": "graduates", "name": "毕业生信息", "owner_unit_code": "0104",
        "subject_area": "students", "nature": "students", "grade": "", "share_category": "conditional",
        "open_category": "none", "update_frequency": "yearly",
    })  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/catalog/graduates"
    element_form = http.get("/catalog/graduates/elements/new", headers=office)
    assert element_form.status_code == 200 and 'name="source_unit_code"' in element_form.text
    r = http.post("/catalog/graduates/elements/new", headers=office, data={
        "csrf_token": csrf, "code": "BYRQ", "name": "毕业日期", "data_type": "date",
    })  # fmt: skip
    assert r.status_code == 303
    assert "毕业日期" in http.get("/catalog/graduates", headers=office).text


def test_form_errors_are_shown_beside_the_field_and_nothing_is_saved(
    http: httpx.Client, office: dict, csrf: str, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="d1")
    before = catalog.fingerprint()
    r = http.post("/catalog/new", headers=office, data={
        "csrf_token": csrf, "code": "d2", "name": "<script>alert(1)</script>", "owner_unit_code": "0104",
        "subject_area": "students", "nature": "students",
    })  # fmt: skip
    assert r.status_code == 422
    assert 'id="name-error"' in r.text and "<script>alert(1)</script>" not in r.text
    r = http.post("/catalog/new", headers=office, data={
        "csrf_token": csrf, "code": "d2", "name": "新数据", "owner_unit_code": "9999",
        "subject_area": "students", "nature": "students",
    })  # fmt: skip
    assert r.status_code == 422 and 'id="owner_unit_code-error"' in r.text
    assert catalog.fingerprint() == before


def test_office_forms_are_refused_to_others(
    http: httpx.Client, reader: dict, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="d1")
    before = catalog.fingerprint()
    assert http.get("/catalog/new", headers=reader).status_code == 403
    assert http.get("/catalog/d1/edit", headers=reader).status_code == 403
    r = http.post("/catalog/d1/edit", headers=reader, data={"name": "改名"})
    assert r.status_code in (403, 422) and "改名" not in http.get("/catalog/d1", headers=reader).text
    assert catalog.fingerprint() == before


def test_anonymous_visitors_are_sent_to_login(http: httpx.Client) -> None:
    r = http.get("/catalog", headers={"accept": "text/html"})
    assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login")


def test_office_edits_dataset_and_element_through_forms(
    http: httpx.Client, office: dict, csrf: str, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="d1")
    edit = http.get("/catalog/d1/edit", headers=office)
    assert edit.status_code == 200 and 'value="测试数据集"' in edit.text
    r = http.post("/catalog/d1/edit", headers=office, data={
        "csrf_token": csrf, "name": "学生名册", "owner_unit_code": "0104", "subject_area": "students",
        "nature": "students", "share_category": "conditional", "open_category": "none", "update_frequency": "weekly",
    })  # fmt: skip
    assert r.status_code == 303
    assert "学生名册" in http.get("/catalog/d1", headers=office).text
    element = http.get("/catalog/d1/elements/XM/edit", headers=office)
    assert element.status_code == 200 and 'value="姓名"' in element.text
    r = http.post("/catalog/d1/elements/XM/edit", headers=office, data={
        "csrf_token": csrf, "name": "姓名", "data_type": "name", "max_length": "abc",
    })  # fmt: skip
    assert r.status_code == 422 and 'id="max_length-error"' in r.text
    r = http.post("/catalog/d1/elements/XM/edit", headers=office, data={
        "csrf_token": csrf, "name": "姓名", "data_type": "name", "max_length": "40", "share_category": "none",
    })  # fmt: skip
    assert r.status_code == 303
    assert http.get("/api/v1/catalog/datasets/d1", headers=office).json()["elements"][1]["max_length"] == 40


def test_form_without_csrf_token_is_refused(
    http: httpx.Client, office: dict, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="d1")
    before = catalog.fingerprint()
    r = http.post("/catalog/d1/edit", headers=office, data={"name": "改名"})
    assert r.status_code == 403
    assert catalog.fingerprint() == before
