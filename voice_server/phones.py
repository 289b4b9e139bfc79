"""Dial strings for E.164 numbers and station URIs (the numbers' rule is the contract's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Dialer"]


class Dialer:
    """Turns E.164 numbers and station URIs into ARI dial strings.

    ``routes`` (number -> dial string) overrides the template for some numbers: a phone on the LAN,
    or the tests' SIPp phones.
    """

    def __init__(self, template: str, routes: Mapping[str, str]) -> None:
        if "{number}" not in template:
            raise ValueError("dial_template must contain {number}")
        self._template = template
        self._routes = dict(routes)

    def endpoint(self, target: str) -> str:
        """Dial string for an E.164 number or a SIP URI."""
        if target in self._routes:
            return self._routes[target]
        if target.startswith(("sip:", "sips:")):
            return f"PJSIP/direct/{target}"
        return self._template.format(number=target)

    def speaker(self, target: str) -> str:
        """Dial string for a home's speaker: a SIP URI, or the name of a PJSIP endpoint."""
        if target in self._routes:
            return self._routes[target]
        if target.startswith(("sip:", "sips:")):
            return f"PJSIP/direct/{target}"
        return f"PJSIP/{target}"
