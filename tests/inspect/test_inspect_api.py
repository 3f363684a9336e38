"""The inspection API over real HTTP: who may run, the report as JSON and PDF, assign → answer → close."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.inspect.models import Finding, InspectionRun
from edudata.org.models import RoleAssignment
from edudata.org.service import find_account


@pytest.fixture
def people(accounts, in_session) -> dict:  # noqa: ANN001
    """Office, auditor, leadership, a unit officer of 0002 and of 0104, and one SoD violation in unit 0002."""
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    accounts.create(username="lead", roles=("leadership",), unit_code="0001")
    accounts.create(username="officer", roles=("unit_data_officer",), unit_code="0002")
    accounts.create(username="other", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="both", roles=("office_admin",), unit_code="0002")
    in_session(lambda s: s.add(RoleAssignment(account_id=find_account(s, "both").id, role="auditor")))
    return {u: accounts.headers(u) for u in ("office", "aud", "lead", "officer", "other")}


def _year_end(http, people) -> dict:  # noqa: ANN001
    r = http.post("/api/v1/inspect/runs", json={"mode": "year_end"}, headers=people["office"])
    assert r.status_code == 201, r.text
    return r.json()


def test_the_office_runs_a_year_end_check_and_gets_its_report(http, people) -> None:  # noqa: ANN001
    report = _year_end(http, people)
    assert report["counts"] == {"new": 1, "open": 0, "resolved": 0, "current": 1}
    assert [(u["unit_code"], u["total"]) for u in report["by_unit"]] == [("0002", 1)]
    assert report["findings"]["new"][0]["article"] == "30"


def test_only_the_office_starts_an_inspection_and_a_refusal_is_audited(http, people, db) -> None:  # noqa: ANN001
    r = http.post("/api/v1/inspect/runs", json={"mode": "year_end"}, headers=people["lead"])
    assert r.status_code == 403 and "网信办" in r.json()["detail_zh"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(InspectionRun)) == 0
        denied = s.scalar(
            select(func.count()).where(AuditRecord.result == "denied", AuditRecord.username == "lead")
        )
        assert denied == 1


def test_an_unknown_check_is_a_422_naming_the_field(http, people) -> None:  # noqa: ANN001
    r = http.post(
        "/api/v1/inspect/runs", json={"mode": "special", "checks": ["nope"]}, headers=people["office"]
    )
    assert (r.status_code, r.json()["field"]) == (422, "checks")


def test_assign_answer_close_with_evidence(http, people, db) -> None:  # noqa: ANN001
    fid = _year_end(http, people)["findings"]["new"][0]["id"]
    base = f"/api/v1/inspect/findings/{fid}"
    assert (
        http.post(f"{base}/assign", json={"unit_code": "0002"}, headers=people["office"]).json()["status"]
        == "assigned"
    )
    assert (
        http.post(f"{base}/answer", json={"answer": "已撤销审计员角色"}, headers=people["officer"]).json()[
            "status"
        ]
        == "answered"
    )
    closed = http.post(
        f"{base}/close", json={"evidence": "核查 org_role_assignment：已撤销"}, headers=people["office"]
    )
    assert closed.json()["status"] == "closed"
    with db.session() as s:
        ops = s.scalars(select(AuditRecord.operation).where(AuditRecord.operation.like("inspect_%"))).all()
    assert sorted(ops) == ["inspect_answer", "inspect_assign", "inspect_close", "inspect_run"]


def test_another_units_officer_can_neither_see_nor_answer_the_finding(http, people) -> None:  # noqa: ANN001
    fid = _year_end(http, people)["findings"]["new"][0]["id"]
    assert http.get(f"/api/v1/inspect/findings/{fid}", headers=people["other"]).status_code == 404
    r = http.post(f"/api/v1/inspect/findings/{fid}/answer", json={"answer": "x"}, headers=people["other"])
    assert r.status_code == 404
    assert http.get("/api/v1/inspect/findings", headers=people["other"]).json()["total"] == 0
    assert http.get("/api/v1/inspect/findings", headers=people["officer"]).json()["total"] == 1


def test_closing_without_evidence_is_refused_and_changes_nothing(http, people, db) -> None:  # noqa: ANN001
    fid = _year_end(http, people)["findings"]["new"][0]["id"]
    r = http.post(f"/api/v1/inspect/findings/{fid}/close", json={"evidence": "   "}, headers=people["office"])
    assert (r.status_code, r.json()["field"]) == (422, "evidence")
    with db.session() as s:
        assert s.get(Finding, fid).status == "open"


def test_a_unit_officer_cannot_close_a_finding(http, people) -> None:  # noqa: ANN001
    fid = _year_end(http, people)["findings"]["new"][0]["id"]
    r = http.post(
        f"/api/v1/inspect/findings/{fid}/close", json={"evidence": "done"}, headers=people["officer"]
    )
    assert r.status_code == 403


def test_the_pdf_report_carries_the_chinese_title(http, people, output_dir: Path) -> None:  # noqa: ANN001
    run_id = _year_end(http, people)["run"]["id"]
    r = http.get(f"/api/v1/inspect/runs/{run_id}/report.pdf", headers=people["lead"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = output_dir / f"inspection-report-{run_id}.pdf"
    pdf.write_bytes(r.content)
    words = subprocess.run(
        [shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    )
    assert "教育数据安全检查报告" in words.stdout
    assert "账户 both 同时持有不相容岗位" in words.stdout.replace("\n", "")
    subprocess.run(
        [
            shutil.which("pdftoppm"),
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(pdf.with_suffix("")),
        ],
        check=True,
    )
    pngs = list(pdf.parent.glob(pdf.stem + "-*.png"))
    assert len(pngs) == 1 and pngs[0].stat().st_size > 1000
