"""Who is asking: the authenticated account, its unit and roles, and where the request came from (Art. 54, 59)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The caller of one request (主体), built afresh per request so a revoked role or account stops at once.

    ``via`` is ``"token"`` for an API bearer token and ``"session"`` for a browser session cookie.
    """

    account_id: int
    username: str
    display_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    roles: frozenset[str]
    source_ip: str
    via: str

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)
