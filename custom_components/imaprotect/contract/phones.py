"""The one phone rule: which numbers may be dialled, in E.164; and station addresses.

Numbers are parsed with ``phonenumbers`` in the first allowed region (``06 12 34 56 78`` in
France) and must be valid, of an allowed region (France by default, the seed's rule; the voice
server may allow more and tells Home Assistant in ``GET /api/v1/info``) and not premium-rate.
A typo is refused when the person is saved, not when the alarm goes off.
"""

from collections.abc import Sequence
import re

import phonenumbers

from .limits import MAX_PHONE, MAX_STATION

__all__ = ["DEFAULT_REGIONS", "SIP_URI", "PhoneError", "normalise_phone", "normalise_station"]

DEFAULT_REGIONS: tuple[str, ...] = ("FR",)

#: SIP URIs accepted for the monitoring station: ``sip:user@host[:port]`` without spaces or quotes.
SIP_URI = re.compile(r"sips?:[A-Za-z0-9._~+%!$&*=-]+@[A-Za-z0-9.-]+(:\d{1,5})?")
_REFUSED_TYPES = frozenset({phonenumbers.PhoneNumberType.PREMIUM_RATE})


class PhoneError(ValueError):
    """A number that cannot be dialled; the message never quotes the number."""


def normalise_phone(raw: str, allowed_regions: Sequence[str] = DEFAULT_REGIONS) -> str:
    """The E.164 form of ``raw``; PhoneError if invalid, premium-rate or of another region."""
    if not allowed_regions:
        raise PhoneError("no region is allowed")
    if len(raw) > MAX_PHONE:
        raise PhoneError(f"at most {MAX_PHONE} characters")
    try:
        number = phonenumbers.parse(raw, allowed_regions[0])
    except phonenumbers.NumberParseException:
        raise PhoneError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not a valid phone number")
    region = phonenumbers.region_code_for_number(number)
    if region not in allowed_regions:
        raise PhoneError(f"numbers of region {region} are not allowed")
    if phonenumbers.number_type(number) in _REFUSED_TYPES:
        raise PhoneError("premium-rate numbers are not allowed")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_station(raw: str, allowed_regions: Sequence[str] = DEFAULT_REGIONS) -> str:
    """A monitoring station: a SIP URI kept as is, or a phone number in E.164."""
    if len(raw) > MAX_STATION:
        raise PhoneError(f"at most {MAX_STATION} characters")
    if raw.startswith(("sip:", "sips:")):
        if not SIP_URI.fullmatch(raw):
            raise PhoneError("not a valid SIP URI")
        return raw
    return normalise_phone(raw, allowed_regions)
