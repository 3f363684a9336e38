"""Plain HTTP only on loopback (Art. 25–26: 传输加密): ``edudata serve`` refuses to listen unencrypted on an
address other machines can reach, unless TLS ends in a reverse proxy named in ``trusted_proxies`` (docs/tls.md)."""

from __future__ import annotations

import ipaddress

from edudata.config import Settings
from edudata.errors import ValidationFailed


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``; ``0.0.0.0`` is every address."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a routable address


def check_listen(host: str, tls: bool, settings: Settings) -> None:
    """Refuse plain HTTP on a reachable address when no trusted TLS proxy is configured."""
    if tls or is_loopback(host) or settings.trusted_proxies:
        return
    raise ValidationFailed(
        f"拒绝在 {host} 上以明文 HTTP 提供服务：第二十五、二十六条要求传输加密。请用 --certfile/--keyfile 提供 HTTPS，"
        "或在终止 TLS 的反向代理之后运行并配置 EDUDATA_TRUSTED_PROXIES，或只监听 127.0.0.1",
        f"refusing plain HTTP on {host}: Art. 25-26 require encrypted transmission. Serve HTTPS with "
        "--certfile/--keyfile, or run behind a TLS-terminating proxy listed in EDUDATA_TRUSTED_PROXIES, or listen "
        "on 127.0.0.1 only",
        field="host",
    )
