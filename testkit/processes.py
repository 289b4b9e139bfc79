"""Stopping child processes, and a set of children stopped together whatever happens.

Every peer (Asterisk, SIPp, the voice server) is a real process; a run that leaves one behind
breaks the next one (ports taken, Asterisk's control socket answering for a dead instance). The
benchmark runs in the dev root's sandbox, which has no PID namespace: its ``--die-with-parent``
only reaches the benchmark process, so the benchmark starts its children behind
``DIE_WITH_PARENT`` too.
"""

from __future__ import annotations

from collections.abc import Callable
import os
import signal
import subprocess

#: Prefix of a child's command making it die (SIGKILL) when its parent dies, even by SIGKILL.
#: The signal follows the thread that forked: start such children from the main thread.
DIE_WITH_PARENT = ("setpriv", "--pdeathsig", "KILL", "--")


def stop_process(process: subprocess.Popen[bytes], grace: float) -> int | None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; the exit status (None if it was killed)."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def kill_process(process: subprocess.Popen[bytes]) -> None:
    """``kill -9`` and reap it: a crash, with no chance to clean up."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


class Children:
    """Child processes (or anything with a stop function), stopped last-started first."""

    def __init__(self, grace: float = 10.0) -> None:
        self._grace = grace
        self._stops: list[Callable[[], object]] = []

    def add(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """Track ``process`` (terminated, then killed, by ``stop_all``)."""
        self._stops.append(lambda: stop_process(process, self._grace))
        return process

    def on_stop(self, stop: Callable[[], object]) -> None:
        """Call ``stop`` in ``stop_all`` (an Asterisk stops through its CLI first)."""
        self._stops.append(stop)

    def stop_all(self) -> None:
        """Stop everything, in reverse order of starting; safe to call twice."""
        while self._stops:
            self._stops.pop()()
