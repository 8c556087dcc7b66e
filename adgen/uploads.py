"""Product-photo uploads: size limit, allowed formats, decompression-bomb guard, EXIF orientation.

Everything a user uploads passes through ``load_upload`` before any other code sees it.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

from adgen.errors import InvalidUploadError

log = logging.getLogger(__name__)

ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})


def megapixels(pixels: int) -> str:
    """A pixel count as Koreans say it: 40,000,000 → "4천만 화소", 12,000,000 → "1,200만 화소"."""
    man = pixels // 10_000
    if man >= 10_000 and man % 10_000 == 0:
        return f"{man // 10_000}억 화소"
    if 0 < man < 10_000 and man % 1000 == 0:
        return f"{man // 1000}천만 화소"
    return f"{man:,}만 화소"


def check_upload(data: bytes, *, max_bytes: int, max_pixels: int) -> tuple[str, int, int]:
    """Size, format and pixel count from the file's header, without decoding it: ``(format, width, height)``.

    Raises ``InvalidUploadError`` (Korean message) for anything ``load_upload`` would refuse before decoding.
    """
    if not data:
        raise InvalidUploadError("빈 파일입니다. 상품 사진을 다시 올려 주세요.", code="empty_upload")
    if len(data) > max_bytes:
        raise InvalidUploadError(
            f"사진 용량이 너무 큽니다. {max_bytes // (1024 * 1024)}MB 이하로 올려 주세요. (현재 {len(data) / 1024 / 1024:.1f}MB)",
            code="upload_too_large",
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns before it raises on bombs; treat both as a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        log.info("rejected upload: decompression bomb (%d bytes)", len(data))
        raise InvalidUploadError(
            f"사진 크기가 너무 큽니다. {megapixels(max_pixels)} 이하 사진을 올려 주세요.", code="upload_dimensions"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        log.info("rejected upload: cannot identify image (%s, %d bytes)", type(exc).__name__, len(data))
        raise InvalidUploadError("이미지 파일이 아닙니다. PNG, JPEG 또는 WEBP 사진을 올려 주세요.", code="unsupported_upload") from None
    if fmt not in ALLOWED_FORMATS:
        raise InvalidUploadError(
            f"지원하지 않는 이미지 형식입니다({fmt}). PNG, JPEG 또는 WEBP 사진을 올려 주세요.", code="unsupported_upload"
        )
    # Checked from the header before decoding: a 50k x 50k PNG of a few KB must never be decoded.
    if width * height > max_pixels or width < 16 or height < 16:
        raise InvalidUploadError(
            f"사진 크기({width}x{height})를 처리할 수 없습니다. 16px 이상, {megapixels(max_pixels)} 이하 사진을 올려 주세요.",
            code="upload_dimensions",
        )
    return fmt, width, height


def load_upload(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """Decode an uploaded photo into an RGB image with its EXIF orientation applied.

    The header is checked first (``check_upload``): a 50k x 50k PNG of a few KB is never decoded.
    Raises ``InvalidUploadError`` (Korean message) for anything that is not a usable photo.
    """
    check_upload(data, max_bytes=max_bytes, max_pixels=max_pixels)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        image = ImageOps.exif_transpose(image)
    except Exception as exc:  # truncated or corrupt data past the header
        log.info("rejected upload: decode failed (%s)", exc)
        raise InvalidUploadError("손상된 이미지 파일입니다. 다른 사진을 올려 주세요.", code="unsupported_upload") from None
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


@dataclass
class PhotoDecoder:
    """Decodes uploads with the configured limits, at most ``concurrency`` at once across the process.

    A 40-megapixel photo takes seconds and hundreds of MB to decode: callers run this in a worker thread (never
    on the event loop), and the semaphore keeps many such uploads at once from exhausting memory. Each request
    decodes its photo once; checks before that read only the header (``check``).
    """

    max_bytes: int
    max_pixels: int
    concurrency: int = 2
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.concurrency)

    def check(self, data: bytes) -> tuple[str, int, int]:
        return check_upload(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)

    def decode(self, data: bytes) -> Image.Image:
        self.check(data)  # refuse before waiting for a slot
        with self._slots:
            return load_upload(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
