"""Who is asking: the authenticated account, its unit and roles, and where the request came from (Art. 54, 59)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The caller of one request (主体), built afresh per request so a revoked role or account stops at once.

    ``via`` is ``"token"`` for an API bearer token, ``"session"`` for a browser session cookie and ``"grant"``
    for a grant-scoped credential (which carries no roles and is accepted by the data API only).
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
    # Set for a grant-scoped credential (sharing, Art. 40): the data path reads this grant only.
    grant_id: int | None = None

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class PublicCaller:
    """Anyone on the open-data portal without a key (公众, Art. 44(3)): no account, no unit, one role.

    Audited as ``anonymous`` from its address; the data path lets it read published unconditional views only.
    """

    source_ip: str
    account_id: int | None = None
    username: str = "anonymous"
    unit_code: str = ""
    roles: frozenset[str] = frozenset({"public"})

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class OpenKeyCaller:
    """A registered citizen or organisation holding an approved open-data key (有条件开放, Art. 44(2)).

    ``scope`` names the published views the key was approved for; audited as ``opendata-key:<prefix>``.
    """

    key_id: int
    public_user_id: int
    scope: frozenset[str]
    source_ip: str
    username: str = "opendata-key"
    account_id: int | None = None
    unit_code: str = ""
    roles: frozenset[str] = frozenset({"public", "open_data_key"})

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)
