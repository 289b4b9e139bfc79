"""Texts of the information emails, in French and English.

Pure functions returning ``(subject, body)``: the campaign builds them when the status changes and
hands them to the outbox, so a retried email carries exactly the words of the first attempt. Times
are shown in the home's time zone, taken from the alert's ``occurred_at`` offset, because that is
the clock the contacts read on the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voice_server.kinds import KIND_NAMES
from voice_server.mail_words import hour_minute, long_date, one_line

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "AlertFacts",
    "ack_email",
    "back_email",
    "cancelled_email",
    "escalated_email",
    "exhausted_email",
    "expired_email",
    "info_email",
    "photos_email",
]


_TEXT = {
    "fr": {
        "unknown": "non précisé",
        "unknown_zone": "non précisée",
        "details": "Type : {kind}\nDétecteur : {detector}\nZone : {zone}\nHeure : {time}",
        "time": "à {hm}",
        "info_subject": "[{site}] Alerte : {kind}",
        "info_body": (
            "Une alerte s'est déclenchée à « {site} » : {kind}.\n\n{details}\n\n"
            "Vos contacts de confiance sont appelés l'un après l'autre. La première personne qui "
            "tape son code arrête l'alerte ; un e-mail de confirmation suivra."
        ),
        "informed_subject": "[{site}] Alerte : {kind}",
        "informed_body": (
            "Une alerte s'est déclenchée à « {site} » : {kind}.\n\n{details}\n\n"
            "La télésurveillance prend en charge l'alerte. Vous recevez un appel d'information "
            "qui ne demande aucun code."
        ),
        "photos_subject": "[{site}] Photos de l'alerte : {kind}",
        "photos_body": (
            "Les caméras de « {site} » ont pris ces photos au moment de l'alerte : {kind}.\n\n"
            "{details}"
        ),
        "ack_subject": "[{site}] Alerte acquittée par {by}",
        "ack_body": "Alerte acquittée par {by} {at}.\n\n{details}\n\nPlus personne ne sera appelé.",
        "escalated_subject": "[{site}] {by} a joint la télésurveillance",
        "escalated_body": "Appel transféré à la télésurveillance par {by} {at}.\n\n{details}",
        "exhausted_subject": "[{site}] Alerte non acquittée",
        "exhausted_body": (
            "Personne n'a acquitté l'alerte : tous les contacts ont été appelés sans succès.\n\n"
            "{details}\n\nVérifiez la situation sur place ou appelez les secours si besoin."
        ),
        "expired_subject": "[{site}] Alerte expirée : personne n'a pu être appelé",
        "expired_body": (
            "Personne n'a pu être appelé pour cette alerte : le serveur vocal ne pouvait pas "
            "téléphoner (Asterisk ou la ligne indisponible) et l'alerte est trop ancienne pour "
            "appeler encore.\n\n{details}\n\n"
            "Vérifiez la situation sur place ou appelez les secours si besoin."
        ),
        "cancelled_subject": "[{site}] Alerte arrêtée",
        "cancelled_body": "Alarme désarmée {who}{at} : l'alerte est arrêtée.\n\n{details}",
        "cancelled_by": "par {by} ",
        "offline_details": "Type : {kind}\nDernier signal reçu : {time}",
        "offline_info_subject": "[{site}] L'alarme ne répond plus",
        "offline_info_body": (
            "L'alarme de « {site} » ne répond plus : le serveur vocal n'en reçoit plus de "
            "nouvelles alors qu'elle est armée (coupure de courant ou d'Internet, panne, ou "
            "sabotage).\n\n"
            "{details}\n\n"
            "Vos contacts de confiance sont appelés l'un après l'autre. La première personne qui "
            "tape son code arrête l'alerte ; un e-mail de confirmation suivra."
        ),
        "back_subject": "[{site}] L'alarme répond de nouveau",
        "back_body": "L'alarme de « {site} » répond de nouveau {at} ; elle est {state}.\n\n"
        "{outcome}{details}",
        "back_armed": "armée",
        "back_disarmed": "désarmée",
        "back_stopped": "Les appels sont arrêtés.\n\n",
    },
    "en": {
        "unknown": "not specified",
        "unknown_zone": "not specified",
        "details": "Type: {kind}\nDetector: {detector}\nZone: {zone}\nTime: {time}",
        "time": "at {hm}",
        "info_subject": "[{site}] Alert: {kind}",
        "info_body": (
            "An alert went off at “{site}”: {kind}.\n\n{details}\n\n"
            "Your trusted contacts are being called one after the other. The first person who "
            "types their code stops the alert; a confirmation email will follow."
        ),
        "informed_subject": "[{site}] Alert: {kind}",
        "informed_body": (
            "An alert went off at “{site}”: {kind}.\n\n{details}\n\n"
            "The monitoring station is handling the alert. You will get an information call "
            "that asks for no code."
        ),
        "photos_subject": "[{site}] Photos of the alert: {kind}",
        "photos_body": (
            "The cameras of “{site}” took these photos when the alert went off: {kind}.\n\n"
            "{details}"
        ),
        "ack_subject": "[{site}] Alert acknowledged by {by}",
        "ack_body": "Alert acknowledged by {by} {at}.\n\n{details}\n\nNobody else will be called.",
        "escalated_subject": "[{site}] {by} reached the monitoring station",
        "escalated_body": "{by} was put through to the monitoring station {at}.\n\n{details}",
        "exhausted_subject": "[{site}] Alert not acknowledged",
        "exhausted_body": (
            "Nobody acknowledged the alert: every contact was called without success.\n\n"
            "{details}\n\nCheck the home or call the emergency services if needed."
        ),
        "expired_subject": "[{site}] Alert expired: nobody could be called",
        "expired_body": (
            "Nobody could be called about this alert: the voice server could not make calls "
            "(Asterisk or the line unavailable) and the alert is now too old to call about.\n\n"
            "{details}\n\nCheck the home or call the emergency services if needed."
        ),
        "cancelled_subject": "[{site}] Alert stopped",
        "cancelled_body": "Alarm disarmed {who}{at}: the alert is stopped.\n\n{details}",
        "cancelled_by": "by {by} ",
        "offline_details": "Type: {kind}\nLast signal received: {time}",
        "offline_info_subject": "[{site}] The alarm no longer answers",
        "offline_info_body": (
            "The alarm of “{site}” no longer answers: the voice server hears nothing from it "
            "although it is armed (a power or Internet cut, a failure, or tampering).\n\n"
            "{details}\n\n"
            "Your trusted contacts are being called one after the other. The first person who "
            "types their code stops the alert; a confirmation email will follow."
        ),
        "back_subject": "[{site}] The alarm answers again",
        "back_body": "The alarm of “{site}” answers again {at}; it is {state}.\n\n"
        "{outcome}{details}",
        "back_armed": "armed",
        "back_disarmed": "disarmed",
        "back_stopped": "The calls are stopped.\n\n",
    },
}


_OFFLINE = "home_offline"


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the emails say about one alert; ``occurred_at`` must carry the home's offset."""

    site_name: str
    language: str
    kind: str
    detector: str | None
    zone: str | None
    occurred_at: datetime


def _text(facts: AlertFacts) -> dict[str, str]:
    """The language's texts; unknown languages, kinds or naive times are the caller's bug."""
    if facts.language not in _TEXT:
        raise ValueError(f"unsupported language {facts.language!r}")
    if facts.kind not in KIND_NAMES[facts.language]:
        raise ValueError(f"unknown alert kind {facts.kind!r}")
    if facts.occurred_at.utcoffset() is None:
        raise ValueError("occurred_at needs a time zone")
    return _TEXT[facts.language]


def _when(facts: AlertFacts, at: datetime, *, same_day_short: bool) -> str:
    """``at`` in the home's zone; only the hour when it is the alert's day (``à 14:32``)."""
    if at.utcoffset() is None:
        raise ValueError("times need a time zone")
    local = at.astimezone(facts.occurred_at.tzinfo)
    if same_day_short and local.date() == facts.occurred_at.date():
        return _TEXT[facts.language]["time"].format(hm=hour_minute(local))
    return long_date(facts.language, local)


def _fill(facts: AlertFacts, key: str, **values: str) -> tuple[str, str]:
    text = _text(facts)
    kind = KIND_NAMES[facts.language][facts.kind]
    # A silent home has no detector or zone: its details say when it was last heard of.
    details = text["offline_details" if facts.kind == _OFFLINE else "details"].format(
        kind=kind[0].upper() + kind[1:],
        detector=facts.detector or text["unknown"],
        zone=facts.zone or text["unknown_zone"],
        time=_when(facts, facts.occurred_at, same_day_short=False),
    )
    common = {"site": facts.site_name, "kind": kind}
    subject = one_line(text[f"{key}_subject"].format(**common, **values))
    body = text[f"{key}_body"].format(**common, details=details, **values)
    return subject, body


def info_email(facts: AlertFacts, *, informing: bool = False) -> tuple[str, str]:
    """Sent at once when the alert starts: what happened, and that contacts are being called.

    ``informing``: the station handles the alert, and the call that follows asks for no code.
    """
    if facts.kind == _OFFLINE:
        return _fill(facts, "offline_info")
    return _fill(facts, "informed" if informing else "info")


def photos_email(facts: AlertFacts) -> tuple[str, str]:
    """Sent when the alarm's photos arrive (a few seconds after the alert): they are inline."""
    return _fill(facts, "photos")


def ack_email(facts: AlertFacts, by: str, at: datetime) -> tuple[str, str]:
    """Sent after the right code: "Alerte acquittée par Marie à 14:32"."""
    return _fill(facts, "ack", by=by, at=_when(facts, at, same_day_short=True))


def escalated_email(facts: AlertFacts, by: str, at: datetime) -> tuple[str, str]:
    """Sent when a contact pressed 9 and was bridged to the monitoring station."""
    return _fill(facts, "escalated", by=by, at=_when(facts, at, same_day_short=True))


def exhausted_email(facts: AlertFacts) -> tuple[str, str]:
    """Sent when every round of calls ended without an acknowledgement."""
    return _fill(facts, "exhausted")


def expired_email(facts: AlertFacts) -> tuple[str, str]:
    """Sent when the alert reached the maximum age before anybody could be called."""
    return _fill(facts, "expired")


def cancelled_email(facts: AlertFacts, by: str | None, at: datetime) -> tuple[str, str]:
    """Sent when the alarm was disarmed at home, by a named person or not."""
    who = _text(facts)["cancelled_by"].format(by=by) if by else ""
    return _fill(facts, "cancelled", who=who, at=_when(facts, at, same_day_short=True))


def back_email(facts: AlertFacts, at: datetime, *, armed: bool, stopped: bool) -> tuple[str, str]:
    """Sent when a home reported offline sends heartbeats again (``facts``: its silence).

    ``stopped``: its alert was still calling, and the calls were stopped.
    """
    text = _text(facts)
    return _fill(
        facts,
        "back",
        at=_when(facts, at, same_day_short=True),
        state=text["back_armed" if armed else "back_disarmed"],
        outcome=text["back_stopped"] if stopped else "",
    )
