"""Each check sees exactly the violation planted in a real database, and nothing on a clean one (Art. 30, 42,
48, 59)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from edudata.access.grants import create_grant
from edudata.access.models import AccessGrant
from edudata.access.specs import load_spec
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record
from edudata.db import utcnow
from edudata.org.models import RoleAssignment
from edudata.org.service import find_account
from edudata.store.guard import datapath_scope
from edudata.store.service import tables_for
from support import clock
from support.audit_log import edit_record


def test_a_clean_database_has_no_finding(inspector, accounts, catalog) -> None:  # noqa: ANN001
    catalog.demo()
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    assert inspector.found() == []


def test_a_purge_that_kept_less_than_six_months_is_found(inspector, in_session) -> None:  # noqa: ANN001
    def plant(s):  # noqa: ANN001, ANN202
        record(s, operation="login", username="someone")
        too_recent = clock.iso(-30)
        record(s, operation="purge", dataset="audit_record", detail={"before": too_recent, "last_seq": 0})

    in_session(plant)
    assert inspector.found() == [("audit.retention", "purge:2")]


def test_a_tampered_audit_record_breaks_the_chain_check(inspector, in_session, db, settings) -> None:  # noqa: ANN001
    in_session(lambda s: [record(s, operation="login", username=f"u{i}") for i in range(3)])
    sequence_all(
        db, settings
    )  # in the tree (the server's sequencer does this within a second), then tampered with
    edit_record(db, 2, username="mallory")
    result = inspector.run()
    assert result["new"] == [("audit.chain", "chain")]
    with db.session() as s:
        from edudata.inspect.models import Finding

        assert s.get(Finding, result["findings"]["new"][0]).evidence["first_bad_seq"] == 2


def test_an_account_holding_auditor_and_office_roles_is_a_sod_conflict(
    inspector, accounts, in_session
) -> None:  # noqa: ANN001
    accounts.create(username="both", roles=("office_admin",), unit_code="0002")

    def plant(s):  # noqa: ANN001, ANN202 - around the service, which refuses it
        s.add(RoleAssignment(account_id=find_account(s, "both").id, role="auditor", granted_by="sql"))

    in_session(plant)
    assert inspector.found() == [("org.sod_conflict", "both:auditor+office_admin")]


def test_a_disabled_account_with_both_roles_is_no_conflict(inspector, accounts, in_session) -> None:  # noqa: ANN001
    accounts.create(username="gone", roles=("office_admin",), unit_code="0002")
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")

    def plant(s):  # noqa: ANN001, ANN202
        account = find_account(s, "gone")
        s.add(RoleAssignment(account_id=account.id, role="auditor", granted_by="sql"))
        account.disabled = True

    in_session(plant)
    assert inspector.found() == []


def _collected(catalog, in_session) -> str:  # noqa: ANN001
    catalog.dataset(code="xs_test", owner_unit_code="0104", update_frequency="daily")

    def materialise(s):  # noqa: ANN001, ANN202
        with datapath_scope("test set-up"):
            tables_for(s, load_spec(s, "xs_test"))

    in_session(materialise)
    return "xs_test"


def test_a_daily_dataset_unchanged_for_three_days_is_stale(inspector, catalog, in_session) -> None:  # noqa: ANN001
    code = _collected(catalog, in_session)
    assert inspector.found(now=utcnow() + timedelta(days=3)) == [("catalog.stale", f"dataset:{code}")]


def test_a_daily_dataset_written_within_its_interval_is_not_stale(inspector, catalog, in_session) -> None:  # noqa: ANN001
    code = _collected(catalog, in_session)
    assert inspector.found() == []
    in_session(lambda s: record(s, operation="insert", dataset=code, row_count=10, unit_code="0104"))
    assert inspector.found(now=utcnow() + timedelta(hours=36)) == []


def _grant(in_session, **fields) -> int:  # noqa: ANN001, ANN003
    def make(s):  # noqa: ANN001, ANN202
        g = create_grant(s, dataset_code="xs_jbxx", grantee_unit_code="0110", elements=["XH"], purpose="test")
        s.execute(update(AccessGrant).where(AccessGrant.id == g.id).values(**fields))
        return g.id

    return in_session(make)


def _use(in_session, grant_id: int) -> None:  # noqa: ANN001
    in_session(
        lambda s: record(
            s,
            operation="query",
            dataset="xs_jbxx",
            unit_code="0110",
            row_count=5,
            detail={"basis": f"grant:{grant_id}", "masking": {}},
        )  # fmt: skip
    )


def test_a_grant_unused_for_90_days_is_found(inspector, in_session) -> None:  # noqa: ANN001
    gid = _grant(in_session, starts_at=utcnow() - timedelta(days=100))
    assert inspector.found() == [("access.grant_unused", f"grant:{gid}")]


def test_a_grant_used_this_week_is_not_unused(inspector, in_session) -> None:  # noqa: ANN001
    gid = _grant(in_session, starts_at=utcnow() - timedelta(days=100))
    _use(in_session, gid)
    assert inspector.found() == []


def test_a_grant_used_after_its_expiry_is_found(inspector, in_session) -> None:  # noqa: ANN001
    gid = _grant(in_session, expires_at=utcnow() - timedelta(days=1))
    other = _grant(in_session, expires_at=utcnow() - timedelta(days=2))
    _use(in_session, gid)
    assert inspector.found() == [("access.grant_used_after_expiry", f"grant:{gid}")]
    assert other != gid
