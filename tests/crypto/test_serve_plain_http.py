"""``edudata serve`` refuses plain HTTP on an address other machines reach, unless a TLS proxy is trusted
(Art. 25–26)."""

from __future__ import annotations

import pytest

from edudata.api.transport import check_listen, is_loopback
from edudata.config import Settings
from edudata.errors import ValidationFailed
from support.lifecycle import run_cli


def test_plain_http_on_every_address_is_refused_by_the_command(settings: Settings) -> None:
    done = run_cli(settings, "serve", "--host", "0.0.0.0", "--port", "1")  # noqa: S104 - the refused case
    assert done.returncode == 2
    assert "明文 HTTP" in done.stdout and "Art. 25-26" in done.stdout


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "[::1]"])
def test_loopback_may_be_plain(host: str) -> None:
    assert is_loopback(host)
    check_listen(host, tls=False, settings=Settings())


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "edudata.example.edu.cn"])  # noqa: S104
def test_a_reachable_address_needs_tls_or_a_trusted_proxy(host: str) -> None:
    with pytest.raises(ValidationFailed):
        check_listen(host, tls=False, settings=Settings())
    check_listen(host, tls=True, settings=Settings())
    check_listen(host, tls=False, settings=Settings(trusted_proxies=["10.0.0.5"]))
