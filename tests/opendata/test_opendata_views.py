"""Derived views (Art. 42, 45): aggregates count people and suppress small cells; de-identified views generalise
quasi-identifiers and suppress rare combinations."""

from __future__ import annotations

import httpx
import pytest

from opendata.conftest import proposal, publish
from support.collect import collect


@pytest.fixture
def destinations(od: httpx.Client, staff: dict, catalog, accounts) -> None:  # noqa: ANN001
    catalog.dataset(
        code="graduate_destination", owner_unit_code="0104", grade="general", open_category="unconditional",
        subject_element="XH",
        elements=[
            {"code": "JLBH", "name": "去向记录编号"},  # the row's key: one person may hold several records
            {"code": "XH", "name": "学号"}, {"code": "YXDM", "name": "院系代码"},
            {"code": "CSRQ", "name": "出生日期", "data_type": "date"}, {"code": "QXLB", "name": "去向类别"},
            {"code": "YX", "name": "月薪", "data_type": "integer"},
        ],
    )  # fmt: skip
    rows = []
    for i in range(7):
        rows.append(
            {"XH": f"A{i}", "YXDM": "0201", "CSRQ": "2002-03-01", "QXLB": "就业", "YX": 6000 + i * 100}
        )
    for i in range(3):  # three people, three rows each: 9 rows but only 3 people
        rows += [{"XH": f"B{i}", "YXDM": "0202", "CSRQ": "2001-07-09", "QXLB": "升学", "YX": 0}] * 3
    for i in range(5):
        rows.append({"XH": f"C{i}", "YXDM": "0203", "CSRQ": f"2002-0{i + 1}-11", "QXLB": "就业", "YX": 5000})
    rows = [{"JLBH": f"R{n:03d}"} | row for n, row in enumerate(rows)]
    collect(od, accounts, "graduate_destination", rows, headers=staff["xgb"], unit="0104")


def _agg_body(k: int | None = None) -> dict:
    definition: dict = {
        "group_by": ["YXDM", "QXLB"],
        "measures": [{"op": "count"}, {"op": "mean", "element": "YX"}],
    }
    if k is not None:
        definition["k"] = k
    return proposal(
        "graduate_destination", code="destinations-by-college", kind="aggregate", title="毕业去向统计",
        description="各院系毕业生去向人数", keywords=["毕业去向"], definition=definition,
    )  # fmt: skip


def test_aggregates_count_people_and_suppress_cells_under_k(
    od: httpx.Client, staff: dict, destinations: None
) -> None:
    view = publish(od, staff, _agg_body(), proposer="xgb", unit_reviewer="xgb_rev")
    rows = od.get(f"/api/v1/open/datasets/{view['code']}/rows").json()["items"]
    assert {(r["YXDM"], r["QXLB"], r["count"]) for r in rows} == {("0201", "就业", 7), ("0203", "就业", 5)}
    assert next(r for r in rows if r["YXDM"] == "0201")["mean_YX"] == 6300.0
    assert view["versions"][0]["suppressed"] == 1
    assert "XH" not in {c["code"] for c in view["columns"]}


def test_a_larger_k_suppresses_more_and_k_below_the_configured_minimum_is_refused(
    od: httpx.Client, staff: dict, destinations: None
) -> None:
    low = od.post("/api/v1/opendata/proposals", json=_agg_body(k=2), headers=staff["xgb"])
    assert low.status_code == 422 and low.json()["field"] == "k"
    view = publish(od, staff, _agg_body(k=6), proposer="xgb", unit_reviewer="xgb_rev")
    rows = od.get(f"/api/v1/open/datasets/{view['code']}/rows").json()["items"]
    assert [(r["YXDM"], r["count"]) for r in rows] == [("0201", 7)]


def test_a_deidentified_view_generalises_and_suppresses_rare_combinations(
    od: httpx.Client, staff: dict, destinations: None
) -> None:
    body = proposal(
        "graduate_destination", code="destinations-deid", kind="deidentified", title="毕业去向（去标识化）",
        description="去标识化的毕业去向明细", keywords=[],
        definition={"elements": ["YXDM", "CSRQ", "QXLB"], "generalise": {"CSRQ": "birth_year"}, "quasi_identifiers": ["YXDM", "CSRQ"], "k": 5},
    )  # fmt: skip
    view = publish(od, staff, body, proposer="xgb", unit_reviewer="xgb_rev")
    rows = od.get(f"/api/v1/open/datasets/{view['code']}/rows", params={"limit": 1000}).json()["items"]
    assert {(r["YXDM"], r["CSRQ"]) for r in rows} == {("0201", "2002"), ("0203", "2002")}
    assert len(rows) == 12 and view["versions"][0]["suppressed"] == 9
