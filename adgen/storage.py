"""Content-addressed image storage.

A file's name is the SHA-256 of its PNG bytes (``file_hash``), so the same picture is stored once,
its URL never changes, and a request can only ever name a file by a 64-hex-digit hash: no path
from a request reaches the file system.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image
from sqlalchemy.engine import Engine

from adgen.errors import NotFoundError, StorageError

log = logging.getLogger(__name__)

HASH_RE = re.compile(r"^[0-9a-f]{64}$")
URL_PREFIX = "/api/v1/images/"
FileType = Literal["input", "generated"]


@dataclass(frozen=True)
class StoredImage:
    hash: str
    path: Path
    url: str
    created: bool  # False when the same picture was already stored

    def as_dict(self) -> dict[str, str]:
        return {"hash": self.hash, "path": str(self.path), "url": self.url}


def image_url(file_hash: str) -> str:
    return f"{URL_PREFIX}{file_hash}.png"


def hash_from_url(url: str | None) -> str | None:
    """The file hash inside one of our image URLs, or None for anything else."""
    if not url or not url.startswith(URL_PREFIX) or not url.endswith(".png"):
        return None
    candidate = url[len(URL_PREFIX) : -len(".png")]
    return candidate if HASH_RE.fullmatch(candidate) else None


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    # No timestamps or text chunks: the same pixels always give the same bytes and hash.
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def path_for(images_dir: Path, file_hash: str) -> Path:
    if not HASH_RE.fullmatch(file_hash):
        raise NotFoundError()
    return images_dir / file_hash[:2] / f"{file_hash}.png"


def write_png(images_dir: Path, image: Image.Image) -> StoredImage:
    """Write the image atomically under its hash (temp file in the same folder, fsync, rename)."""
    data = png_bytes(image)
    file_hash = hashlib.sha256(data).hexdigest()
    path = path_for(images_dir, file_hash)
    if path.exists():
        return StoredImage(file_hash, path, image_url(file_hash), created=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.error("image write failed: %s (%s)", path, exc)
        raise StorageError(context=str(exc)) from exc
    return StoredImage(file_hash, path, image_url(file_hash), created=True)


def save_image(
    image: Image.Image, user_id: int | None, file_type: FileType, *, engine: Engine, images_dir: Path
) -> StoredImage:
    """Store a PNG and record it in ``image_matching`` (and its owner). Idempotent."""
    from db import crud
    from db.engine import session_scope

    stored = write_png(images_dir, image)
    try:
        with session_scope(engine) as session:
            crud.save_image_matching(
                session,
                file_hash=stored.hash,
                file_directory=str(stored.path.parent),
                file_type=file_type,
                user_id=user_id,
            )
    except Exception:
        # A file nobody references is an orphan: remove what we just created, keep what was there.
        if stored.created:
            stored.path.unlink(missing_ok=True)
        raise
    return stored


def load_image(images_dir: Path, file_hash: str) -> Image.Image:
    path = path_for(images_dir, file_hash)
    if not path.is_file():
        raise NotFoundError()
    with Image.open(path) as im:
        return im.convert("RGB")
