"""Fixtures for the channel tests: fake remotes on 127.0.0.1 only, no database."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.channels.fakes import FakeHttpServer, LocalController, SilentPort, SmtpHandler

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests honours proxy variables: none here, so every request goes to the local fake."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def http_server() -> Iterator[FakeHttpServer]:
    server = FakeHttpServer().start()
    yield server
    server.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    port = SilentPort()
    yield port.port
    port.close()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "liandong-test-smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


StartSmtp = Callable[..., tuple[LocalController, SmtpHandler]]


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """`start_smtp(handler=None, **controller_kwargs)`: a fake SMTP server, stopped after the test."""
    started: list[LocalController] = []

    def start(
        handler: SmtpHandler | None = None, **kwargs: Any
    ) -> tuple[LocalController, SmtpHandler]:
        handler = handler or SmtpHandler()
        if kwargs.pop("with_auth", False):
            kwargs.setdefault("authenticator", handler.authenticator)
            kwargs.setdefault("auth_require_tls", False)
        controller = LocalController(handler, **kwargs)
        controller.start()
        started.append(controller)
        return controller, handler

    yield start
    for controller in started:
        controller.stop()
