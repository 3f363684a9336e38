"""Transmission security (Art. 25-26): the service speaks TLS with a certificate, as `edudata serve --certfile`."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from support.server import LiveServer


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost, the way docs/tls.md makes one for testing."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


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
