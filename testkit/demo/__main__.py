"""``python -m testkit.demo``: what ``scripts/demo`` runs inside the dev root.

    python -m testkit.demo --ha-python PY [--run-dir DIR] [--lan ADDR] [--check] [--cdp-port N]

Without ``--check`` it starts the demo, says what runs and what to try, and waits for Ctrl-C.
With ``--check`` it starts the demo on free ports with short delays, runs the scenario
(``testkit.demo.check``), then with ``--cdp-port`` the browser test (``testkit.demo.browser``),
and stops: exit status 0 when every step held, 1 with the failed step and the logs' paths.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
import signal
import sys
import time

from testkit.demo.browser import run_browser
from testkit.demo.check import CheckFailedError, Steps, run_check, say
from testkit.demo.home import HOME_FILE, SIMULATED, SOFTPHONE, load_home
from testkit.demo.stack import OWNER, Demo, DemoOptions, start_demo
from testkit.layout import REPO
from testkit.ports import LOOPBACK

#: The checks' delays (seconds): the story is the same, it just waits less.
CHECK_EXIT_DELAY = 3
CHECK_ENTRY_DELAY = 5
_ORDINALS = {1: "first", 2: "second", 3: "third"}


def _banner(demo: Demo, ready_in: float) -> str:
    home, run = demo.home, demo.options.run_dir
    where = f"127.0.0.1 and {demo.options.lan}" if demo.options.lan else "127.0.0.1 only"
    people = []
    for person in home.people:
        line = {
            SOFTPHONE: "your softphone (the SIP account below)",
            SIMULATED: "the simulated phone, which answers and types the phone code",
        }[person.line]
        position = person.call_position
        order = f"phoned {_ORDINALS.get(position, f'{position}th')}" if position else ""
        people.append(
            f"    {person.name:<8} keypad code {person.code}, phone code {person.phone_code}"
            + (f"; {order}, on {line}" if order else "; not phoned")
        )
    door = next(d for d in home.detectors if d.entry_route)
    arming = next(p for p in home.people if p.may_arm)
    account = demo.softphone
    lan = demo.options.lan
    lan_url = f"\n    on the LAN: {demo.dashboard_url.replace(LOOPBACK, lan, 1)}" if lan else ""
    logs = "\n".join(f"    {name}: {path}" for name, path in demo.logs().items())
    return f"""
imaprotect demo — ready in {ready_in:.0f} s, on {where}

  Home Assistant {demo.ha_version}: {demo.dashboard_url}{lan_url}
    log in as {OWNER["username"]} / {demo.password}   (kept in {run / "owner-password"})
  The home « {home.name} »: {", ".join(z.name for z in home.zones)}; \
{len(home.detectors)} simulated detectors; the people:
{chr(10).join(people)}
  Softphone account (SIP over UDP): user softphone, password {account.password},
    server {account.address}:{account.port}  ({account.uri}; password in {run / "sip-password"})
  Voice server {demo.voice.base}   Mailbox {demo.mail_page.url}  (and {demo.mailbox.folder}/*.eml)
  Logs:
{logs}

What to try:
  1. On the dashboard, type {arming.code} on the alarm panel's keypad and arm (or press « Marche
     totale » on the tile). It reads « Mise en marche », then « Marche totale » after \
{home.settings["exit_delay"]} s.
  2. Flip « {door.switch} »: the entry delay ({home.settings["entry_delay"]} s) starts.
  3. Do not disarm: the alarm goes off and the voice server phones the people in order. Register
     a softphone to hear the call and type the phone code; unregistered or unanswered, the next
     person's simulated phone answers and types theirs.
  4. The Alert card reads « Acquittée »; the logbook says who; the e-mails are in the mailbox.
  5. Disarm with {arming.code}.
Press Ctrl-C to stop."""


async def _wait_for_stop(demo: Demo) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        if demo.ha.poll() is not None:
            say(f"Home Assistant stopped (exit {demo.ha.returncode}); see {demo.logs()}")
            return
        try:
            await asyncio.wait_for(stop.wait(), 2.0)
        except TimeoutError:
            continue
    say("stopping…")


def _failure(demo: Demo | None, options: DemoOptions, error: BaseException) -> int:
    say(f"FAIL: {error}")
    logs = demo.logs() if demo is not None else {"everything": options.run_dir}
    say("logs:")
    for name, path in logs.items():
        say(f"  {name}: {path}")
    return 1


async def main_async(args: argparse.Namespace) -> int:
    """Start the demo; wait for Ctrl-C, or run the checks; the exit status."""
    home = load_home(args.home)
    if args.check:
        home = home.with_delays(entry=CHECK_ENTRY_DELAY, exit_=CHECK_EXIT_DELAY)
    options = DemoOptions(
        run_dir=args.run_dir.resolve(),
        ha_python=args.ha_python,
        home=home,
        lan=args.lan,
        fixed_ports=not args.check,
    )
    started = time.monotonic()
    demo: Demo | None = None
    steps = Steps()
    async with AsyncExitStack() as stack:
        try:
            with steps.step("start the demo"):
                demo = await start_demo(options, stack)
            ready_in = time.monotonic() - started
            if not args.check:
                say(_banner(demo, ready_in))
                await _wait_for_stop(demo)
                return 0
            say(f"  demo up on {demo.base} in {ready_in:.1f} s; the scenario:")
            await run_check(demo, steps)
            if args.cdp_port is not None:
                say("  the browser test (headless Chromium):")
                await run_browser(demo, steps, args.cdp_port, options.run_dir / "browser")
        except CheckFailedError as err:
            return _failure(demo, options, err)
    total = time.monotonic() - started
    say(f"PASS: the demo's scenario, {len(steps.done)} steps in {total:.1f} s")
    return 0


def main() -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m testkit.demo", description=__doc__)
    parser.add_argument("--ha-python", type=Path, required=True, help="the ha-next venv's python")
    parser.add_argument("--run-dir", type=Path, default=REPO / ".run" / "demo")
    parser.add_argument("--home", type=Path, default=HOME_FILE, help="the home's data file")
    parser.add_argument("--lan", help="also serve SIP and Home Assistant on this address")
    parser.add_argument("--check", action="store_true", help="run the scenario, then stop")
    parser.add_argument("--cdp-port", type=int, help="with --check: Chromium's debugging port")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
