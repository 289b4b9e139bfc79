"""A home's alarm photos: taken from its cameras, kept on disk a set time, then deleted.

When an image-motion detector (its camera is in its settings) or any detector of a zone with a
linked camera raises an alarm, each of those cameras gives three frames (at detection, +1 s,
+2 s) through Home Assistant's camera API; Pillow re-encodes them (in the executor) to JPEGs of at
most 640x480 and about 150 kB, written 0600 under the home's ``.storage`` folder. A photo set is
kept ``photo_days`` days (30 by default), and a daily purge deletes it. Photos on demand
(``imaprotect.take_photo``, a detector's button) are kept the same way.

A camera that fails costs its frame, never the alarm: the alarm went out before the first shot.
The station's verification link opens one set (``core.photos.VerificationLinks``); Home
Assistant's camera proxy URLs, whose tokens rotate and open every camera, are never handed out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
import logging
import os
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import CONF_PHOTO_DAYS, DEFAULT_PHOTO_DAYS, DOMAIN, PHOTOS_STORAGE_VERSION
from .core import Actor, AlarmRaised, Event
from .core.journal import NOBODY, EntryKind
from .core.journal_events import actor_who
from .core.photos import SHOT_INTERVAL, SHOTS, VerificationLinks, expired
from .photo_codec import PhotoError, encode_photo

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .panel import HomePanel

_LOGGER = logging.getLogger(__name__)

CAMERA_TIMEOUT = 10  # seconds, Home Assistant's own default for a still image
PURGE_INTERVAL = timedelta(days=1)
VERIFY_PATH = "/api/imaprotect/v"
FOLDER = "imaprotect_photos"

type PhotosListener = Callable[["PhotoSet"], Awaitable[None]]


def signal_photo(entry_id: str) -> str:
    """Dispatcher signal: a detector has a new photo (its image entity shows it)."""
    return f"{DOMAIN}_{entry_id}_photo"


@dataclass(slots=True)
class PhotoSet:
    """The photos of one alarm or request: file names in the order taken."""

    set_id: str
    detector_id: str
    taken_at: datetime
    alarm: bool
    kind: str | None = None
    files: list[str] = field(default_factory=list)
    done: bool = False

    def stored(self) -> dict[str, Any]:
        """The set as the store keeps it."""
        return {
            "detector_id": self.detector_id,
            "taken_at": self.taken_at.isoformat(),
            "alarm": self.alarm,
            "kind": self.kind,
            "files": self.files,
        }


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by Home Assistant's user only (0600), folder 0700."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)  # an umask or an older file cannot widen it


def _delete(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _delete_orphans(folder: Path, known: set[str], before: float) -> int:
    """Delete the photo files no set names (a crash between a shot and its record) once old."""
    if not folder.is_dir():
        return 0
    gone = 0
    for path in folder.glob("*.jpg"):
        if path.name not in known and path.stat().st_mtime < before:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


async def async_remove_photos(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The home is deleted: its photos and their index go with it."""
    folder = Path(hass.config.path(".storage", FOLDER, entry.entry_id))
    await hass.async_add_executor_job(partial(shutil.rmtree, folder, ignore_errors=True))
    await Store[dict[str, Any]](
        hass, PHOTOS_STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.photos", private=True
    ).async_remove()


class HomePhotos:
    """One home's photos: capture, storage, purge and the station's verification links."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        self.folder = Path(hass.config.path(".storage", FOLDER, entry.entry_id))
        self._store: Store[dict[str, Any]] = Store(
            hass, PHOTOS_STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.photos", private=True
        )
        self.sets: dict[str, PhotoSet] = {}
        self.links = VerificationLinks()
        self._alarm_sets: dict[tuple[str, datetime], str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._purge_timer: CALLBACK_TYPE | None = None
        self.interval = SHOT_INTERVAL
        self.listeners: list[PhotosListener] = []  # told when an alarm's set is complete
        panel.async_add_listener(self._on_event)

    @property
    def keep(self) -> timedelta:
        """How long a photo is kept (the home's setting)."""
        return timedelta(days=int(self.entry.data.get(CONF_PHOTO_DAYS, DEFAULT_PHOTO_DAYS)))

    # ------------------------------------------------------------------ life

    async def async_start(self) -> None:
        """Restore the index, purge what expired meanwhile, then purge once a day."""
        stored = await self._store.async_load() or {}
        for set_id, raw in dict(stored.get("sets", {})).items():
            try:
                self.sets[set_id] = PhotoSet(
                    set_id,
                    str(raw["detector_id"]),
                    datetime.fromisoformat(raw["taken_at"]),
                    bool(raw.get("alarm")),
                    raw.get("kind"),
                    [str(name) for name in raw.get("files", ())],
                    done=True,
                )
            except KeyError, TypeError, ValueError:
                _LOGGER.warning("%s: an unreadable photo record was dropped", self.entry.title)
        self.links.load(dict(stored.get("links", {})))
        await self.async_purge()
        self._purge_timer = async_track_time_interval(  # Home Assistant's stop ends it too
            self.hass, self._async_purge_tick, PURGE_INTERVAL, cancel_on_shutdown=True
        )

    async def async_stop(self) -> None:
        """Stop the purge and the shots under way; the index is saved."""
        if self._purge_timer is not None:
            self._purge_timer()
            self._purge_timer = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.async_save()

    async def async_save(self) -> None:
        """Write the index of sets and links."""
        await self._store.async_save(
            {
                "sets": {set_id: s.stored() for set_id, s in self.sets.items()},
                "links": self.links.stored(),
            }
        )

    async def _async_purge_tick(self, _now: datetime) -> None:
        await self.async_purge()

    async def async_purge(self, now: datetime | None = None) -> int:
        """Delete the sets older than ``keep`` (files and records); return how many went."""
        now = now or dt_util.utcnow()
        gone = [s for s in self.sets.values() if s.done and expired(s.taken_at, now, self.keep)]
        going = {s.set_id for s in gone}
        known = {name for s in self.sets.values() if s.set_id not in going for name in s.files}
        orphans = await self.hass.async_add_executor_job(
            _delete_orphans, self.folder, known, (now - self.keep).timestamp()
        )
        if not gone and not self.links.stored():
            return orphans
        paths = [self.folder / name for s in gone for name in s.files]
        await self.hass.async_add_executor_job(_delete, paths)
        for photo_set in gone:
            del self.sets[photo_set.set_id]
        self.links.prune(now)
        await self.async_save()
        if gone:
            _LOGGER.info(
                "%s: %d photo sets deleted after %s", self.entry.title, len(gone), self.keep
            )
        return len(gone) + orphans

    # ------------------------------------------------------------------ alarms

    @callback
    def _on_event(self, event: Event, _context: Context | None) -> None:
        """An alarm of a detector watched by a camera: its burst starts now."""
        if not isinstance(event, AlarmRaised) or event.detector_id is None:
            return
        cameras = self.panel.layout.cameras_for(event.detector_id)
        if not cameras:
            return
        photo_set = PhotoSet(
            uuid.uuid4().hex, event.detector_id, event.at, alarm=True, kind=event.kind.value
        )
        self.sets[photo_set.set_id] = photo_set
        self._alarm_sets[(event.detector_id, event.at)] = photo_set.set_id
        task = self.entry.async_create_background_task(
            self.hass, self._async_alarm_burst(photo_set, cameras), "imaprotect alarm photos"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _async_alarm_burst(self, photo_set: PhotoSet, cameras: tuple[str, ...]) -> None:
        await self._async_shoot(photo_set, cameras, SHOTS)
        self._journal(photo_set, None)
        for listener in list(self.listeners):
            try:
                await listener(photo_set)
            except Exception:  # a follower's bug must not lose the photos
                _LOGGER.exception("An imaprotect photo listener failed")

    def verification_url(self, event: AlarmRaised) -> str | None:
        """A link opening this alarm's photos for two hours, or None (no camera, no URL)."""
        if event.detector_id is None:
            return None
        set_id = self._alarm_sets.get((event.detector_id, event.at))
        if set_id is None:
            return None
        try:
            base = get_url(self.hass, prefer_external=True)
        except NoURLAvailableError:
            _LOGGER.warning("%s: no Home Assistant URL, so no photo link", self.entry.title)
            return None
        token = self.links.issue(set_id, dt_util.utcnow())
        self.entry.async_create_task(self.hass, self.async_save(), "imaprotect save photo link")
        return f"{base.rstrip('/')}{VERIFY_PATH}/{token}"

    def resolve(self, token: str, now: datetime | None = None) -> list[Path] | None:
        """The photo files a token opens now, or None for a wrong or expired token."""
        set_id = self.links.resolve(token, now or dt_util.utcnow())
        photo_set = self.sets.get(set_id) if set_id is not None else None
        if photo_set is None:
            return None
        return [self.folder / name for name in photo_set.files]

    # ------------------------------------------------------------------ on demand

    async def async_take_photo(self, detector_id: str, actor: Actor | None = None) -> PhotoSet:
        """One photo from each camera of a detector (the action, the button), by ``actor``.

        Refused (translated) for a detector without a camera; a camera failure is an error.
        """
        detector = self.panel.layout.config.detector(detector_id)
        cameras = self.panel.layout.cameras_for(detector_id)
        if not cameras:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="photo_no_camera",
                translation_placeholders={"detector": detector.name},
            )
        photo_set = PhotoSet(uuid.uuid4().hex, detector_id, dt_util.utcnow(), alarm=False)
        self.sets[photo_set.set_id] = photo_set
        await self._async_shoot(photo_set, cameras, 1)
        if not photo_set.files:
            del self.sets[photo_set.set_id]
            await self.async_save()
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="photo_camera_failed",
                translation_placeholders={"detector": detector.name},
            )
        self._journal(photo_set, actor)
        return photo_set

    def _journal(self, photo_set: PhotoSet, actor: Actor | None) -> None:
        """The journal keeps that photos were taken, of what and for whom (never a file name)."""
        detector = self.panel.layout.config.detector(photo_set.detector_id)
        self.panel.journal.record(
            EntryKind.PHOTOS_TAKEN,
            photo_set.taken_at,
            who=actor_who(actor) if actor is not None else NOBODY,
            details={
                "detector": detector.name,
                "photos": len(photo_set.files),
                "alarm": photo_set.kind if photo_set.alarm else None,
            },
        )

    # ------------------------------------------------------------------ shots

    async def _async_shoot(self, photo_set: PhotoSet, cameras: tuple[str, ...], shots: int) -> None:
        """``shots`` rounds a second apart, each a frame from every camera; saved as they come."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            for shot in range(shots):
                if shot and self.interval:
                    await asyncio.sleep(max(0.0, start + shot * self.interval - loop.time()))
                frames = await asyncio.gather(*(self._async_frame(c) for c in cameras))
                for position, frame in enumerate(frames):
                    if frame is None:
                        continue
                    name = f"{photo_set.set_id}-{shot}-{position}.jpg"
                    await self.hass.async_add_executor_job(
                        _write_private, self.folder / name, frame
                    )
                    photo_set.files.append(name)
                if photo_set.files:
                    async_dispatcher_send(
                        self.hass, signal_photo(self.entry.entry_id), photo_set.detector_id
                    )
        finally:
            photo_set.done = True
            await self.async_save()

    async def _async_frame(self, entity_id: str) -> bytes | None:
        """One frame of a camera as an alarm photo, or None (logged) when it gave none."""
        # Imported here: the camera component needs libturbojpeg, which a home without cameras
        # may lack; a home with a camera has it loaded already.
        from homeassistant.components import camera  # noqa: PLC0415

        try:
            image = await camera.async_get_image(self.hass, entity_id, timeout=CAMERA_TIMEOUT)
            return await self.hass.async_add_executor_job(encode_photo, image.content)
        except (HomeAssistantError, PhotoError) as err:
            _LOGGER.warning("%s: no photo from %s: %s", self.entry.title, entity_id, err)
            return None

    # ------------------------------------------------------------------ reading

    def latest(self, detector_id: str) -> tuple[Path, datetime] | None:
        """A detector's newest photo (alarm or on demand) and when it was taken."""
        newest: PhotoSet | None = None
        for photo_set in self.sets.values():
            mine = photo_set.detector_id == detector_id and photo_set.files
            if mine and (newest is None or photo_set.taken_at >= newest.taken_at):
                newest = photo_set
        if newest is None:
            return None
        return self.folder / newest.files[-1], newest.taken_at

    async def async_read(self, path: Path) -> bytes | None:
        """A photo's bytes, or None when it is gone (purged meanwhile)."""
        try:
            return await self.hass.async_add_executor_job(path.read_bytes)
        except FileNotFoundError:
            return None
