"""Item 2 at collection (Art. 51): the ingest domain runs the privacy checks on every batch — values of a
sensitive element without assessment and decision are dropped; values of people without consent are
quarantined with their row until consent is on file."""

from __future__ import annotations

import httpx
import polars as pl
import pytest

from edudata.synth.people import students
from support.privacy import approve


def _frame(n: int) -> pl.DataFrame:
    frame = students(n, seed=3)
    return frame.with_columns(pl.col("CSRQ").dt.to_string("%Y-%m-%d"), pl.col("NJ").cast(pl.String))


@pytest.fixture
def world(staff: dict) -> dict:
    """Nothing collected and no paperwork on file: each test files what it needs."""
    return staff


@pytest.fixture
def up(http: httpx.Client, world: dict):  # noqa: ANN201 - an uploader
    def upload(frame: pl.DataFrame) -> dict:
        r = http.post(
            "/api/v1/ingest/student_basic/batches",
            data={"unit": "0104"},
            files={"file": ("students.csv", frame.write_csv().encode())},
            headers=world["h"]["xgb"],
        )
        assert r.status_code == 201, r.text
        batch = r.json()
        items = http.get(
            f"/api/v1/ingest/batches/{batch['code']}/issues", headers=world["h"]["office"]
        ).json()
        return {**batch, "issues": items["items"]}

    return upload


def _consent(http: httpx.Client, h: dict, id_no: str, element: str = "MZM") -> dict:
    r = http.post(
        "/api/v1/privacy/consents",
        json={"id_number": id_no, "dataset": "student_basic", "element": element, "purpose": "资助评定",
              "notice": "已告知必要性及影响"},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()


def test_unassessed_sensitive_values_are_dropped_and_the_rows_kept(up, world: dict) -> None:
    batch = up(_frame(6))
    assert (batch["good"], batch["quarantined"]) == (6, 0)
    dropped = {(i["element"], i["code"]) for i in batch["issues"]}
    assert dropped == {("MZM", "privacy.sensitive_assessment"), ("YHKH", "privacy.sensitive_assessment")}
    assert all("第五十一条" in i["message_zh"] for i in batch["issues"])


def test_after_approval_rows_of_people_without_consent_are_quarantined(
    up, http: httpx.Client, world: dict
) -> None:
    h = world["h"]["office"]
    approve(http, h, "student_basic", "MZM")
    frame = _frame(6)
    ids = frame.get_column("SFZJH").to_list()
    for id_no in ids[:4]:
        _consent(http, world["h"]["xgb"], id_no)
    batch = up(frame)
    assert (batch["good"], batch["quarantined"]) == (4, 2)
    consent_issues = [i for i in batch["issues"] if i["code"] == "privacy.consent"]
    assert sorted(i["row"] for i in consent_issues) == [6, 7]  # file rows of the 5th and 6th student
    assert all(i["element"] == "MZM" for i in consent_issues)
    # 银行卡号 is still unassessed: dropped, never quarantined.
    assert {i["code"] for i in batch["issues"] if i["element"] == "YHKH"} == {"privacy.sensitive_assessment"}


def test_a_withdrawn_consent_quarantines_the_person_again(up, http: httpx.Client, world: dict) -> None:
    approve(http, world["h"]["office"], "student_basic", "MZM")
    frame = _frame(2)
    ids = frame.get_column("SFZJH").to_list()
    first = _consent(http, world["h"]["xgb"], ids[0])
    _consent(http, world["h"]["xgb"], ids[1])
    assert up(frame)["quarantined"] == 0
    http.post(f"/api/v1/privacy/consents/{first['id']}/withdraw", headers=world["h"]["xgb"])
    assert up(frame)["quarantined"] == 1


def test_a_row_without_a_sensitive_value_needs_no_consent(up, http: httpx.Client, world: dict) -> None:
    approve(http, world["h"]["office"], "student_basic", "MZM")
    batch = up(_frame(3).with_columns(pl.lit(None, dtype=pl.String).alias("MZM")))
    assert batch["quarantined"] == 0
