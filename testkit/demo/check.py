"""``scripts/demo --check``: the demo's story, end to end, on the running demo.

Arm total with a person's code, open the front door (its simulated switch), let the entry delay
run out, see the alarm; the voice server phones the contacts in order (a softphone nobody
registered fails at once), the simulated phone answers and types its person's phone code, the
alert is acknowledged, Home Assistant's logbook says by whom and the mailbox holds the
acknowledgement e-mail; then disarm. Each step says how long it took; the first that fails stops
the check with what was seen and the paths of every log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
import re
import sys
import time
from typing import Any
from urllib.parse import quote

from testkit.demo.home import SIMULATED, Detector, Person
from testkit.demo.stack import RING_TIMEOUT, Demo
from testkit.polling import until
from testkit.sipp import invites_seen

__all__ = ["CheckFailedError", "Steps", "errors_about_us", "run_check"]

#: The integration's loggers and files, or its domain as a word: not a folder or venv holding
#: the name (``/opt/imaprotect-ha-next``, a checkout in a folder named after the project).
_ABOUT_US = re.compile(r"custom_components[./]imaprotect|\bimaprotect\b(?![-/])")


class CheckFailedError(Exception):
    """A step did not hold; the message names it and what was seen."""


def say(text: str) -> None:
    """One line on the terminal, at once."""
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


class Steps:
    """Named, timed steps; a failure becomes ``CheckFailedError`` naming the step."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the step; re-raise what fails inside it as ``CheckFailedError``."""
        started = time.monotonic()
        try:
            yield
        except CheckFailedError:
            raise
        except Exception as err:
            raise CheckFailedError(f"{name}: {type(err).__name__}: {err}") from err
        elapsed = time.monotonic() - started
        self.done.append((name, elapsed))
        say(f"  ok  {name} ({elapsed:.1f} s)")


async def wait_state(
    demo: Demo, entity_id: str, wanted: str | Callable[[dict[str, Any]], bool], within: float
) -> dict[str, Any]:
    """Poll the entity until its state is ``wanted`` (or the predicate holds); the state seen."""
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        seen.clear()
        seen.update(await demo.client.state(entity_id))
        return wanted(seen) if callable(wanted) else seen.get("state") == wanted

    await until(
        reached,
        within=within,
        every=0.25,
        what=lambda: f"{entity_id}: {seen.get('state')!r} {seen.get('attributes', {})}",
    )
    return seen


async def logbook_lines(demo: Demo, since: datetime) -> list[dict[str, Any]]:
    """Home Assistant's logbook since ``since``, as the Activity panel reads it."""
    lines: list[dict[str, Any]] = await demo.client.api(
        "GET", f"/api/logbook/{quote(since.isoformat())}"
    )
    return lines


async def _eventually(check: Callable[[], Awaitable[bool]], what: Callable[[], str]) -> None:
    await until(check, within=15, every=0.5, what=what)


def story_people(demo: Demo) -> tuple[Person, Person, Detector]:
    """Who arms (the first person who may), who answers (the simulated phone), which door."""
    home = demo.home
    arming = next(p for p in home.people if p.may_arm and p.may_disarm)
    answering = home.person_on(SIMULATED)
    if answering is None:
        raise CheckFailedError("the home has nobody on the simulated phone to answer")
    door = next(d for d in home.detectors if d.entry_route)
    return arming, answering, door


async def run_check(demo: Demo, steps: Steps) -> None:
    """The scenario, step by step; ``CheckFailedError`` at the first step that does not hold."""
    built, client = demo.built, demo.client
    panel, alert = built.panel, built.alert
    settings = demo.home.settings
    arming, answering, door = story_people(demo)
    started = datetime.now(UTC)
    margin = 20.0

    with steps.step(f"arm total with {arming.name}'s code, exit delay, « armed_away »"):
        await client.call(
            "alarm_control_panel", "alarm_arm_away", {"entity_id": panel, "code": arming.code}
        )
        await wait_state(demo, panel, "arming", 5)
        await wait_state(demo, panel, "armed_away", settings["exit_delay"] + margin)

    with steps.step(f"{door.name} opens: the entry delay runs (« pending »)"):
        await client.call("input_boolean", "turn_on", {"entity_id": door.switch_entity})
        await wait_state(demo, built.detector_entity(door.key), "on", 5)
        await wait_state(demo, panel, "pending", 5)

    with steps.step("nobody disarms: the alarm goes off (« triggered »)"):
        await wait_state(demo, panel, "triggered", settings["entry_delay"] + margin)

    phone = demo.phones[answering.name]
    with steps.step(
        f"the voice server phones {answering.name}, whose phone answers and types the code"
    ):
        calls_before = demo.home.callers().index(answering)
        within = calls_before * (RING_TIMEOUT + 5) + 40  # each one before rings or fails
        state = await wait_state(
            demo, alert, lambda s: s.get("state") in {"acknowledged", "exhausted"}, within
        )
        if (state["state"], state["attributes"].get("contact")) != (
            "acknowledged",
            answering.name,
        ):
            raise CheckFailedError(f"alert {state['state']!r}: {state['attributes']}")
        _, invites, _ = invites_seen(phone.trace)
        if invites[answering.name.casefold()] < 1:
            raise CheckFailedError(f"no INVITE in {phone.trace}")

    with steps.step(f"Home Assistant's logbook says {answering.name} acknowledged"):
        found: list[str] = []

        async def in_logbook() -> bool:
            found[:] = [str(line.get("message")) for line in await logbook_lines(demo, started)]
            return any("acquittée" in m and answering.name in m for m in found)

        await _eventually(in_logbook, lambda: f"logbook lines: {found}")

    with steps.step("the acknowledgement e-mail is in the mailbox"):

        async def mailed() -> bool:
            subjects = [str(m["Subject"]) for m in demo.mailbox.messages]
            return any(f"acquittée par {answering.name}" in s for s in subjects)

        await _eventually(
            mailed, lambda: f"subjects: {[str(m['Subject']) for m in demo.mailbox.messages]}"
        )
        if not demo.mailbox.files():
            raise CheckFailedError(f"no .eml file in {demo.mailbox.folder}")

    with steps.step(f"disarm with {arming.name}'s code (« disarmed »)"):
        await client.call("input_boolean", "turn_off", {"entity_id": door.switch_entity})
        await client.call(
            "alarm_control_panel", "alarm_disarm", {"entity_id": panel, "code": arming.code}
        )
        await wait_state(demo, panel, "disarmed", 5)

    with steps.step("Home Assistant logged no error or traceback about imaprotect"):
        log = demo.logs()["Home Assistant"]
        if errors := errors_about_us(log.read_text(encoding="utf-8", errors="replace")):
            raise CheckFailedError(f"{len(errors)} in {log}:\n" + "\n".join(errors))


def errors_about_us(log: str) -> list[str]:
    """The ERROR/CRITICAL records of Home Assistant's log that name the integration.

    A record is its first line and the indented or traceback lines after it; Home Assistant's
    own noise (a missing ffmpeg, onboarding's weather flow) does not name imaprotect.
    """
    records: list[list[str]] = []
    for line in log.splitlines():
        if line[:4].isdigit() and " (" in line:
            records.append([line])
        elif records:
            records[-1].append(line)
    return [
        "\n".join(r)
        for r in records
        if any(f" {level} " in r[0] for level in ("ERROR", "CRITICAL"))
        and any(_ABOUT_US.search(line) for line in r)
    ]
