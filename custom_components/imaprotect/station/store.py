"""Where the queue survives restarts: a two-method async protocol, and a JSON file for it.

``QueueStore`` is shaped like Home Assistant's ``helpers.storage.Store`` (``async_load`` returns
the saved document or None, ``async_save`` writes one), so the HA adapter passes a ``Store`` of
its own (``f"{DOMAIN}.{entry_id}.station"``) as it is. The link saves before an event is first
sent; removals are saved soon after, grouped (see ``link.py``). ``JsonFileStore`` is for the tests
and the benchmark: it writes a temporary file, syncs it and renames it over the old one, so a
crash leaves either the old document or the new one, never half of one.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any, Protocol

from .queue import StoreFormatError


class QueueStore(Protocol):
    """Load and save the transmitter's queue document."""

    async def async_load(self) -> dict[str, Any] | None:
        """The last saved document, or None if there is none."""

    async def async_save(self, data: dict[str, Any]) -> None:
        """Replace the saved document with ``data``; durable when it returns."""


class JsonFileStore:
    """A ``QueueStore`` in one JSON file, replaced atomically."""

    __slots__ = ("_path",)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)

    @property
    def path(self) -> Path:
        """The file."""
        return self._path

    async def async_load(self) -> dict[str, Any] | None:
        """Read the file (None if it does not exist)."""
        return await asyncio.to_thread(self._load)

    async def async_save(self, data: dict[str, Any]) -> None:
        """Write ``data``: temporary file, fsync, rename, fsync of the folder."""
        text = json.dumps(data, separators=(",", ":"))
        await asyncio.to_thread(self._save, text)

    def _load(self) -> dict[str, Any] | None:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        data = json.loads(text)
        if not isinstance(data, dict):
            raise StoreFormatError("station queue file does not hold a JSON object")
        return data

    def _save(self, text: str) -> None:
        temporary = self._path.with_name(self._path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self._path)
        folder = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
