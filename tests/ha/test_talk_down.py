"""Talk-down in a real Home Assistant: the site, the journal, the station, the warning.

The site says whether the home has a speaker or the warning; the callbacks are journalled, the
station hears LF/LE, and without a speaker the warning plays on HA's demo media players and
sounds its demo siren.

The voice server is the stand-in, the station link a recording ``StationGateway``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.demo.media_player import DemoYoutubePlayer
from homeassistant.components.demo.siren import DemoSiren
from homeassistant.const import MATCH_ALL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    setup_test_component_platform,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect.core.journal import EntryKind
from custom_components.imaprotect.core.reports import ReportKind

from .offers_kit import MARIE_DURESS, RecordingStation, setup_offer_home
from .standin import AT, StandIn, post_callback, tick, trigger
from .test_panel import armed_total, call

if TYPE_CHECKING:
    from custom_components.imaprotect.panel import HomePanel

PLAYER = "media_player.bedroom"  # HA's demo players (YouTube ones take any media)
OTHER_PLAYER = "media_player.living_room"
SIREN = "siren.siren"  # HA's demo siren
MARIE = {"id": "marie", "name": "Marie"}


async def _demo(hass: HomeAssistant) -> None:
    """HA's own demo media players and siren, as test platforms (not the whole demo)."""
    setup_test_component_platform(
        hass,
        Platform.MEDIA_PLAYER,
        [
            DemoYoutubePlayer("Bedroom", "kxopViU98Xo", "Epic sax guy", 360),
            DemoYoutubePlayer("Living Room", "eyU3bRy2x44", "Fireplace", 300),
        ],
    )
    setup_test_component_platform(hass, Platform.SIREN, [DemoSiren(name="Siren", is_on=False)])
    for domain in (Platform.MEDIA_PLAYER, Platform.SIREN):
        assert await async_setup_component(hass, domain, {domain: {"platform": "test"}})
    await hass.async_block_till_done()
    assert hass.states.get(PLAYER) is not None
    assert hass.states.get(SIREN) is not None


def _talk_down(mode: str, **times: Any) -> dict[str, Any]:
    return {"id": 1, "mode": mode, "started_at": AT} | times


async def _post(
    hass: HomeAssistant,
    client: ClientSessionGenerator,
    entry: MockConfigEntry,
    alert_id: str,
    event: str,
    talk_down: dict[str, Any],
) -> None:
    body = {
        "event": event,
        "site_id": entry.entry_id,
        "alert_id": alert_id,
        "status": "calling",
        "contact": MARIE,
        "at": AT,
        "talk_down": talk_down,
    }
    assert await post_callback(client, body) == 200
    await hass.async_block_till_done()


async def _warning_requested(
    hass: HomeAssistant, client: ClientSessionGenerator, entry: MockConfigEntry, alert_id: str
) -> None:
    """The voice server asks the home for the spoken warning (the contact's key, no speaker)."""
    warning = _talk_down("warning", ended_at=AT)
    await _post(hass, client, entry, alert_id, "warning_requested", warning)


async def _listen_in_started(
    hass: HomeAssistant, client: ClientSessionGenerator, entry: MockConfigEntry, alert_id: str
) -> None:
    """The voice server tells the home a contact began to listen in through its speaker."""
    await _post(hass, client, entry, alert_id, "talk_down_started", _talk_down("speaker"))


async def _warning_home(
    hass: HomeAssistant, stand_in: StandIn, players: list[str], **settings: Any
) -> MockConfigEntry:
    """HA's demo players and siren, and a home that warns through ``players`` and the siren."""
    await _demo(hass)
    return await setup_offer_home(
        hass,
        stand_in,
        warning_players=players,
        warning_tts="tts.piper",
        warning_sirens=[SIREN],
        **settings,
    )


def _journalled(entry: MockConfigEntry) -> list[dict[str, Any]]:
    panel: HomePanel = entry.runtime_data
    kinds = (EntryKind.TALK_DOWN_STARTED, EntryKind.TALK_DOWN_ENDED, EntryKind.WARNING_PLAYED)
    return [e.as_dict() for e in reversed(panel.journal.query(kinds=kinds))]


async def test_the_site_carries_the_speaker_or_the_warning(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_offer_home(hass, stand_in, speaker="sip:speaker@192.168.1.30")
    site = stand_in.sites[entry.entry_id]
    assert (site["speaker"], site["warning"]) == ("sip:speaker@192.168.1.30", False)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "speaker": None, "warning_sirens": [SIREN]}
    )
    await hass.async_block_till_done()
    site = stand_in.sites[entry.entry_id]
    assert (site["speaker"], site["warning"]) == (None, True)


async def test_a_listen_in_is_journalled_and_reported_to_the_station(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    station = RecordingStation()
    entry = await setup_offer_home(
        hass, stand_in, gateway=station, speaker="sip:speaker@192.168.1.30"
    )
    await trigger(hass)
    (alert,) = stand_in.alerts
    assert station.kinds == []  # à la carte: the alarm itself is the contacts'
    seen = async_capture_events(hass, "imaprotect_talk_down")

    started = _talk_down("speaker")
    await _post(hass, hass_client_no_auth, entry, alert["alert_id"], "talk_down_started", started)
    ended = _talk_down(
        "speaker", spoke_at="2026-03-14T13:33:10+00:00", ended_at="2026-03-14T13:34:00+00:00"
    )
    await _post(hass, hass_client_no_auth, entry, alert["alert_id"], "talk_down_ended", ended)

    assert station.kinds == [ReportKind.LISTEN_IN_BEGIN, ReportKind.LISTEN_IN_END]
    assert station.reports[1].at.isoformat() == "2026-03-14T13:34:00+00:00"
    assert [(e.data["what"], e.data["contact"], e.data["spoke"]) for e in seen] == [
        ("talk_down_started", "Marie", False),
        ("talk_down_ended", "Marie", True),
    ]
    from custom_components.imaprotect import logbook

    described: dict[str, Any] = {}
    logbook.async_describe_events(hass, lambda _d, kind, f: described.setdefault(kind, f))
    lines = [described["imaprotect_talk_down"](e)["message"] for e in seen]
    assert lines == [
        "Marie listens in the home through its speaker",
        "Marie spoke into the home, then stopped",
    ]
    journal = _journalled(entry)
    assert [e["kind"] for e in journal] == ["talk_down_started", "talk_down_ended"]
    assert journal[1]["details"] == {
        "alert": alert["alert_id"],
        "contact": "Marie",
        "mode": "speaker",
        "spoke": True,
    }
    assert journal[0]["who"]["method"] == "phone"


async def test_a_listen_in_on_the_server_s_own_alert_reaches_the_station(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A home_offline alert is the server's: its talk-downs are the home's by their signature."""
    station = RecordingStation()
    entry = await setup_offer_home(hass, stand_in, gateway=station, speaker="intercom-1")
    await _listen_in_started(hass, hass_client_no_auth, entry, "offline-1")
    assert station.kinds == [ReportKind.LISTEN_IN_BEGIN]
    body = {"event": "attempt_started", "site_id": entry.entry_id, "alert_id": "offline-1",
            "status": "calling", "contact": MARIE, "at": AT}  # fmt: skip
    assert await post_callback(hass_client_no_auth, body) == 200  # taken, ignored (unknown)
    assert [e["kind"] for e in _journalled(entry)] == ["talk_down_started"]


async def test_without_a_station_link_the_listen_in_is_only_journalled(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await setup_offer_home(hass, stand_in, speaker="intercom-1")
    await trigger(hass)
    (alert,) = stand_in.alerts
    await _listen_in_started(hass, hass_client_no_auth, entry, alert["alert_id"])
    assert [e["kind"] for e in _journalled(entry)] == ["talk_down_started"]


async def test_the_warning_is_announced_and_the_siren_sounds_for_the_alarm_duration(
    hass: HomeAssistant,
    stand_in: StandIn,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    station = RecordingStation()
    entry = await _warning_home(hass, stand_in, [PLAYER, OTHER_PLAYER], gateway=station)
    assert stand_in.sites[entry.entry_id]["warning"] is True
    assert hass.states.get(SIREN).state == "off"  # type: ignore[union-attr]
    await trigger(hass)
    (alert,) = stand_in.alerts
    seen = async_capture_events(hass, "imaprotect_talk_down")
    await _warning_requested(hass, hass_client_no_auth, entry, alert["alert_id"])

    for player in (PLAYER, OTHER_PLAYER):
        state = hass.states.get(player)
        assert state is not None
        media = urlsplit(state.attributes["media_content_id"])
        assert (media.scheme, media.netloc, media.path) == ("media-source", "tts", "/tts.piper")
        query = parse_qs(media.query)
        assert query["language"] == ["en"]
        assert query["message"][0].startswith("Warning. This home is monitored.")
    assert hass.states.get(SIREN).state == "on"  # type: ignore[union-attr]
    assert station.kinds == []  # a warning is no listen-in
    assert [e["kind"] for e in _journalled(entry)] == ["warning_played"]
    assert [e.data["what"] for e in seen] == ["warning_requested"]

    await tick(hass, freezer, 179)
    assert hass.states.get(SIREN).state == "on"  # type: ignore[union-attr]
    await tick(hass, freezer, 2)
    assert hass.states.get(SIREN).state == "off"  # type: ignore[union-attr]


async def test_a_missing_player_is_logged_and_the_siren_still_sounds(
    hass: HomeAssistant,
    stand_in: StandIn,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.config.language = "fr"
    entry = await _warning_home(hass, stand_in, ["media_player.gone"])
    await trigger(hass)
    (alert,) = stand_in.alerts
    await _warning_requested(hass, hass_client_no_auth, entry, alert["alert_id"])
    assert hass.states.get(SIREN).state == "on"  # type: ignore[union-attr]
    assert "the spoken warning could not be played" in caplog.text


async def test_a_silent_alert_never_sounds_nor_shows(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    station = RecordingStation()
    entry = await _warning_home(hass, stand_in, [PLAYER], gateway=station)
    await armed_total(hass, freezer)
    await call(hass, "alarm_disarm", code=MARIE_DURESS)
    await hass.async_block_till_done()
    (alert,) = stand_in.alerts
    before = hass.states.get(PLAYER).attributes.get("media_content_id")  # type: ignore[union-attr]
    station.reports.clear()
    seen = async_capture_events(hass, MATCH_ALL)
    await _warning_requested(hass, hass_client_no_auth, entry, alert["alert_id"])
    await _listen_in_started(hass, hass_client_no_auth, entry, alert["alert_id"])
    assert hass.states.get(SIREN).state == "off"  # type: ignore[union-attr]
    assert hass.states.get(PLAYER).attributes.get("media_content_id") == before  # type: ignore[union-attr]
    assert [e.event_type for e in seen if e.event_type.startswith("imaprotect")] == []
    assert _journalled(entry) == []
    assert station.kinds == [ReportKind.LISTEN_IN_BEGIN]  # the station alone hears of it


async def test_the_sirens_stop_when_the_home_stops(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await _demo(hass)
    entry = await setup_offer_home(hass, stand_in, warning_sirens=[SIREN])
    assert stand_in.sites[entry.entry_id]["warning"] is True
    await trigger(hass)
    (alert,) = stand_in.alerts
    await _warning_requested(hass, hass_client_no_auth, entry, alert["alert_id"])
    await _warning_requested(hass, hass_client_no_auth, entry, alert["alert_id"])
    assert hass.states.get(SIREN).state == "on"  # type: ignore[union-attr]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SIREN).state == "off"  # type: ignore[union-attr]


class _OfflinePlayer(DemoYoutubePlayer):
    """A player whose device is gone: Home Assistant raises, as a real integration would."""

    def play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        raise HomeAssistantError("player offline")


class _StuckSiren(DemoSiren):
    """A siren that starts but cannot be stopped."""

    async def async_turn_off(self, **kwargs: Any) -> None:
        raise HomeAssistantError("siren stuck")


class _DeadSiren(DemoSiren):
    """A siren that cannot start."""

    async def async_turn_on(self, **kwargs: Any) -> None:
        raise HomeAssistantError("siren dead")


async def test_devices_that_fail_are_logged_never_raised(
    hass: HomeAssistant,
    stand_in: StandIn,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup_test_component_platform(
        hass, Platform.MEDIA_PLAYER, [_OfflinePlayer("Attic", "x", "y", 10)]
    )
    setup_test_component_platform(
        hass, Platform.SIREN, [_StuckSiren(name="Stuck", is_on=False), _DeadSiren(name="Dead")]
    )
    for domain in (Platform.MEDIA_PLAYER, Platform.SIREN):
        assert await async_setup_component(hass, domain, {domain: {"platform": "test"}})
    entry = await setup_offer_home(
        hass,
        stand_in,
        warning_players=["media_player.attic"],
        warning_tts="tts.piper",
        warning_sirens=["siren.stuck"],
    )
    await trigger(hass)
    (alert,) = stand_in.alerts
    await _warning_requested(hass, hass_client_no_auth, entry, alert["alert_id"])
    assert "the spoken warning could not be played: player offline" in caplog.text
    assert hass.states.get("siren.stuck").state == "on"  # type: ignore[union-attr]
    await tick(hass, freezer, 181)
    assert "the warning's sirens did not stop: siren stuck" in caplog.text

    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "warning_sirens": ["siren.dead"]}
    )
    await hass.async_block_till_done()
    await _warning_requested(hass, hass_client_no_auth, entry, alert["alert_id"])
    assert "the warning's sirens did not start: siren dead" in caplog.text
    # Other callbacks are not the talk-down's.
    body = {"event": "attempt_started", "site_id": entry.entry_id, "alert_id": alert["alert_id"],
            "status": "calling", "contact": MARIE, "at": AT}  # fmt: skip
    assert await post_callback(hass_client_no_auth, body) == 200
    assert [e["kind"] for e in _journalled(entry)] == ["warning_played", "warning_played"]
