"""The photo rules: sizes, keeping, and the station's verification links (clock injected)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import io

from PIL import Image
import pytest

from custom_components.imaprotect.core.photos import (
    LINK_VALIDITY,
    TARGET_BYTES,
    VerificationLinks,
    expired,
    fit,
)
from custom_components.imaprotect.photo_codec import JPEG_MAGIC, PhotoError, encode_photo
from custom_components.imaprotect.station.xdata import url_block

NOW = datetime(2026, 12, 3, 14, 32, tzinfo=UTC)


@pytest.mark.parametrize(
    ("size", "fitted"),
    [
        ((1920, 1080), (640, 360)),  # wide: the width decides
        ((1440, 1920), (360, 480)),  # tall: the height decides
        ((640, 480), (640, 480)),
        ((320, 240), (320, 240)),  # never enlarged
        ((10000, 1), (640, 1)),  # at least one pixel
    ],
)
def test_fit_keeps_the_ratio_within_640_by_480(
    size: tuple[int, int], fitted: tuple[int, int]
) -> None:
    assert fit(*size) == fitted


def test_fit_refuses_an_empty_frame() -> None:
    with pytest.raises(ValueError, match="positive"):
        fit(0, 480)


def test_a_photo_expires_when_its_days_are_over() -> None:
    keep = timedelta(days=30)
    assert not expired(NOW, NOW + keep - timedelta(seconds=1), keep)
    assert expired(NOW, NOW + keep, keep)


def test_a_link_opens_its_set_for_two_hours_only() -> None:
    links = VerificationLinks()
    token = links.issue("set-1", NOW)
    assert len(token) == 43  # token_urlsafe(32): 256 random bits
    assert links.resolve(token, NOW) == "set-1"
    assert links.resolve(token, NOW + LINK_VALIDITY - timedelta(seconds=1)) == "set-1"
    assert links.resolve(token, NOW + LINK_VALIDITY) is None


def test_a_wrong_token_opens_nothing_and_two_links_are_apart() -> None:
    links = VerificationLinks()
    first = links.issue("set-1", NOW)
    second = links.issue("set-2", NOW)
    assert first != second
    assert links.resolve(second, NOW) == "set-2"
    assert links.resolve(first[:-1] + ("A" if first[-1] != "A" else "B"), NOW) is None
    assert links.resolve("", NOW) is None


def test_links_are_stored_as_digests_and_expired_ones_are_pruned() -> None:
    links = VerificationLinks()
    token = links.issue("set-1", NOW)
    stored = links.stored()
    assert token not in str(stored)
    again = VerificationLinks()
    again.load(stored | {"broken": ["only one"], "bad-date": ["set-2", "tomorrow"]})
    assert again.resolve(token, NOW) == "set-1"
    assert set(again.stored()) == set(stored)  # the unreadable ones were dropped
    links.issue("set-2", NOW + LINK_VALIDITY)  # issuing prunes what expired
    assert len(links.stored()) == 1


def test_the_link_fits_a_dc09_verification_block() -> None:
    token = VerificationLinks().issue("set-1", NOW)
    url = f"https://maison.example.org:8123/api/imaprotect/v/{token}"
    block = url_block(url)
    assert block is not None
    assert block.pack() == f"[V{url}]".encode()


def _frame(size: tuple[int, int], image_format: str = "JPEG", *, noise: bool = True) -> bytes:
    image = Image.effect_noise(size, 90).convert("RGB") if noise else Image.new("RGB", size)
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()


def test_a_big_detailed_frame_comes_out_within_640_by_480_and_150_kb() -> None:
    photo = encode_photo(_frame((2560, 1920)))
    assert photo.startswith(JPEG_MAGIC)
    assert len(photo) <= TARGET_BYTES
    with Image.open(io.BytesIO(photo)) as image:
        assert image.size[0] <= 640
        assert image.size[1] <= 480


def test_a_png_frame_becomes_a_jpeg_of_its_own_size() -> None:
    photo = encode_photo(_frame((320, 240), "PNG", noise=False))
    with Image.open(io.BytesIO(photo)) as image:
        assert image.format == "JPEG"
        assert image.size == (320, 240)


def test_a_frame_that_is_no_image_is_refused() -> None:
    with pytest.raises(PhotoError):
        encode_photo(b"\xff\xd8\xff not a jpeg")


def test_a_frame_too_detailed_for_its_target_is_shrunk_until_it_fits() -> None:
    photo = encode_photo(_frame((640, 480)), target=8 * 1024)
    assert len(photo) <= 8 * 1024
    with Image.open(io.BytesIO(photo)) as image:
        assert image.size[0] < 640  # the lowest quality was not enough: smaller, same ratio
        assert abs(image.size[0] / image.size[1] - 640 / 480) < 0.02
