"""Inspection of the duties on people (Art. 49, 53): a security officer per producing unit, yearly security
tests and risk assessments with findings corrected by their due date, outsourcing commitments on file."""

from __future__ import annotations

from edudata.lifecycle.models import OutsourcingCommitment, SecurityAssessment, UnitOfficer
from edudata.org.models import Account, Unit
from support import clock

PEOPLE = ("people.security_officer", "people.security_assessment", "people.outsourcing_commitment")


def _people(inspector) -> list[tuple[str, str]]:  # noqa: ANN001
    inspector.quiet = ()  # the duties other tests do not see (conftest.QUIET)
    return [f for f in inspector.found() if f[0] in PEOPLE]


def _unit(s, code: str) -> Unit:  # noqa: ANN001
    return s.query(Unit).filter_by(code=code).one()


def test_a_producing_unit_without_officer_or_assessment_is_found(inspector, db, catalog, accounts) -> None:  # noqa: ANN001
    catalog.dataset("xs_demo", owner_unit_code="0104")
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    assert _people(inspector) == [
        ("people.security_assessment", "assessment:0104"),
        ("people.security_officer", "unit:0104"),
    ]
    with db.session() as s:
        unit, xgb = _unit(s, "0104"), s.query(Account).filter_by(username="xgb").one()
        s.add(
            UnitOfficer(unit_id=unit.id, account_id=xgb.id, appointed_on=clock.today(), appointed_by="office")
        )
        s.add(SecurityAssessment(unit_id=unit.id, kind="test", held_on=clock.days_from_today(-30), assessor="测评中心",
                                 findings="弱口令", due_on=clock.days_from_today(-2), recorded_by="office"))  # fmt: skip
        s.commit()
    found = _people(inspector)
    assert [f[0] for f in found] == ["people.security_assessment"] and found[0][1].startswith("finding:")


def test_a_support_unit_without_the_outsourcing_commitment_is_found(inspector, db, accounts) -> None:  # noqa: ANN001
    accounts.create(username="vendor", roles=("tech_support",), unit_code="0301")
    assert ("people.outsourcing_commitment", "unit:0301") in _people(inspector)
    with db.session() as s:
        s.add(OutsourcingCommitment(unit_id=_unit(s, "0301").id, signed_on=clock.today(), document_ref="承诺书.pdf",
                                    recorded_by="office"))  # fmt: skip
        s.commit()
    assert ("people.outsourcing_commitment", "unit:0301") not in _people(inspector)
