"""The demo's showcase: a published open dataset on the portal and a share application awaiting the producer."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from edudata.config import Settings
from edudata.db import Database
from edudata.demo.service import build_demo
from edudata.opendata.models import OpenReview, OpenVersion, OpenView
from edudata.sharing.models import CommitmentSignature, ShareApplication
from support.org import Accounts


def _counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0
            for t in (OpenView, OpenReview, OpenVersion, ShareApplication, CommitmentSignature)
        }


def _demo(settings: Settings, lines: list[str] | None = None) -> dict[str, str]:
    """Build a small demo on the test database; returns each demo account's password."""
    logins = build_demo(settings, students=40, staff=10, report=(lines if lines is not None else []).append)
    return {login.username: login.password for login in logins}


def test_the_portal_lists_the_papers_published_through_the_three_levels(
    http: httpx.Client, db: Database, settings: Settings
) -> None:
    lines: list[str] = []
    _demo(settings, lines)
    assert len(lines) == 2 and "research-output" in lines[0]
    listed = http.get("/api/v1/open/datasets").json()
    assert [i["code"] for i in listed["items"]] == ["research-output"]
    csv = http.get("/api/v1/open/datasets/research-output/data.csv")
    assert csv.status_code == 200 and csv.text.count("\n") == 41 and "LW20250000" in csv.text
    assert "research-output" in http.get("/open").text
    with db.session() as s:
        reviews = s.scalars(select(OpenReview).order_by(OpenReview.id)).all()
    assert [(r.level, r.reviewer, r.decision) for r in reviews] == [
        ("unit", "kyc_reviewer", "approve"), ("office", "office", "approve"), ("leadership", "leader", "approve"),
    ]  # fmt: skip
    assert reviews[1].secrecy["no_state_secret"] is True


def test_the_library_application_waits_in_the_producer_officers_inbox(
    http: httpx.Client, db: Database, settings: Settings, accounts: Accounts
) -> None:
    passwords = _demo(settings)
    headers = accounts.headers("xgb_officer", password=passwords["xgb_officer"])
    inbox = http.get("/api/v1/sharing/inbox", headers=headers)
    assert inbox.status_code == 200, inbox.text
    assert [t["stage"] for t in inbox.json()["tasks"]] == ["producer"]
    with db.session() as s:
        app = s.scalars(select(ShareApplication)).one()
        signed = sorted(s.scalars(select(CommitmentSignature.capacity)))
    assert (app.applicant_username, app.applicant_unit_code, app.dataset_code, app.status) == (
        "lib_applicant", "0110", "student_basic", "pending_producer",
    )  # fmt: skip
    # 附件2 signed by the applicant and, for the library, by its head (the same account in the demo, Art. 41).
    assert app.share_category == "conditional" and signed == ["applicant", "unit"]


def test_a_second_demo_run_adds_nothing(http: httpx.Client, db: Database, settings: Settings) -> None:
    _demo(settings)
    before = _counts(db)
    again: list[str] = []
    _demo(settings, again)
    assert _counts(db) == before and len(again) == 2 and all("已有" in line for line in again)
    assert http.get("/api/v1/open/datasets/research-output/data.csv").text.count("\n") == 41
