"""Owner notices (self-diagnosis) on a real server and aiosmtpd, and the SMTP state in /healthz."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.imaprotect.contract.enums import NoticeKind, TroubleKind
from custom_components.imaprotect.contract.models import NoticeIn, TroubleItem
from tests.voice.fake_ari import until
from tests.voice.harness import SmtpSink, contact, site_body
from voice_server.notice_mail import notice_email

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.voice.conftest import PortPool, VoiceFactory

PARIS_WINTER = timezone(timedelta(hours=1))
AT = datetime(2026, 3, 3, 14, 30, tzinfo=PARIS_WINTER)
PATH = "/api/v1/sites/home/notices"


def _notice(kind: str = "trouble", notice_id: str = "n-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "notice_id": notice_id,
        "kind": kind,
        "occurred_at": AT.isoformat(),
        "troubles": [
            {"kind": "low_battery", "detector": "Porte d'entrée", "since": AT.isoformat()}
        ],
    }
    body.update(changes)
    return body


async def test_a_trouble_is_e_mailed_once_to_every_contact_with_an_address(
    voice: VoiceFactory, smtp_sink: SmtpSink
) -> None:
    running = await voice(smtp_port=smtp_sink.port)
    api = running.api
    await api.put_site("home", site_body([contact(0), contact(1), contact(2, email=False)]))
    assert await api.call("POST", PATH, _notice()) == (201, {"notice_id": "n-1", "recipients": 2})
    await until(lambda: len(smtp_sink.messages) == 2, within=10)
    assert smtp_sink.subjects("c0@example.org") == [
        "[Maison] Anomalie : pile faible : Porte d'entrée"
    ]
    body = smtp_sink.to("c1@example.org")[0].get_content()
    assert "- Pile faible : Porte d'entrée (depuis le 3 mars 2026 à 14:30)" in body
    assert "Personne n'est appelé" in body
    # Sent again (Home Assistant retried): accepted, not e-mailed again.
    assert await api.call("POST", PATH, _notice()) == (200, {"notice_id": "n-1", "recipients": 0})
    status, health = await api.call("GET", "/healthz")
    assert (status, health["smtp"]) == (200, "ok")
    assert len(smtp_sink.messages) == 2


async def test_a_digest_in_english_lists_every_trouble(
    voice: VoiceFactory, smtp_sink: SmtpSink
) -> None:
    running = await voice(smtp_port=smtp_sink.port)
    api = running.api
    await api.put_site("home", site_body([contact(0)], language="en"))
    troubles = [
        {"kind": "tamper", "detector": "Hall", "since": (AT - timedelta(days=1)).isoformat()},
        {"kind": "trunk", "since": AT.isoformat()},
    ]
    status, _ = await api.call("POST", PATH, _notice("digest", "n-2", troubles=troubles))
    assert status == 201
    await until(lambda: len(smtp_sink.messages) == 1, within=10)
    message = smtp_sink.to("c0@example.org")[0]
    assert str(message["Subject"]) == "[Maison] Troubles to fix: 2"
    body = message.get_content()
    assert "- Tamper switch open (case opened or torn off): Hall (since on 2 March 2026" in body
    assert (
        "- Phone line (SIP trunk) unreachable: calls fail (since on 3 March 2026 at 14:30)" in body
    )


async def test_a_notice_for_an_unknown_site_or_malformed_is_refused(voice: VoiceFactory) -> None:
    api = (await voice()).api
    status, body = await api.call("POST", PATH, _notice())
    assert (status, body["error"], body["field"]) == (404, "not_found", "site_id")
    await api.put_site("home", site_body([contact(0)]))
    status, body = await api.call("POST", PATH, _notice(troubles=[]))
    assert (status, body["field"]) == (422, "troubles")
    status, body = await api.call("POST", PATH, _notice(kind="party"))
    assert (status, body["field"]) == (422, "kind")
    naive = _notice(occurred_at="2026-03-03T14:30:00")
    status, body = await api.call("POST", PATH, naive)
    assert (status, body["field"]) == (422, "occurred_at")


async def test_without_an_e_mail_address_nothing_is_queued(voice: VoiceFactory) -> None:
    api = (await voice()).api
    await api.put_site("home", site_body([contact(0, email=False)]))
    assert await api.call("POST", PATH, _notice()) == (201, {"notice_id": "n-1", "recipients": 0})


async def test_healthz_says_when_the_relay_is_gone_and_back(
    voice: VoiceFactory, port_pool: PortPool
) -> None:
    sink = SmtpSink(port_pool.take())  # started late: nobody listens at first
    running = await voice(smtp_port=sink.port)
    api = running.api
    _, health = await api.call("GET", "/healthz")
    assert "smtp" not in health  # nothing tried yet
    await api.put_site("home", site_body([contact(0)]))
    await api.call("POST", PATH, _notice())

    async def smtp() -> str | None:
        _, answer = await api.call("GET", "/healthz")
        state: str | None = answer.get("smtp")
        return state

    await _until_async(smtp, "failing")  # nobody listens
    await sink.start()
    try:
        await _until_async(smtp, "ok", within=15)
        assert len(sink.messages) == 1
    finally:
        await sink.stop()


async def test_a_relay_refusing_the_message_is_failing_an_address_refused_is_not(
    voice: VoiceFactory, smtp_sink: SmtpSink
) -> None:
    running = await voice(smtp_port=smtp_sink.port)
    api = running.api
    smtp_sink.refuse.add("c0@example.org")
    await api.put_site("home", site_body([contact(0), contact(1)]))
    await api.call("POST", PATH, _notice())
    outbox = running.server.outbox
    assert outbox is not None
    await until(lambda: outbox.smtp_ok is not None, within=10)
    assert outbox.smtp_ok is True  # c0's address refused alone: the relay works
    assert len(smtp_sink.messages) == 1
    smtp_sink.refuse_data.add("c1@example.org")
    await api.call("POST", PATH, _notice(notice_id="n-2"))
    await until(lambda: outbox.smtp_ok is False, within=10)
    assert (await api.call("GET", "/healthz"))[1]["smtp"] == "failing"


async def _until_async(
    read: Callable[[], Awaitable[str | None]], wanted: str, within: float = 10.0
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (value := await read()) != wanted:
        assert loop.time() < deadline, f"still {value!r}"
        await asyncio.sleep(0.1)


# --- the texts, both languages, every kind -----------------------------------------------------


def _model(kind: NoticeKind, *troubles: TroubleItem) -> NoticeIn:
    return NoticeIn(notice_id="n-1", kind=kind, occurred_at=AT, troubles=troubles)


@pytest.mark.parametrize(
    ("kind", "french", "english"),
    [
        (TroubleKind.LOW_BATTERY, "Pile faible", "Low battery"),
        (TroubleKind.TAMPER, "Autoprotection ouverte", "Tamper switch open"),
        (TroubleKind.FAULT, "Détecteur muet", "Detector silent"),
        (TroubleKind.TRUNK, "Ligne téléphonique", "Phone line"),
        (TroubleKind.SMTP, "Serveur d'e-mails", "E-mail relay"),
    ],
)
def test_every_trouble_is_named_in_both_languages(
    kind: TroubleKind, french: str, english: str
) -> None:
    item = TroubleItem(kind=kind, since=AT.astimezone(UTC))
    _, body_fr = notice_email("Maison", "fr", _model(NoticeKind.TROUBLE, item))
    _, body_en = notice_email("Maison", "en", _model(NoticeKind.TROUBLE, item))
    assert f"- {french}" in body_fr
    assert f"- {english}" in body_en
    assert "(depuis le 3 mars 2026 à 14:30)" in body_fr  # in the home's zone, not UTC
    assert "(since on 3 March 2026 at 14:30)" in body_en


def test_a_fixed_trouble_says_so_without_since() -> None:
    item = TroubleItem(kind=TroubleKind.TAMPER, detector="Hall", since=AT)
    subject, body = notice_email("Maison", "fr", _model(NoticeKind.TROUBLE_CLEARED, item))
    assert (
        subject
        == "[Maison] Anomalie réglée : autoprotection ouverte (boîtier ouvert ou arraché) : Hall"
    )
    assert body.endswith("- Autoprotection ouverte (boîtier ouvert ou arraché) : Hall")
    subject, body = notice_email("Maison", "en", _model(NoticeKind.TROUBLE_CLEARED, item))
    assert subject.startswith("[Maison] Trouble fixed: tamper switch open")
    assert "since" not in body


def test_a_name_with_a_line_break_keeps_the_subject_on_one_line() -> None:
    item = TroubleItem(kind=TroubleKind.FAULT, detector="Porte", since=AT)
    subject, _ = notice_email("Mai\u2028son", "fr", _model(NoticeKind.TROUBLE, item))
    assert "\n" not in subject


def test_an_unknown_language_is_a_bug() -> None:
    item = TroubleItem(kind=TroubleKind.FAULT, since=AT)
    with pytest.raises(ValueError, match="unsupported language"):
        notice_email("Maison", "de", _model(NoticeKind.DIGEST, item))
