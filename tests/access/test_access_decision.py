"""Least-privilege decisions (Art. 30): default deny, producer sees its own, grants scope and mask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edudata.access.decision import GrantView, decide
from edudata.errors import PermissionDenied
from edudata.store.spec import DatasetSpec, ElementSpec

SPEC = DatasetSpec(
    code="student_basic",
    name="学生基本信息",
    owner_unit_code="0104",
    elements=(
        ElementSpec("XH", "学号", "string"),
        ElementSpec("XM", "姓名", "name"),
        ElementSpec("SFZJH", "身份证件号", "id_number", encrypted=True),
        ElementSpec("MZM", "民族码", "code", sensitive_type="ethnicity"),
        ElementSpec("YHKH", "银行卡号", "bank_card", encrypted=True, sensitive_type="financial_account"),
    ),
)
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _grant(**kw) -> GrantView:
    base = dict(
        id=7,
        dataset_code="student_basic",
        grantee_unit_code="0110",
        elements=("XH", "XM"),
        row_filter={"element": "XH", "op": "prefix", "value": "2023"},
        masking={"XM": "name"},
        expires_at=NOW + timedelta(days=30),
        revoked=False,
    )
    base.update(kw)
    return GrantView(**base)


def _decide(roles, unit="0110", op="query", grants=(), grant_id=None):
    return decide(
        roles=frozenset(roles),
        unit_code=unit,
        account_id=1,
        spec=SPEC,
        operation=op,
        grants=grants,
        grant_id=grant_id,
        now=NOW,
    )


def test_office_reads_everything_but_sensitive_pi_stays_masked() -> None:
    d = _decide({"office_admin"}, unit="0002")
    assert d.elements == SPEC.element_codes
    assert d.masking == {"YHKH": "bank_card", "MZM": "suppress"}


def test_producer_officer_reads_and_writes_its_own_dataset() -> None:
    assert _decide({"unit_data_officer"}, unit="0104").basis == "producer"
    assert _decide({"unit_data_officer"}, unit="0104", op="insert").elements == SPEC.element_codes


def test_producer_reviewer_reads_but_cannot_write() -> None:
    assert _decide({"unit_reviewer"}, unit="0104").basis == "producer"
    with pytest.raises(PermissionDenied):
        _decide({"unit_reviewer"}, unit="0104", op="update")


def test_another_units_officer_is_denied_without_a_grant() -> None:
    with pytest.raises(PermissionDenied) as info:
        _decide({"unit_data_officer"}, unit="0102")
    assert "Art. 30" in info.value.en


@pytest.mark.parametrize(
    "role", ["auditor", "destruction_officer", "leadership", "tech_support", "applicant"]
)
def test_roles_without_a_basis_read_nothing(role: str) -> None:
    with pytest.raises(PermissionDenied):
        _decide({role}, unit="0104" if role != "applicant" else "0110")


def test_a_grant_gives_only_its_elements_rows_and_masking() -> None:
    d = _decide({"applicant"}, grants=[_grant()])
    assert d.elements == ("XH", "XM")
    assert d.masking == {"XM": "name"}
    assert d.basis == "grant:7" and d.grant_id == 7
    assert d.row_filter is not None


def test_expired_revoked_or_foreign_grants_do_not_count() -> None:
    for g in (
        _grant(expires_at=NOW - timedelta(seconds=1)),
        _grant(revoked=True),
        _grant(grantee_unit_code="0201"),
        _grant(dataset_code="staff_basic"),
        _grant(grantee_account_id=99),
    ):
        with pytest.raises(PermissionDenied):
            _decide({"applicant"}, grants=[g])


def test_grants_never_allow_writes() -> None:
    with pytest.raises(PermissionDenied):
        _decide({"applicant"}, op="insert", grants=[_grant()])


def test_history_is_for_the_office_only() -> None:
    assert _decide({"office_admin"}, unit="0002", op="history").basis == "office"
    with pytest.raises(PermissionDenied):
        _decide({"unit_data_officer"}, unit="0104", op="history")


def test_several_grants_need_a_choice() -> None:
    grants = [_grant(), _grant(id=8, elements=("XH",))]
    with pytest.raises(PermissionDenied):
        _decide({"applicant"}, grants=grants)
    assert _decide({"applicant"}, grants=grants, grant_id=8).elements == ("XH",)
