"""Owner notices: self-diagnosis troubles e-mailed to a site's contacts, never phoned.

Home Assistant posts a notice (a trouble began, ended, or the daily digest); it is queued in the
outbox like the alerts' information e-mails, one message per address with an e-mail. Idempotent
on the notice id: the outbox row carries it (``alert_id`` ``notice-<id>``), so a notice posted
again while its row is kept (a week) is not e-mailed again.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.models import NoticeAccepted, NoticeIn
from voice_server import outbox
from voice_server.notice_mail import notice_email

if TYPE_CHECKING:
    from voice_server.store import Store

__all__ = ["Notices"]

_LOGGER = logging.getLogger(__name__)


class Notices:
    """Queues the owner notices of every site."""

    def __init__(self, store: Store, wake_outbox: Callable[[], None]) -> None:
        self._store = store
        self._wake_outbox = wake_outbox

    def post(self, site_id: str, notice: NoticeIn) -> tuple[NoticeAccepted, bool]:
        """Queue ``notice``'s e-mail; (answer, created). LookupError for an unknown site."""
        site = self._store.get_site(site_id)
        if site is None:
            raise LookupError(site_id)
        key = f"notice-{notice.notice_id}"
        recipients = [c.email for c in site.contacts if c.email]
        with self._store.transaction() as conn:
            (known,) = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE site_id = ? AND alert_id = ?", (site_id, key)
            ).fetchone()
            if known or not recipients:
                return NoticeAccepted(notice_id=notice.notice_id, recipients=0), not known
            subject, body = notice_email(site.name, site.language, notice)
            outbox.enqueue_email(
                conn, site_id=site_id, alert_id=key, to=recipients, subject=subject, body=body
            )
        self._wake_outbox()
        _LOGGER.info(
            "site %s: %s notice queued for %d addresses", site_id, notice.kind, len(recipients)
        )
        return NoticeAccepted(notice_id=notice.notice_id, recipients=len(recipients)), True
