"""Turn the core's refusals into translated Home Assistant errors the user can act on."""

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .core import (
    AlarmError,
    ArmRefusedError,
    BadgeRejectedError,
    LockedOutError,
    NotAllowedError,
    WrongCodeError,
)
from .home_config import HomeLayout


def _names(detector_ids: tuple[str, ...], layout: HomeLayout) -> str:
    return ", ".join(layout.config.detector(i).name for i in detector_ids)


def translate_refusal(err: AlarmError, layout: HomeLayout) -> ServiceValidationError:
    """The translated error for a refusal of the core, naming what to fix."""
    key: str
    placeholders: dict[str, str] = {}
    match err:
        case ArmRefusedError(open_ids=open_ids, faulty_ids=faulty_ids) if open_ids and faulty_ids:
            key = "open_and_faulty_detectors"
            placeholders["open"] = _names(open_ids, layout)
            placeholders["faulty"] = _names(faulty_ids, layout)
        case ArmRefusedError(detector_ids=ids, reason=reason):
            key = reason  # "open_detectors" or "faulty_detectors"
            placeholders["detectors"] = _names(ids, layout)
        case NotAllowedError(reason=reason):
            key = reason
        case WrongCodeError(failures=failures):
            key = "wrong_code"
            placeholders["failures"] = str(failures)
        case LockedOutError(until=until):
            key = "locked_out"
            placeholders["until"] = dt_util.as_local(until).strftime("%H:%M:%S")
        case BadgeRejectedError(reason=reason):
            key = f"badge_{reason}"
        case _:  # pragma: no cover - every AlarmError subclass is matched above
            key = "refused"
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def missing_code_error() -> ServiceValidationError:
    """A disarm, or an arming that needs a code, came without one."""
    return ServiceValidationError(translation_domain=DOMAIN, translation_key="code_required")


class HomeReloadingError(HomeAssistantError):
    """A command reached a home that is stopping to reload its settings: refused, never lost.

    The home is back within a moment; the caller (a user, an automation, a tag scan) sends the
    command again to the home it came back as.
    """

    def __init__(self, home: str) -> None:
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="home_reloading",
            translation_placeholders={"home": home},
        )
