"""The HTTP surface both sides address: route templates and header names."""

__all__ = [
    "ALERT",
    "ALERTS",
    "ALERT_CANCEL",
    "ALERT_PHOTOS",
    "HEALTH",
    "HEARTBEAT",
    "INFO",
    "METRICS",
    "NOTICES",
    "OPENAPI",
    "SCHEMA_HEADER",
    "SITE",
]

SITE = "/api/v1/sites/{site_id}"
ALERTS = "/api/v1/sites/{site_id}/alerts"
HEARTBEAT = "/api/v1/sites/{site_id}/heartbeat"
NOTICES = "/api/v1/sites/{site_id}/notices"
ALERT = "/api/v1/alerts/{alert_id}"
ALERT_CANCEL = "/api/v1/alerts/{alert_id}/cancel"
ALERT_PHOTOS = "/api/v1/alerts/{alert_id}/photos"
INFO = "/api/v1/info"
OPENAPI = "/api/v1/openapi.json"
HEALTH = "/healthz"
METRICS = "/metrics"

SCHEMA_HEADER = "X-Imaprotect-Schema"
"""Sent by the client with its ``SCHEMA_VERSION``; a server that cannot serve it answers 400."""
