"""Texts of the owner notices (self-diagnosis), in French and English: e-mails, never calls.

A trouble began, a trouble is over, or the daily digest of what is still wrong. Pure functions
returning ``(subject, body)``, like ``mailer``: times in the home's zone (the notice's
``occurred_at`` offset).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.enums import NoticeKind, TroubleKind
from voice_server.mail_words import long_date, one_line

if TYPE_CHECKING:
    from datetime import datetime

    from custom_components.imaprotect.contract.models import NoticeIn, TroubleItem

__all__ = ["notice_email"]

_TROUBLES = {
    "fr": {
        TroubleKind.LOW_BATTERY: "pile faible",
        TroubleKind.TAMPER: "autoprotection ouverte (boîtier ouvert ou arraché)",
        TroubleKind.FAULT: "détecteur muet (hors de portée, en panne ou sans pile)",
        TroubleKind.TRUNK: "ligne téléphonique (trunk SIP) injoignable : les appels échouent",
        TroubleKind.SMTP: "serveur d'e-mails (SMTP) qui refuse les envois",
    },
    "en": {
        TroubleKind.LOW_BATTERY: "low battery",
        TroubleKind.TAMPER: "tamper switch open (case opened or torn off)",
        TroubleKind.FAULT: "detector silent (out of range, broken or without battery)",
        TroubleKind.TRUNK: "phone line (SIP trunk) unreachable: calls fail",
        TroubleKind.SMTP: "e-mail relay (SMTP) refusing to send",
    },
}
_TEXT = {
    "fr": {
        "line": "- {what}{where} (depuis {since})",
        "line_cleared": "- {what}{where}",
        "where": " : {detector}",
        "trouble_subject": "[{site}] Anomalie : {first}",
        "trouble_body": (
            "L'alarme de « {site} » a détecté une anomalie {at} :\n\n{lines}\n\n"
            "Personne n'est appelé pour cela. Réglez-la dès que possible (changez la pile, "
            "refermez le boîtier, rapprochez le détecteur) ; un e-mail suivra quand elle sera "
            "réglée, et un rappel chaque matin d'ici là."
        ),
        "trouble_cleared_subject": "[{site}] Anomalie réglée : {first}",
        "trouble_cleared_body": "L'anomalie suivante de « {site} » est réglée {at} :\n\n{lines}",
        "digest_subject": "[{site}] Anomalies à régler : {count}",
        "digest_body": (
            "Ce qui reste à régler à « {site} » {at} :\n\n{lines}\n\n"
            "Ce rappel revient chaque matin tant qu'une anomalie reste."
        ),
    },
    "en": {
        "line": "- {what}{where} (since {since})",
        "line_cleared": "- {what}{where}",
        "where": ": {detector}",
        "trouble_subject": "[{site}] Trouble: {first}",
        "trouble_body": (
            "The alarm of “{site}” found a trouble {at}:\n\n{lines}\n\n"
            "Nobody is called about it. Fix it soon (change the battery, close the case, move "
            "the detector closer); an e-mail follows once it is fixed, and a reminder every "
            "morning until then."
        ),
        "trouble_cleared_subject": "[{site}] Trouble fixed: {first}",
        "trouble_cleared_body": "This trouble of “{site}” is fixed {at}:\n\n{lines}",
        "digest_subject": "[{site}] Troubles to fix: {count}",
        "digest_body": (
            "What is still to fix at “{site}” {at}:\n\n{lines}\n\n"
            "This reminder comes every morning while a trouble remains."
        ),
    },
}


def _when(language: str, at: datetime, zone_of: datetime) -> str:
    return long_date(language, at.astimezone(zone_of.tzinfo))


def _line(language: str, item: TroubleItem, notice: NoticeIn) -> str:
    text = _TEXT[language]
    where = text["where"].format(detector=item.detector) if item.detector else ""
    what = _TROUBLES[language][item.kind]
    what = what[0].upper() + what[1:]
    key = "line_cleared" if notice.kind is NoticeKind.TROUBLE_CLEARED else "line"
    return text[key].format(
        what=what, where=where, since=_when(language, item.since, notice.occurred_at)
    )


def notice_email(site_name: str, language: str, notice: NoticeIn) -> tuple[str, str]:
    """The e-mail of one notice; an unknown language is the caller's bug (ValueError)."""
    if language not in _TEXT:
        raise ValueError(f"unsupported language {language!r}")
    text = _TEXT[language]
    first = notice.troubles[0]
    first_words = _TROUBLES[language][first.kind] + (
        text["where"].format(detector=first.detector) if first.detector else ""
    )
    values = {
        "site": site_name,
        "first": first_words,
        "count": str(len(notice.troubles)),
        "at": _when(language, notice.occurred_at, notice.occurred_at),
        "lines": "\n".join(_line(language, item, notice) for item in notice.troubles),
    }
    subject = one_line(text[f"{notice.kind}_subject"].format(**values))
    return subject, text[f"{notice.kind}_body"].format(**values)
