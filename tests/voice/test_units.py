"""Pure parts of the voice server: codes, causes, phones, dial strings, config, prompts, store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import hashlib
import json
import os
from pathlib import Path
import subprocess
import sys
import time

from prometheus_client import generate_latest
import pytest

from custom_components.imaprotect.contract.codes import hash_code
from custom_components.imaprotect.contract.enums import Formula, Language
from custom_components.imaprotect.contract.models import Contact, Site
from custom_components.imaprotect.contract.phones import (
    PhoneError,
    normalise_phone as normalise,
    normalise_station,
)
from tests.voice.harness import NUMBERS, code_hash
from voice_server.campaign import outcome_for_cause, verify_code
from voice_server.config import ConfigError, load_config
from voice_server.metrics import Metrics
from voice_server.phones import Dialer
from voice_server.prompts import PromptCache, alert_message, fixed_texts
from voice_server.store import Alert, Store


def test_codes_hashed_by_the_panel_are_verified() -> None:
    encoded = hash_code("4321", iterations=2000)
    assert verify_code("4321", encoded)
    assert not verify_code("1234", encoded)
    assert not verify_code("", encoded)
    assert not verify_code("43a1", encoded)
    assert not verify_code("4321", encoded.replace("pbkdf2_sha256", "md5"))
    assert not verify_code("4321", "pbkdf2_sha256$99999999999$AAAA$AAAA")
    assert verify_code("98765", code_hash("98765"))


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [(17, "busy"), (21, "rejected"), (18, "no_answer"), (19, "no_answer"), (1, "unreachable"),
     (3, "unreachable"), (34, "unreachable"), (None, "unreachable")],
)  # fmt: skip
def test_outcome_for_cause(cause: int | None, outcome: str) -> None:
    assert outcome_for_cause(cause) == outcome


def test_phone_normalisation() -> None:
    assert normalise("06 12 34 56 78", ("FR",)) == "+33612345678"
    assert normalise("+33 1 23 45 67 89", ("FR",)) == "+33123456789"
    with pytest.raises(PhoneError, match="region US"):
        normalise("+1 415 555 0123", ("FR",))
    assert normalise("+1 415 555 0123", ("FR", "US")) == "+14155550123"
    assert normalise_station("sip:station@10.0.0.2:5060", ("FR",)) == "sip:station@10.0.0.2:5060"
    assert normalise_station("01 23 45 67 89", ("FR",)) == "+33123456789"
    with pytest.raises(PhoneError):
        normalise_station("sip:a b@c", ("FR",))


def test_dial_strings() -> None:
    dialer = Dialer("PJSIP/{number}@trunk", {"+33612345678": "PJSIP/direct/sip:x@1.2.3.4"})
    assert dialer.endpoint("+33612345678") == "PJSIP/direct/sip:x@1.2.3.4"
    assert dialer.endpoint("+33612345679") == "PJSIP/+33612345679@trunk"
    assert dialer.endpoint("sip:station@10.0.0.2") == "PJSIP/direct/sip:station@10.0.0.2"
    with pytest.raises(ValueError, match="number"):
        Dialer("PJSIP/trunk", {})


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_config_file_and_environment(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "voice.toml",
        """
[asterisk]
ari_user = "voice"
ari_password = "file-password-123"
http_port = 18088

[voice]
token = "file-token-0123456789"
database = "/var/lib/imaprotect/voice.db"
ring_timeout = 25
allowed_regions = ["FR", "BE"]
retention_days = 30

[voice.routes]
"06 12 34 56 78" = "PJSIP/direct/sip:marie@192.0.2.7"

[smtp]
host = "smtp.example.org"
sender = "alarme@example.org"
""",
    )
    env = {
        "IMAPROTECT_VOICE_TOKEN": "env-token-0123456789abc",
        "IMAPROTECT_VOICE_PORT": "9100",
        "IMAPROTECT_ARI_PASSWORD": "env-password-456",
        "IMAPROTECT_SMTP_PASSWORD": "smtp-secret",
        "IMAPROTECT_VOICE_ROUNDS": "3",
    }
    loaded = load_config(config, env)
    assert loaded.token == "env-token-0123456789abc"
    assert loaded.port == 9100
    assert loaded.ari_url == "http://127.0.0.1:18088"
    assert (loaded.ari_user, loaded.ari_password) == ("voice", "env-password-456")
    assert loaded.calls.ring_timeout == 25.0
    assert loaded.calls.rounds == 3
    assert loaded.allowed_regions == ("FR", "BE")
    assert loaded.routes == {"+33612345678": "PJSIP/direct/sip:marie@192.0.2.7"}
    assert loaded.smtp is not None
    assert loaded.smtp.password == "smtp-secret"
    assert loaded.smtp.port == 25
    assert loaded.prompt_cache == Path("/var/lib/imaprotect/prompts")
    assert loaded.retention_days == 30
    env["IMAPROTECT_VOICE_RETENTION_DAYS"] = "45"
    assert load_config(config, env).retention_days == 45
    for secret in ("env-token", "env-password", "smtp-secret"):
        assert secret not in repr(loaded)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[voice]\ndatabase = "/x.db"\n', "token"),
        ('[voice]\ntoken = "t-0123456789abcdef"\n', "ARI password"),
        ('[asterisk]\nari_password = "p-123456789012"\n[voice]\ntoken = "t-0123456789abcdef"\n',
         "database"),
        ('[voice]\ncolour = "blue"\n', "unknown"),
        ('[voice]\nrounds = "many"\n', "voice.rounds"),
        ('[asterisk]\nari_password = "p-123456789012"\n[voice]\ntoken = "t-0123456789abcdef"\n'
         'database = "/x.db"\nretention_days = 0\n', "voice.retention_days"),
        ('[voice]\nretention_days = "long"\n', "voice.retention_days"),
        ("not toml [", "voice.toml"),
    ],
)  # fmt: skip
def test_config_errors_name_the_setting(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path / "voice.toml", text), {})


def test_cli_help_and_bad_config(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    shown = subprocess.run(
        [sys.executable, "-m", "voice_server", "--help"],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "--config" in shown.stdout
    assert "IMAPROTECT_VOICE_" in shown.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "voice_server", "--config", str(tmp_path / "missing.toml")],
        cwd=repo, capture_output=True, text=True, check=False, env={},
    )  # fmt: skip
    assert refused.returncode == 2
    assert "missing.toml" in refused.stderr


def test_alert_message_in_both_languages() -> None:
    when = datetime.fromisoformat("2026-03-14T14:05:00+01:00")
    french = alert_message(
        "fr", site_name="Maison", kind="smoke", detector="Cuisine", zone=None, occurred_at=when
    )
    assert french == "Alerte à Maison : détection de fumée. Détecteur : Cuisine. À 14 heures 05."
    english = alert_message(
        "en", site_name="Home", kind="flood", detector=None, zone="Cellar", occurred_at=when
    )
    assert english == "Alarm at Home: flood. Zone: Cellar. At 14:05."


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_prompts_are_synthesised_once_at_8khz(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    first, second = await cache.get("fr", "Bonjour."), await cache.get("fr", "Bonjour.")
    await cache.close()
    assert first == second
    assert cache.syntheses == 1
    header = first.read_bytes()[:44]
    assert header[:4] == b"RIFF"
    assert int.from_bytes(header[24:28], "little") == 8000
    assert (await cache.media("fr", "Bonjour.")) == f"sound:{first.with_suffix('')}"
    assert _names(tmp_path) == [first.name]  # no temporary file left behind


def test_a_stored_site_is_parsed_once_however_often_it_is_read(tmp_path: Path) -> None:
    """Issue 8 (avalanche): a site or an alert read again is not parsed and validated again."""
    store = Store(tmp_path / "v.db")
    store.put_site("home", _site(contacts=2))
    first, again = store.get_site("home"), store.get_site("home")
    assert first is not None
    assert again is first  # the same frozen model
    alert = Alert(
        "x", "home", "intrusion", None, None, "2026-01-01T00:00:00+00:00", first, "calling",
        "2026-01-01T00:00:00+00:00", 1, 0, None, None, None, None, None,
    )  # fmt: skip
    with store.transaction() as conn:
        Store.insert_alert(conn, alert)
    plan, plan_again = store.get_alert("x"), store.get_alert("x")
    assert plan is not None
    assert plan_again is not None
    assert plan_again.plan is plan.plan
    # A site saved again with other contacts is read as saved: the cache is keyed by content.
    three = _site(contacts=3)
    store.put_site("home", three)
    changed = store.get_site("home")
    assert changed is not None
    assert len(changed.contacts) == 3
    assert len(first.contacts) == 2
    # Deleted, its contacts' details stay in no parsed copy: saved again, it is parsed again.
    store.delete_site("home")
    store.put_site("home", three)  # the very same text as before
    assert store.get_site("home") is not changed
    store.close()


def test_store_cursor_goes_round_after_round(tmp_path: Path) -> None:
    store = Store(tmp_path / "v.db")
    site = _site(contacts=3)
    alert = Alert(
        "x", "s", "intrusion", None, None, "2026-01-01T00:00:00+00:00", site, "calling",
        "2026-01-01T00:00:00+00:00", 1, 0, None, None, None, None, None,
    )  # fmt: skip
    with store.transaction() as conn:
        Store.insert_alert(conn, alert)
    cursors = []
    for _ in range(4):
        with store.transaction() as conn:
            Store.advance(conn, "x", 3)
        current = store.get_alert("x")
        assert current is not None
        cursors.append((current.next_round, current.next_position))
    assert cursors == [(1, 1), (1, 2), (2, 0), (2, 1)]
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()


def test_metrics_exposition(tmp_path: Path) -> None:
    metrics = Metrics()
    store = Store(tmp_path / "v.db")
    metrics.watch(
        store.conn, asterisk_up=lambda: False, campaigns_running=lambda: 2, calls_waiting=lambda: 7
    )
    metrics.calls.inc("busy")
    metrics.first_call.observe(0.007)
    text = generate_latest(metrics.registry).decode()
    store.close()
    assert 'imaprotect_voice_calls_total{outcome="busy"} 1' in text
    assert 'imaprotect_voice_alert_to_first_call_seconds_bucket{le="0.01"} 1' in text
    assert 'imaprotect_voice_alert_to_first_call_seconds_bucket{le="0.005"} 0' in text
    assert "imaprotect_voice_campaigns_running 2" in text
    assert "imaprotect_voice_calls_waiting_for_asterisk 7" in text  # issue 8: the avalanche's queue
    assert 'imaprotect_voice_calls_total{outcome="no_answer"} 0' in text  # known from the start
    assert 'imaprotect_voice_alerts_total{status="exhausted"} 0' in text
    assert "imaprotect_voice_outbox_pending_callback 0" in text
    assert "imaprotect_voice_asterisk_up 0" in text
    assert "process_cpu_seconds_total" in text


def test_metrics_escape_label_values() -> None:
    metrics = Metrics()
    metrics.calls.inc('say "hi"\\ then\nbye')  # not an outcome the server uses: proves escaping
    text = generate_latest(metrics.registry).decode()
    assert 'imaprotect_voice_calls_total{outcome="say \\"hi\\"\\\\ then\\nbye"} 1.0' in text
    # Each sample stays on one line: a raw newline would split it.
    assert all(
        line.startswith(("#", "imaprotect_", "process_", "python_")) for line in text.splitlines()
    )
    # Two servers in one process count separately (own registries, not the global one).
    assert "say" not in generate_latest(Metrics().registry).decode()


def _prompt(folder: Path, language: str, text: str, *, age_days: float = 0.0) -> Path:
    """A cached prompt file (not real audio) last used ``age_days`` ago."""
    key = hashlib.sha256(f"{language}\n{text}".encode()).hexdigest()[:32]
    path = folder / f"{key}.wav"
    path.write_bytes(b"RIFF")
    when = time.time() - age_days * 86400
    os.utime(path, (when, when))
    return path


async def test_prompt_syntheses_run_at_most_one_per_slot(tmp_path: Path) -> None:
    """Ten different prompts at once start at most two espeak-ng/sox pairs at a time."""
    cache = PromptCache(tmp_path, parallel=2)
    paths = await asyncio.gather(*(cache.get("fr", f"Alerte numéro {n}.") for n in range(10)))
    assert len(set(paths)) == 10
    assert all(path.stat().st_size > 44 for path in paths)
    assert cache.syntheses == 10
    assert cache.queue.most_running == 2


def test_prompt_cache_prunes_what_was_not_used_for_a_week(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    fixed = [_prompt(tmp_path, language, text, age_days=30) for language, text in fixed_texts()]
    stale = _prompt(tmp_path, "fr", "Alerte à Maison : intrusion. À 3 heures.", age_days=8)
    recent = _prompt(tmp_path, "fr", "Alerte à Maison : fumée. À 4 heures.", age_days=6)
    used = _prompt(tmp_path, "en", "Alarm at Home: flood.", age_days=8)
    leftover = tmp_path / "0123abcd.4242.tmp.wav"  # a synthesis killed half-way
    leftover.write_bytes(b"")
    os.utime(leftover, (time.time() - 9 * 86400,) * 2)

    assert asyncio.run(cache.get("en", "Alarm at Home: flood.")) == used  # refreshed, no synthesis
    assert cache.syntheses == 0
    assert cache.prune() == 2
    assert not stale.exists()
    assert not leftover.exists()
    assert recent.exists()
    assert used.exists()
    assert all(path.exists() for path in fixed)  # fixed prompts stay, however old
    assert len(fixed) == 26  # issue 8 adds the two "code locked" sentences, issue 9 two more,
    # issue 10 the talk-down's "listening" (fr, en)
    # An injected clock: in 8 days, only the fixed prompts are left.
    assert cache.prune(now=time.time() + 8 * 86400) == 2
    assert sorted(tmp_path.iterdir()) == sorted(fixed)
    assert PromptCache(tmp_path / "missing").prune() == 0


def _site(secret: str | None = None, contacts: int = 1) -> Site:
    return Site(
        name="Maison",
        language=Language.FR,
        formula=Formula.A_LA_CARTE,
        contacts=tuple(
            Contact(id=name, name=name.upper(), phone=NUMBERS[n], ack_code_hash=code_hash("4321"))
            for n, name in enumerate("abc"[:contacts])
        ),
        callback_url="https://ha.example/api/webhook/hook-id" if secret else None,
        callback_secret=secret,
    )


def _stored_alert(store: Store, alert_id: str, status: str, finished: datetime | None) -> None:
    at = "2020-01-01T00:00:00.000+00:00"
    alert = Alert(
        alert_id, "s", "intrusion", None, None, at, _site("x" * 40), status, at, 1, 0,
        None, None, None, None,
        finished.isoformat(timespec="milliseconds") if finished else None,
    )  # fmt: skip
    with store.transaction() as conn:
        Store.insert_alert(conn, alert)
        Store.insert_attempt(conn, alert, alert.plan.contacts[0], f"chan-{alert_id}", at)


def test_store_purges_finished_alerts_after_the_retention(tmp_path: Path) -> None:
    store = Store(tmp_path / "v.db")
    now = datetime.now(UTC)
    _stored_alert(store, "old", "acknowledged", now - timedelta(days=91))
    _stored_alert(store, "recent", "cancelled", now - timedelta(days=89))
    _stored_alert(store, "running", "calling", None)  # created years ago, still calling
    assert store.purge(retention_days=90, now=now) == (1, 0)
    assert store.get_alert("old") is None
    assert store.attempts("old") == []
    assert [a for a in ("recent", "running") if store.get_alert(a) and store.attempts(a)] == [
        "recent",
        "running",
    ]
    # An injected clock: 10 days later the recent one goes too; the running one never does.
    assert store.purge(retention_days=90, now=now + timedelta(days=10)) == (1, 0)
    assert store.get_alert("recent") is None
    assert store.get_alert("running") is not None
    store.close()


def test_alert_plans_keep_no_callback_secret(tmp_path: Path) -> None:
    secret = "callback-secret-0123456789-abcdefgh"
    store = Store(tmp_path / "v.db")
    _stored_alert(store, "new", "calling", None)
    # A plan stored by a version before 0.1.0, secret included; those kept no schema version.
    store.conn.execute(
        "UPDATE alerts SET plan = ? WHERE alert_id = 'new'", (_site(secret).model_dump_json(),)
    )
    store.conn.commit()
    store.conn.execute("PRAGMA user_version = 0")
    assert secret in store.conn.execute("SELECT plan FROM alerts").fetchone()[0]
    store.close()

    store = Store(tmp_path / "v.db")  # the upgrade at start removes it
    (plan,) = store.conn.execute("SELECT plan FROM alerts").fetchone()
    assert secret not in plan
    assert "hook-id" not in plan
    assert json.loads(plan)["contacts"][0]["id"] == "a"
    alert = store.get_alert("new")
    assert alert is not None
    assert (alert.plan.callback_url, alert.plan.callback_secret) == (None, None)
    _stored_alert(store, "newer", "calling", None)  # insert_alert strips it itself
    assert "x" * 40 not in store.conn.execute("SELECT group_concat(plan) FROM alerts").fetchone()[0]
    store.close()
