"""What only the voice benchmark needs: /proc figures, and children that die with it.

The peers themselves (Asterisk, the SIPp phones, the voice server as a process, the SMTP and
callback sinks, free ports) are ``testkit``'s, the same the tests use. Every process started here
is put behind ``DIE_WITH_PARENT`` and recorded in a ``Children`` set that stops it (terminate,
then kill) at the end, whatever happens.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import sys

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from testkit.asterisk import AsteriskInstance, asterisk_settings, launch_asterisk  # noqa: E402
from testkit.ports import PortPool  # noqa: E402
from testkit.processes import DIE_WITH_PARENT, Children  # noqa: E402
from testkit.sipp import SippPhone, start_sipp  # noqa: E402

__all__ = ["ProcStat", "start_asterisk", "start_phone", "system_cpu"]

CLOCK_TICK = os.sysconf("SC_CLK_TCK")
#: 1 000 simultaneous calls (scenario C) need 2 000 RTP ports, and a port pair is only reused
#: some time after its call ended: four ports a site, at least 1 000, at most 4 000 (a smaller run
#: needs a smaller free window, which other work on the machine leaves more often).
_RTP_PORTS_PER_SITE = 4
_RTP_PORTS = (1000, 4000)


# --- /proc figures ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcStat:
    """CPU seconds of one process (and its waited-for children) and its memory, from /proc."""

    cpu: float
    children_cpu: float
    rss_kib: int
    hwm_kib: int

    @classmethod
    def read(cls, pid: int) -> ProcStat:
        """Current figures of ``pid``."""
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        memory = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in {"VmRSS", "VmHWM"}:
                memory[key] = int(value.split()[0])
        return cls(
            cpu=(utime + stime) / CLOCK_TICK,
            children_cpu=(cutime + cstime) / CLOCK_TICK,
            rss_kib=memory.get("VmRSS", 0),
            hwm_kib=memory.get("VmHWM", 0),
        )


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


# --- children -----------------------------------------------------------------------------------


def start_asterisk(
    run_dir: Path, pool: PortPool, children: Children, *, sites: int
) -> AsteriskInstance:
    """The project's Asterisk configuration on free loopback ports, fully booted.

    Started from the main thread (see ``DIE_WITH_PARENT``), with a wider RTP range than the
    tests', sized for ``sites`` simultaneous alerts.
    """
    low, high = _RTP_PORTS
    rtp_ports = min(max(_RTP_PORTS_PER_SITE * sites, low), high)
    instance = launch_asterisk(
        asterisk_settings(run_dir, pool, rtp_ports=rtp_ports), prefix=DIE_WITH_PARENT
    )
    children.on_stop(instance.stop)
    return instance


def start_phone(
    scenario: str,
    *,
    name: str,
    log_root: Path,
    pool: PortPool,
    children: Children,
    digits: str = "",
    delay_ms: int = 0,
) -> SippPhone:
    """A SIPp UAS of ``testkit/scenarios`` (``digits`` for its DTMF), tracked in ``children``."""
    started = start_sipp(
        scenario,
        log_dir=log_root / f"sipp-{name}",
        pool=pool,
        name=name,
        digits=digits,
        delay_ms=delay_ms,
        prefix=DIE_WITH_PARENT,
    )
    children.add(started.process)
    return started
