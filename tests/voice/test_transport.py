"""Transport: the API over HTTPS, STARTTLS by default, one bad address never stops the others."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import ipaddress
from pathlib import Path
import sqlite3
import ssl
from typing import TYPE_CHECKING, Any

import aiohttp
from aiosmtpd.smtp import SMTP, AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from testkit.polling import until
from testkit.ports import LOOPBACK
from testkit.smtp import SmtpSink
from tests.voice.conftest import voice_config
from tests.voice.harness import TOKEN
from voice_server.config import ConfigError, load_config
from voice_server.migrations import migrate
from voice_server.outbox import OutboxWorker, SmtpSettings, enqueue_email, pending_counts
from voice_server.server import VoiceServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.voice.conftest import PortPool

SENDER = "alarme@example.com"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here (no file of the repository)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imaprotect-voice test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_the_api_is_served_over_https_with_a_certificate(
    tmp_path: Path, prompt_dir: Path, port_pool: PortPool
) -> None:
    cert, key = _self_signed(tmp_path)
    config = voice_config(tmp_path / "v.db", prompt_dir, asterisk=None, ari_port=port_pool.take())
    server = VoiceServer(replace(config, tls_cert=cert, tls_key=key))
    await server.start()
    try:
        trusted = ssl.create_default_context(cafile=str(cert))
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with aiohttp.ClientSession() as session:
            url = f"https://{LOOPBACK}:{server.port}"
            async with session.get(f"{url}/healthz", ssl=trusted) as response:
                assert response.status == 200
                assert (await response.json())["asterisk"] is False
            async with session.get(f"{url}/api/v1/info", ssl=trusted, headers=headers) as info:
                assert info.status == 200
            with pytest.raises(aiohttp.ClientError):  # plain HTTP is not served there
                async with session.get(f"http://{LOOPBACK}:{server.port}/healthz") as plain:
                    await plain.read()
    finally:
        await server.stop()


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "voice.toml"
    path.write_text(
        f'[asterisk]\nari_password = "{"p" * 16}"\n'
        f'[voice]\ntoken = "{"t" * 32}"\ndatabase = "{tmp_path / "v.db"}"\n{extra}'
    )
    return path


def test_tls_settings_load_and_go_together(tmp_path: Path) -> None:
    loaded = load_config(_config(tmp_path, 'tls_cert = "/etc/c.pem"\ntls_key = "/etc/k.pem"\n'), {})
    assert (loaded.tls_cert, loaded.tls_key) == (Path("/etc/c.pem"), Path("/etc/k.pem"))
    with pytest.raises(ConfigError, match=r"tls_cert and voice\.tls_key go together"):
        load_config(_config(tmp_path, 'tls_cert = "/etc/c.pem"\n'), {})


def test_smtp_upgrades_to_tls_by_default_and_never_sends_a_password_in_clear(
    tmp_path: Path,
) -> None:
    smtp = '[smtp]\nhost = "smtp.example.org"\nsender = "a@example.org"\n'
    plain = load_config(_config(tmp_path, smtp), {}).smtp
    assert plain is not None
    assert plain.starttls is None  # opportunistic: STARTTLS whenever the relay offers it
    assert plain.start_tls is None
    login = load_config(_config(tmp_path, smtp + 'username = "alarme"\n'), {}).smtp
    assert login is not None
    assert login.start_tls is True  # with a password, TLS is required
    with pytest.raises(ConfigError, match=r"smtp\.username needs TLS"):
        load_config(_config(tmp_path, smtp + 'username = "alarme"\nstarttls = false\n'), {})
    implicit = load_config(_config(tmp_path, smtp + 'username = "alarme"\ntls = true\n'), {})
    assert implicit.smtp is not None
    assert (implicit.smtp.port, implicit.smtp.start_tls, implicit.smtp.tls) == (465, False, True)
    assert SmtpSettings("h", 25, SENDER).start_tls is None


@pytest.fixture
async def sink(port_pool: PortPool) -> AsyncIterator[SmtpSink]:
    server = SmtpSink(port_pool.take())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(tmp_path / "outbox.db")
    migrate(connection)
    return connection


async def _deliver(conn: sqlite3.Connection, smtp: SmtpSettings, *to: str) -> OutboxWorker:
    with conn:
        enqueue_email(
            conn, site_id="s", alert_id="a", to=to, subject="[Maison] Alerte", body="Intrusion."
        )
    async with aiohttp.ClientSession() as session:
        worker = OutboxWorker(conn, smtp=smtp, session=session)
        task = asyncio.create_task(worker.run())
        await until(lambda: worker.delivered["email"] + worker.failures["email"] > 0, within=10)
        await worker.stop()
        await task
    return worker


async def test_one_bad_address_never_stops_the_emails_to_the_others(
    conn: sqlite3.Connection, sink: SmtpSink
) -> None:
    sink.refuse = {"refused@example.org"}
    smtp = SmtpSettings(LOOPBACK, sink.port, SENDER, timeout=5.0)
    to = ("first@example.org", "refused@example.org", "marie@exémple.fr", "last@example.org")
    await _deliver(conn, smtp, *to)
    # The relay does not speak SMTPUTF8: the international domain goes out in its IDNA form.
    assert sorted(m["X-Rcpt"] for m in sink.messages) == [
        "first@example.org", "last@example.org", "marie@xn--exmple-cva.fr",
    ]  # fmt: skip
    (recipients,) = conn.execute("SELECT recipients FROM outbox").fetchone()
    assert recipients == '["refused@example.org"]'  # only the refused one is retried
    assert pending_counts(conn)["email"] == 1


async def test_a_login_without_tls_is_never_attempted(
    conn: sqlite3.Connection, port_pool: PortPool
) -> None:
    # A relay that takes a login in clear and offers no STARTTLS: the password must not go.
    logins: list[bytes] = []

    def authenticator(*args: Any) -> AuthResult:
        logins.append(args[4].password)
        return AuthResult(success=True)

    sink = SmtpSink(port_pool.take())
    loop = asyncio.get_running_loop()
    sink.server = await loop.create_server(
        lambda: SMTP(sink, authenticator=authenticator, auth_require_tls=False),
        LOOPBACK,
        sink.port,
    )
    try:
        smtp = SmtpSettings(LOOPBACK, sink.port, SENDER, "alarme", "secret-password", timeout=5.0)
        worker = await _deliver(conn, smtp, "first@example.org")
    finally:
        await sink.stop()
    assert worker.failures["email"] == 1
    assert logins == []
    assert sink.messages == []
