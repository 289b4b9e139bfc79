"""Constants shared by the imaprotect integration's platforms, flows and actions."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "imaprotect"

# Config entry data: one entry per home.
CONF_FORMULA: Final = "formula"
CONF_ENTRY_DELAY: Final = "entry_delay"
CONF_EXIT_DELAY: Final = "exit_delay"
CONF_ALARM_DURATION: Final = "alarm_duration"
CONF_CODE_ARM_REQUIRED: Final = "code_arm_required"
CONF_READER_DEVICES: Final = "reader_devices"  # tag readers heard; empty: every device
CONF_BADGE_KEY: Final = "badge_key"  # hex key of the badge digests: a secret, never shown

# Call-out (optional): the voice server that phones the contacts, and the fallback notifiers.
SECTION_CALL_OUT: Final = "call_out"
CONF_VOICE_URL: Final = "voice_url"
CONF_VOICE_TOKEN: Final = "voice_token"
CONF_STATION: Final = "station"  # the station's phone number, called by the voice server
CONF_NOTIFY_ENTITIES: Final = "notify_entities"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_CALLBACK_SECRET: Final = "callback_secret"
CONF_OFFLINE_AFTER: Final = "offline_after"  # minutes of silence, armed, before the server calls
DEFAULT_OFFLINE_AFTER: Final = 5
MIN_OFFLINE_AFTER: Final = 2  # twice the heartbeat interval: one lost heartbeat calls nobody
MAX_OFFLINE_AFTER: Final = 60

DEFAULT_ENTRY_DELAY: Final = 30  # seconds: the seed's grace period
DEFAULT_EXIT_DELAY: Final = 30
DEFAULT_ALARM_DURATION: Final = 180  # seconds: the French legal limit for a siren
MAX_DELAY: Final = 300
MAX_ALARM_DURATION: Final = 180
MIN_ALARM_DURATION: Final = 10

# Subentry types, one per thing a homeowner manages.
SUBENTRY_ZONE: Final = "zone"
SUBENTRY_DETECTOR: Final = "detector"
SUBENTRY_PERSON: Final = "person"

# Zone subentry data.
CONF_PARTIAL: Final = "partial"

# Detector subentry data.
CONF_DETECTOR_TYPE: Final = "detector_type"
CONF_SOURCE_ENTITY: Final = "source_entity"
CONF_ZONE: Final = "zone"
CONF_ENTRY_ROUTE: Final = "entry_route"
CONF_CAMERA_ENTITY: Final = "camera_entity"
CONF_BATTERY_ENTITY: Final = "battery_entity"
CONF_TAMPER_ENTITY: Final = "tamper_entity"
SECTION_SUPERVISION: Final = "supervision"  # form section only: its fields are stored flat

# Person subentry data. The code is stored only as a salted slow hash.
CONF_CODE: Final = "code"  # form field only, never stored
CONF_CODE_HASH: Final = "code_hash"
CONF_PHONE_CODE: Final = "phone_code"
CONF_PHONE_CODE_HASH: Final = "phone_code_hash"  # the contact's own code on the phone
CONF_BADGES: Final = "badges"  # stored: {"digest", "hint", "uid"} per badge, never the id
CONF_PHONE: Final = "phone"
CONF_EMAIL: Final = "email"
CONF_CALL_POSITION: Final = "call_position"  # None: not a contact
CONF_MAY_ARM: Final = "may_arm"
CONF_MAY_DISARM: Final = "may_disarm"


# Action fields.
ATTR_MODE: Final = "mode"
ATTR_FORCE: Final = "force"
ATTR_BADGE_ID: Final = "badge_id"
ATTR_ACTION: Final = "action"
ATTR_SOURCE: Final = "source"

BADGE_TOGGLE: Final = "toggle"
BADGE_ARM_TOTAL: Final = "arm_total"
BADGE_ARM_PARTIAL: Final = "arm_partial"
BADGE_DISARM: Final = "disarm"
BADGE_ACTIONS: Final = (BADGE_TOGGLE, BADGE_ARM_TOTAL, BADGE_ARM_PARTIAL, BADGE_DISARM)

SERVICE_ARM: Final = "arm"
SERVICE_DISARM: Final = "disarm"
SERVICE_PRESENT_BADGE: Final = "present_badge"

# Bus events: one per thing recorded in the audit trail (read by the logbook).
EVENT_ARMED: Final = "imaprotect_armed"
EVENT_DISARMED: Final = "imaprotect_disarmed"
EVENT_ARM_REFUSED: Final = "imaprotect_arm_refused"
EVENT_BYPASSED: Final = "imaprotect_bypassed"
EVENT_CODE_REJECTED: Final = "imaprotect_code_rejected"
EVENT_LOCKED_OUT: Final = "imaprotect_locked_out"
EVENT_BADGE_REJECTED: Final = "imaprotect_badge_rejected"
EVENT_BADGE_ENABLED: Final = "imaprotect_badge_enabled"
EVENT_ALARM: Final = "imaprotect_alarm"
EVENT_FAULT: Final = "imaprotect_fault"
EVENT_ALERT: Final = "imaprotect_alert"
EVENT_PHONE_CODE_REJECTED: Final = "imaprotect_phone_code_rejected"  # typed on the phone
EVENT_HOME_OFFLINE: Final = "imaprotect_home_offline"  # the voice server heard nothing, and called

STORAGE_VERSION: Final = 1
SUPERVISION_WINDOW: Final = timedelta(minutes=5)

# The offers (issue 9): PROTECT+, SOS, duress codes, the security agent.
CONF_DURESS_CODE: Final = "duress_code"  # form field only, never stored
CONF_DURESS_CODE_HASH: Final = "duress_code_hash"  # works as the person's code, calls for help
CONF_DURESS_CLEAR: Final = "duress_clear"  # form field only: forget the duress code

ATTR_SLICES: Final = "slices"
ATTR_START: Final = "start"
ATTR_SIREN: Final = "siren"
ATTR_MESSAGE: Final = "message"

SERVICE_START_PROTECT_PLUS: Final = "start_protect_plus"
SERVICE_EXTEND_PROTECT_PLUS: Final = "extend_protect_plus"
SERVICE_STOP_PROTECT_PLUS: Final = "stop_protect_plus"
SERVICE_SOS: Final = "sos"
SERVICE_REQUEST_AGENT: Final = "request_agent"

EVENT_PROTECT_PLUS: Final = "imaprotect_protect_plus"  # started, extended, stopped, began, expired
EVENT_AGENT_REQUESTED: Final = "imaprotect_agent_requested"
# The journal (issue 10): its bus event for a badge switched off, its action and fields.
EVENT_BADGE_DISABLED: Final = "imaprotect_badge_disabled"
SERVICE_GET_JOURNAL: Final = "get_journal"
ATTR_END: Final = "end"
ATTR_KINDS: Final = "kinds"
ATTR_LIMIT: Final = "limit"
JOURNAL_STORAGE_VERSION: Final = 1
# The monitoring-station link (SIA DC-09, issue 9): the home's options, ``station/options.py``.
CONF_STATION_LINK: Final = "station_link"
STATION_STORAGE_VERSION: Final = 1
# Photos (issue 10): from image detectors and the cameras linked to zones.
CONF_PHOTO_DAYS: Final = "photo_days"  # days an alarm photo is kept, then deleted
DEFAULT_PHOTO_DAYS: Final = 30
MAX_PHOTO_DAYS: Final = 365
SERVICE_TAKE_PHOTO: Final = "take_photo"
ATTR_DETECTOR: Final = "detector"
PHOTOS_STORAGE_VERSION: Final = 1

# Talk-down (issue 10): the home's auto-answer speaker, or the spoken warning without one.
SECTION_TALK_DOWN: Final = "talk_down"  # form section only: its fields are stored flat
CONF_SPEAKER: Final = "speaker"  # SIP URI or PJSIP endpoint name of an auto-answer intercom
CONF_WARNING_PLAYERS: Final = "warning_players"  # media players that say the warning
CONF_WARNING_TTS: Final = "warning_tts"  # the TTS entity that speaks it
CONF_WARNING_SIRENS: Final = "warning_sirens"  # sirens sounded with the warning
EVENT_TALK_DOWN: Final = "imaprotect_talk_down"  # started, ended, warning (logbook, automations)
