"""The shared helpers' own rules: polling gives up when it should, SIPp traces are read right."""

from __future__ import annotations

import struct
import time
from typing import TYPE_CHECKING

import pytest

from testkit.dtmf_pcap import rtp_packets
from testkit.polling import NotReachedError, until, until_sync
from testkit.sipp import invites_seen

if TYPE_CHECKING:
    from pathlib import Path


async def test_until_returns_once_the_check_holds_and_accepts_async_checks() -> None:
    calls: list[int] = []

    async def third_time() -> bool:
        calls.append(1)
        return len(calls) == 3

    await until(third_time, within=2, every=0.001)
    assert len(calls) == 3


async def test_until_fails_after_the_deadline_with_the_last_state() -> None:
    state = {"n": 0}

    def never() -> bool:
        state["n"] += 1
        return False

    started = time.monotonic()
    with pytest.raises(NotReachedError, match=r"last n=\d+: not reached within 0.05 s"):
        await until(never, within=0.05, every=0.01, what=lambda: f"last n={state['n']}")
    assert 0.05 <= time.monotonic() - started < 1
    assert issubclass(NotReachedError, AssertionError)  # pytest reports it as a failed check


def test_until_sync_gives_up_at_once_when_its_source_is_gone() -> None:
    started = time.monotonic()
    with pytest.raises(NotReachedError, match="booted: gave up"):
        until_sync(lambda: False, within=10, what="booted", alive=lambda: False)
    assert time.monotonic() - started < 1


def test_invites_seen_counts_received_invites_and_byes_per_user(tmp_path: Path) -> None:
    def block(stamp: str, direction: str, first_line: str) -> str:
        return (
            f"----------------------------------------------- {stamp}\n"
            f"UDP message {direction} [500] bytes :\n\n{first_line}\nVia: x\n\n"
        )

    trace = tmp_path / "messages.log"
    trace.write_text(
        block("2026-11-26T10:00:00.250000Z", "received", "INVITE sip:a1@127.0.0.1:5060 SIP/2.0")
        + block("2026-11-26T10:00:00.300000Z", "sent", "SIP/2.0 486 Busy Here")
        + block("2026-11-26T10:00:01.000000Z", "received", "INVITE sip:a1@127.0.0.1:5060 SIP/2.0")
        + block("2026-11-26T10:00:02.000000Z", "received", "INVITE sip:a2@127.0.0.1:5060 SIP/2.0")
        + block("2026-11-26T10:00:03.000000Z", "received", "BYE sip:a2@127.0.0.1:5060 SIP/2.0")
        + block("2026-11-26T10:00:04.000000Z", "sent", "INVITE sip:a3@127.0.0.1:5060 SIP/2.0")
    )
    first, invites, byes = invites_seen(trace)
    assert first == {"a1": 1795687200.25, "a2": 1795687202.0}  # the first one, UTC
    assert invites == {"a1": 2, "a2": 1}  # a repeat is counted; a sent INVITE is not
    assert byes == {"a2": 1}


def test_invites_seen_counts_a_retransmission_once_and_a_new_call_again(tmp_path: Path) -> None:
    def invite(stamp: str, call_id: str) -> str:
        return (
            f"----------------------------------------------- {stamp}\n"
            "UDP message received [500] bytes :\n\n"
            f"INVITE sip:s1c0@127.0.0.1:5060 SIP/2.0\nCall-ID: {call_id}\nCSeq: 1 INVITE\n\n"
        )

    trace = tmp_path / "messages.log"
    trace.write_text(
        invite("2026-11-26T10:00:00.250000Z", "call-a")
        + invite("2026-11-26T10:00:00.750000Z", "call-a")  # Timer A: SIPp answered late
        + invite("2026-11-26T10:00:02.000000Z", "call-b")  # a second call to the same phone
    )
    first, invites, _ = invites_seen(trace)
    assert first == {"s1c0": 1795687200.25}
    assert invites == {"s1c0": 2}


def test_a_second_of_voice_in_the_dtmf_pcap_is_one_pcmu_stream_with_the_keys() -> None:
    """``~`` is 50 PCMU packets of 20 ms, in the keys' stream (one SSRC, sequence rising by one)."""
    packets = rtp_packets("1~2")
    headers = [struct.unpack("!BBHII", rtp[:12]) for _, rtp in packets]
    voice = [(sent, h, rtp) for (sent, rtp), h in zip(packets, headers, strict=True) if h[1] == 0]
    assert len(voice) == 50
    assert all(len(rtp) == 12 + 160 for *_, rtp in voice)
    assert [sent for sent, *_ in voice] == [voice[0][0] + 20 * i for i in range(50)]
    assert [h[3] for _, h, _ in voice] == [voice[0][1][3] + 160 * i for i in range(50)]
    sequences = [h[2] for h in headers]
    assert sequences == list(range(sequences[0], sequences[0] + len(packets)))
    assert {h[4] for h in headers} == {0x1A2B3C4D}
    tone = voice[0][2][12:]
    assert len(set(tone)) > 8  # a tone, not silence
    assert tone[:16] * 10 == tone  # 500 Hz at 8 kHz: one period every 16 samples
