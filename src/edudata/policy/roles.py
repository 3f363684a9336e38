"""The nine roles of the platform (Art. 5-12 name the actors; Art. 30 separates their duties).

Role values are lower-case strings stored in ``org_role_assignment.role`` and carried in every
:class:`edudata.identity.principal.Principal`. This is the only module that spells them; every other module asks
the policy (:mod:`edudata.policy.check`) what a role may do.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an account may do; an account holds several roles unless a separation-of-duties rule forbids it."""

    LEADERSHIP = "leadership"  # 网信领导小组成员 (Art. 5)
    OFFICE_ADMIN = "office_admin"  # 网信办管理员 (Art. 6)
    UNIT_DATA_OFFICER = "unit_data_officer"  # 单位数据管理员 (Art. 7-8)
    UNIT_REVIEWER = "unit_reviewer"  # 单位审核人 (Art. 8)
    APPLICANT = "applicant"  # 数据使用申请人 (Art. 9)
    AUDITOR = "auditor"  # 审计员 (Art. 30, 59)
    DESTRUCTION_OFFICER = "destruction_officer"  # 数据销毁专员 (Art. 30)
    DATA_PROTECTION_OFFICER = "data_protection_officer"  # 个人信息保护负责人
    TECH_SUPPORT = "tech_support"  # 技术支持或服务单位人员 (Art. 12)


#: Display names (中文, English) for pages and messages.
ROLE_NAMES: dict[str, tuple[str, str]] = {
    Role.LEADERSHIP: ("网信领导小组成员", "leadership group member"),
    Role.OFFICE_ADMIN: ("网信办管理员", "office administrator"),
    Role.UNIT_DATA_OFFICER: ("单位数据管理员", "unit data officer"),
    Role.UNIT_REVIEWER: ("单位审核人", "unit reviewer"),
    Role.APPLICANT: ("数据申请人", "data applicant"),
    Role.AUDITOR: ("审计员", "auditor"),
    Role.DESTRUCTION_OFFICER: ("数据销毁专员", "destruction officer"),
    Role.DATA_PROTECTION_OFFICER: ("个人信息保护负责人", "data protection officer"),
    Role.TECH_SUPPORT: ("技术支持人员", "technical support"),
}

ALL_ROLES: frozenset[str] = frozenset(r.value for r in Role)


def role_name(role: str) -> tuple[str, str]:
    """(中文, English) name of ``role``; an unknown value is shown as itself."""
    return ROLE_NAMES.get(role, (role, role))
