"""A camera frame as an alarm photo: a JPEG of at most 640x480, about 150 kB, with Pillow.

Blocking (Pillow decodes and encodes on the CPU): run it in the executor. HA-free.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from .contract.models import JPEG_MAGIC
from .core.photos import TARGET_BYTES, fit

__all__ = ["JPEG_MAGIC", "PhotoError", "encode_photo"]
_QUALITIES = (85, 75, 65, 55, 45, 35)


class PhotoError(ValueError):
    """The camera's frame is not an image Pillow can read."""


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def encode_photo(frame: bytes, target: int = TARGET_BYTES) -> bytes:
    """``frame`` (JPEG, PNG, …) as a JPEG within 640x480, its quality lowered to ``target`` bytes.

    A frame still too big at the lowest quality is shrunk further: a photo always comes out.
    """
    try:
        with Image.open(io.BytesIO(frame)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError) as err:
        raise PhotoError("not an image") from err
    size = fit(*image.size)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    while True:
        for quality in _QUALITIES:
            data = _jpeg(image, quality)
            if len(data) <= target:
                return data
        width, height = image.size
        image = image.resize((max(1, width * 3 // 4), max(1, height * 3 // 4)))
