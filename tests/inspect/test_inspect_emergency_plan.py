"""The emergency plan is an inspection check (Art. 55): none on file, or not approved, is a finding."""

from __future__ import annotations


def test_no_approved_emergency_plan_is_found(inspector, db) -> None:  # noqa: ANN001
    from sqlalchemy import update

    from edudata.lifecycle.models import EmergencyPlan

    with db.session() as s:
        s.execute(update(EmergencyPlan).values(approved_by=None))
        s.commit()
    assert inspector.found() == [("lifecycle.emergency_plan", "plan")]
