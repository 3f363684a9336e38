"""Separation of duties as Art. 30 reads it (数据处理、使用、销毁和安全审计的权限分离).

Five duties, mutually exclusive by default: an account holding a role of one may hold no role of another.
Processing is the producer unit's data officer and reviewer (and technical support, Art. 12); use is the
applicant; audit the auditor; destruction the destruction officer; administration the office. These built-in
exclusions always bind and cannot be removed; the office may add stricter pairs (``org_sod_rule``), e.g. officer
against reviewer. The leadership group and the PI-protection officer are bound by no built-in pair.
"""

from __future__ import annotations

from itertools import combinations

from edudata.policy.roles import Role

DUTIES: dict[str, frozenset[Role]] = {
    "processing": frozenset({Role.UNIT_DATA_OFFICER, Role.UNIT_REVIEWER, Role.TECH_SUPPORT}),
    "use": frozenset({Role.APPLICANT}),
    "audit": frozenset({Role.AUDITOR}),
    "destruction": frozenset({Role.DESTRUCTION_OFFICER}),
    "administration": frozenset({Role.OFFICE_ADMIN}),
}


def builtin_pairs() -> frozenset[tuple[str, str]]:
    """Every (role_a, role_b), sorted, of two roles in different duties."""
    pairs = set()
    for one, other in combinations(DUTIES.values(), 2):
        pairs |= {tuple(sorted((str(a), str(b)))) for a in one for b in other}
    return frozenset(pairs)  # type: ignore[arg-type]


BUILTIN_PAIRS = builtin_pairs()


def is_builtin(role_a: str, role_b: str) -> bool:
    return tuple(sorted((role_a, role_b))) in BUILTIN_PAIRS
