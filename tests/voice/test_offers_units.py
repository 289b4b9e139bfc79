"""The voice server's side of the offers, without Asterisk.

Calls that need no code (the call tree passes over who was informed), who an alert calls, its
e-mail and message, and the database step that keeps what an alert's calls ask.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
import sqlite3

import pytest

from custom_components.imaprotect.contract.enums import (
    Acknowledgement,
    AlertKind,
    AlertStatus,
    Language,
)
from custom_components.imaprotect.contract.models import AlertIn, Site
from tests.voice.harness import contact, site_body
from voice_server import migrations
from voice_server.callees import STATION_CONTACT_ID, callees
from voice_server.calltree import CallContact, Cursor, Finish, next_step
from voice_server.mailer import AlertFacts, info_email
from voice_server.migrations import DB_SCHEMA_VERSION, migrate, schema_version
from voice_server.prompts import alert_message, fixed_texts, texts

PARIS = timezone(timedelta(hours=1))


def test_the_cursor_passes_over_who_was_informed() -> None:
    done = frozenset({1})
    assert Cursor(1, 0).after(3, done) == Cursor(1, 2)
    assert Cursor(1, 2).after(3, frozenset({0})) == Cursor(2, 1)  # next round, first left
    assert Cursor(1, 2).after(3, frozenset({0, 1})) == Cursor(2, 2)  # only one left
    assert Cursor(1, 0).after(3) == Cursor(1, 1)
    assert Cursor(1, 0).skip(3, done) == Cursor(1, 2)
    assert Cursor(1, 2).skip(3, frozenset({0})) == Cursor(1, 1)  # wraps within the round
    assert Cursor(1, 1).skip(2, frozenset({0})) == Cursor(1, 1)  # nobody else: stays put
    with pytest.raises(ValueError, match="at least one contact"):
        Cursor(1, 0).skip(0, done)


@pytest.mark.parametrize(
    ("cursor", "contacts", "informed", "expected"),
    [
        (Cursor(1, 0), 2, frozenset(), CallContact(Cursor(1, 0))),
        (Cursor(1, 1), 2, frozenset({0}), CallContact(Cursor(1, 1))),
        (Cursor(1, 1), 2, frozenset({0, 1}), Finish(AlertStatus.INFORMED)),
        (Cursor(3, 0), 2, frozenset({1}), Finish(AlertStatus.INFORMED)),  # rounds done
        (Cursor(3, 0), 2, frozenset(), Finish(AlertStatus.EXHAUSTED)),  # nobody heard it
        (Cursor(1, 0), 0, frozenset(), Finish(AlertStatus.EXHAUSTED)),  # nobody to call
    ],
)
def test_an_alert_that_informs_ends_when_everybody_heard_it(
    cursor: Cursor, contacts: int, informed: frozenset[int], expected: object
) -> None:
    step = next_step(AlertStatus.CALLING, cursor, contacts=contacts, rounds=2, informed=informed)
    assert step == expected


def test_an_alert_that_asks_a_code_is_not_told_apart() -> None:
    assert next_step(AlertStatus.CALLING, Cursor(3, 0), contacts=2, rounds=2) == Finish()
    step = next_step(AlertStatus.INFORMED, Cursor(1, 0), contacts=2, rounds=2, informed=None)
    assert not isinstance(step, CallContact)
    assert AlertStatus.INFORMED.terminal
    assert not AlertStatus.INFORMED.unanswered


def _site(station: str | None = "sip:station@127.0.0.1:5070", language: str = "fr") -> Site:
    body = site_body([contact(0), contact(1), contact(2)], station=station, language=language)
    return Site.model_validate(body)


def test_an_alert_calls_the_contacts_less_those_it_skips() -> None:
    site = _site()
    assert callees(site, AlertKind.INTRUSION) is site
    kept = callees(site, AlertKind.SOS, ("c1",))
    assert [c.id for c in kept.contacts] == ["c0", "c2"]
    assert [c.id for c in site.contacts] == ["c0", "c1", "c2"]  # the site is unchanged


@pytest.mark.parametrize(
    ("language", "name"), [("fr", "Télésurveillance"), ("en", "Monitoring station")]
)
def test_an_agent_request_calls_the_station_only(language: str, name: str) -> None:
    plan = callees(_site(language=language), AlertKind.AGENT_REQUEST, ("c0",))
    (station,) = plan.contacts
    assert (station.id, station.name, station.phone) == (
        STATION_CONTACT_ID,
        name,
        "sip:station@127.0.0.1:5070",
    )
    assert station.email is None
    stored = Site.model_validate_json(plan.model_dump_json(), context={"stored": True})
    assert stored.contacts[0].phone == "sip:station@127.0.0.1:5070"
    assert callees(_site(station=None), AlertKind.AGENT_REQUEST).contacts == ()
    assert Language(language) is plan.language


def test_the_contract_takes_the_offers_fields() -> None:
    alert = AlertIn.model_validate(
        {
            "alert_id": "a-1",
            "kind": "agent_request",
            "occurred_at": "2026-03-03T14:30:00+01:00",
            "acknowledgement": "none",
            "skip_contacts": ["c1"],
            "note": "  Bruit dans le jardin ",
        }
    )
    assert (alert.acknowledgement, alert.skip_contacts, alert.note) == (
        Acknowledgement.NONE,
        ("c1",),
        "Bruit dans le jardin",
    )
    default = AlertIn.model_validate(
        {"alert_id": "a-2", "kind": "intrusion", "occurred_at": "2026-03-03T14:30:00+01:00"}
    )
    assert (default.acknowledgement, default.skip_contacts, default.note) == (
        Acknowledgement.REQUIRED,
        (),
        None,
    )
    for bad in ({"note": "x" * 201}, {"note": "a\nb"}, {"skip_contacts": ["bad id!"]}):
        with pytest.raises(ValueError):  # noqa: PT011 - pydantic's ValidationError
            AlertIn.model_validate(default.model_dump(mode="json") | bad)


def test_the_information_email_of_an_alert_that_informs() -> None:
    facts = AlertFacts(
        "Maison", "fr", "intrusion", "Porte", "RDC", datetime(2026, 3, 3, 14, 30, tzinfo=PARIS)
    )
    subject, body = info_email(facts, informing=True)
    assert subject == "[Maison] Alerte : intrusion"
    assert "La télésurveillance prend en charge l'alerte" in body
    assert "tape son code" not in body
    english = AlertFacts("Home", "en", "agent_request", None, None, facts.occurred_at)
    subject, body = info_email(english, informing=True)
    assert subject == "[Home] Alert: request for a security agent"
    assert "asks for no code" in body


def test_the_message_says_the_note_last_and_the_closings_are_fixed_prompts() -> None:
    at = datetime(2026, 3, 3, 14, 30, tzinfo=PARIS)
    french = alert_message(
        "fr", site_name="Maison", kind="agent_request", detector=None, zone=None, occurred_at=at,
        note="Bruit dans le jardin",
    )  # fmt: skip
    assert french == (
        "Alerte à Maison : demande d'intervention d'un agent de sécurité. À 14 heures 30."
        " Message : Bruit dans le jardin."
    )
    english = alert_message(
        "en", site_name="Home", kind="sos", detector=None, zone=None, occurred_at=at, note="Marie"
    )
    assert english.endswith("At 14:30. Message: Marie.")
    fixed = fixed_texts()
    for language in ("fr", "en"):
        assert (language, texts(language).informed) in fixed
        assert (language, texts(language).agent_closing) in fixed


def test_step_4_adds_the_acknowledgement_to_alerts_of_version_3(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "v3.db")
    conn.isolation_level = None
    for step in migrations._STEPS[:3]:
        step(conn)
    conn.execute("PRAGMA user_version = 3")
    conn.execute(
        "INSERT INTO alerts (alert_id, site_id, kind, occurred_at, plan, status, created_at)"
        " VALUES ('old', 'home', 'intrusion', '2026-01-01T00:00:00+00:00', '{}', 'calling',"
        " '2026-01-01T00:00:00+00:00')"
    )
    conn.isolation_level = ""
    assert migrate(conn) == 3
    assert schema_version(conn) == DB_SCHEMA_VERSION  # and every later step
    assert conn.execute("SELECT acknowledgement, note FROM alerts").fetchall() == [
        ("required", None)
    ]
    migrations._step_4(conn)  # idempotent: a database whose version was lost
    columns = [row[1] for row in conn.execute("PRAGMA table_info(alerts)")]
    assert columns.count("acknowledgement") == columns.count("note") == 1
    conn.close()
