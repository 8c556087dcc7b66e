"""What the server knows of each browser: a signed cookie names it, the server keeps its uploads and who logged in there.

Gradio's upload route and its queue know no user: ``/gradio_api/upload`` takes files from anyone and an event's
``FileData`` input may name any path. The browser cookie (``adgen_browser``, HttpOnly, set by ``HttpGuard`` on
the first response) is what ties them together:

- an upload is recorded under the browser that made it, and an event's file input is accepted only when its path
  is one of *that browser's* uploads (``owns``): never a server file, another browser's upload or a stored image;
- a login from the UI binds the browser to the account (``bind``) until logout, so uploads can require a
  signed-in browser when guests may not generate, and a browser that has logged into an account before is a
  known device for the login throttle (one attacker cannot lock its owner out, see ``adgen.auth``).

The cookie is an id plus an HMAC of it under a key derived from SECRET_KEY, so ids cannot be made up; it is
no credential (the session token stays in the browser's localStorage and is checked in every handler).
State is in this process: one web replica (Gradio's queue is sticky to its replica anyway); a restart forgets
uploads (they must be made again) and known devices.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from adgen.validation import login_key

COOKIE_NAME: Final = "adgen_browser"
ID_BYTES: Final = 18
MAX_UPLOADS_PER_BROWSER: Final = 50  # oldest forgotten first
MAX_BROWSERS: Final = 100_000  # least recently seen forgotten first


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


@dataclass
class _Browser:
    uploads: OrderedDict[str, float] = field(default_factory=OrderedDict)  # real path -> expiry (monotonic)
    user_id: int | None = None
    known_ids: set[str] = field(default_factory=set)  # login keys (lower-case ids) that logged in successfully here


class BrowserRegistry:
    """Signed browser ids, and per browser: uploads (with an expiry) and the account logged in. Thread-safe."""

    def __init__(self, signing_key: str, *, upload_ttl_s: float) -> None:
        self._key = hashlib.sha256(b"adgen-browser-cookie:" + signing_key.encode()).digest()
        self.upload_ttl_s = upload_ttl_s
        self._lock = threading.Lock()
        self._browsers: OrderedDict[str, _Browser] = OrderedDict()

    # --- the cookie ------------------------------------------------------------------------

    def new_cookie(self) -> tuple[str, str]:
        """A fresh ``(browser id, cookie value)``."""
        browser = _b64(secrets.token_bytes(ID_BYTES))
        return browser, f"{browser}.{self._mac(browser)}"

    def browser_of(self, cookie: str | None) -> str | None:
        """The browser id in a cookie value whose signature holds, else None."""
        if not cookie or len(cookie) > 100 or cookie.count(".") != 1:
            return None
        browser, mac = cookie.split(".")
        return browser if hmac.compare_digest(mac, self._mac(browser)) else None

    def _mac(self, browser: str) -> str:
        return _b64(hmac.new(self._key, browser.encode(), hashlib.sha256).digest()[:18])

    # --- uploads ---------------------------------------------------------------------------

    def record_upload(self, browser: str, path: str | os.PathLike[str]) -> None:
        with self._lock:
            entry = self._entry(browser)
            real = os.path.realpath(path)
            entry.uploads.pop(real, None)
            entry.uploads[real] = time.monotonic() + self.upload_ttl_s
            while len(entry.uploads) > MAX_UPLOADS_PER_BROWSER:
                entry.uploads.popitem(last=False)

    def owns(self, browser: str | None, path: str | os.PathLike[str] | None) -> bool:
        """Whether ``path`` is one of ``browser``'s own uploads, not yet expired (symlinks resolved)."""
        if not browser or not path:
            return False
        real = os.path.realpath(path)
        with self._lock:
            entry = self._browsers.get(browser)
            expiry = entry.uploads.get(real) if entry else None
            return expiry is not None and expiry > time.monotonic() and Path(real).is_file()

    # --- who is logged in --------------------------------------------------------------------

    def bind(self, browser: str | None, user_id: int, login_id: str | None = None) -> None:
        """``user_id`` is logged in in this browser (``login_id`` given: a known device for it from now on)."""
        if not browser:
            return
        with self._lock:
            entry = self._entry(browser)
            entry.user_id = user_id
            if login_id:
                entry.known_ids.add(login_key(login_id))

    def unbind(self, browser: str | None) -> None:
        if not browser:
            return
        with self._lock:
            entry = self._browsers.get(browser)
            if entry is not None:
                entry.user_id = None

    def user_of(self, browser: str | None) -> int | None:
        with self._lock:
            entry = self._browsers.get(browser) if browser else None
            return entry.user_id if entry else None

    def knows(self, browser: str | None, login_id: object) -> bool:
        """Whether ``login_id`` (any letter case) has logged in successfully in this browser before (a known device)."""
        if not isinstance(login_id, str):
            return False
        with self._lock:
            entry = self._browsers.get(browser) if browser else None
            return entry is not None and login_key(login_id) in entry.known_ids

    def _entry(self, browser: str) -> _Browser:
        entry = self._browsers.pop(browser, None) or _Browser()
        self._browsers[browser] = entry  # most recently seen last
        while len(self._browsers) > MAX_BROWSERS:
            self._browsers.popitem(last=False)
        return entry
