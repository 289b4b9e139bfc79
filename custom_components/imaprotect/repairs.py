"""The home's repairs: one helper to raise a translated repair, or clear it when it is over."""

from collections.abc import Mapping

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


@callback
def async_home_issue(
    hass: HomeAssistant,
    key: str,
    subject_id: str,
    placeholders: Mapping[str, str] | None,
    *,
    severity: ir.IssueSeverity = ir.IssueSeverity.ERROR,
) -> None:
    """Raise the repair ``key`` about ``subject_id`` (a home or a detector), or clear it (None).

    The issue id is ``<key>_<subject_id>``; its texts are the translation key ``key``.
    """
    issue_id = f"{key}_{subject_id}"
    if placeholders is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=severity,
        translation_key=key,
        translation_placeholders=dict(placeholders),
    )
