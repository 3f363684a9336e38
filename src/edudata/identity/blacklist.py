"""The blacklist (黑名单, Art. 59): accounts and addresses (IP or CIDR) refused at login and on every request."""

from __future__ import annotations

import ipaddress

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.errors import NotFound, ValidationFailed
from edudata.identity.models import Blacklist
from edudata.org.validation import USERNAME, clean_text

KINDS = ("account", "address")


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValidationFailed(
            f"地址 {value:.60} 不是合法的 IP 或 CIDR",
            f"{value:.60} is not an IP address or CIDR block",
            field="value",
        ) from None


def add(
    session: Session, *, kind: str, value: str, reason: str = "", created_by: str | None = None
) -> Blacklist:
    """Blacklist an account (by username) or an address (IP or CIDR, stored normalised)."""
    if kind not in KINDS:
        raise ValidationFailed(f"类型 {kind!s:.20} 不合法", f"kind must be one of {KINDS}", field="kind")
    if not isinstance(value, str):
        raise ValidationFailed("value：应为文本", "value: must be text", field="value")
    if kind == "address":
        value = str(_network(value))
    elif not USERNAME.match(value):
        raise ValidationFailed("用户名格式不正确", "malformed username", field="value")
    reason = clean_text(reason, "reason", max_length=500, required=False)
    entry = Blacklist(
        kind=kind, value=value, reason=reason, created_by=created_by, created_at=utcnow(), active=True
    )
    session.add(entry)
    session.flush()
    return entry


def deactivate(session: Session, entry_id: int) -> Blacklist:
    entry = session.get(Blacklist, entry_id)
    if entry is None:
        raise NotFound("黑名单条目不存在", "no such blacklist entry", field="id")
    entry.active = False
    session.flush()
    return entry


def active_entries(session: Session) -> list[Blacklist]:
    return list(
        session.execute(select(Blacklist).where(Blacklist.active.is_(True)).order_by(Blacklist.id)).scalars()
    )


def address_listed(session: Session, address: str) -> bool:
    """True when ``address`` falls in an active blacklisted IP or CIDR block."""
    values = session.execute(
        select(Blacklist.value).where(Blacklist.kind == "address", Blacklist.active.is_(True))
    ).scalars()
    networks = list(values)
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for value in networks:
        net = ipaddress.ip_network(value, strict=False)
        if ip.version == net.version and ip in net:
            return True
    return False


def account_listed(session: Session, username: str) -> bool:
    return (
        session.execute(
            select(Blacklist.id).where(
                Blacklist.kind == "account", Blacklist.value == username, Blacklist.active.is_(True)
            )
        ).first()
        is not None
    )


def refusal(session: Session, username: str, address: str) -> str | None:
    """``"address"`` or ``"account"`` when either is blacklisted, else None; one query per request."""
    entries = session.execute(select(Blacklist.kind, Blacklist.value).where(Blacklist.active.is_(True))).all()
    if not entries:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    for kind, value in entries:
        if kind == "account" and value == username:
            return "account"
        if kind == "address" and ip is not None:
            net = ipaddress.ip_network(value, strict=False)
            if ip.version == net.version and ip in net:
                return "address"
    return None
