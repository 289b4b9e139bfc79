"""Phone numbers: validation and E.164 normalisation with ``phonenumbers``, and dial strings.

Only numbers of the allowed regions are accepted (France by default, the seed's rule), so a typo
or a premium-rate number abroad is refused when the site is saved, not when the alarm goes off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import re

import phonenumbers

__all__ = ["Dialer", "PhoneError", "normalise", "normalise_station"]

#: SIP URIs accepted for the monitoring station: ``sip:user@host[:port]`` without spaces or quotes.
_SIP_URI = re.compile(r"sips?:[A-Za-z0-9._~+%!$&*=-]+@[A-Za-z0-9.-]+(:\d{1,5})?")


class PhoneError(ValueError):
    """A number that cannot be dialled; the message never quotes the number."""


def normalise(raw: str, allowed_regions: Sequence[str]) -> str:
    """The E.164 form of ``raw``; PhoneError if invalid or outside ``allowed_regions``.

    National numbers are read in the first allowed region (``06 12 34 56 78`` in France).
    """
    if not allowed_regions:
        raise PhoneError("no region is allowed")
    try:
        number = phonenumbers.parse(raw, allowed_regions[0])
    except phonenumbers.NumberParseException:
        raise PhoneError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not a valid phone number")
    region = phonenumbers.region_code_for_number(number)
    if region not in allowed_regions:
        raise PhoneError(f"numbers of region {region} are not allowed")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_station(raw: str, allowed_regions: Sequence[str]) -> str:
    """A monitoring station: a SIP URI kept as is, or a phone number in E.164."""
    if raw.startswith(("sip:", "sips:")):
        if not _SIP_URI.fullmatch(raw):
            raise PhoneError("not a valid SIP URI")
        return raw
    return normalise(raw, allowed_regions)


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
