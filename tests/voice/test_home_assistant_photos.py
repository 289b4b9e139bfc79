"""End to end: an alarm's photos from Home Assistant to the contacts' e-mail, inline.

An image detector's alarm in Home Assistant, its photos, the real voice server, then the
contacts' e-mail (the real aiosmtpd sink) with the JPEGs inline.

Home Assistant runs in its test harness with real camera entities (``tests/ha/camera_kit``);
Asterisk is away, so the alert waits for its calls, while the e-mails go out at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
import pytest

from tests.ha.camera_kit import GARDEN, async_setup_cameras, camera_entry
from tests.ha.conftest import PANEL, set_sources
from tests.voice.harness import TOKEN
from tests.voice.test_home_assistant import until

if TYPE_CHECKING:
    from email.message import EmailMessage
    from pathlib import Path

    from custom_components.imaprotect.panel import HomePanel
    from tests.voice.conftest import VoiceFactory
    from tests.voice.harness import SmtpSink

MARIE = "marie@example.org"


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Home Assistant's own folder for the test: the photos are real files."""
    hass.config.config_dir = str(tmp_path / "ha")
    return tmp_path / "ha"


def _inline_jpegs(message: EmailMessage) -> list[bytes]:
    html = message.get_body(("html",))
    assert html is not None
    source = html.get_content()
    found: list[bytes] = []
    for part in message.walk():
        if part.get_content_type() == "image/jpeg":
            assert part.get_content_disposition() == "inline"
            assert f'src="cid:{str(part["Content-ID"]).strip("<>")}"' in source
            found.append(part.get_content())
    return found


async def test_the_alarm_s_photos_reach_the_contacts_inline(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    socket_enabled: None,
    voice: VoiceFactory,
    smtp_sink: SmtpSink,
) -> None:
    running = await voice(smtp_port=smtp_sink.port)
    await async_setup_cameras(hass)
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry = camera_entry(voice_url=running.api.base, voice_token=TOKEN, exit_delay=0)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    panel: HomePanel = entry.runtime_data
    await hass.services.async_call(
        "imaprotect", "arm", {"entity_id": PANEL, "mode": "total"}, blocking=True
    )
    hass.states.async_set(GARDEN, "on")  # the garden's image detector: three shots, 1 s apart

    await until(hass, lambda: len(smtp_sink.to(MARIE)) == 2, within=30)
    photos_subject = "[Maison] Photos of the alert: intrusion"  # the home speaks English here
    assert sorted(smtp_sink.subjects(MARIE)) == ["[Maison] Alert: intrusion", photos_subject]
    (mail,) = [m for m in smtp_sink.to(MARIE) if m["Subject"] == photos_subject]
    (photo_set,) = panel.photos.sets.values()
    taken = [(panel.photos.folder / name).read_bytes() for name in photo_set.files]
    assert len(taken) == 3
    assert _inline_jpegs(mail) == taken
    # The server keeps them too, 0600, under the alert Home Assistant sent.
    (alert_id,) = [
        row[0] for row in running.server.store.conn.execute("SELECT alert_id FROM alerts")
    ]
    assert running.server.photos is not None
    assert running.server.photos.read(alert_id) == taken
    assert panel.callout.queue is not None
    assert panel.callout.queue.photos == {}  # delivered: nothing left to send
