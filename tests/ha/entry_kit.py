"""The shared test home rebuilt with more detectors: its subentries kept, some data changed.

The photo tests' home and the platform snapshots' home both add an image detector (a motion
sensor with its camera) to the shared home of conftest; the rebuilding is written once here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect.const import (
    CONF_CAMERA_ENTITY,
    CONF_DETECTOR_TYPE,
    CONF_SOURCE_ENTITY,
    CONF_ZONE,
    DOMAIN,
)


def image_detector(source: str, camera: str, zone: str) -> dict[str, Any]:
    """The garden's image motion detector (``Caméra jardin``) in ``zone``, as subentry data."""
    return {
        "subentry_type": "detector",
        "subentry_id": "garden",
        "title": "Caméra jardin",
        "unique_id": None,
        "data": {
            CONF_DETECTOR_TYPE: "image_motion",
            CONF_SOURCE_ENTITY: source,
            CONF_ZONE: zone,
            CONF_CAMERA_ENTITY: camera,
        },
    }


def rebuilt_entry(
    base: MockConfigEntry,
    *added: dict[str, Any],
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    entry_id: str | None = None,
) -> MockConfigEntry:
    """``base`` with its subentries (``changes`` merged into theirs, by id), then ``added``."""
    changes = changes or {}
    kept = [
        {
            "subentry_type": s.subentry_type,
            "subentry_id": s.subentry_id,
            "title": s.title,
            "unique_id": s.unique_id,
            "data": {**s.data, **changes.get(s.subentry_id, {})},
        }
        for s in base.subentries.values()
    ]
    return MockConfigEntry(
        domain=DOMAIN,
        title=base.title,
        unique_id=base.unique_id,
        entry_id=entry_id,
        data=dict(base.data),
        subentries_data=[*kept, *added],
    )
