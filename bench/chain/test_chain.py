"""D. The whole chain: a detector flips in Home Assistant → the first INVITE at the contact's phone.

Run by ``bench/run --only chain`` (``python -m pytest bench/chain``; it is not a test: the
repository's ``testpaths`` leave it out). Home Assistant is the test harness's real core
(pytest-homeassistant-custom-component's ``hass``) with the integration loaded from this
repository; the voice server is a real process (``python -m voice_server``) on the wheel layout;
Asterisk is the project's configuration; the phone is a SIPp UAS that answers 486 Busy. The
callbacks go back to Home Assistant's own webhook (its HTTP server, on a free loopback port).

One home, entry and exit delays 0, one contact (a phone and a phone code, like tests/ha's
Marie). For each alarm: arm away, flip an immediate detector (the time is taken with
``time.time()`` just before the state is written), wait for the INVITE in SIPp's message trace
(SIPp stamps each message with the same CLOCK_REALTIME), then close the detector and disarm. Each
INVITE carries a new Call-ID, and alarms are strictly one after the other, so the n-th INVITE is
the n-th alarm's. Goal: p99 ≤ 50 ms over 200 alarms.

Settings from the environment: IMAPROTECT_CHAIN_ALARMS (200), IMAPROTECT_CHAIN_WARMUP (5),
IMAPROTECT_CHAIN_OUT (the JSON file the figures are written to).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from pathlib import Path
import time

import aiohttp
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect.const import (
    CONF_ALARM_DURATION,
    CONF_CALL_POSITION,
    CONF_CODE_ARM_REQUIRED,
    CONF_CODE_HASH,
    CONF_DETECTOR_TYPE,
    CONF_ENTRY_DELAY,
    CONF_ENTRY_ROUTE,
    CONF_EXIT_DELAY,
    CONF_FORMULA,
    CONF_MAY_ARM,
    CONF_MAY_DISARM,
    CONF_PARTIAL,
    CONF_PHONE,
    CONF_PHONE_CODE_HASH,
    CONF_SOURCE_ENTITY,
    CONF_VOICE_TOKEN,
    CONF_VOICE_URL,
    CONF_ZONE,
    DOMAIN,
)
from custom_components.imaprotect.contract.codes import hash_code
from testkit.asterisk import asterisk_settings, launch_asterisk
from testkit.bodies import TOKEN
from testkit.polling import until
from testkit.ports import PortPool
from testkit.processes import DIE_WITH_PARENT, Children
from testkit.sipp import invites_seen, received_requests, start_sipp
from testkit.voice import VoiceProcess

WINDOW = "binary_sensor.bench_window"
PANEL = "alarm_control_panel.bench"
PHONE = "+33612345678"
CODE = "1357"
PHONE_CODE = "246813"
_ITERATIONS = 1_000  # the codes are never checked here: no call is answered


def _subentry(
    kind: str, subentry_id: str, title: str, data: dict[str, object]
) -> dict[str, object]:
    return {"subentry_type": kind, "subentry_id": subentry_id, "title": title,
            "unique_id": None, "data": data}  # fmt: skip


def _home(voice_url: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Bench",
        unique_id="bench",
        data={
            CONF_NAME: "Bench",
            CONF_FORMULA: "a_la_carte",
            CONF_ENTRY_DELAY: 0,
            CONF_EXIT_DELAY: 0,
            CONF_ALARM_DURATION: 180,
            CONF_CODE_ARM_REQUIRED: False,
            CONF_VOICE_URL: voice_url,
            CONF_VOICE_TOKEN: TOKEN,
            "webhook_id": "b" * 64,
            "callback_secret": "chain-callback-secret-0123456789abcdef0123",
        },
        subentries_data=[
            _subentry("zone", "ground", "Rez-de-chaussée", {CONF_PARTIAL: True}),
            _subentry("detector", "window", "Fenêtre", {
                CONF_DETECTOR_TYPE: "opening", CONF_SOURCE_ENTITY: WINDOW, CONF_ZONE: "ground",
                CONF_ENTRY_ROUTE: False,
            }),
            _subentry("person", "marie", "Marie", {
                CONF_CODE_HASH: hash_code(CODE, iterations=_ITERATIONS),
                CONF_MAY_ARM: True, CONF_MAY_DISARM: True, CONF_PHONE: PHONE,
                CONF_PHONE_CODE_HASH: hash_code(PHONE_CODE, iterations=_ITERATIONS),
                CONF_CALL_POSITION: 1,
            }),
        ],
    )  # fmt: skip


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank, as bench/voice_report.py (p99 of 200 values is the 198th)."""
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


async def _panel(hass: HomeAssistant, service: str, **data: object) -> None:
    await hass.services.async_call(
        "alarm_control_panel", service, {"entity_id": PANEL, **data}, blocking=True
    )


async def test_chain(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, tmp_path: Path
) -> None:
    """Flip → first INVITE for every alarm; the figures go to IMAPROTECT_CHAIN_OUT."""
    alarms = int(os.environ.get("IMAPROTECT_CHAIN_ALARMS", "200"))
    warmup = int(os.environ.get("IMAPROTECT_CHAIN_WARMUP", "5"))
    out = Path(os.environ.get("IMAPROTECT_CHAIN_OUT", tmp_path / "chain.json"))
    children = Children()
    pool = PortPool()
    try:
        asterisk = launch_asterisk(
            asterisk_settings(tmp_path / "asterisk", pool), prefix=DIE_WITH_PARENT
        )
        children.on_stop(asterisk.stop)
        phone = start_sipp("uas_busy", log_dir=tmp_path / "sipp", pool=pool, name="marie",
                           prefix=DIE_WITH_PARENT)  # fmt: skip
        children.add(phone.process)
        server = VoiceProcess.write(
            tmp_path / "voice", asterisk=asterisk, port=pool.take(), prompts=tmp_path / "prompts",
            routes={PHONE: phone.dial("marie")}, rounds=1, ring_timeout=5.0,
        )  # fmt: skip
        children.add(server.start(prefix=DIE_WITH_PARENT))
        async with aiohttp.ClientSession() as session:
            await server.wait_healthy(session)
        # Home Assistant's HTTP server, so the voice server's signed callbacks reach its webhook.
        # The integration (its views) is set up first: the test server freezes the routes.
        assert await async_setup_component(hass, "webhook", {})
        assert await async_setup_component(hass, DOMAIN, {})
        client = await hass_client_no_auth()
        await async_process_ha_core_config(
            hass, {"internal_url": f"http://127.0.0.1:{client.server.port}"}
        )
        hass.states.async_set(WINDOW, "off")
        entry = _home(server.base)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        flipped: list[float] = []
        for n in range(warmup + alarms):
            await _panel(hass, "alarm_arm_away")
            await hass.async_block_till_done()
            flipped.append(time.time())
            hass.states.async_set(WINDOW, "on")
            await until(
                lambda n=n: sum(invites_seen(phone.trace)[1].values()) > n,
                within=10,
                every=0.005,
                what=f"INVITE of alarm {n}",
            )
            hass.states.async_set(WINDOW, "off")
            await _panel(hass, "alarm_disarm", code=CODE)
            await hass.async_block_till_done()
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    finally:
        children.stop_all()
    stamps = _invite_times(phone.trace)
    delays = sorted((stamps[n] - flipped[n]) * 1000 for n in range(warmup, warmup + alarms))
    result = {
        "alarms": alarms,
        "warmup": warmup,
        "invites": len(stamps),
        "sipp_errors": phone.errors(),
        "flip_to_first_invite_ms": {
            "count": len(delays),
            "min": round(delays[0], 2),
            "p50": round(_percentile(delays, 0.50), 2),
            "p95": round(_percentile(delays, 0.95), 2),
            "p99": round(_percentile(delays, 0.99), 2),
            "max": round(delays[-1], 2),
        },
        "delays_ms": [round(d, 3) for d in delays],
    }
    await asyncio.to_thread(out.write_text, json.dumps(result, indent=2) + "\n")
    assert len(stamps) == warmup + alarms, "one INVITE per alarm, no more, no fewer"


def _invite_times(trace: Path) -> list[float]:
    """Every INVITE's time in SIPp's trace, in order (one per alarm; retransmissions once)."""
    seen: set[str | None] = set()
    times: list[float] = []
    for stamp, method, _user, key in received_requests(trace):
        if method == "INVITE" and (key is None or key not in seen):
            seen.add(key)
            times.append(stamp)
    return times
