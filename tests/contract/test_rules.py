"""The contract's rules as properties: what Home Assistant sends always passes the server's check.

Home Assistant sanitises names and normalises phones and e-mails with these functions before it
sends them; the server validates with the models built on the same functions. The properties
below say that a value that came out of the first step always passes the second, for inputs
hypothesis makes up (unicode, control characters, lengths around the limits, phone spellings).
"""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import ValidationError
import pytest

from custom_components.imaprotect.contract.codes import hash_code
from custom_components.imaprotect.contract.emails import EmailError, normalise_email
from custom_components.imaprotect.contract.enums import AlertKind, Formula, Language
from custom_components.imaprotect.contract.limits import MAX_NAME
from custom_components.imaprotect.contract.models import AlertIn, Contact, Site
from custom_components.imaprotect.contract.phones import (
    PhoneError,
    normalise_phone,
    normalise_station,
)
from custom_components.imaprotect.contract.text import check_name, clean_name, is_clean_text

HASH = hash_code("4321", iterations=1000)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=3 * MAX_NAME))
def test_a_sanitised_name_always_passes_the_server(raw: str) -> None:
    name = clean_name(raw)
    assert len(name) <= MAX_NAME
    if name:
        assert check_name(name) == name
        AlertIn.model_validate(
            {"alert_id": "a", "kind": "intrusion", "detector": name, "zone": name,
             "occurred_at": "2026-12-02T10:00:00+01:00"}
        )  # fmt: skip
    else:
        # Nothing was left: every character was white space or one the rule refuses.
        assert all(char.isspace() or not is_clean_text(char) for char in raw)


def test_a_clean_text_is_one_without_a_refused_character_for_every_code_point() -> None:
    """The fast path (``str.isprintable``) decides exactly as the character-by-character rule."""
    refused = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    wrong = [
        hex(point)
        for point in range(sys.maxunicode + 1)
        if is_clean_text(f"a{chr(point)}b") != (unicodedata.category(chr(point)) not in refused)
    ]
    assert wrong == []
    assert is_clean_text("Alerte\u00a0: porte d'entrée")  # a no-break space is a space
    assert not is_clean_text("Porte\u2028Entrée")  # a line separator is not


_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=14)
_SPELLINGS = st.builds(
    lambda prefix, digits, sep: prefix + sep.join(digits[i : i + 2] for i in range(0, 14, 2)),
    st.sampled_from(["", "0", "+33", "0033", "+32", "+1", "06", "08", "+33 6", "(0)"]),
    _DIGITS,
    st.sampled_from(["", " ", ".", "-"]),
)


@FAST
@given(_SPELLINGS, st.sampled_from([("FR",), ("FR", "BE"), ("BE", "FR")]))
def test_a_normalised_phone_always_passes_the_server(raw: str, regions: tuple[str, ...]) -> None:
    try:
        e164 = normalise_phone(raw, regions)
    except PhoneError:
        return
    assert e164.startswith("+")
    assert normalise_phone(e164, regions) == e164
    contact = Contact.model_validate(
        {"id": "c", "name": "C", "phone": e164, "ack_code_hash": HASH},
        context={"allowed_regions": regions},
    )
    assert contact.phone == e164


_LOCAL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=70)
_DOMAIN = st.sampled_from(
    ["example.org", "exämple.fr", "localhost", "ex.fr", "a..b.fr", "-a.fr", "xn--bcher-kva.ch", ""]
)


@FAST
@given(_LOCAL, st.sampled_from(["@", "@@", ",", ""]), _DOMAIN)
def test_an_accepted_email_always_passes_the_server(local: str, at: str, domain: str) -> None:
    raw = f"{local}{at}{domain}"
    try:
        address = normalise_email(raw)
    except EmailError:
        return
    assert normalise_email(address) == address
    assert not any(char in address for char in ' ,;()<>"\n\r\t')
    Contact.model_validate({"id": "c", "name": "C", "phone": "+33612345678",
                            "email": address, "ack_code_hash": HASH})  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "accepted"),
    [
        ("marie@example.org", True),
        ("Marie.Dupont+alarme@exemple.fr", True),
        ("  marie@example.org ", True),
        ("marie@exämple.fr", True),
        ("marie,paul@example.org", False),
        ("m(arie)@ex.fr", False),
        ("Marie <marie@example.org>", False),
        ("marie@example", False),
        ("marie@-example.org", False),
        (".marie@example.org", False),
        ("marie.@example.org", False),
        ("marie@example.org;paul@example.org", False),
        ("", False),
        ("m" * 65 + "@example.org", False),
        ("marie@" + "e" * 250 + ".fr", False),
    ],
)
def test_email_table(raw: str, accepted: bool) -> None:
    try:
        normalise_email(raw)
    except EmailError:
        assert not accepted
    else:
        assert accepted


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("01 23 45 67 89", "+33123456789"),
        ("08 00 12 34 56", "+33800123456"),  # toll free is fine
        ("08 99 23 45 67", None),  # premium rate
        ("+32 470 12 34 56", None),  # Belgium, not allowed by default
        ("3631", None),
        ("+33 7 12 34 56 78", None),
    ],
)
def test_phone_table(raw: str, e164: str | None) -> None:
    if e164 is None:
        with pytest.raises(PhoneError):
            normalise_phone(raw)
    else:
        assert normalise_phone(raw) == e164


def test_station_rules() -> None:
    assert normalise_station("sip:station@127.0.0.1:5099") == "sip:station@127.0.0.1:5099"
    assert normalise_station("01 23 45 67 89") == "+33123456789"
    for bad in ("sip:a b@c", "sip:@host", "08 99 23 45 67", "x" * 201):
        with pytest.raises(PhoneError):
            normalise_station(bad)


def test_site_refusals_name_their_field() -> None:
    site = {
        "name": "Maison",
        "language": Language.FR,
        "formula": Formula.E_VEILLE,
        "contacts": [
            {"id": "a", "name": "A", "phone": "+33612345678", "ack_code_hash": HASH},
            {"id": "a", "name": "B", "phone": "+33612345679", "ack_code_hash": HASH},
        ],
    }
    with pytest.raises(ValidationError) as info:
        Site.model_validate(site)
    assert info.value.errors()[0]["type"] == "duplicate_contact"
    assert AlertKind("sos") is AlertKind.SOS
