"""Numbers both sides must agree on: the schema version, sizes, counts and identifier shapes."""

import re

__all__ = [
    "ALERT_ID_PATTERN",
    "CONTACT_ID_PATTERN",
    "MAX_BODY_BYTES",
    "MAX_CALLBACK_SECRET",
    "MAX_CALL_POSITION",
    "MAX_CONTACTS",
    "MAX_EMAIL",
    "MAX_HEARTBEAT_GRACE",
    "MAX_HEARTBEAT_INTERVAL",
    "MAX_NAME",
    "MAX_NOTE",
    "MAX_NOTICE_TROUBLES",
    "MAX_PHONE",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "MAX_STATION",
    "MAX_URL",
    "MIN_CALLBACK_SECRET",
    "MIN_HEARTBEAT_INTERVAL",
    "MIN_SUPPORTED_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "SITE_ID_PATTERN",
]

SCHEMA_VERSION = 5
"""The wire format's version. 1 was the hand-written contract (no ``/api/v1/info``); 2 adds the
handshake and the shared models; 3 the ``queued`` and ``expired`` statuses with their reason, the
``code_rejected`` callback and a contact's own phone code (``ack_code_hash``, no longer the keypad
code's hash); 4 the offers: an alert's ``acknowledgement`` (``none``: calls that need no code, the
``informed`` status and outcome), ``skip_contacts`` (duress), ``note`` and the ``agent_request``
kind, and the heartbeat (``PUT /sites/{id}/heartbeat``), the ``home_offline`` alert kind, the
``home_back`` callback and reason; 5 what the home sees and says (issue 10): the self-diagnosis
(``Health.trunk`` / ``smtp``, ``POST /sites/{id}/notices`` with ``NoticeIn``, ``TroubleKind``,
``NoticeKind``), the photos (``POST /alerts/{id}/photos`` with ``PhotosIn``), the talk-down
(``Site.speaker`` / ``warning``, ``TalkDownMode``, ``TalkDownView``, ``Callback.talk_down`` and its
three events); a client of schema 4 would not understand the new callbacks, so the server serves
5 only (integration and voice server are released together). Raise it with every change of a
model, enum or rule below (``tests/contract/test_schema_pin.py`` holds it)."""
MIN_SUPPORTED_SCHEMA_VERSION = 5
"""The oldest client schema the server still serves."""

MAX_NAME = 100
"""Home, person, detector and zone names, in characters (what a prompt can say)."""
MAX_NOTE = 200
"""An alert's note (an agent request's words), in characters: said on the call after the message."""
MAX_CONTACTS = 20
MAX_NOTICE_TROUBLES = 200
"""Troubles listed in one owner notice (a digest of a large home)."""
"""Contacts of one site, in call order."""
MAX_CALL_POSITION = MAX_CONTACTS
"""Places in the call order a person can take in Home Assistant."""
MAX_EMAIL = 254
"""RFC 5321's limit on a forward path, less the angle brackets."""
MAX_PHONE = 40
MAX_STATION = 200
MAX_URL = 2000
MIN_CALLBACK_SECRET = 32
MAX_CALLBACK_SECRET = 256
MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
"""Five 2 MB photos in base64, plus the rest."""

MIN_HEARTBEAT_INTERVAL = 0.5
"""Seconds between two heartbeats, at least (Home Assistant sends one a minute; tests less)."""
MAX_HEARTBEAT_INTERVAL = 3600.0
MAX_HEARTBEAT_GRACE = 86400.0
"""Seconds of silence after which an armed home counts as offline, at most (a day); at least
twice the interval, so that one lost heartbeat never phones anybody."""

SITE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
ALERT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
CONTACT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
