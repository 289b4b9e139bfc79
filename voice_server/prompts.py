"""Spoken prompts: texts in French and English, synthesised by espeak-ng, made 8 kHz by sox.

Files are cached under the hash of (language, text), so each alert message is synthesised once
and the fixed prompts only on first use. Synthesis runs while the phone rings, never before the
INVITE, and then in the background (``SynthesisQueue``): a prompt that a contact on the line
waits for goes first. Each use refreshes a file's modification time, and ``prune`` deletes the
files unused for a week, except the fixed prompts. Texts come from HA (detector and zone names),
so they reach espeak-ng on stdin, never as arguments, and are never logged.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
import hashlib
import logging
import os
from pathlib import Path
import time

from voice_server.kinds import KIND_NAMES
from voice_server.private import private_dir
from voice_server.synthesis_queue import SynthesisQueue

__all__ = ["PromptCache", "Texts", "alert_message", "fixed_texts", "texts"]

_LOGGER = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
SOX = "sox"
_VOICES = {"fr": "fr", "en": "en"}
_SPEED = "150"
_TIMEOUT = 30.0
_UNUSED = 7 * 24 * 3600.0  # prune deletes prompts not used for this long (seconds)


@dataclass(frozen=True, slots=True)
class Texts:
    """The fixed sentences of the call, in one language."""

    enter_code: str
    enter_code_or_sos: str
    wrong_code: str
    too_many: str
    acknowledged: str
    connecting: str
    station_unreachable: str
    cancelled: str
    cancelled_by: str
    code_locked: str
    code_locked_or_sos: str
    informed: str  # the end of a call that needs no code (the station handles the alarm)
    agent_closing: str  # the end of an agent request said to the station
    talk_down_key: str  # after the code prompt: the key that listens in through the home's speaker
    warning_key: str  # after the code prompt: the key that plays the spoken warning at home
    listening: str  # said while the home's speaker is dialled
    talk_down_over: str  # the link with the home's speaker has ended
    speaker_unreachable: str
    warning_sent: str


_TEXTS = {
    "fr": Texts(
        enter_code="Tapez votre code personnel suivi de la touche dièse.",
        enter_code_or_sos=(
            "Tapez votre code personnel suivi de la touche dièse. "
            "Pour joindre la télésurveillance, tapez 9."
        ),
        wrong_code="Code incorrect. Recommencez.",
        too_many="Code incorrect. Au revoir.",
        acknowledged="Code correct. Alerte acquittée. Merci, au revoir.",
        connecting="Mise en relation avec la télésurveillance.",
        station_unreachable=(
            "La télésurveillance ne répond pas. "
            "Tapez votre code personnel suivi de la touche dièse."
        ),
        cancelled="L'alerte a été arrêtée. Au revoir.",
        cancelled_by="L'alerte a été arrêtée par {by}. Au revoir.",
        code_locked=(
            "Votre code est bloqué après trop d'erreurs. Il ne peut pas acquitter l'alerte."
        ),
        code_locked_or_sos=(
            "Votre code est bloqué après trop d'erreurs. Pour joindre la télésurveillance, tapez 9."
        ),
        informed=(
            "La télésurveillance prend en charge cette alerte. Vous n'avez rien à taper. Au revoir."
        ),
        agent_closing="Merci d'envoyer un agent de sécurité sur place. Au revoir.",
        talk_down_key="Pour écouter le domicile, tapez étoile.",
        warning_key="Pour diffuser un avertissement dans le domicile, tapez étoile.",
        listening=(
            "Écoute du domicile. On ne vous entend pas. "
            "Tapez 1 pour parler, tapez dièse pour arrêter."
        ),
        talk_down_over="La liaison avec le domicile est terminée.",
        speaker_unreachable="Le haut-parleur du domicile ne répond pas.",
        warning_sent="L'avertissement est diffusé dans le domicile.",
    ),
    "en": Texts(
        enter_code="Type your personal code followed by the hash key.",
        enter_code_or_sos=(
            "Type your personal code followed by the hash key. "
            "To reach the monitoring station, type 9."
        ),
        wrong_code="Wrong code. Please try again.",
        too_many="Wrong code. Goodbye.",
        acknowledged="Code accepted. The alert is acknowledged. Thank you, goodbye.",
        connecting="Connecting you to the monitoring station.",
        station_unreachable=(
            "The monitoring station does not answer. "
            "Type your personal code followed by the hash key."
        ),
        cancelled="The alert has been stopped. Goodbye.",
        cancelled_by="The alert has been stopped by {by}. Goodbye.",
        code_locked="Your code is locked after too many errors. It cannot acknowledge the alert.",
        code_locked_or_sos=(
            "Your code is locked after too many errors. To reach the monitoring station, type 9."
        ),
        informed=(
            "The monitoring station is handling this alert. You need not type anything. Goodbye."
        ),
        agent_closing="Please send a security agent to the site. Goodbye.",
        talk_down_key="To listen in the home, type star.",
        warning_key="To play a warning in the home, type star.",
        listening=("Listening in the home. Nobody hears you. Type 1 to speak, type hash to stop."),
        talk_down_over="The link with the home has ended.",
        speaker_unreachable="The home's speaker does not answer.",
        warning_sent="The warning is being played in the home.",
    ),
}


def texts(language: str) -> Texts:
    """Fixed sentences for a site language (French when unknown)."""
    return _TEXTS.get(language, _TEXTS["fr"])


def fixed_texts() -> list[tuple[str, str]]:
    """(language, text) of every fixed sentence, as said in calls (``cancelled_by`` varies)."""
    return [
        (language, text)
        for language, words in _TEXTS.items()
        for text in (
            words.enter_code,
            words.enter_code_or_sos,
            words.wrong_code,
            words.too_many,
            words.acknowledged,
            words.connecting,
            words.station_unreachable,
            words.cancelled,
            words.code_locked,
            words.code_locked_or_sos,
            words.informed,
            words.agent_closing,
            words.listening,
        )
    ]


def _key(language: str, text: str) -> str:
    return hashlib.sha256(f"{language}\n{text}".encode()).hexdigest()[:32]


def alert_message(
    language: str,
    *,
    site_name: str,
    kind: str,
    detector: str | None,
    zone: str | None,
    occurred_at: datetime,
    note: str | None = None,
) -> str:
    """What happened, where and when, said at the start of the call (local time of the alert).

    A ``note`` (an agent request's words) is said last.
    """
    kind_text = KIND_NAMES.get(language, KIND_NAMES["fr"]).get(kind, kind)
    hour, minute = occurred_at.hour, occurred_at.minute
    if kind == "home_offline":  # a silent home: no detector, no zone; since its last heartbeat
        if language == "en":
            return f"The alarm of {site_name} no longer answers, since {hour}:{minute:02d}."
        at = f"{hour} heures {minute:02d}" if minute else f"{hour} heures"
        return f"L'alarme de {site_name} ne répond plus depuis {at}."
    if language == "en":
        parts = [f"Alarm at {site_name}: {kind_text}."]
        if detector:
            parts.append(f"Detector: {detector}.")
        if zone:
            parts.append(f"Zone: {zone}.")
        parts.append(f"At {hour}:{minute:02d}.")
        if note:
            parts.append(f"Message: {note}.")
    else:
        parts = [f"Alerte à {site_name} : {kind_text}."]
        if detector:
            parts.append(f"Détecteur : {detector}.")
        if zone:
            parts.append(f"Zone : {zone}.")
        parts.append(f"À {hour} heures {minute:02d}." if minute else f"À {hour} heures.")
        if note:
            parts.append(f"Message : {note}.")
    return " ".join(parts)


class PromptCache:
    """Synthesised prompts on disk, keyed by content; concurrent requests share one synthesis."""

    def __init__(self, folder: Path, *, parallel: int | None = None) -> None:
        self.folder = folder
        self._pending: dict[str, asyncio.Task[Path]] = {}
        # At most one espeak-ng/sox pair per core: an avalanche of alerts would otherwise start
        # hundreds of processes at once and starve the event loop that places the calls.
        self.queue = SynthesisQueue(parallel or os.cpu_count() or 1)
        self.syntheses = 0

    async def close(self) -> None:
        """Cancel syntheses in progress (their temporary files are removed)."""
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def media(self, language: str, text: str, *, urgent: bool = True) -> str:
        """ARI media URI of the prompt (``sound:`` + path without extension)."""
        path = await self.get(language, text, urgent=urgent)
        return f"sound:{path.with_suffix('')}"

    async def get(self, language: str, text: str, *, urgent: bool = True) -> Path:
        """Path of the 8 kHz mono WAV saying ``text``; synthesised on first use.

        ``urgent`` when a contact is waiting to hear it; ``False`` to make it ahead of need (the
        alert message while the phone rings): it then waits behind the urgent ones, niced.
        """
        key = _key(language, text)
        path = self.folder / f"{key}.wav"
        try:
            os.utime(path)  # "used now": prune keeps it
        except FileNotFoundError:
            pass
        else:
            return path
        task = self._pending.get(key)
        if task is None:
            task = asyncio.create_task(self._synthesise(key, language, text, path, urgent=urgent))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._done(key))
        elif urgent and not task.done():
            self.queue.hurry(key)
        return await asyncio.shield(task)

    def _done(self, key: str) -> None:
        """A synthesis ended, made, failed or cancelled (perhaps before it started)."""
        self._pending.pop(key, None)
        self.queue.forget(key)

    def prune(self, *, now: float | None = None, unused: float = _UNUSED) -> int:
        """Delete the files not used for ``unused`` seconds, except the fixed prompts.

        Also removes temporary files a killed synthesis left. Blocking: run it in a thread.
        Returns how many files were deleted.
        """
        cutoff = (time.time() if now is None else now) - unused
        keep = {f"{_key(language, text)}.wav" for language, text in fixed_texts()}
        deleted = 0
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.name in keep or not entry.is_file(follow_symlinks=False):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
                Path(entry.path).unlink()
            except FileNotFoundError:
                continue
            deleted += 1
        return deleted

    async def _synthesise(
        self, key: str, language: str, text: str, path: Path, *, urgent: bool
    ) -> Path:
        async with self.queue.turn(key, urgent=urgent):
            return await self._synthesise_now(key, language, text, path)

    async def _synthesise_now(self, key: str, language: str, text: str, path: Path) -> Path:
        private_dir(self.folder)  # 0700 when created: the prompts name the alerts
        raw = path.with_name(f"{path.stem}.{os.getpid()}.raw.wav")
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.wav")
        try:
            await self._run(
                key,
                [
                    ESPEAK,
                    "-v",
                    _VOICES.get(language, "fr"),
                    "-s",
                    _SPEED,
                    "--stdin",
                    "-w",
                    str(raw),
                ],
                text.encode(),
            )
            await self._run(
                key, [SOX, str(raw), "-r", "8000", "-c", "1", "-b", "16", str(tmp)], b""
            )
            tmp.replace(path)  # atomic: Asterisk never sees half a file
        finally:
            raw.unlink(missing_ok=True)
            tmp.unlink(missing_ok=True)
        self.syntheses += 1
        _LOGGER.debug("prompt %s synthesised", path.stem)
        return path

    async def _run(self, key: str, command: list[str], stdin: bytes) -> None:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self.queue.started(key, process.pid)
        try:
            async with asyncio.timeout(_TIMEOUT):
                _, err = await process.communicate(stdin)
        except BaseException:
            if process.returncode is None:
                process.kill()
                await process.wait()
            raise
        finally:
            self.queue.ended(key, process.pid)
        if process.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({process.returncode}): {err[-200:]!r}")
