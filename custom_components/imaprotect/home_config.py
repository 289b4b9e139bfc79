"""Translate a home's config entry and subentries into the core's HomeConfig and wiring."""

from dataclasses import dataclass
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .badges import home_badge_key, person_badges
from .const import (
    CONF_ALARM_DURATION,
    CONF_BATTERY_ENTITY,
    CONF_CAMERA_ENTITY,
    CONF_CODE_ARM_REQUIRED,
    CONF_CODE_HASH,
    CONF_DETECTOR_TYPE,
    CONF_DURESS_CODE_HASH,
    CONF_ENTRY_DELAY,
    CONF_ENTRY_ROUTE,
    CONF_EXIT_DELAY,
    CONF_MAY_ARM,
    CONF_MAY_DISARM,
    CONF_PARTIAL,
    CONF_SOURCE_ENTITY,
    CONF_TAMPER_ENTITY,
    CONF_ZONE,
    DEFAULT_ALARM_DURATION,
    DEFAULT_ENTRY_DELAY,
    DEFAULT_EXIT_DELAY,
    SUBENTRY_DETECTOR,
    SUBENTRY_PERSON,
    SUBENTRY_ZONE,
    SUPERVISION_WINDOW,
)
from .core import Detector, DetectorType, HomeConfig, Person, Settings, Zone

NO_ZONE = "no_zone"
NO_ZONE_NAME = "?"


@dataclass(frozen=True, slots=True)
class DetectorWiring:
    """The Home Assistant entities a detector mirrors (the core knows none of them)."""

    detector_id: str
    source: str
    tamper: str | None
    battery: str | None
    camera: str | None = None  # an image detector's camera (its settings)


@dataclass(frozen=True, slots=True)
class HomeLayout:
    """Everything the adapter needs from a home's entry: the core config and the entity wiring."""

    config: HomeConfig
    wiring: tuple[DetectorWiring, ...]
    without_zone: tuple[str, ...] = ()  # names of detectors whose zone was deleted
    zone_cameras: tuple[tuple[str, str], ...] = ()  # (zone id, camera entity) linked to zones

    def cameras_for(self, detector_id: str) -> tuple[str, ...]:
        """The cameras that photograph a detector's alarm: its own, then its zone's."""
        zone_id = self.config.detector(detector_id).zone_id
        found = [w.camera for w in self.wiring if w.detector_id == detector_id and w.camera]
        found += [camera for zone, camera in self.zone_cameras if zone == zone_id]
        return tuple(dict.fromkeys(found))

    def wiring_for_entity(self, entity_id: str) -> DetectorWiring | None:
        """Find the detector mirroring (or reporting tamper for) an entity."""
        for wiring in self.wiring:
            if entity_id in (wiring.source, wiring.tamper):
                return wiring
        return None


def _settings(entry: ConfigEntry) -> Settings:
    data = entry.data
    return Settings(
        entry_delay=timedelta(seconds=data.get(CONF_ENTRY_DELAY, DEFAULT_ENTRY_DELAY)),
        exit_delay=timedelta(seconds=data.get(CONF_EXIT_DELAY, DEFAULT_EXIT_DELAY)),
        alarm_duration=timedelta(seconds=data.get(CONF_ALARM_DURATION, DEFAULT_ALARM_DURATION)),
        code_arm_required=bool(data.get(CONF_CODE_ARM_REQUIRED, False)),
        supervision_window=SUPERVISION_WINDOW,
    )


def _zone(subentry: ConfigSubentry) -> Zone:
    return Zone(
        id=subentry.subentry_id,
        name=subentry.title,
        partial=bool(subentry.data.get(CONF_PARTIAL, False)),
    )


def _detector(subentry: ConfigSubentry, zone_id: str) -> Detector:
    detector_type = DetectorType(subentry.data[CONF_DETECTOR_TYPE])
    return Detector(
        id=subentry.subentry_id,
        name=subentry.title,
        type=detector_type,
        zone_id=zone_id,
        entry_route=bool(subentry.data.get(CONF_ENTRY_ROUTE, False)),
    )


def _person(subentry: ConfigSubentry) -> Person:
    return Person(
        id=subentry.subentry_id,
        name=subentry.title,
        code_hash=subentry.data.get(CONF_CODE_HASH),
        badges=tuple(badge.digest for badge in person_badges(subentry)),
        may_arm=bool(subentry.data.get(CONF_MAY_ARM, True)),
        may_disarm=bool(subentry.data.get(CONF_MAY_DISARM, True)),
        duress_hash=subentry.data.get(CONF_DURESS_CODE_HASH),
    )


def _wiring(subentry: ConfigSubentry) -> DetectorWiring:
    data = subentry.data
    return DetectorWiring(
        detector_id=subentry.subentry_id,
        source=data[CONF_SOURCE_ENTITY],
        tamper=data.get(CONF_TAMPER_ENTITY) or None,
        battery=data.get(CONF_BATTERY_ENTITY) or None,
        camera=data.get(CONF_CAMERA_ENTITY) or None,
    )


def home_layout(entry: ConfigEntry) -> HomeLayout:
    """Build the home's layout.

    A detector whose zone was deleted keeps watching (a smoke detector must never go quiet) in a
    zone of its own, armed in total mode only, until its owner picks a zone again (a repair).
    """
    zones = tuple(_zone(s) for s in entry.get_subentries_of_type(SUBENTRY_ZONE))
    zone_ids = {zone.id for zone in zones}
    detector_entries = list(entry.get_subentries_of_type(SUBENTRY_DETECTOR))
    orphans = [s for s in detector_entries if s.data[CONF_ZONE] not in zone_ids]
    if orphans:
        zones = (*zones, Zone(id=NO_ZONE, name=NO_ZONE_NAME, partial=False))
    config = HomeConfig(
        settings=_settings(entry),
        zones=zones,
        detectors=tuple(
            _detector(s, s.data[CONF_ZONE] if s.data[CONF_ZONE] in zone_ids else NO_ZONE)
            for s in detector_entries
        ),
        people=tuple(_person(s) for s in entry.get_subentries_of_type(SUBENTRY_PERSON)),
        badge_key=home_badge_key(entry),
    )
    return HomeLayout(
        config=config,
        wiring=tuple(_wiring(s) for s in detector_entries),
        without_zone=tuple(s.title for s in orphans),
        zone_cameras=tuple(
            (s.subentry_id, s.data[CONF_CAMERA_ENTITY])
            for s in entry.get_subentries_of_type(SUBENTRY_ZONE)
            if s.data.get(CONF_CAMERA_ENTITY)
        ),
    )
