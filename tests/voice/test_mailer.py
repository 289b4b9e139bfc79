"""Texts of the information emails: both languages, every kind, times in the home's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from voice_server.mailer import (
    AlertFacts,
    ack_email,
    cancelled_email,
    escalated_email,
    exhausted_email,
    info_email,
)

PARIS_WINTER = timezone(timedelta(hours=1))


def _facts(language: str = "fr", kind: str = "intrusion", **changes: object) -> AlertFacts:
    values: dict[str, object] = {
        "site_name": "Maison",
        "language": language,
        "kind": kind,
        "detector": "Porte d'entrée",
        "zone": "Rez-de-chaussée",
        "occurred_at": datetime(2026, 3, 3, 14, 30, tzinfo=PARIS_WINTER),
    }
    values.update(changes)
    return AlertFacts(**values)  # type: ignore[arg-type]


def test_info_email_in_french() -> None:
    subject, body = info_email(_facts())
    assert subject == "[Maison] Alerte : intrusion"
    assert "Type : Intrusion\n" in body
    assert "Détecteur : Porte d'entrée\n" in body
    assert "Zone : Rez-de-chaussée\n" in body
    assert "Heure : le 3 mars 2026 à 14:30\n" in body
    assert "appelés l'un après l'autre" in body


def test_info_email_in_english() -> None:
    subject, body = info_email(_facts("en", "smoke"))
    assert subject == "[Maison] Alert: smoke detected"
    assert "Type: Smoke detected\nDetector: Porte d'entrée\nZone: Rez-de-chaussée\n" in body
    assert "Time: on 3 March 2026 at 14:30\n" in body
    assert "being called one after the other" in body


@pytest.mark.parametrize(
    ("kind", "french", "english"),
    [
        ("intrusion", "intrusion", "intrusion"),
        ("smoke", "détection de fumée", "smoke detected"),
        ("flood", "inondation", "flood"),
        ("tamper", "sabotage", "tampering"),
        ("sos", "appel d'urgence", "emergency call"),
        ("fault", "défaut technique", "technical fault"),
    ],
)
def test_every_kind_has_its_words(kind: str, french: str, english: str) -> None:
    assert info_email(_facts("fr", kind))[0] == f"[Maison] Alerte : {french}"
    assert info_email(_facts("en", kind))[0] == f"[Maison] Alert: {english}"
    for language in ("fr", "en"):
        for subject, body in (
            info_email(_facts(language, kind)),
            exhausted_email(_facts(language, kind)),
        ):
            assert "{" not in subject + body


def test_time_is_shown_in_the_alert_offset() -> None:
    utc_alert = _facts(occurred_at=datetime(2026, 7, 14, 22, 5, tzinfo=UTC))
    assert "Heure : le 14 juillet 2026 à 22:05" in info_email(utc_alert)[1]


def test_ack_email_says_who_and_when_in_home_time() -> None:
    at = datetime(2026, 3, 3, 13, 32, tzinfo=UTC)  # 14:32 at home
    subject, body = ack_email(_facts(), "Marie", at)
    assert subject == "[Maison] Alerte acquittée par Marie"
    assert body.startswith("Alerte acquittée par Marie à 14:32.\n")
    subject, body = ack_email(_facts("en"), "Marie", at)
    assert subject == "[Maison] Alert acknowledged by Marie"
    assert body.startswith("Alert acknowledged by Marie at 14:32.\n")


def test_ack_on_another_day_gives_the_date() -> None:
    at = datetime(2026, 3, 4, 0, 10, tzinfo=PARIS_WINTER)
    assert "par Marie le 4 mars 2026 à 00:10." in ack_email(_facts(), "Marie", at)[1]


def test_escalated_exhausted_and_cancelled_emails() -> None:
    at = datetime(2026, 3, 3, 14, 40, tzinfo=PARIS_WINTER)
    subject, body = escalated_email(_facts(), "Paul", at)
    assert subject == "[Maison] Paul a joint la télésurveillance"
    assert "télésurveillance par Paul à 14:40" in body
    subject, body = exhausted_email(_facts("en"))
    assert subject == "[Maison] Alert not acknowledged"
    assert "Nobody acknowledged the alert" in body
    assert cancelled_email(_facts(), "Marie", at)[1].startswith(
        "Alarme désarmée par Marie à 14:40 : l'alerte est arrêtée."
    )
    assert cancelled_email(_facts("en"), None, at)[1].startswith(
        "Alarm disarmed at 14:40: the alert is stopped."
    )


def test_missing_detector_and_zone_are_said_so() -> None:
    body = info_email(_facts(detector=None, zone=None))[1]
    assert "Détecteur : non précisé\nZone : non précisée\n" in body


def test_a_line_break_in_a_name_never_reaches_the_subject() -> None:
    subject = ack_email(_facts(site_name="Mai\r\nson"), "Ma\nrie", datetime.now(UTC))[0]
    assert subject == "[Mai son] Alerte acquittée par Ma rie"


@pytest.mark.parametrize(
    "changes",
    [
        {"language": "de"},
        {"kind": "burglary"},
        {"occurred_at": datetime(2026, 3, 3, 14, 30)},  # noqa: DTZ001 - naive on purpose
    ],
    ids=["language", "kind", "naive-time"],
)
def test_invalid_facts_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"language|kind|time zone"):
        info_email(_facts(**changes))  # type: ignore[arg-type]
