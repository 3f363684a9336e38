"""Filters only on elements the caller sees unmasked (Art. 30, 51): a filter on a masked element would label
every row with its hidden value while the column itself stays masked."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from edudata.access.grants import create_grant
from edudata.audit.models import AuditRecord
from edudata.db import Database


def _read(http: httpx.Client, h: dict, flt: dict, elements: str = "XH") -> httpx.Response:
    return http.get(
        "/api/v1/data/student_basic", params={"filter": json.dumps(flt), "elements": elements}, headers=h
    )


def test_the_office_cannot_label_rows_by_a_sensitive_element_it_sees_masked(
    http: httpx.Client, world: dict, db: Database
) -> None:
    ethnicity = world["rows"][0]["MZM"]
    r = _read(http, world["h"]["office"], {"element": "MZM", "op": "eq", "value": ethnicity})
    assert r.status_code == 422 and r.json()["field"] == "filter", r.text
    nested = {
        "all": [{"element": "NJ", "op": "ge", "value": 2000}, {"any": [{"element": "MZM", "op": "is_null"}]}]
    }
    assert _read(http, world["h"]["office"], nested).status_code == 422
    assert _read(http, world["h"]["office"], {"element": "NJ", "op": "ge", "value": 2023}).status_code == 200
    with db.session() as s:
        denied = (
            s.execute(
                select(AuditRecord).where(AuditRecord.result == "failed", AuditRecord.username == "office")
            )
            .scalars()
            .all()
        )
    assert len(denied) == 2


def test_a_grantee_cannot_filter_on_an_element_its_grant_masks(
    http: httpx.Client, world: dict, db: Database
) -> None:
    with db.session() as s:
        create_grant(
            s, dataset_code="student_basic", grantee_unit_code="0110", elements=["XH", "XM", "NJ"],
            masking={"XM": "name"}, purpose="图书借阅证办理", created_by="office",
        )  # fmt: skip
        s.commit()
    name = world["rows"][2]["XM"]
    for op, value in (("eq", name), ("prefix", name[:1]), ("in", [name])):
        r = _read(http, world["h"]["lib"], {"element": "XM", "op": op, "value": value})
        assert r.status_code == 422, (op, r.text)
    r = _read(http, world["h"]["lib"], {"element": "NJ", "op": "eq", "value": 2021})
    assert r.status_code == 200 and len(r.json()["items"]) == 4


def test_the_export_applies_the_same_rule(http: httpx.Client, world: dict) -> None:
    ethnicity = world["rows"][0]["MZM"]
    r = http.get(
        "/api/v1/data/student_basic/export",
        params={"elements": "XH", "filter": json.dumps({"element": "MZM", "op": "eq", "value": ethnicity})},
        headers=world["h"]["office"],
    )
    assert r.status_code == 422, r.text
