"""CRC-16/ARC, the checksum of every SIA DC-09 frame.

Polynomial 0x8005 reflected (0xA001), initial value 0, no final XOR, over the bytes from the
opening quote of the id token to the end of the timestamp (LF, CRC, length and CR excluded).
A table makes it about eight times faster than the bitwise loop: one frame per event and per poll,
1 000 accounts polling every 20 s in the benchmark.
"""

from __future__ import annotations


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def crc16_arc(data: bytes) -> int:
    """Return the CRC-16/ARC of ``data`` (check value of b"123456789": 0xBB3D)."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc
