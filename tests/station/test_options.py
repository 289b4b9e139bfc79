"""A home's station-link settings: the form checked, saved flat, read back into a link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from custom_components.imaprotect.station import (
    Category,
    DataFormat,
    KeyFormat,
    Transport,
)
from custom_components.imaprotect.station.options import (
    DEFAULT_PORT,
    LinkError,
    check_form,
    read_options,
    suggested,
)


def _form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"account": "beef42", "host": "arc1.example", "port": 12000}
    form.update(changes)
    return form


def test_nothing_given_is_no_link() -> None:
    assert check_form({}, None) == (None, {})
    assert check_form({"account": " ", "host": ""}, None) == (None, {})
    assert read_options(None) is None
    assert read_options({"account": ""}) is None
    assert suggested(None) == {}


def test_a_dual_path_udp_cid_link_is_read_back_the_same() -> None:
    link, errors = check_form(
        _form(
            backup_host="arc2.example",
            transport="udp",
            data_format="ADM-CID",
            category="DP4",
            line_prefix="a1",
            key_format="ascii",
            key="Sixteen-chars-ok",
        ),
        None,
    )
    assert errors == {}
    assert link is not None
    assert link.account == "BEEF42"
    assert link.line_prefix == "A1"
    assert link.backup_port == 12000  # the primary's when not given
    assert [(p.host, p.port, p.transport) for p in link.receivers()] == [
        ("arc1.example", 12000, Transport.UDP),
        ("arc2.example", 12000, Transport.UDP),
    ]
    account = link.station_account()
    assert account.data_format is DataFormat.ADM_CID
    assert account.key is not None
    assert account.key.format is KeyFormat.ASCII
    assert link.settings().category is Category.DP4
    saved = link.as_dict()
    assert saved["key"] == "ascii:Sixteen-chars-ok"
    assert read_options(saved) == link
    shown = suggested(saved)
    assert "key" not in shown
    assert shown["key_format"] == "ascii"
    assert suggested(check_form(_form(), None)[0].as_dict())["key_format"] == "none"  # type: ignore[union-attr]


def test_defaults_and_a_custom_poll() -> None:
    link, errors = check_form(_form(port=None, category="custom", poll_interval="45"), None)
    assert errors == {}
    assert link is not None
    assert link.port == DEFAULT_PORT
    supervision = link.settings(tries=2).supervision
    assert supervision.primary_poll == supervision.secondary_poll == timedelta(seconds=45)
    assert link.receivers()[0].transport is Transport.TCP
    assert link.key is None


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"port": "x"}, "port", LinkError.INVALID_PORT),
        ({"port": 70000}, "port", LinkError.INVALID_PORT),
        ({"backup_port": 0.5}, "backup_port", LinkError.INVALID_PORT),
        ({"category": "custom", "poll_interval": "soon"}, "poll_interval", LinkError.INVALID_POLL),
        ({"category": "custom", "poll_interval": 5}, "poll_interval", LinkError.INVALID_POLL),
        ({"account": ""}, "account", LinkError.INVALID_ACCOUNT),
    ],
)
def test_each_wrong_field_is_named(changes: dict[str, Any], field: str, error: LinkError) -> None:
    assert check_form(_form(**changes), None) == (None, {field: error})


def test_a_stored_key_is_kept_only_in_its_own_format() -> None:
    stored = {"key": "hex:" + "AB" * 16}
    kept, errors = check_form(_form(key_format="hex"), stored)
    assert errors == {}
    assert kept is not None
    assert kept.key is not None
    assert kept.key.material == bytes.fromhex("AB" * 16)
    assert check_form(_form(key_format="ascii"), stored)[1] == {"key": LinkError.KEY_REQUIRED}


def test_saved_settings_that_no_longer_check_are_refused() -> None:
    with pytest.raises(ValueError, match="invalid"):
        read_options({"account": "12", "host": "arc1.example"})
