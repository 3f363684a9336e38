"""Run modes (Art. 62) and what a re-run shows: new, still open, resolved; closed findings reopen."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from edudata.errors import ValidationFailed
from edudata.inspect.models import Finding, InspectionRun
from edudata.inspect.registry import all_checks
from edudata.inspect.runs import run_daily_if_due, run_inspection
from edudata.org.models import RoleAssignment
from edudata.org.service import find_account


@pytest.fixture
def conflict(accounts, in_session):  # noqa: ANN001, ANN201
    """An office administrator given the auditor role around the service: one SoD finding in unit 0002."""
    accounts.create(username="both", roles=("office_admin",), unit_code="0002")

    def plant(s):  # noqa: ANN001, ANN202
        account = find_account(s, "both")
        s.add(RoleAssignment(account_id=account.id, role="auditor", granted_by="sql"))
        return account.id

    return in_session(plant)


def test_a_rerun_shows_the_finding_still_open_and_then_resolved(inspector, conflict, in_session) -> None:  # noqa: ANN001
    first = inspector.run()
    assert first["counts"] == (1, 0, 0)
    second = inspector.run()
    assert (second["counts"], second["open"]) == (
        (0, 1, 0),
        [("org.sod_conflict", "both:auditor+office_admin")],
    )
    in_session(
        lambda s: s.execute(
            delete(RoleAssignment).where(
                RoleAssignment.account_id == conflict, RoleAssignment.role == "auditor"
            )
        )
    )
    third = inspector.run()
    assert (third["counts"], third["resolved"]) == (
        (0, 0, 1),
        [("org.sod_conflict", "both:auditor+office_admin")],
    )
    assert third["findings"]["resolved"] == first["findings"]["new"]


def test_a_closed_finding_still_seen_is_reopened(inspector, conflict, in_session) -> None:  # noqa: ANN001
    fid = inspector.run()["findings"]["new"][0]

    def close(s):  # noqa: ANN001, ANN202
        f = s.get(Finding, fid)
        f.status, f.close_evidence = "closed", "said so"

    in_session(close)
    assert inspector.run()["findings"]["open"] == [fid]
    assert in_session(lambda s: (s.get(Finding, fid).status, s.get(Finding, fid).reopened)) == ("open", 1)


def test_a_special_check_of_other_units_neither_sees_nor_resolves_the_finding(inspector, conflict) -> None:  # noqa: ANN001
    inspector.run()
    other = inspector.run("special", checks=["org.sod_conflict"], units=["0104"])
    assert other["checks"] == ["org.sod_conflict"] and other["units"] == ["0104"]
    assert other["counts"] == (0, 0, 0)
    mine = inspector.run("special", units=["0002"])
    assert mine["open"] == [("org.sod_conflict", "both:auditor+office_admin")]


def test_a_special_check_needs_known_checks_and_units(inspector, db) -> None:  # noqa: ANN001
    with db.session() as s:
        with pytest.raises(ValidationFailed) as bad_check:
            run_inspection(s, "special", started_by="t", checks=["no.such"])
        with pytest.raises(ValidationFailed) as bad_unit:
            run_inspection(s, "special", started_by="t", units=["9999"])
        with pytest.raises(ValidationFailed):
            run_inspection(s, "special", started_by="t")
        assert s.scalar(select(InspectionRun.id)) is None
    assert (bad_check.value.field, bad_unit.value.field) == ("checks", "units")


def test_a_daily_spot_check_samples_checks_and_units_repeatably(inspector) -> None:  # noqa: ANN001
    a = inspector.run("daily", seed=7)
    b = inspector.run("daily", seed=7)
    assert (a["checks"], a["units"]) == (b["checks"], b["units"])
    assert 1 <= len(a["checks"]) < len(all_checks())
    assert 1 <= len(a["units"]) < 23


def test_the_daily_spot_check_runs_once_a_day(inspector, db) -> None:  # noqa: ANN001
    with db.session() as s:
        first = run_daily_if_due(s, started_by="scheduler")
        s.commit()
        again = run_daily_if_due(s, started_by="scheduler")
        assert first is not None and first.mode == "daily" and again is None
