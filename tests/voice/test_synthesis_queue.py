"""Prompt syntheses under an avalanche (issue 8): the ones a contact waits for go first.

Those made ahead of need (while the phone rings) run niced. The queue's order is pinned with the
queue alone; the cache's with the real espeak-ng and sox, and the CPU priority with a wrapper
that reports the nice value espeak-ng was started with.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
import shutil
import stat

import pytest

from tests.voice.fake_ari import until
from tests.voice.turns import Holder, finish, settle
from voice_server import prompts as prompts_module
from voice_server.prompts import PromptCache
from voice_server.synthesis_queue import BACKGROUND_NICE, SynthesisQueue


def synthesising(queue: SynthesisQueue, key: str, order: list[str], *, urgent: bool) -> Holder:
    """One synthesis holding its slot until released; records when it got the slot."""
    return Holder(lambda: queue.turn(key, urgent=urgent), key, order)


async def test_urgent_syntheses_go_before_those_made_ahead() -> None:
    queue = SynthesisQueue(1)
    order: list[str] = []
    jobs = [synthesising(queue, f"ahead-{n}", order, urgent=False) for n in range(3)]
    await settle()
    jobs.append(synthesising(queue, "heard", order, urgent=True))
    await settle()
    await finish(*jobs)
    assert order == ["ahead-0", "heard", "ahead-1", "ahead-2"]
    assert queue.most_running == 1


async def test_a_hurried_synthesis_moves_ahead_once() -> None:
    queue = SynthesisQueue(1)
    order: list[str] = []
    jobs = [synthesising(queue, f"ahead-{n}", order, urgent=False) for n in range(4)]
    await settle()
    queue.hurry("ahead-3")  # its contact answered
    queue.hurry("ahead-3")  # asked again: no second place in the queue
    assert queue.urgent("ahead-3")
    await finish(*jobs)
    assert order == ["ahead-0", "ahead-3", "ahead-1", "ahead-2"]
    assert not queue.urgent("ahead-3")  # done: the next synthesis of it starts afresh


async def test_one_slot_is_kept_for_a_contact_on_the_line() -> None:
    """Syntheses made ahead never take the last slot: an urgent one starts at once."""
    queue = SynthesisQueue(2)
    order: list[str] = []
    ahead = [synthesising(queue, f"ahead-{n}", order, urgent=False) for n in range(2)]
    await settle()
    assert order == ["ahead-0"]  # the second slot is kept
    heard = synthesising(queue, "heard", order, urgent=True)
    await settle()
    assert order == ["ahead-0", "heard"]  # without waiting for the niced one
    queue.hurry("ahead-1")  # its contact answered too: it waits for a slot, first in line
    heard.release.set()
    await heard.task
    await settle()
    assert order == ["ahead-0", "heard", "ahead-1"]
    await finish(*ahead)


async def test_a_hurried_synthesis_takes_the_kept_slot_at_once() -> None:
    queue = SynthesisQueue(2)
    order: list[str] = []
    ahead = [synthesising(queue, f"ahead-{n}", order, urgent=False) for n in range(3)]
    await settle()
    assert order == ["ahead-0"]
    queue.hurry("ahead-2")
    await settle()
    assert order == ["ahead-0", "ahead-2"]
    await finish(*ahead)
    assert order == ["ahead-0", "ahead-2", "ahead-1"]


async def test_a_synthesis_gone_while_waiting_gives_its_place_up() -> None:
    queue = SynthesisQueue(1)
    order: list[str] = []
    first = synthesising(queue, "first", order, urgent=True)
    await settle()
    gone = synthesising(queue, "gone", order, urgent=True)
    after = synthesising(queue, "after", order, urgent=False)
    await settle()
    gone.task.cancel()
    await finish(first, after)
    assert gone.task.cancelled()
    assert not queue.urgent("gone")
    assert order == ["first", "after"]
    # The slot came back: the next one starts at once.
    again = synthesising(queue, "again", order, urgent=False)
    await settle()
    assert order[-1] == "again"
    await finish(again)


async def test_a_slot_handed_to_a_synthesis_that_goes_is_passed_on() -> None:
    queue = SynthesisQueue(1)
    order: list[str] = []
    holding = queue.turn("holder", urgent=True)
    await holding.__aenter__()
    handed = synthesising(queue, "handed", order, urgent=True)
    after = synthesising(queue, "after", order, urgent=True)
    await settle()
    await holding.__aexit__(None, None, None)  # the slot goes to "handed", not resumed yet…
    handed.task.cancel()  # …which goes before it runs again
    await asyncio.wait_for(finish(after), 1)
    assert handed.task.cancelled()
    assert order == ["after"]


def test_a_queue_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        SynthesisQueue(0)


async def test_the_cache_makes_the_prompt_someone_hears_first(tmp_path: Path) -> None:
    """Real espeak-ng and sox, one slot: the urgent sentence is made right after the running one."""
    cache = PromptCache(tmp_path / "prompts", parallel=1)
    done: list[str] = []

    async def make(text: str, *, urgent: bool) -> None:
        await cache.get("fr", text, urgent=urgent)
        done.append(text)

    ahead = [asyncio.create_task(make(f"Alerte numéro {n}.", urgent=False)) for n in range(3)]
    await settle()
    heard = asyncio.create_task(make("Tapez votre code.", urgent=True))
    await asyncio.gather(*ahead, heard)
    await cache.close()
    assert done == ["Alerte numéro 0.", "Tapez votre code.", "Alerte numéro 1.", "Alerte numéro 2."]
    assert cache.syntheses == 4


def _reporting_espeak(folder: Path) -> Path:
    """An espeak-ng that waits for ``go``, writes the nice value it runs at, then does the work."""
    espeak = shutil.which("espeak-ng")
    assert espeak is not None
    script = folder / "espeak-ng"
    script.write_text(
        f'#!/bin/sh\nwhile [ ! -e "{folder / "go"}" ]; do sleep 0.01; done\n'
        f'nice >> "{folder / "nice.log"}"\nexec {espeak} "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def test_syntheses_made_ahead_run_niced_until_someone_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prompts_module, "ESPEAK", str(_reporting_espeak(tmp_path)))
    own = os.getpriority(os.PRIO_PROCESS, 0)
    cache = PromptCache(tmp_path / "prompts", parallel=4)  # three for these, one kept
    ahead = asyncio.create_task(cache.get("fr", "Alerte à Maison.", urgent=False))
    heard = asyncio.create_task(cache.get("fr", "Code correct.", urgent=True))
    hurried = asyncio.create_task(cache.get("fr", "Alerte à Chalet.", urgent=False))
    await until(lambda: cache.queue.processes == 3, within=10)  # the three wrappers wait for "go"
    again = asyncio.create_task(cache.get("fr", "Alerte à Chalet."))  # its contact answered
    await until(lambda: cache.queue.urgent(_key("fr", "Alerte à Chalet.")), within=10)
    (tmp_path / "go").touch()
    await asyncio.gather(ahead, heard, hurried, again)
    await cache.close()
    values = sorted(int(v) for v in (tmp_path / "nice.log").read_text().split())
    # Giving a priority back needs the privilege to raise one (the dev root runs as root).
    restored = own if os.geteuid() == 0 else own + BACKGROUND_NICE
    assert values == sorted([own + BACKGROUND_NICE, own, restored])
    assert cache.syntheses == 3


def _key(language: str, text: str) -> str:
    return hashlib.sha256(f"{language}\n{text}".encode()).hexdigest()[:32]


async def test_a_synthesis_cancelled_before_it_started_is_not_left_urgent(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path / "prompts", parallel=1)
    asking = asyncio.create_task(cache.get("fr", "Alerte à Maison.", urgent=False))
    await asyncio.sleep(0)  # the synthesis task exists and has not run yet
    key = _key("fr", "Alerte à Maison.")
    cache.queue.hurry(key)
    assert cache.queue.urgent(key)
    await cache.close()  # cancelled before its first step
    assert asking.cancelled() or isinstance(asking.exception(), asyncio.CancelledError)
    assert not cache.queue.urgent(key)
