"""Upload guard: size, format, decompression bombs, EXIF orientation."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from adgen.errors import InvalidUploadError
from adgen.uploads import load_upload, megapixels

MB = 1024 * 1024


def encode(image: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def huge_png_header(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims width x height pixels (a decompression bomb)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_accepts_allowed_formats(fmt: str) -> None:
    data = encode(Image.new("RGB", (64, 48), (200, 30, 30)), fmt)
    image = load_upload(data, max_bytes=MB, max_pixels=10_000_000)
    assert image.size == (64, 48)
    assert image.mode == "RGB"


def test_transparent_png_is_flattened_on_white() -> None:
    data = encode(Image.new("RGBA", (32, 32), (0, 0, 0, 0)), "PNG")
    image = load_upload(data, max_bytes=MB, max_pixels=10_000_000)
    assert image.getpixel((5, 5)) == (255, 255, 255)


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    data = encode(Image.new("RGB", (80, 40), (10, 120, 10)), "JPEG", exif=exif.tobytes())
    image = load_upload(data, max_bytes=MB, max_pixels=10_000_000)
    assert image.size == (40, 80)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_upload"),
        (b"this is not an image at all, just text named .png", "unsupported_upload"),
        (b"%PDF-1.4\n" + b"0" * 200, "unsupported_upload"),
        (encode(Image.new("RGB", (20, 20)), "GIF"), "unsupported_upload"),
        (encode(Image.new("RGB", (20, 20)), "BMP"), "unsupported_upload"),
        (huge_png_header(50_000, 50_000), "upload_dimensions"),
        (huge_png_header(8, 8), "upload_dimensions"),
        (encode(Image.new("RGB", (64, 64)), "PNG")[:60], "unsupported_upload"),
    ],
    ids=["empty", "text", "pdf", "gif", "bmp", "bomb", "too-small", "truncated"],
)
def test_rejects_bad_uploads_with_korean_message(data: bytes, code: str) -> None:
    with pytest.raises(InvalidUploadError) as err:
        load_upload(data, max_bytes=MB, max_pixels=40_000_000)
    assert err.value.code == code
    assert any("\uac00" <= ch <= "\ud7a3" for ch in err.value.message), err.value.message


def test_rejects_oversized_upload_before_decoding() -> None:
    data = encode(Image.new("RGB", (16, 16)), "PNG") + b"\x00" * (2 * MB)
    with pytest.raises(InvalidUploadError) as err:
        load_upload(data, max_bytes=MB, max_pixels=40_000_000)
    assert err.value.code == "upload_too_large"


def test_pixel_limit_is_said_the_korean_way() -> None:
    with pytest.raises(InvalidUploadError) as err:
        load_upload(huge_png_header(50_000, 50_000), max_bytes=MB, max_pixels=40_000_000)
    assert "4천만 화소 이하" in err.value.message and "백만" not in err.value.message
    assert [megapixels(n) for n in (12_000_000, 10_000_000, 100_000_000)] == ["1,200만 화소", "1천만 화소", "1억 화소"]
