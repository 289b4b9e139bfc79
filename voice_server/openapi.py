"""OpenAPI 3.1 description of the HTTP API, served at /api/v1/openapi.json.

Kept beside the handlers in Python (not generated) so it states the contract of
notes/voice_api.md; a test checks that every route of the application appears here.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["openapi_document"]

_STR = {"type": "string"}
_NULL_STR = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
_PERSON = {
    "type": ["object", "null"],
    "properties": {"id": _STR, "name": _STR},
    "required": ["id", "name"],
}
_OUTCOMES = [
    "answered", "busy", "no_answer", "rejected", "unreachable", "hung_up", "wrong_code",
    "acknowledged", "sos", "cancelled",
]  # fmt: skip
_STATUSES = ["calling", "acknowledged", "escalated", "exhausted", "cancelled"]

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": _STR,
            "field": {**_STR, "description": "dotted path of the bad field, e.g. contacts.0.phone"},
            "detail": _STR,
            "contact": {**_STR, "description": "id of the contact concerned, when there is one"},
        },
        "required": ["error"],
    },
    "Contact": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_.@-]{1,64}$"},
            "name": {"type": "string", "maxLength": 100},
            "phone": {**_STR, "description": "normalised to E.164; allowed regions only"},
            "email": {"type": ["string", "null"], "format": "email"},
            "code_hash": {
                **_STR,
                "description": "pbkdf2_sha256$<iterations>$<salt b64>$<digest b64>",
            },
        },
        "required": ["id", "name", "phone", "code_hash"],
    },
    "Site": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 100},
            "language": {"enum": ["fr", "en"]},
            "formula": {"enum": ["e_veille", "a_la_carte", "tout_inclus"]},
            "contacts": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Contact"},
                "minItems": 1,
                "maxItems": 20,
                "description": "call order",
            },
            "station": {**_NULL_STR, "description": "SIP URI or phone number"},
            "callback_url": {"type": ["string", "null"], "format": "uri"},
            "callback_secret": {"type": ["string", "null"], "minLength": 32},
        },
        "required": ["name", "language", "formula", "contacts"],
    },
    "AlertIn": {
        "type": "object",
        "properties": {
            "alert_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
            "kind": {"enum": ["intrusion", "smoke", "flood", "tamper", "sos", "fault"]},
            "detector": _NULL_STR,
            "zone": _NULL_STR,
            "occurred_at": {**_TIME, "description": "with a time zone offset"},
            "photos": {
                "type": "array",
                "maxItems": 5,
                "items": {"type": "string", "contentEncoding": "base64"},
            },
        },
        "required": ["alert_id", "kind", "occurred_at"],
    },
    "Attempt": {
        "type": "object",
        "properties": {
            "contact_id": _STR,
            "contact_name": _STR,
            "round": {"type": "integer"},
            "started_at": _TIME,
            "answered_at": _NULL_TIME,
            "ended_at": _NULL_TIME,
            "outcome": {"enum": [*_OUTCOMES, None]},
            "cause": {"type": ["integer", "null"], "description": "Q.850 cause"},
        },
    },
    "Alert": {
        "type": "object",
        "properties": {
            "alert_id": _STR,
            "site_id": _STR,
            "kind": _STR,
            "status": {"enum": _STATUSES},
            "created_at": _TIME,
            "acknowledged_by": _PERSON,
            "acknowledged_at": _NULL_TIME,
            "cancelled_by": _NULL_STR,
            "finished_at": _NULL_TIME,
            "current_contact": _PERSON,
            "round": {"type": "integer"},
            "attempts": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}},
        },
    },
}


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _answer(description: str, ref: str | None = None) -> dict[str, Any]:
    return {"description": description, **({"content": _json(ref)} if ref else {})}


_ERRORS = {
    "400": _answer("malformed JSON", "Error"),
    "401": _answer("missing or wrong bearer token", "Error"),
    "422": _answer("invalid field", "Error"),
}
_SITE_ID = {"name": "site_id", "in": "path", "required": True, "schema": {"pattern": "^[A-Za-z0-9_-]{1,64}$"}}  # fmt: skip  # noqa: E501
_ALERT_ID = {"name": "alert_id", "in": "path", "required": True, "schema": _STR}

_PATHS: dict[str, Any] = {
    "/api/v1/sites/{site_id}": {
        "parameters": [_SITE_ID],
        "put": {
            "summary": "Create or replace a site's instructions",
            "requestBody": {"required": True, "content": _json("Site")},
            "responses": {"200": _answer("replaced"), "201": _answer("created"), **_ERRORS},
        },
        "get": {
            "summary": "The site, without code hashes or callback secret",
            "responses": {"200": _answer("the site"), "404": _answer("unknown", "Error")},
        },
        "delete": {
            "summary": "Forget the site",
            "responses": {"204": _answer("deleted"), "404": _answer("unknown", "Error")},
        },
    },
    "/api/v1/sites/{site_id}/alerts": {
        "parameters": [_SITE_ID],
        "post": {
            "summary": "Start an alert's call tree (idempotent on alert_id)",
            "requestBody": {"required": True, "content": _json("AlertIn")},
            "responses": {
                "201": _answer("created, the first call starts now"),
                "200": _answer("already known: current status"),
                "404": _answer("unknown site", "Error"),
                "409": _answer("alert id used by another site", "Error"),
                **_ERRORS,
            },
        },
    },
    "/api/v1/alerts/{alert_id}": {
        "parameters": [_ALERT_ID],
        "get": {
            "summary": "Status, acknowledgement and attempts",
            "responses": {"200": _answer("the alert", "Alert"), "404": _answer("unknown", "Error")},
        },
    },
    "/api/v1/alerts/{alert_id}/cancel": {
        "parameters": [_ALERT_ID],
        "post": {
            "summary": "Stop the calls; a call in progress hears who stopped the alert",
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": {"properties": {"by": _STR}}}},
            },
            "responses": {"200": _answer("the alert", "Alert"), "404": _answer("unknown", "Error")},
        },
    },
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "responses": {"200": _answer("OpenAPI 3.1")}}
    },
    "/healthz": {
        "get": {
            "summary": "Health; degraded while Asterisk is away (no token needed)",
            "security": [],
            "responses": {
                "200": _answer("status ok or degraded, asterisk, dead_letters (last 7 days)")
            },
        }
    },
    "/metrics": {
        "get": {"summary": "Prometheus metrics", "responses": {"200": _answer("text format")}}
    },
}


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the document (callers may not mutate the shared one)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {"title": "imaprotect voice server", "version": "1"},
            "components": {
                "schemas": _SCHEMAS,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
            "security": [{"bearer": []}],
            "paths": _PATHS,
        }
    )
