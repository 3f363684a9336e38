"""Transmission security (Art. 25-26): the service speaks TLS with a certificate, as `edudata serve --certfile`."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.server import LiveServer
from support.tls import self_signed_certificate


@pytest.fixture
def tls_server(app, tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:  # noqa: ANN001 - FastAPI app
    cert, key = self_signed_certificate(tmp_path)
    live = LiveServer(app, ssl_certfile=str(cert), ssl_keyfile=str(key))
    live.start()
    yield live, cert
    live.stop()


def test_health_is_served_over_https_verified_against_the_certificate(tls_server) -> None:  # noqa: ANN001
    live, cert = tls_server
    assert live.url.startswith("https://")
    trust = ssl.create_default_context(cafile=str(cert))
    with (
        httpx.Client(base_url=live.url, verify=trust, timeout=10) as client,
        client.stream("GET", "/api/v1/health") as r,
    ):
        tls = r.extensions["network_stream"].get_extra_info("ssl_object")
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}
        r.read()
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_plain_http_to_the_tls_port_gets_no_answer(tls_server) -> None:  # noqa: ANN001
    live, _ = tls_server
    with pytest.raises(httpx.TransportError):
        httpx.get(live.url.replace("https://", "http://") + "/api/v1/health", timeout=10)


def test_a_client_that_does_not_trust_the_certificate_refuses_it(tls_server) -> None:  # noqa: ANN001
    live, _ = tls_server
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(live.url + "/api/v1/health", timeout=10)  # system trust store only
