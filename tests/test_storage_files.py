"""Content-addressed files: hashing, atomic writes, paths that requests cannot steer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from adgen import storage
from adgen.errors import NotFoundError, StorageError


def test_write_png_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    image = Image.new("RGB", (40, 30), (1, 2, 3))
    first = storage.write_png(tmp_path, image)
    again = storage.write_png(tmp_path, image.copy())
    assert first.created and not again.created
    assert first.hash == again.hash == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert first.url == f"/api/v1/images/{first.hash}.png"
    assert first.path == tmp_path / first.hash[:2] / f"{first.hash}.png"
    assert not [p for p in first.path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_different_pixels_different_hash(tmp_path: Path) -> None:
    a = storage.write_png(tmp_path, Image.new("RGB", (8, 8), (0, 0, 0)))
    b = storage.write_png(tmp_path, Image.new("RGB", (8, 8), (0, 0, 1)))
    assert a.hash != b.hash


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "ABCDEF" * 10 + "abcd", "a" * 63, "a" * 65, "", "g" * 64],
)
def test_path_for_refuses_anything_but_a_hash(tmp_path: Path, name: str) -> None:
    with pytest.raises(NotFoundError):
        storage.path_for(tmp_path, name)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/v1/images/" + "a" * 64 + ".png", "a" * 64),
        ("/api/v1/images/../x.png", None),
        ("https://evil.example/" + "a" * 64 + ".png", None),
        (None, None),
    ],
)
def test_hash_from_url(url: str | None, expected: str | None) -> None:
    assert storage.hash_from_url(url) == expected


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StorageError):
        storage.write_png(blocker, Image.new("RGB", (8, 8)))


def test_load_image_missing_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        storage.load_image(tmp_path, "0" * 64)
