"""Organisation checks: separation of duties (不相容岗位分离, Art. 30)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import aliased

from edudata.inspect.registry import CheckContext, Hit, check
from edudata.org.models import Account, RoleAssignment, SodRule, Unit
from edudata.org.roles import role_name


@check(
    "org.sod_conflict",
    article="30",
    severity="high",
    requires=("org",),
    zh="处理、使用、销毁与审计权限分离",
    en="Processing, use, destruction and audit duties separated",
)
def sod_conflicts(ctx: CheckContext) -> Iterator[Hit]:
    """An enabled account holding both roles of a separation-of-duties rule. The services refuse such grants,
    so a hit means roles were given around them (a direct database change or a rule added later)."""
    a, b = aliased(RoleAssignment), aliased(RoleAssignment)
    rows = ctx.session.execute(
        select(Account.username, Unit.code, SodRule.role_a, SodRule.role_b)
        .join(a, a.account_id == Account.id)
        .join(b, b.account_id == Account.id)
        .join(SodRule, (SodRule.role_a == a.role) & (SodRule.role_b == b.role))
        .join(Unit, Unit.id == Account.unit_id)
        .where(Account.disabled.is_(False))
        .order_by(Account.username, SodRule.role_a, SodRule.role_b)
    ).all()
    for username, unit_code, role_a, role_b in rows:
        (a_zh, a_en), (b_zh, b_en) = role_name(role_a), role_name(role_b)
        yield Hit(
            unit_code,
            f"{username}:{role_a}+{role_b}",
            f"账户 {username} 同时持有不相容岗位“{a_zh}”与“{b_zh}”",
            f"account {username} holds the incompatible roles '{a_en}' and '{b_en}'",
            {"username": username, "roles": [role_a, role_b]},
        )
