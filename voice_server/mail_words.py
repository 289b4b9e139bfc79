"""What every e-mail's words share: times spelt out in the reader's language, one-line subjects.

The alert e-mails (mailer.py) and the owner notices (notice_mail.py) both write "le 3 décembre 2026
à 14:32" and both must keep a subject on one line; those rules live here once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["MONTHS", "hour_minute", "long_date", "one_line"]

MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
_DATE = {
    "fr": "le {day} {month} {year} à {hm}",
    "en": "on {day} {month} {year} at {hm}",
}


def hour_minute(local: datetime) -> str:
    """``14:32``."""
    return f"{local.hour:02d}:{local.minute:02d}"


def long_date(language: str, local: datetime) -> str:
    """``le 3 décembre 2026 à 14:32`` for a time already in the home's zone."""
    return _DATE[language].format(
        day=local.day,
        month=MONTHS[language][local.month - 1],
        year=local.year,
        hm=hour_minute(local),
    )


def one_line(text: str) -> str:
    """One line whatever a name holds: a line break in a header would be refused when sending."""
    return " ".join(text.split())
