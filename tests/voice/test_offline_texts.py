"""What a silent home's contacts read and hear, in French and English (home offline)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from voice_server.mailer import AlertFacts, ack_email, back_email, expired_email, info_email
from voice_server.prompts import alert_message

PARIS_WINTER = timezone(timedelta(hours=1))
SINCE = datetime(2026, 3, 3, 14, 30, tzinfo=PARIS_WINTER)


def _facts(language: str) -> AlertFacts:
    return AlertFacts(
        site_name="Maison",
        language=language,
        kind="home_offline",
        detector=None,
        zone=None,
        occurred_at=SINCE,
    )


def test_the_information_email_says_the_alarm_no_longer_answers() -> None:
    subject, body = info_email(_facts("fr"))
    assert subject == "[Maison] L'alarme ne répond plus"
    assert body.startswith("L'alarme de « Maison » ne répond plus : ")
    assert "Type : Perte de liaison avec l'alarme\n" in body
    assert "Dernier signal reçu : le 3 mars 2026 à 14:30" in body
    assert "Détecteur" not in body  # a silent home has neither detector nor zone
    assert "tape son code arrête l'alerte" in body
    subject, body = info_email(_facts("en"))
    assert subject == "[Maison] The alarm no longer answers"
    assert body.startswith("The alarm of “Maison” no longer answers: ")
    assert "Type: Alarm link lost\nLast signal received: on 3 March 2026 at 14:30" in body
    assert "Detector" not in body


def test_the_other_emails_of_the_alert_carry_the_silence_s_details() -> None:
    at = SINCE + timedelta(minutes=7)
    _, body = ack_email(_facts("fr"), "Marie", at)
    assert "Alerte acquittée par Marie à 14:37." in body
    assert "Dernier signal reçu : le 3 mars 2026 à 14:30" in body
    _, body = expired_email(_facts("en"))
    assert "Last signal received: on 3 March 2026 at 14:30" in body


@pytest.mark.parametrize(
    ("language", "armed", "stopped", "subject", "lines"),
    [
        (
            "fr",
            True,
            True,
            "[Maison] L'alarme répond de nouveau",
            ["répond de nouveau à 14:48 ; elle est armée.", "Les appels sont arrêtés."],
        ),
        ("fr", False, False, "[Maison] L'alarme répond de nouveau", ["elle est désarmée."]),
        (
            "en",
            True,
            True,
            "[Maison] The alarm answers again",
            ["answers again at 14:48; it is armed.", "The calls are stopped."],
        ),
        ("en", False, False, "[Maison] The alarm answers again", ["it is disarmed."]),
    ],
)
def test_the_back_email_says_when_and_whether_calls_were_stopped(
    language: str, armed: bool, stopped: bool, subject: str, lines: list[str]
) -> None:
    got_subject, body = back_email(
        _facts(language), SINCE + timedelta(minutes=18), armed=armed, stopped=stopped
    )
    assert got_subject == subject
    for line in lines:
        assert line in body
    assert ("arrêtés" in body or "stopped" in body) is stopped
    assert "14:30" in body  # when the silence began


def test_the_back_email_on_another_day_gives_the_date() -> None:
    _, body = back_email(_facts("fr"), SINCE + timedelta(days=1), armed=True, stopped=False)
    assert "répond de nouveau le 4 mars 2026 à 14:30" in body


def test_the_call_says_the_alarm_no_longer_answers_since_its_last_heartbeat() -> None:
    def said(language: str, at: datetime) -> str:
        return alert_message(
            language,
            site_name="Maison",
            kind="home_offline",
            detector=None,
            zone=None,
            occurred_at=at,
        )

    assert said("fr", SINCE) == "L'alarme de Maison ne répond plus depuis 14 heures 30."
    assert (
        said("fr", SINCE.replace(minute=0)) == "L'alarme de Maison ne répond plus depuis 14 heures."
    )
    assert said("en", SINCE) == "The alarm of Maison no longer answers, since 14:30."
    assert (
        said("en", SINCE.replace(minute=5)) == "The alarm of Maison no longer answers, since 14:05."
    )
