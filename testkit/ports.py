"""Free loopback ports, found in /proc/net rather than by binding a probe socket.

Home Assistant's test harness blocks sockets before any session fixture runs, and a probe socket
closed before use can be taken by someone else anyway; reading the kernel's tables and never
handing out the same port twice in a run avoids both. The random start spreads parallel runs
(three engineers share the machine) over the range.
"""

from __future__ import annotations

from pathlib import Path
import random

LOOPBACK = "127.0.0.1"
_PORTS = (20000, 60000)
_TABLES = ("tcp", "tcp6", "udp", "udp6")


def bound_ports() -> set[int]:
    """Local ports in use (TCP and UDP, IPv4 and IPv6), read from /proc without a socket."""
    ports: set[int] = set()
    for name in _TABLES:
        table = Path("/proc/net") / name
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                ports.add(int(line.split()[1].rsplit(":", 1)[1], 16))
    return ports


def _ephemeral_start() -> int:
    """First port the kernel gives to outgoing connections (32768 unless tuned)."""
    path = Path("/proc/sys/net/ipv4/ip_local_port_range")
    return int(path.read_text().split()[0]) if path.exists() else 32768


def udp_bound(port: int) -> bool:
    """Whether something listens on UDP ``127.0.0.1:port`` (how SIPp's readiness shows)."""
    wanted = f"0100007F:{port:04X}"
    return any(
        line.split()[1] == wanted for line in Path("/proc/net/udp").read_text().splitlines()[1:]
    )


class PortPool:
    """Hands out ranges of ports nobody listens on, never the same port twice in a run."""

    def __init__(self) -> None:
        self._given: set[int] = set()
        self._random = random.Random()  # noqa: S311 - spreading ports, not a secret

    def take(self, span: int = 1) -> int:
        """First port of ``span`` consecutive free ports (the first one even, as RTP wants).

        A range (an RTP range of thousands of ports) is looked for below the kernel's ephemeral
        ports: above them, every client connection and TIME_WAIT leaves a random port taken, so a
        free window of 4 000 is rarely found while others run tests.
        """
        low, high = _PORTS
        ephemeral = _ephemeral_start()
        if span > 1:
            high = min(high, ephemeral)
        elif ephemeral < high - 1000:
            # Single ports (phones, servers, sinks: hundreds in a run) stay out of the ranges'
            # ports: scattered there, they leave no free window of a few hundred after a while.
            low = max(low, ephemeral)
        busy = self._given | bound_ports()
        for _ in range(1000):
            base = self._random.randrange(low, max(low + 2, high - span), 2)
            wanted = set(range(base, base + span))
            if not wanted & busy:
                self._given |= wanted
                return base
        # A wide range on a busy machine: random windows keep hitting a port in use; walk the
        # gaps between the ports taken instead, lowest first.
        taken = sorted(port for port in busy if low <= port < high)
        base = low
        for port in [*taken, high]:
            if port - base >= span:
                self._given |= set(range(base, base + span))
                return base
            base = max(base, port + 1 + (port + 1) % 2)  # the next even port after it
        raise RuntimeError("no free port range found")
