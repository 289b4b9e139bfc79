"""Error codes of the API and the mapping of a validation failure to the answer the client gets.

A refusal is ``{"error": <code>, "field": <dotted path>, "detail": <text>}``, the field as
``contacts.1.phone`` so Home Assistant can tell its user which person to fix. Details come from
the rules' own messages, which never quote the value refused (a phone, an e-mail, a code hash).
"""

from enum import StrEnum

from pydantic import ValidationError

from .models import ErrorBody

__all__ = ["ErrorCode", "refusal"]


class ErrorCode(StrEnum):
    """The ``error`` of a refusal."""

    INVALID_JSON = "invalid_json"
    INVALID_TYPE = "invalid_type"
    MISSING_FIELD = "missing_field"
    INVALID_VALUE = "invalid_value"
    INVALID_PHONE = "invalid_phone"
    INVALID_EMAIL = "invalid_email"
    INVALID_CODE_HASH = "invalid_code_hash"
    DUPLICATE_CONTACT = "duplicate_contact"
    SCHEMA_MISMATCH = "schema_mismatch"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    BAD_REQUEST = "bad_request"


_OWN_CODES = frozenset(ErrorCode)
_TYPE_ERRORS = frozenset({"model_type", "dict_type", "model_attributes_type", "is_instance_of"})


def _code(pydantic_type: str) -> ErrorCode:
    if pydantic_type in _OWN_CODES:
        return ErrorCode(pydantic_type)
    if pydantic_type == "json_invalid":
        return ErrorCode.INVALID_JSON
    if pydantic_type == "missing":
        return ErrorCode.MISSING_FIELD
    if pydantic_type.endswith("_type") or pydantic_type in _TYPE_ERRORS:
        return ErrorCode.INVALID_TYPE
    return ErrorCode.INVALID_VALUE


def refusal(err: ValidationError) -> tuple[int, ErrorBody]:
    """The HTTP status (400 for bad JSON, else 422) and body for the first error found."""
    first = err.errors(include_url=False, include_input=False)[0]
    code = _code(first["type"])
    path = [str(part) for part in first["loc"]]
    if code is ErrorCode.DUPLICATE_CONTACT:
        path += [str(first.get("ctx", {}).get("index", 0)), "id"]
    context = first.get("ctx") or {}
    contact = context.get("contact")
    body = ErrorBody(
        error=code,
        field=".".join(path),
        detail=first["msg"],
        contact=str(contact) if contact is not None else None,
    )
    return (400 if code is ErrorCode.INVALID_JSON else 422), body
