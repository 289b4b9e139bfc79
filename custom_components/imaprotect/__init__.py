"""imaprotect: a self-hosted home alarm with badges and a phone call-out; one entry per home."""

from contextlib import suppress
import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .callout import async_forget_site
from .const import BADGE_TOGGLE, DOMAIN
from .errors import HomeReloadingError
from .heartbeat import HomeHeartbeat
from .journal import async_remove_journal
from .journal_export import JournalCsvView
from .journal_service import async_setup_journal_service
from .migration import async_migrate_entry as async_migrate_entry  # Home Assistant's hook
from .offer_services import async_setup_offer_services
from .panel import HomePanel, ImaProtectConfigEntry
from .photo_services import async_setup_photo_services
from .photos import async_remove_photos
from .services import async_setup_services
from .station_runtime import async_remove_station
from .talk_down import HomeTalkDown
from .texts import async_load_texts
from .verification import VerificationView

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS = [
    Platform.ALARM_CONTROL_PANEL,
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.BUTTON,
    Platform.IMAGE,
]

EVENT_TAG_SCANNED = "tag_scanned"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and listen to Home Assistant's tag scans for every home."""
    async_setup_services(hass)
    async_setup_offer_services(hass)
    async_setup_journal_service(hass)
    async_setup_photo_services(hass)
    hass.http.register_view(JournalCsvView())
    hass.http.register_view(VerificationView())
    await async_load_texts(hass)

    async def _async_tag_scanned(event: Event) -> None:
        """A tag scan is a badge for the homes that hear its reader.

        The homes that own the tag act on it; a tag nobody owns is a rejected badge for every
        home that hears it (it counts towards their lockout, so ids cannot be guessed freely).
        """
        tag_id = event.data.get("tag_id")
        if not isinstance(tag_id, str):
            return
        device_id = event.data.get("device_id")
        await _async_wait_for_reloads(hass)
        heard: list[HomePanel] = []
        for entry in hass.config_entries.async_loaded_entries(DOMAIN):
            panel: HomePanel = entry.runtime_data
            if panel.hears_reader(device_id):
                heard.append(panel)
            else:  # never the tag id: it may be a badge
                _LOGGER.info(
                    "Tag scan ignored by %s: device %s is not a reader listed in its settings",
                    panel.title,
                    device_id,
                )
        owners = [panel for panel in heard if panel.owns_badge(tag_id)]
        for panel in owners or heard:
            await _async_present_badge(hass, panel, tag_id, event.context)

    hass.bus.async_listen(EVENT_TAG_SCANNED, _async_tag_scanned)
    return True


async def _async_wait_for_reloads(hass: HomeAssistant) -> None:
    """Let the homes being set up or reloaded (a settings edit) finish first.

    A badge scanned during a reload then reaches the home as it comes back, instead of finding
    no loaded home to hear it.
    """
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is not ConfigEntryState.LOADED and entry.setup_lock.locked():
            async with entry.setup_lock:
                pass


async def _async_present_badge(
    hass: HomeAssistant, panel: HomePanel, tag_id: str, context: Context
) -> None:
    """Present a scanned badge; a home that started reloading meanwhile takes it once back.

    Any other refusal is recorded by the panel (rejected badge, refused command).
    """
    try:
        await panel.async_present_badge(tag_id, BADGE_TOGGLE, context=context)
    except HomeReloadingError:
        pass
    except HomeAssistantError:
        return
    else:
        return
    entry = panel.entry
    async with entry.setup_lock:
        pass
    if entry.state is not ConfigEntryState.LOADED:
        _LOGGER.warning("A badge scan reached %s while it was being unloaded", panel.title)
        return
    with suppress(HomeAssistantError):
        await entry.runtime_data.async_present_badge(tag_id, BADGE_TOGGLE, context=context)


async def async_setup_entry(hass: HomeAssistant, entry: ImaProtectConfigEntry) -> bool:
    """Start the home's panel, restored from its saved state."""
    panel = HomePanel(hass, entry)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer="imaprotect",
    )
    panel.home_device_id = device.id
    await panel.async_start()
    heartbeat = HomeHeartbeat(hass, entry, panel)  # after the start: it sends the state restored
    heartbeat.async_start()
    entry.async_on_unload(heartbeat.async_stop)
    talk_down = HomeTalkDown(hass, entry, panel)  # listen-in reports, spoken warning
    talk_down.async_start()
    entry.async_on_unload(talk_down.async_stop)
    entry.runtime_data = panel
    entry.async_on_unload(entry.add_update_listener(_async_entry_changed))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_entry_changed(hass: HomeAssistant, entry: ImaProtectConfigEntry) -> None:
    """Zones, detectors or people were added, changed or removed: reload to pick them up."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: ImaProtectConfigEntry) -> bool:
    """Stop the home's panel; its state is saved and restored on the next start."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ImaProtectConfigEntry) -> None:
    """The home is deleted: the voice server forgets it and its contacts' numbers; its photos go."""
    await async_forget_site(hass, entry)
    await async_remove_journal(hass, entry)
    await async_remove_station(hass, entry)
    await async_remove_photos(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ImaProtectConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing only devices whose zone, detector or person no longer exists."""
    ids = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
    return not ids & ({entry.entry_id} | set(entry.subentries))
