"""Real Home Assistant cameras for the photo tests, and a home whose detectors they watch.

The cameras are Home Assistant's own ``Camera`` entities (the demo integration's camera, which
serves the demo's JPEG frames in turn, and a camera serving one big frame), set up through the
camera component, so ``camera.async_get_image`` runs for real. The camera component imports
PyTurboJPEG, which Home Assistant installs with it but the test environment's lock lacks: when
it is missing, a stand-in module makes the library fail to load, which Home Assistant handles
itself (its scaling is then skipped; the integration never asks it to scale).
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import sys
import types
from typing import TYPE_CHECKING, Any, override

from PIL import Image

if importlib.util.find_spec("turbojpeg") is None:  # pragma: no branch - the lock decides
    _stand_in = types.ModuleType("turbojpeg")

    class _TurboJPEG:
        def __init__(self) -> None:
            raise OSError("libturbojpeg is not installed")

    _stand_in.TurboJPEG = _TurboJPEG  # type: ignore[attr-defined]
    sys.modules["turbojpeg"] = _stand_in

from homeassistant.components.camera import Camera
from homeassistant.components.demo.camera import DemoCamera
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)

from custom_components.imaprotect.const import CONF_CAMERA_ENTITY

from .conftest import home_entry
from .entry_kit import image_detector, rebuilt_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

GARDEN = "binary_sensor.garden_motion"
GARDEN_CAMERA = "camera.demo_camera"  # the demo camera: the garden's image detector
HALL_CAMERA = "camera.big_frame"  # linked to the ground floor zone
BIG = (1920, 1440)


def big_jpeg() -> bytes:
    """A 1920x1440 JPEG full of detail (noise), well over 150 kB at high quality."""
    image = Image.effect_noise(BIG, 90).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=98)
    return out.getvalue()


class FrameCamera(Camera):
    """A camera that serves one frame, and can be switched off (then it gives no image)."""

    def __init__(self, name: str, frame: bytes) -> None:
        super().__init__()
        self._attr_name = name
        self._attr_is_on = True
        self.frame = frame
        self.served = 0
        self.served_at: list[float] = []  # the event loop's clock at each frame

    @override
    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        self.served += 1
        self.served_at.append(asyncio.get_running_loop().time())
        return self.frame


async def async_setup_cameras(hass: HomeAssistant) -> tuple[DemoCamera, FrameCamera]:
    """The demo camera and the big-frame camera, as ``camera.demo_camera``/``camera.big_frame``."""
    demo = DemoCamera("Demo camera", "image/jpg")
    big = FrameCamera("Big frame", big_jpeg())
    setup_test_component_platform(hass, "camera", [demo, big])
    assert await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    await hass.async_block_till_done()
    return demo, big


def camera_entry(*, zone_camera: bool = True, **settings: Any) -> MockConfigEntry:
    """The shared test home, plus the garden's image detector and a ground-floor camera.

    With ``zone_camera`` the ground floor has a camera, so its door and window alarms are
    photographed too.
    """
    changes = {"ground": {CONF_CAMERA_ENTITY: HALL_CAMERA}} if zone_camera else None
    garden = image_detector(GARDEN, GARDEN_CAMERA, zone="upstairs")
    return rebuilt_entry(home_entry(**settings), garden, changes=changes)
