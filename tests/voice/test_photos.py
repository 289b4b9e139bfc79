"""An alarm's photos on the voice server: checked, stored 0600, and e-mailed inline (real SMTP)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
import hashlib
import io
from typing import TYPE_CHECKING, Any

from PIL import Image
import pytest

from custom_components.imaprotect.contract.limits import MAX_PHOTO_BYTES, MAX_PHOTOS
from tests.voice.fake_ari import until
from tests.voice.harness import alert_body, contact, site_body

if TYPE_CHECKING:
    from email.message import EmailMessage

    from tests.voice.conftest import RunningVoice, VoiceFactory
    from tests.voice.harness import SmtpSink


def jpeg(shade: int, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (shade, 0, 255 - shade)).save(out, format="JPEG")
    return out.getvalue()


def photos_body(*photos: bytes) -> dict[str, Any]:
    return {"photos": [base64.b64encode(photo).decode() for photo in photos]}


PHOTOS = (jpeg(10), jpeg(120), jpeg(240))


@pytest.fixture
async def running(voice: VoiceFactory, smtp_sink: SmtpSink) -> RunningVoice:
    running = await voice(smtp_port=smtp_sink.port)  # Asterisk away: the calls wait
    await running.api.put_site("home", site_body([contact(0), contact(1, email=False)]))
    status, _ = await running.api.post_alert("home", alert_body("photo-1"))
    assert status == 201
    return running


def _inline_photos(message: EmailMessage) -> list[bytes]:
    """The JPEGs of the message's multipart/related part that its HTML names by ``cid:``."""
    (related,) = [part for part in message.walk() if part.get_content_type() == "multipart/related"]
    html_part, *images = related.iter_parts()
    assert html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    found: list[bytes] = []
    for image in images:
        assert image.get_content_type() == "image/jpeg"
        assert image.get_content_disposition() == "inline"
        cid = str(image["Content-ID"]).strip("<>")
        assert f'src="cid:{cid}"' in html
        found.append(image.get_content())
    return found


async def test_the_photos_are_stored_0600_and_mailed_inline_to_the_contacts(
    running: RunningVoice, smtp_sink: SmtpSink
) -> None:
    api = running.api
    status, answer = await api.call("POST", "/api/v1/alerts/photo-1/photos", photos_body(*PHOTOS))
    assert (status, answer) == (201, {"alert_id": "photo-1", "photos": 3})

    photos = running.server.photos
    assert photos is not None
    assert photos.folder.stat().st_mode & 0o777 == 0o700
    files = sorted(photos.folder.iterdir())
    assert len(files) == 3
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)
    assert photos.read("photo-1") == list(PHOTOS)
    rows = running.server.store.conn.execute(
        "SELECT position, size, sha256 FROM alert_photos WHERE alert_id = ? ORDER BY position",
        ("photo-1",),
    ).fetchall()
    assert rows == [(n, len(p), hashlib.sha256(p).hexdigest()) for n, p in enumerate(PHOTOS)]

    # Contact 0 gets the information e-mail and the photos (the outbox sends e-mails side by
    # side: in either order); contact 1 has no address.
    await until(lambda: len(smtp_sink.messages) == 2, within=15)
    photos_subject = "[Maison] Photos de l'alerte : intrusion"
    assert sorted(smtp_sink.subjects("c0@example.org")) == [
        "[Maison] Alerte : intrusion",
        photos_subject,
    ]
    (mail,) = [m for m in smtp_sink.to("c0@example.org") if m["Subject"] == photos_subject]
    assert mail.get_body(("plain",)) is not None
    assert "Porte d'entrée" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert _inline_photos(mail) == list(PHOTOS)


async def test_photos_sent_again_are_not_stored_or_mailed_twice(
    running: RunningVoice, smtp_sink: SmtpSink
) -> None:
    api = running.api
    assert (await api.call("POST", "/api/v1/alerts/photo-1/photos", photos_body(*PHOTOS)))[0] == 201
    status, answer = await api.call("POST", "/api/v1/alerts/photo-1/photos", photos_body(PHOTOS[0]))
    assert (status, answer) == (200, {"alert_id": "photo-1", "photos": 3})
    await until(lambda: len(smtp_sink.messages) == 2, within=15)
    photos = running.server.photos
    assert photos is not None
    assert len(list(photos.folder.iterdir())) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"photos": []}, "photos"),
        ({"photos": ["not base64!"]}, "photos.0"),
        (photos_body(b"\x89PNG\r\n\x1a\n" + b"0" * 64), "photos.0"),  # a PNG is no JPEG
        (photos_body(*[PHOTOS[0]] * (MAX_PHOTOS + 1)), "photos"),
        (photos_body(b"\xff\xd8\xff" + b"0" * MAX_PHOTO_BYTES), "photos.0"),  # over 2 MB
        ({}, "photos"),
    ],
)
async def test_bad_photos_are_refused_and_nothing_is_kept(
    running: RunningVoice, body: dict[str, Any], field: str
) -> None:
    status, answer = await running.api.call("POST", "/api/v1/alerts/photo-1/photos", body)
    assert status == 422, answer
    assert answer["field"] == field
    photos = running.server.photos
    assert photos is not None
    assert photos.count("photo-1") == 0
    assert not photos.folder.exists()


async def test_photos_of_an_unknown_or_misnamed_alert_are_refused(running: RunningVoice) -> None:
    body = photos_body(PHOTOS[0])
    status, answer = await running.api.call("POST", "/api/v1/alerts/nobody/photos", body)
    assert (status, answer["field"]) == (404, "alert_id")
    status, answer = await running.api.call("POST", "/api/v1/alerts/..%2F..%2Fetc/photos", body)
    assert status in {404, 422}
    photos = running.server.photos
    assert photos is not None
    assert not photos.folder.exists()


async def test_the_photos_need_the_token(running: RunningVoice) -> None:
    api = running.api
    async with api.session.post(
        api.base + "/api/v1/alerts/photo-1/photos",
        json=photos_body(PHOTOS[0]),
        headers={"Authorization": "Bearer wrong-token-0123456789abcdef"},
    ) as resp:
        assert resp.status == 401


async def test_the_retention_deletes_the_photos_with_their_alert(running: RunningVoice) -> None:
    api = running.api
    assert (await api.call("POST", "/api/v1/alerts/photo-1/photos", photos_body(*PHOTOS)))[0] == 201
    photos = running.server.photos
    assert photos is not None
    orphan = photos.folder / "left-by-a-crash.jpg"
    orphan.write_bytes(PHOTOS[0])
    assert photos.purge() == 1  # the alert is still there: only the orphan goes
    assert len(list(photos.folder.iterdir())) == 3
    assert (await api.call("POST", "/api/v1/alerts/photo-1/cancel", {}))[0] == 200
    later = datetime.now(UTC) + timedelta(days=400)
    assert running.server.store.purge(retention_days=30, now=later)[0] == 1
    assert photos.purge() == 3
    assert list(photos.folder.iterdir()) == []
    assert photos.count("photo-1") == 0


async def test_without_an_address_the_photos_are_kept_and_nobody_is_mailed(
    voice: VoiceFactory, smtp_sink: SmtpSink
) -> None:
    running = await voice(smtp_port=smtp_sink.port)
    api = running.api
    await api.put_site("home", site_body([contact(0, email=False)]))
    assert (await api.post_alert("home", alert_body("quiet-1")))[0] == 201
    assert (await api.call("POST", "/api/v1/alerts/quiet-1/photos", photos_body(*PHOTOS)))[0] == 201
    photos = running.server.photos
    assert photos is not None
    assert photos.count("quiet-1") == 3
    assert running.server.store.conn.execute("SELECT COUNT(*) FROM outbox_photo").fetchone() == (0,)
    # A file lost on disk (a restored database without its folder) is skipped, with a warning.
    first = sorted(photos.folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)[0]
    first.unlink()
    assert len(photos.read("quiet-1")) == 2
    assert smtp_sink.messages == []
