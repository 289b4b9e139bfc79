"""Who an alert calls: the site's contacts in their order, less those it skips, or the station.

Decided once, when the alert is created, and kept in its plan (the site as it was then), so a
restarted server calls the same people. An agent request is for the monitoring station itself:
its plan's one callee is the site's station (SIP address or number), with no e-mail and no code.
A duress alert skips the person who gave the duress code: neither called nor e-mailed, since
their phone may be in other hands; and nothing may sound at home, so its calls offer no talk-down
(no speaker, no warning in its plan).
"""

from __future__ import annotations

from collections.abc import Collection

from custom_components.imaprotect.contract.enums import AlertKind, Language
from custom_components.imaprotect.contract.models import Contact, Site

__all__ = ["STATION_CONTACT_ID", "callees"]

STATION_CONTACT_ID = "station"
_STATION_NAME = {Language.FR: "Télésurveillance", Language.EN: "Monitoring station"}


def callees(plan: Site, kind: AlertKind, skip: Collection[str] = ()) -> Site:
    """The plan of a new alert: whom it calls, in order (no one for an agent without station)."""
    if kind is AlertKind.AGENT_REQUEST:
        if plan.station is None:
            return plan.model_copy(update={"contacts": ()})
        station = Contact.model_construct(
            id=STATION_CONTACT_ID,
            name=_STATION_NAME[plan.language],
            phone=plan.station,
            email=None,
            ack_code_hash="",
        )
        return plan.model_copy(update={"contacts": (station,)})
    if not skip:
        return plan
    kept = tuple(contact for contact in plan.contacts if contact.id not in skip)
    return plan.model_copy(update={"contacts": kept, "speaker": None, "warning": False})
