"""An alarm's photos on the voice server: stored 0600 beside the database, e-mailed inline.

Home Assistant sends them a few seconds after the alert (``POST /alerts/{id}/photos``: the three
shots take two seconds, and the alert never waits for them). Each JPEG is written to its own file
in the ``photos`` folder next to the database (folder 0700, files 0600, names made here, never
from the alert id), then its row (``alert_photos``, migration step 6) and the information e-mail
that carries them inline go in one transaction; a crash in between leaves only an orphan file,
which the retention deletes. Idempotent per alert: photos sent again are not stored again.

The retention deletes the photos of the alerts it deleted (their rows, then their files).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING
import uuid

from voice_server import mailer, outbox
from voice_server.ledger import alert_facts
from voice_server.store import now_iso

if TYPE_CHECKING:
    from voice_server.store import Store

__all__ = ["AlertPhotos"]

_LOGGER = logging.getLogger(__name__)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


class AlertPhotos:
    """The photos of the server's alerts."""

    def __init__(
        self,
        store: Store,
        folder: Path,
        wake_outbox: Callable[[], None],
        *,
        now: Callable[[], str] = now_iso,
    ) -> None:
        self._store = store
        self.folder = folder
        self._wake = wake_outbox
        self._now = now

    def count(self, alert_id: str) -> int:
        """How many photos the alert has."""
        (count,) = self._store.conn.execute(
            "SELECT COUNT(*) FROM alert_photos WHERE alert_id = ?", (alert_id,)
        ).fetchone()
        return int(count)

    def add(self, alert_id: str, photos: Sequence[bytes]) -> tuple[int, bool]:
        """Store the alert's photos and mail them; (photos it has, whether they are new).

        Raises LookupError for an unknown alert.
        """
        alert = self._store.get_alert(alert_id)
        if alert is None:
            raise LookupError(alert_id)
        if (known := self.count(alert_id)) > 0:
            return known, False
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        names = [f"{uuid.uuid4().hex}.jpg" for _ in photos]
        for name, photo in zip(names, photos, strict=True):
            _write_private(self.folder / name, photo)
        received = self._now()
        recipients = [c.email for c in alert.plan.contacts if c.email]
        with self._store.transaction() as conn:
            conn.executemany(
                "INSERT INTO alert_photos (alert_id, position, file, size, sha256, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        alert_id,
                        position,
                        name,
                        len(photo),
                        hashlib.sha256(photo).hexdigest(),
                        received,
                    )
                    for position, (name, photo) in enumerate(zip(names, photos, strict=True))
                ],
            )
            if recipients:
                subject, body = mailer.photos_email(alert_facts(alert))
                outbox.enqueue_email(
                    conn,
                    site_id=alert.site_id,
                    alert_id=alert_id,
                    to=recipients,
                    subject=subject,
                    body=body,
                    photos=photos,
                )
        self._wake()
        _LOGGER.info("alert %s: %d photos stored", alert_id, len(photos))
        return len(photos), True

    def read(self, alert_id: str) -> list[bytes]:
        """The alert's photos in order (a file lost on disk is skipped)."""
        rows = self._store.conn.execute(
            "SELECT file FROM alert_photos WHERE alert_id = ? ORDER BY position", (alert_id,)
        ).fetchall()
        found: list[bytes] = []
        for (name,) in rows:
            try:
                found.append((self.folder / name).read_bytes())
            except FileNotFoundError:
                _LOGGER.warning("alert %s: a photo file is missing", alert_id)
        return found

    def purge(self) -> int:
        """Delete the photos of the alerts the retention deleted, and orphans; return how many."""
        with self._store.transaction() as conn:
            gone = [
                name
                for (name,) in conn.execute(
                    "SELECT file FROM alert_photos"
                    " WHERE alert_id NOT IN (SELECT alert_id FROM alerts)"
                )
            ]
            conn.execute(
                "DELETE FROM alert_photos WHERE alert_id NOT IN (SELECT alert_id FROM alerts)"
            )
            kept = {name for (name,) in conn.execute("SELECT file FROM alert_photos")}
        deleted = 0
        if self.folder.is_dir():
            for path in self.folder.glob("*.jpg"):
                if path.name not in kept:
                    path.unlink(missing_ok=True)
                    deleted += 1
        return max(deleted, len(gone))
