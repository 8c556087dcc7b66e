"""Fixtures for the security tests: the live REST API (tests/api/conftest.py) with a 1 MB upload limit,
so oversized bodies are cheap to send, and two users: a victim with a finished ad and an attacker."""

from __future__ import annotations

import http.client
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine, text

from adgen import storage
from adgen.settings import Settings
from tests.api import conftest as api_conftest
from tests.api.conftest import signup_login
from tests.api.test_api import wait_task

UPLOAD_LIMIT_MB = 1.0

# The live server and its runtime, as tests/api builds them (with the settings below).
runtime = api_conftest.runtime
api = api_conftest.api


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory(max_upload_mb=UPLOAD_LIMIT_MB)


def png_bytes(size: tuple[int, int] = (96, 128), color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Victim:
    user_id: int
    headers: dict[str, str]
    task_id: str
    session_id: str
    final_hash: str
    bare_hash: str
    input_hash: str


@pytest.fixture
def victim(api: httpx.Client, engine: Engine) -> Victim:
    """A user with one finished ad made from a product photo (input, bare and final images stored)."""
    user = signup_login(api, "victim01")
    r = api.post(
        "/ads",
        data={"input_text": "수제 케이크 전문점 오픈", "aspect_ratio": "1:1"},
        files={"image": ("cake.png", png_bytes(), "image/png")},
        headers=user["headers"],
    )
    assert r.status_code == 202, r.text
    accepted = r.json()
    task = wait_task(api, accepted["task_id"], user["headers"])
    assert task["status"] == "completed", task
    with engine.connect() as conn:
        input_hash = conn.execute(text("SELECT file_hash FROM image_matching WHERE file_type = 'input'")).scalar_one()
    return Victim(
        user_id=user["user_id"],
        headers=user["headers"],
        task_id=accepted["task_id"],
        session_id=accepted["session_id"],
        final_hash=storage.hash_from_url(task["result"]["image_url"]) or "",
        bare_hash=storage.hash_from_url(task["result"]["bare_image_url"]) or "",
        input_hash=input_hash,
    )


@pytest.fixture
def attacker(api: httpx.Client) -> dict[str, Any]:
    return signup_login(api, "mallory01")


def raw_request(api: httpx.Client, method: str, target: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """Send ``target`` byte for byte (httpx would resolve ``../`` before sending it)."""
    url = urlsplit(str(api.base_url))
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        conn.request(method, url.path.rstrip("/") + target, headers=headers or {})
        raw = conn.getresponse()
        return httpx.Response(raw.status, headers=raw.getheaders(), content=raw.read())
    finally:
        conn.close()


def multipart(parts: list[tuple[str, bytes | str, str | None]], boundary: str = "AdGenBoundary7MA4YWxk") -> tuple[bytes, dict[str, str]]:
    """A multipart body written by hand: (field name, value, filename or None). Any bytes may go in a filename."""
    out = io.BytesIO()
    for name, value, filename in parts:
        out.write(f"--{boundary}\r\n".encode())
        disposition = f'Content-Disposition: form-data; name="{name}"'.encode()
        if filename is not None:
            disposition += b'; filename="' + filename.encode("utf-8", "surrogateescape") + b'"'
        out.write(disposition + b"\r\n")
        if filename is not None:
            out.write(b"Content-Type: image/png\r\n")
        out.write(b"\r\n")
        out.write(value.encode() if isinstance(value, str) else value)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"content-type": f"multipart/form-data; boundary={boundary}"}
