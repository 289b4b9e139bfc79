"""The one e-mail address rule, for Home Assistant's person form and the voice server.

One mailbox, ``local@domain``, as SMTP can deliver it without quoting: a dot-atom local part
(RFC 5322 ``atext``) and a domain of at least two DNS labels (international names are checked in
their IDNA form). No display names, comments, lists or routes: ``marie,paul@example.org`` and
``m(arie)@ex.fr`` are refused on both sides.
"""

import re

from .limits import MAX_EMAIL

__all__ = ["EmailError", "normalise_email"]

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TLD = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}")
_MAX_LOCAL = 64


class EmailError(ValueError):
    """Not a deliverable address; the message never quotes it."""


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise EmailError("the domain is not a valid host name") from None


def normalise_email(raw: str) -> str:
    """``raw`` stripped if it is one deliverable address; EmailError otherwise."""
    address = raw.strip()
    if not address or len(address) > MAX_EMAIL:
        raise EmailError(f"1 to {MAX_EMAIL} characters")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise EmailError("an address is name@domain")
    if len(local) > _MAX_LOCAL or not _LOCAL.fullmatch(local):
        raise EmailError("the part before @ has characters an address cannot have")
    labels = _ascii_domain(domain).split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise EmailError("the domain is not a valid host name")
    if not _TLD.fullmatch(labels[-1]):
        raise EmailError("the domain is not a valid host name")
    return address
