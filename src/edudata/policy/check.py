"""Asking the rulebook (:mod:`edudata.policy.table`): one function for routes, pages, services, CLI and worker.

``allowed`` answers; ``require`` raises :class:`edudata.errors.PermissionDenied` (403), which every channel
answers the same way and the audit hook records as a refused attempt (Art. 59).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from edudata.errors import PermissionDenied
from edudata.policy.roles import Role, role_name
from edudata.policy.table import ACTIONS, rule


class Caller(Protocol):
    roles: frozenset[str]
    unit_code: str


def _roles(who: Caller | Iterable[str]) -> frozenset[str]:
    roles = getattr(who, "roles", None)
    return frozenset(roles if roles is not None else who)  # type: ignore[arg-type]


def allowed(who: Caller | Iterable[str], action: str, *, unit_code: str | None = None) -> bool:
    """May ``who`` take ``action`` (on an object of ``unit_code``, when the action is unit-scoped)?

    Without ``unit_code`` a unit-scoped role does not pass: the caller must name the object's unit.
    """
    r = rule(action)
    roles = _roles(who)
    if r.signed_in or not roles.isdisjoint(r.roles):
        return True
    if unit_code is None or roles.isdisjoint(r.unit_roles):
        return False
    return getattr(who, "unit_code", None) == unit_code


def may_attempt(who: Caller | Iterable[str], action: str) -> bool:
    """Does ``who`` hold a role that may take ``action`` on some object (the route-level check)?"""
    r = rule(action)
    return r.signed_in or not _roles(who).isdisjoint(r.roles | r.unit_roles)


def holders(action: str) -> frozenset[Role]:
    """The roles that may take ``action`` anywhere (e.g. whom to tell that an application awaits the office)."""
    return rule(action).roles


def refusal(action: str) -> PermissionDenied:
    """The 403 answer for ``action``, naming the roles that may take it and the article."""
    r = rule(action)
    names = [role for role in Role if role in r.roles or role in r.unit_roles]
    zh = "或".join(role_name(n)[0] for n in names)
    en = " or the ".join(role_name(n)[1] for n in names)
    unit_zh = "（限本单位）" if r.unit_roles else ""
    unit_en = " of the unit concerned" if r.unit_roles else ""
    return PermissionDenied(
        f"只有{zh}{unit_zh}可以执行此操作（{action}，{r.article}）",
        f"only the {en}{unit_en} may do this ({action}, {r.article})",
        action=action,
    )


def require(who: Caller | Iterable[str], action: str, *, unit_code: str | None = None) -> None:
    """Raise 403 unless ``who`` may take ``action`` (see :func:`allowed`)."""
    if not allowed(who, action, unit_code=unit_code):
        raise refusal(action)


def require_attempt(who: Caller | Iterable[str], action: str) -> None:
    """Raise 403 unless ``who`` holds a role that may take ``action`` on some object."""
    if not may_attempt(who, action):
        raise refusal(action)


def known(action: str) -> bool:
    return action in ACTIONS
