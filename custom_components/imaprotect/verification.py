"""The station's verification link (DC-09 ``[V…]``): one alarm's photos, without a login.

``/api/imaprotect/v/{token}`` is a small page with the alarm's photos, ``…/{token}/{n}`` the
n-th photo. The token is the only key (no Home Assistant login: the station's operator has none),
so the view answers 404 alike for a wrong, an expired or a malformed token and for a photo that
does not exist, and serves nothing else: no camera, no other alarm, no listing.
"""

from __future__ import annotations

from http import HTTPStatus
import re
from typing import TYPE_CHECKING

from aiohttp import web
from homeassistant.components.http import KEY_HASS, HomeAssistantView

from .const import DOMAIN
from .photos import VERIFY_PATH

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from .panel import HomePanel

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}
_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>imaprotect</title></head><body>
{images}
</body></html>
"""


def _not_found() -> web.Response:
    return web.Response(status=HTTPStatus.NOT_FOUND, headers=_HEADERS)


def _photos(hass: HomeAssistant, token: str) -> list[Path] | None:
    """The photos the token opens, in any home, or None."""
    if not _TOKEN.fullmatch(token):
        return None
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        panel: HomePanel = entry.runtime_data
        if (found := panel.photos.resolve(token)) is not None:
            return found
    return None


class VerificationView(HomeAssistantView):
    """A station operator's view of one alarm's photos, by its link."""

    url = VERIFY_PATH + "/{token}"
    extra_urls = [VERIFY_PATH + "/{token}/{index}"]
    name = "api:imaprotect:verification"
    requires_auth = False

    async def get(self, request: web.Request, token: str, index: str | None = None) -> web.Response:
        """The page, or one photo; 404 for anything else."""
        hass = request.app[KEY_HASS]
        photos = _photos(hass, token)
        if photos is None:
            return _not_found()
        if index is None:
            images = "\n".join(
                f'<p><img src="{token}/{n}" alt="photo {n}"></p>' for n in range(1, len(photos) + 1)
            )
            return web.Response(
                text=_PAGE.format(images=images), content_type="text/html", headers=_HEADERS
            )
        if not index.isascii() or not index.isdigit() or not 1 <= int(index) <= len(photos):
            return _not_found()
        path = photos[int(index) - 1]
        try:
            data = await hass.async_add_executor_job(path.read_bytes)
        except FileNotFoundError:
            return _not_found()
        return web.Response(body=data, content_type="image/jpeg", headers=_HEADERS)
