"""Talk-down end to end: the voice server, the real Asterisk and two SIPp instances.

The contact's phone types the keys; the home's speaker answers only an INVITE that asks for
auto-answer, and echoes RTP.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from testkit.polling import until
from testkit.sipp import start_sipp
from tests.voice.conftest import ARI_PASSWORD, ARI_USER
from tests.voice.harness import NUMBERS, alert_body, contact, finished, outcomes, site_body

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from testkit.sipp import SippPhone
    from tests.voice.conftest import AsteriskInstance, PortPool, SippFactory, VoiceFactory
    from tests.voice.harness import CallbackSink

pytestmark = pytest.mark.voice

#: ``*`` listens in; once bridged the contact speaks 3 s (muted: the home must not hear it), ``1``
#: unmutes, 3 s more, ``#`` ends the bridge, then the code acknowledges the alert (``,`` is a
#: one-second pause in the pcap, ``~`` one second of a tone: the contact speaking).
_KEYS = "*" + "," * 7 + "~" * 3 + "1" + "~" * 3 + "#" + "," * 2 + "4321#"


@pytest.fixture
def speaker(tmp_path: Path, port_pool: PortPool) -> Iterator[SippPhone]:
    """The home's auto-answer speaker (a SIPp UAS that echoes RTP), stopped after the test."""
    phone = start_sipp(
        "uas_speaker",
        log_dir=tmp_path / "sipp-speaker",
        pool=port_pool,
        name="speaker",
        extra=("-rtp_echo",),
    )
    try:
        yield phone
    finally:
        phone.stop()  # it answers forever (-d 0): left running, it would outlive the run


async def _rtp_counts(asterisk: AsteriskInstance, samples: list[dict[str, Any]]) -> None:
    """Every 0.2 s, the RTP counts of the legs (ARI rtp_statistics), until cancelled.

    Legs are named by their first appearance: the contact, then the station; the speaker by its id.
    """
    token = base64.b64encode(f"{ARI_USER}:{ARI_PASSWORD}".encode()).decode()
    base = f"{asterisk.settings.ari_url}/ari"
    names: dict[str, str] = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {token}"}) as http:
        while True:
            async with http.get(f"{base}/channels") as answer:
                channels = [c["id"] for c in await answer.json()]
            sample: dict[str, Any] = {}
            for channel in channels:
                if channel.startswith("imaprotect-speaker-"):
                    leg = "speaker"
                elif channel.startswith("imaprotect-snoop-"):
                    continue
                else:
                    leg = names.setdefault(channel, ("contact", "station")[min(len(names), 1)])
                async with http.get(f"{base}/channels/{channel}/rtp_statistics") as answer:
                    if answer.status == 200:
                        stats = await answer.json()
                        sample[leg] = (stats["txcount"], stats["rxcount"])
            samples.append(sample)
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def _counting(asterisk: AsteriskInstance) -> AsyncIterator[list[dict[str, Any]]]:
    samples: list[dict[str, Any]] = []
    task = asyncio.create_task(_rtp_counts(asterisk, samples))
    try:
        yield samples
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _assert_heard_both_ways(samples: list[dict[str, Any]]) -> None:
    """From the legs' RTP counts (Asterisk's tx, rx): muted, then two-way.

    The speaker echoes what it gets, and a mixing bridge sends a leg nothing while nobody else
    talks (no prompt plays in the bridge), so packets sent to the speaker are the contact's voice
    and packets sent to the contact during the bridge are the home's.
    """
    bridged = _bridged(samples)
    assert bridged, samples
    # The contact spoke (at least 1 s, 50 packets, of it) while muted: the home got nothing.
    muted = [s for s in bridged if s["speaker"][0] == 0]
    assert muted, samples
    assert max(s["contact"][1] for s in muted) - bridged[0]["contact"][1] >= 50, samples
    # Then the home heard the contact (tx to the speaker), the speaker answered (its echo)...
    heard = [s for s in bridged if s["speaker"][0] > 0]
    assert heard, samples
    assert heard[-1]["speaker"][1] >= 100, samples
    # ...and that reached the contact: 2 s (100 packets) at least while two-way.
    assert heard[-1]["contact"][0] - muted[-1]["contact"][0] >= 100, samples


def _talk_downs(payloads: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [
        (p["event"], p["talk_down"]) for p in payloads if str(p["event"]).startswith("talk_down")
    ]


async def _started_and_ended(sink: CallbackSink) -> tuple[dict[str, Any], dict[str, Any]]:
    """The talk-down's two callbacks, its start and its end: their views."""
    await until(lambda: len(_talk_downs(sink.payloads)) == 2, within=10)
    (started_event, started), (ended_event, ended) = _talk_downs(sink.payloads)
    assert (started_event, ended_event) == ("talk_down_started", "talk_down_ended")
    assert isinstance(started, dict)
    assert isinstance(ended, dict)
    return started, ended


def _auto_answered_once(speaker: SippPhone) -> str:
    """The speaker got one INVITE, asking for auto-answer (its scenario refuses any other)."""
    trace = speaker.trace.read_text(errors="replace")
    assert trace.count("INVITE sip:speaker@") == 1
    assert "Call-Info: <sip:imaprotect.invalid>;answer-after=0" in trace
    assert "Alert-Info: <http://imaprotect.invalid>;info=alert-autoanswer;delay=0" in trace
    assert speaker.errors() == 0
    return trace


def _bridged(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The RTP samples taken while the speaker and the contact were both up."""
    return [s for s in samples if "speaker" in s and "contact" in s]


async def test_star_bridges_the_contact_to_the_auto_answer_speaker(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    callback_sink: CallbackSink,
    speaker: SippPhone,
) -> None:
    phone = sipp_phone("uas_dtmf", digits=_KEYS, delay_ms=800, name="listener")
    running = await voice(asterisk=asterisk, routes={NUMBERS[0]: phone.endpoint}, digit_timeout=8.0)
    site = site_body([contact(0)], callback_url=callback_sink.url) | {"speaker": speaker.uri}
    await running.api.put_site("home", site)

    async with _counting(asterisk) as samples:
        await running.api.post_alert("home", alert_body("td-1"))
        alert = await running.api.wait_alert("td-1", finished, within=60)
    _assert_heard_both_ways(samples)

    assert alert["status"] == "acknowledged", asterisk.log_tail()
    assert outcomes(alert) == [("c0", "acknowledged")]
    trace = _auto_answered_once(speaker)
    assert "BYE sip:" in trace or "BYE " in trace  # Asterisk hung the speaker up

    started, ended = await _started_and_ended(callback_sink)
    assert started["mode"] == ended["mode"] == "speaker"
    assert started["ended_at"] is None
    assert started["spoke_at"] is None  # listening only, at first
    assert ended["spoke_at"] is not None  # the contact pressed 1
    assert ended["started_at"] <= ended["spoke_at"] <= ended["ended_at"]
    events = [event for event, *_ in callback_sink.events("td-1")]
    assert events.index("talk_down_ended") < events.index("alert_status", 1)

    row = running.server.store.conn.execute(
        "SELECT mode, end_reason, spoke_at IS NOT NULL FROM talkdowns WHERE alert_id = 'td-1'"
    ).fetchall()
    assert row == [("speaker", "key", 1)]


async def test_the_station_operator_listens_in_from_the_sos_bridge(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    callback_sink: CallbackSink,
    speaker: SippPhone,
) -> None:
    # The contact speaks from 1 s after pressing 9 for 10 s: while the operator only listens (the
    # 4 s between * and 1) the home must hear none of it.
    phone = sipp_phone("uas_dtmf", digits="9," + "~" * 10, delay_ms=800, name="sos")
    # The operator: * once bridged, 1 four seconds later, # three seconds after that.
    station = sipp_phone(
        "uas_dtmf", digits="," * 2 + "*" + "," * 4 + "1" + "," * 3 + "#", name="station"
    )
    running = await voice(
        asterisk=asterisk, routes={NUMBERS[0]: phone.endpoint}, sos_max_duration=14.0
    )
    site = site_body([contact(0)], station=station.uri, callback_url=callback_sink.url)
    await running.api.put_site("home", site | {"speaker": speaker.uri})

    async with _counting(asterisk) as samples:
        await running.api.post_alert("home", alert_body("td-2"))
        alert = await running.api.wait_alert("td-2", finished, within=40)

    assert alert["status"] == "escalated", asterisk.log_tail()
    assert outcomes(alert) == [("c0", "sos")]
    _auto_answered_once(speaker)
    started, ended = await _started_and_ended(callback_sink)
    assert started["by_station"] is True
    assert started["spoke_at"] is None
    assert ended["spoke_at"] is not None
    row = running.server.store.conn.execute(
        "SELECT by_station, end_reason FROM talkdowns WHERE alert_id = 'td-2'"
    ).fetchall()
    assert row == [(1, "key")]
    # The speaker leg while only a snoop of it was bridged: the contact spoke, the home got nothing.
    with_speaker = _bridged(samples)
    assert with_speaker, samples
    silent = [s for s in with_speaker if s["speaker"][0] == 0]
    assert silent, samples
    assert silent[-1]["contact"][1] - silent[0]["contact"][1] >= 40, samples
    # Once the operator pressed 1, the home heard the call, and answered (its echo).
    assert with_speaker[-1]["speaker"][0] >= 50, samples
    assert with_speaker[-1]["speaker"][1] >= 50, samples
