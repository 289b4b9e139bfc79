"""Request bodies of the voice server's API as Home Assistant sends them, and their secrets.

``code_hash`` uses the contract's own format (``contract.codes``), so a hash made here is the
one the panel makes; the tests use few iterations for speed, the benchmark passes Home
Assistant's count so that checking a code costs what it costs in production.
"""

from __future__ import annotations

from typing import Any

from custom_components.imaprotect.contract.codes import hash_code

TOKEN = "test-token-0123456789abcdef"  # noqa: S105 - the test servers' bearer token
CALLBACK_SECRET = "callback-secret-0123456789abcdef-xyz"  # noqa: S105 - test sites' secret
#: Distinct valid French mobile numbers for the contacts.
NUMBERS = tuple(f"+336123456{n:02d}" for n in range(10, 40))


def code_hash(code: str, iterations: int = 1000) -> str:
    """The contract's hash of ``code`` (few iterations: tests need speed, not strength)."""
    return hash_code(code, iterations=iterations)


def contact(index: int, code: str = "4321", *, email: bool = True) -> dict[str, Any]:
    """Contact number ``index`` (its phone is NUMBERS[index])."""
    return {
        "id": f"c{index}",
        "name": f"Contact {index}",
        "phone": NUMBERS[index],
        "email": f"c{index}@example.org" if email else None,
        "ack_code_hash": code_hash(code),
    }


def site_body(
    contacts: list[dict[str, Any]],
    *,
    station: str | None = None,
    callback_url: str | None = None,
    language: str = "fr",
) -> dict[str, Any]:
    """A PUT /sites body."""
    return {
        "name": "Maison",
        "language": language,
        "formula": "a_la_carte",
        "contacts": contacts,
        "station": station,
        "callback_url": callback_url,
        "callback_secret": CALLBACK_SECRET if callback_url else None,
    }


def alert_body(alert_id: str, **changes: Any) -> dict[str, Any]:
    """A POST /alerts body."""
    return {
        "alert_id": alert_id,
        "kind": "intrusion",
        "detector": "Porte d'entrée",
        "zone": "Rez-de-chaussée",
        "occurred_at": "2026-03-14T14:32:00+01:00",
        **changes,
    }


def heartbeat_body(
    *, armed: bool = True, interval: float = 0.5, grace: float = 1.5, **changes: Any
) -> dict[str, Any]:
    """A PUT /sites/{id}/heartbeat body: short timings by default (tests never wait minutes)."""
    return {
        "armed": armed,
        "interval": interval,
        "grace": grace,
        "at": "2026-03-14T14:32:00+01:00",
        **changes,
    }
