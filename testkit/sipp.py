"""SIPp as a contact's phone (or the monitoring station): the UAS scenarios of ``scenarios/``.

One SIPp process takes every call routed to it, each call on its own, so one phone per behaviour
is enough even for the benchmark's bursts; the request URI's user part (``dial(user)``) tells the
calls apart in SIPp's message trace. A scenario holding ``@PCAP@`` types DTMF: the digits are
written as an RFC 4733 pcap (``testkit.dtmf_pcap``) that SIPp replays after ``delay_ms``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
import subprocess

from testkit.dtmf_pcap import write_dtmf_pcap
from testkit.polling import until_sync
from testkit.ports import LOOPBACK, PortPool, udp_bound
from testkit.processes import stop_process

SIPP = Path("/usr/bin/sipp")
SCENARIOS = Path(__file__).parent / "scenarios"
_READY_SECONDS = 5.0
_STOP_GRACE = 5.0
#: A burst of 100 INVITEs is ~100 kB: a larger socket buffer than SIPp's 64 kB default.
_BUFFER_BYTES = 1 << 20
_TRACE_HEADER = "----------------------------------------------- "


@dataclass(slots=True)
class SippPhone:
    """One SIPp UAS on its own SIP and media ports; its logs stay in ``log_dir``."""

    name: str
    port: int
    media_port: int
    log_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def uri(self) -> str:
        """SIP URI the phone answers on."""
        return f"sip:{self.name}@{LOOPBACK}:{self.port}"

    @property
    def endpoint(self) -> str:
        """ARI/PJSIP dial string through the project's ``direct`` endpoint."""
        return f"PJSIP/direct/{self.uri}"

    def dial(self, user: str) -> str:
        """Dial string reaching this phone as ``sip:user@…`` (the user tells calls apart)."""
        return f"PJSIP/direct/sip:{user}@{LOOPBACK}:{self.port}"

    @property
    def trace(self) -> Path:
        """SIPp's message trace (every SIP message with the time SIPp saw it)."""
        return self.log_dir / "messages.log"

    def stop(self) -> None:
        """Stop SIPp (its trace is complete afterwards)."""
        stop_process(self.process, grace=_STOP_GRACE)

    def errors(self) -> int:
        """Lines in SIPp's error log (unexpected messages, retransmissions after the end...)."""
        path = self.log_dir / "errors.log"
        return len(path.read_text(errors="replace").splitlines()) if path.exists() else 0


def start_sipp(
    scenario: str,
    *,
    log_dir: Path,
    pool: PortPool,
    name: str = "phone",
    digits: str = "",
    delay_ms: int = 0,
    prefix: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> SippPhone:
    """Run ``scenarios/<scenario>.xml`` behind ``prefix`` and wait until its SIP port is bound.

    ``digits`` fills the scenario's @PCAP@ (and is refused for a scenario that sends no DTMF);
    ``delay_ms`` is its ``<pause/>``; ``extra`` adds SIPp options (``-aa`` answers OPTIONS, as
    a SIP provider answers Asterisk's qualify). If SIPp does not come up it is stopped and
    ``NotReachedError`` raised.
    """
    log_dir.mkdir(parents=True)
    script = (SCENARIOS / f"{scenario}.xml").read_text()
    if "@PCAP@" in script:
        if not digits:
            raise ValueError(f"{scenario} needs digits")
        script = script.replace("@PCAP@", str(write_dtmf_pcap(log_dir / "dtmf.pcap", digits)))
    elif digits:
        raise ValueError(f"{scenario} sends no DTMF")
    scenario_file = log_dir / f"{scenario}.xml"
    scenario_file.write_text(script)
    port, media_port, control_port = pool.take(), pool.take(4), pool.take()
    command = [
        *prefix, str(SIPP), "-sf", str(scenario_file),
        "-i", LOOPBACK, "-p", str(port), "-bind_local",
        "-mi", LOOPBACK, "-mp", str(media_port), "-cp", str(control_port),
        "-d", str(delay_ms), "-nostdin", "-buff_size", str(_BUFFER_BYTES),
        "-trace_err", "-error_file", str(log_dir / "errors.log"),
        "-trace_msg", "-message_file", str(log_dir / "messages.log"), *extra,
    ]  # fmt: skip
    with (log_dir / "screen.log").open("wb") as screen:
        process = subprocess.Popen(  # noqa: S603 - fixed binary, our own arguments
            command, stdin=subprocess.DEVNULL, stdout=screen, stderr=subprocess.STDOUT
        )
    phone = SippPhone(name, port, media_port, log_dir, process)
    try:
        until_sync(
            lambda: udp_bound(port),
            within=_READY_SECONDS,
            what=f"SIPp {scenario} listening (see {log_dir})",
            alive=lambda: process.poll() is None,
        )
    except BaseException:
        phone.stop()
        raise
    return phone


def invites_seen(trace: Path) -> tuple[dict[str, float], Counter[str], Counter[str]]:
    """From a SIPp message trace: first INVITE time per request-URI user, INVITEs and BYEs per user.

    The trace has one block per message: a dashed line with the time SIPp saw it (UTC, µs), a
    "UDP message received"/"sent" line, an empty line, then the message. A retransmission (the
    same Call-ID and CSeq again, when SIPp answered late under load) is the same request and is
    counted once; a second INVITE with its own Call-ID is a second call, and counted.
    """
    first: dict[str, float] = {}
    invites: Counter[str] = Counter()
    byes: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for stamp, method, user, key in received_requests(trace):
        if key is not None and (method, key) in seen:
            continue
        if key is not None:
            seen.add((method, key))
        if method == "INVITE":
            invites[user] += 1
            first.setdefault(user, stamp)
        elif method == "BYE":
            byes[user] += 1
    return first, invites, byes


def received_requests(trace: Path) -> list[tuple[float, str, str, str | None]]:
    """(time, method, request-URI user, Call-ID + CSeq or None) of each request SIPp received."""
    requests: list[tuple[float, str, str, str | None]] = []
    current: list[object] | None = None  # [stamp, method, user, call_id, cseq]
    stamp: float | None = None
    received = False
    expect_start = 0

    def close() -> None:
        if current is not None:
            when, method, user, call_id, cseq = current
            key = f"{call_id} {cseq}" if call_id and cseq else None
            requests.append((float(str(when)), str(method), str(user), key))

    for line in trace.read_text(errors="replace").splitlines():
        if line.startswith(_TRACE_HEADER):
            close()
            current = None
            text = line.removeprefix(_TRACE_HEADER).strip()
            stamp = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
            expect_start = 3
            continue
        if expect_start:
            expect_start -= 1
            if line.startswith("UDP message"):
                received = "received" in line
            elif line and received and stamp is not None:
                method, _, rest = line.partition(" ")
                if not method.startswith("SIP/"):
                    user = rest.removeprefix("sip:").split("@", 1)[0]
                    current = [stamp, method, user, None, None]
                expect_start = 0
            continue
        if current is not None:
            name, _, value = line.partition(":")
            if name.lower() in {"call-id", "i"}:
                current[3] = value.strip()
            elif name.lower() == "cseq":
                current[4] = value.strip()
    close()
    return requests


def _run_uac(
    scenario: str,
    script: str,
    target: tuple[str, int],
    *,
    log_dir: Path,
    pool: PortPool,
    source: str,
    extra: Sequence[str] = (),
) -> int:
    """Run one UAC scenario (``script``, placeholders filled) once against ``target``.

    Returns SIPp's exit status (0: the scenario ran to its end); its trace is ``messages.log``.
    """
    log_dir.mkdir(parents=True)
    scenario_file = log_dir / f"{scenario}.xml"
    scenario_file.write_text(script)
    port, media_port, control_port = pool.take(), pool.take(4), pool.take()
    command = [
        str(SIPP), "-sf", str(scenario_file), f"{target[0]}:{target[1]}", *extra,
        "-i", source, "-p", str(port), "-bind_local", "-m", "1", "-timeout", "10",
        "-mi", source, "-mp", str(media_port), "-cp", str(control_port), "-nostdin",
        "-trace_msg", "-message_file", str(log_dir / "messages.log"),
    ]  # fmt: skip
    with (log_dir / "screen.log").open("wb") as screen:
        done = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            command, stdin=subprocess.DEVNULL, stdout=screen, stderr=subprocess.STDOUT,
            timeout=30, check=False,
        )  # fmt: skip
    return done.returncode


def call_once(
    target: tuple[str, int],
    *,
    log_dir: Path,
    pool: PortPool,
    source: str = LOOPBACK,
    from_user: str = "caller",
    to_user: str = "1000",
) -> int | None:
    """Send one INVITE to ``target`` from ``source`` as ``from_user`` (``scenarios/uac_invite``).

    Returns the final status SIPp received, or ``None`` when nothing came back (a dropped
    request). ``source`` may be another loopback address (127.0.0.2): still this machine, but not
    the address Asterisk's SIP ACL lets in.
    """
    script = (SCENARIOS / "uac_invite.xml").read_text().replace("@FROM_USER@", from_user)
    _run_uac(
        "uac_invite", script, target, log_dir=log_dir, pool=pool, source=source,
        extra=("-s", to_user),
    )  # fmt: skip
    trace = log_dir / "messages.log"
    received = False
    for line in trace.read_text(errors="replace").splitlines() if trace.exists() else ():
        if line.startswith("UDP message"):
            received = "received" in line
        elif received and line.startswith("SIP/2.0 ") and not line.startswith("SIP/2.0 1"):
            return int(line.split()[1])
    return None


def register_once(
    target: tuple[str, int],
    *,
    user: str,
    password: str,
    contact_port: int,
    log_dir: Path,
    pool: PortPool,
) -> bool:
    """Register ``user`` with ``password`` at ``target`` (``scenarios/uac_register``).

    Calls for ``user`` then go to ``127.0.0.1:contact_port``. Whether the registrar took it (200).
    """
    script = (SCENARIOS / "uac_register.xml").read_text()
    for name, value in {
        "USER": user,
        "PASSWORD": password,
        "CONTACT_PORT": str(contact_port),
    }.items():
        script = script.replace(f"@{name}@", value)
    status = _run_uac("uac_register", script, target, log_dir=log_dir, pool=pool, source=LOOPBACK)
    return status == 0
