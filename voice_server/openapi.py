"""OpenAPI 3.1 description of the HTTP API, served at /api/v1/openapi.json.

The schemas are generated from the contract's pydantic models, the very ones that validate the
requests, so the document cannot drift from what the server accepts; only the routes' summaries
and answers are written here. A test checks that every route of the application appears.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

from custom_components.imaprotect.contract import http
from custom_components.imaprotect.contract.limits import SCHEMA_VERSION, SITE_ID_PATTERN
from custom_components.imaprotect.contract.models import (
    AlertAccepted,
    AlertIn,
    AlertView,
    CancelIn,
    ErrorBody,
    Health,
    HeartbeatAccepted,
    HeartbeatIn,
    NoticeAccepted,
    NoticeIn,
    PhotosAccepted,
    PhotosIn,
    ServerInfo,
    Site,
    SiteSaved,
    SiteView,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["openapi_document"]

_REQUESTS: tuple[type[BaseModel], ...] = (Site, AlertIn, CancelIn, HeartbeatIn, NoticeIn, PhotosIn)
_ANSWERS: tuple[type[BaseModel], ...] = (
    SiteSaved,
    SiteView,
    AlertAccepted,
    AlertView,
    Health,
    ServerInfo,
    ErrorBody,
    HeartbeatAccepted,
    NoticeAccepted,
    PhotosAccepted,
)


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _answer(description: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    return {"description": description, **({"content": _json(model)} if model else {})}


def _body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": _json(model)}


_ERRORS = {
    "400": _answer("malformed JSON, or a client schema this server cannot serve", ErrorBody),
    "401": _answer("missing or wrong bearer token", ErrorBody),
    "422": _answer("invalid field, named by its dotted path", ErrorBody),
}
_SITE_ID = {
    "name": "site_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{SITE_ID_PATTERN.pattern}$"},
}
_ALERT_ID = {"name": "alert_id", "in": "path", "required": True, "schema": {"type": "string"}}
_SCHEMA = {
    "name": http.SCHEMA_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "integer"},
    "description": "the client's schema version; refused (400 schema_mismatch) if not served",
}


def _paths() -> dict[str, Any]:
    unknown = _answer("unknown", ErrorBody)
    return {
        http.SITE: {
            "parameters": [_SITE_ID, _SCHEMA],
            "put": {
                "summary": "Create or replace a site's instructions",
                "requestBody": _body(Site),
                "responses": {
                    "200": _answer("replaced", SiteSaved),
                    "201": _answer("created", SiteSaved),
                    **_ERRORS,
                },
            },
            "get": {
                "summary": "The site, without code hashes or callback secret",
                "responses": {"200": _answer("the site", SiteView), "404": unknown},
            },
            "delete": {
                "summary": "Forget the site",
                "responses": {"204": _answer("deleted"), "404": unknown},
            },
        },
        http.ALERTS: {
            "parameters": [_SITE_ID, _SCHEMA],
            "post": {
                "summary": "Start an alert's call tree (idempotent on alert_id)",
                "requestBody": _body(AlertIn),
                "responses": {
                    "201": _answer("created, the first call starts now", AlertAccepted),
                    "200": _answer("already known: current status", AlertAccepted),
                    "404": _answer("unknown site", ErrorBody),
                    "409": _answer("alert id used by another site", ErrorBody),
                    **_ERRORS,
                },
            },
        },
        http.HEARTBEAT: {
            "parameters": [_SITE_ID, _SCHEMA],
            "put": {
                "summary": "The home is alive, armed or not; silent for its grace while armed,"
                " its contacts are phoned (a home_offline alert)",
                "requestBody": _body(HeartbeatIn),
                "responses": {
                    "200": _answer("recorded", HeartbeatAccepted),
                    "404": _answer("unknown site: send the site first", ErrorBody),
                    **_ERRORS,
                },
            },
        },
        http.NOTICES: {
            "parameters": [_SITE_ID, _SCHEMA],
            "post": {
                "summary": "E-mail an owner notice (a trouble found, fixed, or the daily digest)"
                " to the site's contacts; never a call (idempotent on notice_id)",
                "requestBody": _body(NoticeIn),
                "responses": {
                    "201": _answer("queued", NoticeAccepted),
                    "200": _answer("already queued: not e-mailed again", NoticeAccepted),
                    "404": _answer("unknown site: send the site first", ErrorBody),
                    **_ERRORS,
                },
            },
        },
        http.ALERT: {
            "parameters": [_ALERT_ID, _SCHEMA],
            "get": {
                "summary": "Status, acknowledgement and attempts",
                "responses": {"200": _answer("the alert", AlertView), "404": unknown},
            },
        },
        http.ALERT_CANCEL: {
            "parameters": [_ALERT_ID, _SCHEMA],
            "post": {
                "summary": "Stop the calls; a call in progress hears who stopped the alert",
                "requestBody": _body(CancelIn, required=False),
                "responses": {"200": _answer("the alert", AlertView), "404": unknown},
            },
        },
        http.ALERT_PHOTOS: {
            "parameters": [_ALERT_ID, _SCHEMA],
            "post": {
                "summary": "The alarm's photos (JPEG, base64): stored, and e-mailed inline to the"
                " alert's contacts; idempotent on the alert",
                "requestBody": _body(PhotosIn),
                "responses": {
                    "201": _answer("stored", PhotosAccepted),
                    "200": _answer("the alert had its photos already", PhotosAccepted),
                    "404": unknown,
                    **_ERRORS,
                },
            },
        },
        http.INFO: {
            "get": {
                "summary": "Schema versions served, server version and phone policy",
                "responses": {"200": _answer("what the client checks on connect", ServerInfo)},
            }
        },
        http.OPENAPI: {
            "get": {"summary": "This document", "responses": {"200": _answer("OpenAPI 3.1")}}
        },
        http.HEALTH: {
            "get": {
                "summary": "Health; degraded while Asterisk is away (no token needed)",
                "security": [],
                "responses": {"200": _answer("ok or degraded", Health)},
            }
        },
        http.METRICS: {
            "get": {"summary": "Prometheus metrics", "responses": {"200": _answer("text format")}}
        },
    }


@cache
def _document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(model, "validation") for model in _REQUESTS]
        + [(model, "serialization") for model in _ANSWERS],
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "imaprotect voice server",
            "version": str(SCHEMA_VERSION),
            "description": "The contract shared with the Home Assistant integration.",
        },
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": _paths(),
    }


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the document (callers may not mutate the shared one)."""
    return copy.deepcopy(_document())
