"""Checks on the other domains' records (sharing, ingest, open data, privacy, lifecycle): each planted violation
is seen as exactly its finding; the compliant counterpart is not (Art. 12, 46, 50, 51, 53, 55, 60, 64)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, update

from edudata.access.specs import load_spec
from edudata.audit.service import record, record_many
from edudata.db import utcnow
from edudata.ingest.models import Batch, Issue
from edudata.lifecycle.models import Agreement, AlertHandling, BackupRecord, Drill, RestoreDrill
from edudata.opendata.models import OpenReview, OpenView
from edudata.org.service import find_account
from edudata.privacy.models import InformationSystem, PersonCount
from edudata.sharing.models import ShareApplication, ShareReview
from edudata.store.guard import datapath_scope
from edudata.store.service import tables_for
from support import clock

# ---------------------------------------------------------------- sharing (Art. 64(2), 50)


def _application(s, accounts_fixture=None, **fields) -> ShareApplication:  # noqa: ANN001, ANN003
    account = find_account(s, "applicant")
    today = clock.today()
    values = dict(
        applicant_account_id=account.id, applicant_username="applicant", applicant_unit_code="0110",
        contact_name="李老师", contact_phone="13800000000", purpose="教学评估", business_basis="评估方案",
        dataset_code="xs_jbxx", owner_unit_code="0104", share_category="conditional", elements=["XH"],
        period_start=today, period_end=today + timedelta(days=90), delivery="api", security_measures="专人专机",
        status="pending_producer",
    )  # fmt: skip
    values.update(fields)
    app = ShareApplication(**values)
    s.add(app)
    s.flush()
    return app


@pytest.fixture
def applicant(accounts) -> None:  # noqa: ANN001
    accounts.create(username="applicant", roles=("applicant",), unit_code="0110")


def _review(in_session, due_on: date) -> int:  # noqa: ANN001
    def plant(s):  # noqa: ANN001, ANN202
        app = _application(s)
        review = ShareReview(
            application_id=app.id, stage="producer", reviewer_unit_code="0104", due_on=due_on
        )
        s.add(review)
        s.flush()
        return review.id

    return in_session(plant)


def test_a_review_past_its_due_day_is_overdue(inspector, applicant, in_session) -> None:  # noqa: ANN001
    rid = _review(in_session, clock.today() - timedelta(days=3))
    assert inspector.found() == [("sharing.review_overdue", f"review:{rid}")]


def test_a_review_due_next_week_is_not_overdue(inspector, applicant, in_session) -> None:  # noqa: ANN001
    _review(in_session, clock.today() + timedelta(days=7))
    assert inspector.found() == []


def test_granting_pi_of_250000_people_without_the_commissions_approval_is_found(
    inspector, applicant, in_session
) -> None:  # noqa: ANN001, E501
    aid = in_session(lambda s: _application(s, status="granted", people_count=250_000).id)
    in_session(
        lambda s: _application(s, status="granted", people_count=250_000, commission_doc_sha256="a" * 64)
    )
    in_session(lambda s: _application(s, status="granted", people_count=1_000))
    assert inspector.found() == [("sharing.large_scale_unapproved", f"application:{aid}")]


# ---------------------------------------------------------------- ingest (Art. 64(3), 64(2))


def _batch(
    in_session, code: str, days_ago: int, status: str = "approved", issues: int = 0, resolved: bool = False
) -> None:  # noqa: ANN001, E501
    def plant(s):  # noqa: ANN001, ANN202
        b = Batch(code=code, dataset_code="xs_jbxx", unit_code="0104", source_kind="csv", status=status,
                  uploaded_by="officer", uploaded_at=utcnow() - timedelta(days=days_ago), rows_total=10)  # fmt: skip
        s.add(b)
        s.flush()
        for n in range(issues):
            s.add(Issue(batch_id=b.id, row_number=n + 2, element="SFZJH", rule="check_digit", code="bad",
                        message_zh="校验位错误", message_en="bad check digit", resolved_by_batch_id=b.id if resolved else None))  # fmt: skip

    in_session(plant)


def test_quality_defects_left_for_20_days_are_uncorrected(inspector, in_session) -> None:  # noqa: ANN001
    _batch(in_session, "B-OLD", 20, issues=3)
    _batch(in_session, "B-NEW", 2, issues=3)
    _batch(in_session, "B-FIXED", 20, issues=3, resolved=True)
    found = inspector.found()
    assert found == [("ingest.defects_uncorrected", "batch:B-OLD")]


def test_a_batch_waiting_ten_days_for_its_unit_review_is_overdue(inspector, in_session) -> None:  # noqa: ANN001
    _batch(in_session, "B-WAIT", 10, status="validated")
    _batch(in_session, "B-FRESH", 1, status="validated")
    assert inspector.found() == [("ingest.review_overdue", "batch:B-WAIT")]


# ---------------------------------------------------------------- open data (Art. 46)


def _view(in_session, code: str, secrecy: dict | None, levels=("unit", "office", "leadership")) -> None:  # noqa: ANN001
    def plant(s):  # noqa: ANN001, ANN202
        v = OpenView(code=code, dataset_code="xs_jbxx", unit_code="0104", kind="aggregate", title="在校生人数",
                     open_category="unconditional", licence="CC-BY-4.0", update_frequency="yearly",
                     refresh_seconds=86400, definition={}, status="published", proposed_by="officer")  # fmt: skip
        s.add(v)
        s.flush()
        for level in levels:
            s.add(OpenReview(view_id=v.id, level=level, decision="approve", reviewer="r",
                             secrecy=secrecy if level == "office" else None))  # fmt: skip

    in_session(plant)


def test_open_data_published_without_a_secrecy_review_is_found(inspector, in_session) -> None:  # noqa: ANN001
    complete = {
        "no_state_secret": True,
        "no_personal_privacy": True,
        "no_security_risk": True,
        "conclusion": "可公开",
    }
    _view(in_session, "reviewed", complete)
    _view(in_session, "unreviewed", {"no_state_secret": True, "conclusion": "可公开"})
    _view(in_session, "no-leaders", complete, levels=("unit", "office"))
    assert inspector.found() == [
        ("opendata.secrecy_review", "view:no-leaders"),
        ("opendata.secrecy_review", "view:unreviewed"),
    ]


# ---------------------------------------------------------------- privacy (Art. 50, 51)


def test_a_system_storing_250000_people_without_officer_or_filing_is_found(inspector, in_session) -> None:  # noqa: ANN001
    def plant(s):  # noqa: ANN001, ANN202
        s.add(InformationSystem(code="xgxt", name="学工系统", owner_unit_code="0104", datasets=["xs_jbxx"]))
        s.add(PersonCount(system_code="xgxt", dataset_code=None, people=250_000, counted_at=utcnow()))

    in_session(plant)
    assert inspector.found() == [
        ("privacy.pi_thresholds", "commission_filing:xgxt"),
        ("privacy.pi_thresholds", "pi_officer:xgxt"),
    ]


def test_sensitive_pi_collected_without_assessment_is_found(inspector, catalog, in_session) -> None:  # noqa: ANN001
    elements = [
        {"code": "XH", "name": "学号"},
        {"code": "MZM", "name": "民族", "sensitive": True, "sensitive_type": "ethnicity"},
    ]
    catalog.dataset(code="xs_mz", owner_unit_code="0104", elements=elements)
    catalog.dataset(
        code="xs_mz_plan", owner_unit_code="0104", elements=elements
    )  # catalogued, never collected

    def materialise(s):  # noqa: ANN001, ANN202
        with datapath_scope("test set-up"):
            tables_for(s, load_spec(s, "xs_mz"))

    in_session(materialise)
    assert inspector.found() == [("privacy.sensitive_unassessed", "element:xs_mz.MZM")]


# ---------------------------------------------------------------- lifecycle (Art. 55, 60, 12, 53)


def test_no_backup_verified_for_ten_days_is_found(inspector, in_session) -> None:  # noqa: ANN001
    old = utcnow() - timedelta(days=10)
    in_session(lambda s: s.execute(update(BackupRecord).values(verified_at=old)))
    assert inspector.found() == [("lifecycle.backup_verified", "backup")]


def test_a_backup_without_an_offsite_copy_is_found(inspector, in_session) -> None:  # noqa: ANN001
    in_session(lambda s: s.execute(update(BackupRecord).values(offsite_path=None)))
    assert inspector.found() == [("lifecycle.offsite_backup", "offsite")]


def test_no_restore_drill_this_year_is_found(inspector, in_session) -> None:  # noqa: ANN001
    in_session(lambda s: s.execute(delete(RestoreDrill)))
    assert inspector.found() == [("lifecycle.restore_drill", f"restore:{clock.today().year}")]


def test_no_emergency_drill_this_year_is_found(inspector, in_session) -> None:  # noqa: ANN001
    in_session(lambda s: s.execute(update(Drill).values(held_on=date(clock.today().year - 1, 6, 1))))
    assert inspector.found() == [("lifecycle.emergency_drill", f"drill:{clock.today().year}")]


# 01:00 on 1 January 2027 in Beijing is still 31 December 2026 (17:00) in UTC: the year is Beijing's.
@pytest.mark.frozen_clock(clock.beijing(2027, 1, 1, hour=1))
def test_the_yearly_drills_fall_due_at_new_year_in_beijing_not_in_utc(inspector, in_session) -> None:  # noqa: ANN001
    last_evening = clock.beijing(2026, 12, 31, hour=18)  # 10:00 UTC: the old year, in both zones
    in_session(lambda s: s.execute(update(RestoreDrill).values(finished_at=last_evening)))
    in_session(lambda s: s.execute(update(Drill).values(held_on=date(2026, 12, 31))))
    assert inspector.found() == [
        ("lifecycle.emergency_drill", "drill:2027"),
        ("lifecycle.restore_drill", "restore:2027"),
    ]


# 07:30 on Monday 2 March 2026 in Beijing is still Sunday 1 March in UTC.
@pytest.mark.frozen_clock(clock.beijing(2026, 3, 2, hour=7, minute=30))
def test_a_finding_s_deadline_counts_from_the_beijing_day(inspector, in_session, db) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from edudata.inspect.models import Finding
    from edudata.inspect.registry import DEADLINE_DAYS

    in_session(lambda s: s.execute(update(BackupRecord).values(offsite_path=None)))
    assert inspector.found() == [("lifecycle.offsite_backup", "offsite")]
    with db.session() as s:
        deadline = s.scalar(select(Finding.deadline).where(Finding.check_code == "lifecycle.offsite_backup"))
    assert deadline == date(2026, 3, 2) + timedelta(days=DEADLINE_DAYS["medium"])


def _support_staff(accounts, in_session, signed: bool) -> None:  # noqa: ANN001
    account = accounts.create(username="vendor", roles=("tech_support",), unit_code="0301")
    in_session(
        lambda s: record(s, operation="query", dataset="xs_jbxx", account_id=account.id, username="vendor")
    )
    if signed:
        in_session(
            lambda s: s.add(
                Agreement(
                    account_id=account.id,
                    kind="annex3",
                    signed_on=clock.today(),
                    document_ref="BM-2026-01",
                    recorded_by="office",
                )
            )  # fmt: skip
        )


def test_support_staff_with_live_access_and_no_agreement_is_found(inspector, accounts, in_session) -> None:  # noqa: ANN001
    _support_staff(accounts, in_session, signed=False)
    assert inspector.found() == [("lifecycle.agreement_missing", "account:vendor")]


def test_support_staff_with_a_signed_agreement_is_not_found(inspector, accounts, in_session) -> None:  # noqa: ANN001
    _support_staff(accounts, in_session, signed=True)
    assert inspector.found() == []


def _bulk_export(in_session, days_ago: int) -> None:  # noqa: ANN001
    event = {"operation": "export", "dataset": "xs_jbxx", "username": "office", "row_count": 50_000}
    # 10:00 Beijing time (02:00 UTC): inside working hours, so the export raises no off-hours alert too.
    at = (utcnow() - timedelta(days=days_ago)).replace(hour=2, minute=0, second=0, microsecond=0)
    in_session(lambda s: record_many(s, [event], at=at))


def test_a_bulk_export_alert_left_for_five_days_is_found(inspector, in_session) -> None:  # noqa: ANN001
    _bulk_export(in_session, 5)
    assert inspector.found() == [("lifecycle.alerts_unhandled", "alert:bulk_export:1")]


def test_a_handled_alert_is_not_found(inspector, in_session) -> None:  # noqa: ANN001
    _bulk_export(in_session, 5)
    in_session(
        lambda s: s.add(
            AlertHandling(alert_key="bulk_export:1", handled_by="office", note="年度报送，已核实")
        )
    )
    assert inspector.found() == []


def test_open_data_waiting_ten_days_for_the_office_is_overdue(inspector, in_session) -> None:  # noqa: ANN001
    def plant(s):  # noqa: ANN001, ANN202
        for code, days in (("waiting", 10), ("fresh", 2)):
            v = OpenView(code=code, dataset_code="xs_jbxx", unit_code="0104", kind="aggregate", title="在校生人数",
                         open_category="unconditional", licence="CC-BY-4.0", update_frequency="yearly",
                         refresh_seconds=86400, definition={}, status="unit_approved", proposed_by="officer",
                         proposed_at=utcnow() - timedelta(days=days + 1))  # fmt: skip
            s.add(v)
            s.flush()
            s.add(OpenReview(view_id=v.id, level="unit", decision="approve", reviewer="r",
                             at=utcnow() - timedelta(days=days)))  # fmt: skip

    in_session(plant)
    assert inspector.found() == [("opendata.review_overdue", "view:waiting")]
