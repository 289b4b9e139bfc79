"""The demo's SIP account (testkit/demo/softphone.py) on a real Asterisk, SIPp as the softphone.

A softphone that registers with the printed password is called through ``PJSIP/softphone``; with a
wrong password the registration is refused and nothing reaches it; unregistered, the call fails
at once (the voice server then phones the next contact, which ``scripts/demo --check`` shows); and
a call claiming to come from the account is challenged, as any unknown caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from testkit.asterisk import AsteriskInstance, asterisk_settings, launch_asterisk, stop_asterisk
from testkit.demo.softphone import ACCOUNT, DIAL, SoftphoneAccount, new_password
from testkit.polling import until_sync
from testkit.sipp import SippPhone, call_once, invites_seen, register_once
from voice_server.ari import AriError

if TYPE_CHECKING:
    from pathlib import Path

    from tests.voice.conftest import PortPool, SippFactory

pytestmark = pytest.mark.voice


@dataclass(frozen=True, slots=True)
class Rig:
    """The demo's Asterisk, its account, and the SIPp that answers for the softphone."""

    asterisk: AsteriskInstance
    account: SoftphoneAccount
    phone: SippPhone


@pytest.fixture
def rig(
    asterisk: AsteriskInstance,
    tmp_path_factory: pytest.TempPathFactory,
    port_pool: PortPool,
    sipp_phone: SippFactory,
) -> Iterator[Rig]:
    """An Asterisk of its own with the demo's account (``asterisk`` only skips without one)."""
    settings = asterisk_settings(tmp_path_factory.mktemp("demo-asterisk"), port_pool)
    account = SoftphoneAccount(new_password(), settings.sip_address, settings.sip_port)
    instance = launch_asterisk(settings, after_render=account.add_to)
    try:
        phone = sipp_phone("uas_answer_hangup", delay_ms=300, name=ACCOUNT)
        yield Rig(instance, account, phone)
    finally:
        stop_asterisk(instance)


def _register(
    account: SoftphoneAccount, password: str, contact_port: int, log_dir: Path, pool: PortPool
) -> bool:
    return register_once(
        (account.address, account.port),
        user=ACCOUNT,
        password=password,
        contact_port=contact_port,
        log_dir=log_dir,
        pool=pool,
    )


def _invites(trace: Path) -> int:
    return invites_seen(trace)[1][ACCOUNT] if trace.exists() else 0


async def _originate(instance: AsteriskInstance) -> None:
    """Dial the account over ARI, as the voice server does."""
    async with instance.client() as client:
        await client.wait_connected(within=10)
        await client.originate(DIAL, dial_timeout=5)


async def test_a_softphone_registered_with_the_password_is_called(
    rig: Rig, port_pool: PortPool, tmp_path: Path
) -> None:
    instance, account, phone = rig.asterisk, rig.account, rig.phone

    assert _register(account, account.password, phone.port, tmp_path / "register", port_pool)
    contacts = instance.cli("pjsip show contacts").stdout
    assert f"{ACCOUNT}/sip:{ACCOUNT}@127.0.0.1:{phone.port}" in contacts

    await _originate(instance)
    until_sync(lambda: _invites(phone.trace) >= 1, within=10, what="the softphone's INVITE")


async def test_a_wrong_password_is_refused_and_nothing_rings(
    rig: Rig, port_pool: PortPool, tmp_path: Path
) -> None:
    instance, account, phone = rig.asterisk, rig.account, rig.phone

    assert not _register(account, "not-the-password", phone.port, tmp_path / "reg", port_pool)
    assert f"{ACCOUNT}/sip:" not in instance.cli("pjsip show contacts").stdout

    with pytest.raises(AriError):  # at once: no contact to ring, the next one is phoned
        await _originate(instance)
    assert _invites(phone.trace) == 0
    assert f"Endpoint '{ACCOUNT}': Could not create dialog" in instance.log_tail(80)


def test_a_call_claiming_to_be_the_softphone_is_challenged(
    rig: Rig, port_pool: PortPool, tmp_path: Path
) -> None:
    account = rig.account
    status = call_once(
        (account.address, account.port),
        log_dir=tmp_path / "caller",
        pool=port_pool,
        from_user=ACCOUNT,
        to_user=ACCOUNT,
    )
    assert status == 401
