"""Write pcaps of RFC 4733 telephone-events for SIPp's ``play_pcap_audio``.

SIPp replays the RTP payloads and headers with the recorded timing, rewriting only addresses and
ports, so the file must already be a valid stream: one SSRC, sequence numbers rising by one per
packet, one RTP timestamp per event (RFC 4733 2.5.1), and the end packet sent three times.
SIPp's own ``dtmf_2833_*.pcap`` each restart their own sequence, so they cannot be chained freely.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: RFC 4733 event codes.
EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
PAYLOAD_TYPE = 101  # must match the a=rtpmap:101 telephone-event line of the SIPp scenario
_SAMPLES_PER_MS = 8  # 8 kHz clock
_PACKET_MS = 20
_END_COPIES = 3
_SSRC = 0x1A2B3C4D
_FIRST_SEQ = 1000
_FIRST_TIMESTAMP = 160_000
_EPOCH = 1_700_000_000  # pcap record times; only their differences matter to SIPp


def _ulaw(sample: int) -> int:
    """G.711 µ-law of one 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(magnitude.bit_length() - 8, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


#: 20 ms of a 500 Hz tone (16 samples a period), µ-law.
_TONE = bytes(
    _ulaw(round(8000 * math.sin(2 * math.pi * i / 16))) for i in range(_PACKET_MS * _SAMPLES_PER_MS)
)


def rtp_packets(
    digits: str, *, tone_ms: int = 160, gap_ms: int = 240, volume: int = 10
) -> list[tuple[int, bytes]]:
    """(send time in ms, RTP packet) for each packet; ``,`` in ``digits`` is a 1 s pause.

    ``~`` is one second of voice: a 500 Hz tone in PCMU (payload type 0), in the same stream.
    """
    if tone_ms < _PACKET_MS or tone_ms % _PACKET_MS:
        raise ValueError(f"tone_ms must be a multiple of {_PACKET_MS}")
    packets: list[tuple[int, bytes]] = []
    seq, timestamp, now = _FIRST_SEQ, _FIRST_TIMESTAMP, 0
    for char in digits:
        if char == ",":
            now += 1000
            timestamp += 1000 * _SAMPLES_PER_MS
            continue
        if char == "~":
            for _ in range(1000 // _PACKET_MS):
                header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, timestamp, _SSRC)
                packets.append((now, header + _TONE))
                seq += 1
                timestamp += _PACKET_MS * _SAMPLES_PER_MS
                now += _PACKET_MS
            continue
        event = EVENTS[char.upper()]
        steps = tone_ms // _PACKET_MS
        for step in range(1, steps + 1):
            end = step == steps
            duration = step * _PACKET_MS * _SAMPLES_PER_MS
            payload = struct.pack("!BBH", event, (0x80 if end else 0) | volume, duration)
            marker = 0x80 if step == 1 else 0
            for _ in range(_END_COPIES if end else 1):
                header = struct.pack(
                    "!BBHII", 0x80, marker | PAYLOAD_TYPE, seq & 0xFFFF, timestamp, _SSRC
                )
                packets.append((now, header + payload))
                seq += 1
            now += _PACKET_MS
        timestamp += (tone_ms + gap_ms) * _SAMPLES_PER_MS
        now += gap_ms
    return packets


def _checksum(data: bytes) -> int:
    total = sum(int.from_bytes(data[i : i + 2]) for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(rtp: bytes) -> bytes:
    """Ethernet/IPv4/UDP around one RTP packet (addresses are placeholders SIPp rewrites)."""
    udp = struct.pack("!HHHH", 6000, 10000, 8 + len(rtp), 0) + rtp
    ip = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
            bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
        )
    )  # fmt: skip
    ip[10:12] = struct.pack("!H", _checksum(bytes(ip)))
    ethernet = bytes(6) + bytes(6) + b"\x08\x00"
    return ethernet + bytes(ip) + udp


def write_dtmf_pcap(path: Path, digits: str, **timing: int) -> Path:
    """Write the pcap for ``digits`` (see rtp_packets for ``timing``) and return ``path``."""
    records = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # DLT_EN10MB
    for sent, rtp in rtp_packets(digits, **timing):
        frame = _frame(rtp)
        seconds, millis = divmod(sent, 1000)
        records.append(
            struct.pack("<IIII", _EPOCH + seconds, millis * 1000, len(frame), len(frame))
        )
        records.append(frame)
    path.write_bytes(b"".join(records))
    return path
