"""``HttpGuard``: one ASGI middleware in front of the whole app (UI, REST API, health check).

What it enforces, and why here rather than in each route (docs/reliability.md, "Security review"):

- **Browser cookie**: every response to a request without a valid ``adgen_browser`` cookie sets one
  (``BrowserRegistry``); uploads and file inputs are tied to it.
- **Uploads** (``/gradio_api/upload``, Gradio's own route, open to anyone by default): only from a browser with
  the cookie, only when that browser may generate (guests allowed, or an account logged in there), at most
  ``UPLOADS_PER_CLIENT`` per ``UPLOAD_WINDOW_S`` per browser and per address, one file of at most
  ``MAX_UPLOAD_MB`` per request (``Content-Length`` required). Each accepted file is recorded for its browser.
- **Body limits for every route**: ``MAX_REQUEST_KB`` outside uploads and ``/api/v1`` (which has its own,
  photo-sized limit); a declared length over the limit is refused before reading, a chunked body when it passes.
- **Read timeouts**: the next part of a request body must arrive within ``REQUEST_BODY_TIMEOUT_S`` (the header
  timeout is the server protocol's, ``adgen.web.server``).
- **Deep links off**: Gradio's ``/gradio_api/deep_link?session_hash=`` saves any session's state (its token
  included) for whoever names the hash, and ``?deep_link=`` loads it: the route answers 404 and the parameter is
  dropped.
- **Headers**: CSP (scripts and styles from this origin, images only from here, ``frame-ancestors`` from
  ``FRAME_ANCESTORS``), ``X-Frame-Options`` when only this origin may frame, ``nosniff``, a referrer policy, and
  ``Cache-Control: private, no-store`` on the files Gradio serves (private ads).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adgen.auth import LoginThrottle
from adgen.settings import Settings
from adgen.web.browsers import COOKIE_NAME, BrowserRegistry

log = logging.getLogger(__name__)

UPLOAD_PATH: Final = "/gradio_api/upload"
DEEP_LINK_PATH: Final = "/gradio_api/deep_link"
FILE_PREFIX: Final = "/gradio_api/file="
API_PREFIX: Final = "/api/v1"
UPLOAD_OVERHEAD_BYTES: Final = 64 * 1024  # multipart framing around one photo


def upload_body_limit(settings: Settings) -> int:
    """Largest upload body taken: twice the photo limit, so a photo just over it still reaches the handler, which
    explains in the UI's own words how big it is (``check_upload``); anything larger is refused here."""
    photo = int(settings.max_upload_mb * 1024 * 1024)
    return max(2 * photo, photo + 1024 * 1024) + UPLOAD_OVERHEAD_BYTES
COOKIE_MAX_AGE_S: Final = 30 * 86_400


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def client_address(scope: Scope) -> str | None:
    """The client's address as the app sees it (after trusted proxies), or None when unknown."""
    client = scope.get("client")
    host = client[0] if client else None
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None  # a unix socket or a test transport: no address to count by


class HttpGuard:
    def __init__(self, app: ASGIApp, *, settings: Settings, browsers: BrowserRegistry) -> None:
        self.app = app
        self.settings = settings
        self.browsers = browsers
        self.uploads = LoginThrottle()  # a sliding-window counter per key: here, uploads per browser and per address
        self.max_upload_bytes = int(settings.max_upload_mb * 1024 * 1024)
        self.max_upload_body = upload_body_limit(settings)
        self.max_body_bytes = settings.max_request_kb * 1024
        self.csp = (
            # Gradio's front end needs inline scripts and eval (gr.HTML renders through it); what the policy adds is
            # nothing loaded from elsewhere (images in the chat included), no plugins, no foreign framing or forms.
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "worker-src 'self' blob:; "  # ReDoc's search runs in a worker made from a blob
            f"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {settings.frame_ancestors}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        browser = self.browsers.browser_of(_cookie(scope, COOKIE_NAME))
        new_cookie = None
        if browser is None:
            browser, new_cookie = self.browsers.new_cookie()
        send = self._with_headers(scope, send, new_cookie)
        try:
            if path == DEEP_LINK_PATH or path.startswith(DEEP_LINK_PATH + "/"):
                raise _Refused(404, "not_found", "요청한 항목을 찾을 수 없습니다.")
            if b"deep_link" in scope.get("query_string", b""):
                scope = dict(scope, query_string=_without_param(scope["query_string"], "deep_link"))
            if path == UPLOAD_PATH or path == UPLOAD_PATH + "/":
                await self._upload(scope, receive, send, browser if new_cookie is None else None)
                return
            if path.startswith(API_PREFIX + "/") or path == API_PREFIX:
                limit = None  # the REST API has its own limit, sized for a photo (adgen.api.BodySizeLimit)
            else:
                limit = self.max_body_bytes
            await self._forward(scope, receive, send, limit)
        except _Refused as refused:
            await self._refuse(scope, send, refused)

    # --- pieces ------------------------------------------------------------------------------

    async def _forward(self, scope: Scope, receive: Receive, send: Send, limit: int | None) -> None:
        """Call the app with the body limit and read timeout applied; a refusal replaces a response not yet started."""
        declared = Headers(scope=scope).get("content-length", "")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            raise _Refused(413, "request_too_large", "요청 본문이 너무 큽니다.")
        refused: list[_Refused] = []
        started = False
        received = 0
        body_done = scope.get("method") in ("GET", "HEAD", "OPTIONS")
        timeout = self.settings.request_body_timeout_s

        async def guarded_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout)
            except TimeoutError:
                refused.append(_Refused(408, "request_timeout", "요청을 받는 데 시간이 너무 오래 걸렸습니다. 다시 시도해 주세요."))
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if limit is not None and received > limit:
                    refused.append(_Refused(413, "request_too_large", "요청 본문이 너무 큽니다."))
                    return {"type": "http.disconnect"}
            else:
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the app's answer to a refused body is replaced below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not refused:
                raise
        if refused and not started:
            raise refused[0]
        if refused:
            log.info("%s %s: body refused after the response began (%s)", scope.get("method"), scope.get("path"), refused[0].code)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, browser: str | None) -> None:
        address = client_address(scope)
        if scope.get("method") != "POST":
            raise _Refused(405, "method_not_allowed", "허용되지 않는 요청 방식입니다.")
        if browser is None:
            raise _Refused(403, "upload_refused", "사진을 올릴 수 없습니다. 페이지를 새로 고친 뒤 다시 올려 주세요.")
        if not self.settings.allow_guest and self.browsers.user_of(browser) is None:
            raise _Refused(401, "auth_required", "로그인한 뒤 사진을 올려 주세요.")
        declared = Headers(scope=scope).get("content-length", "")
        if not declared.isdigit():
            raise _Refused(411, "length_required", "사진 파일 크기를 알 수 없습니다. 다시 올려 주세요.")
        if int(declared) > self.max_upload_body:
            mb = self.max_upload_bytes // (1024 * 1024)
            raise _Refused(413, "upload_too_large", f"사진 용량이 너무 큽니다. {mb}MB 이하로 올려 주세요.")
        keys = [f"upload-browser:{browser}"] + ([f"upload-address:{address}"] if address else [])
        window, now = float(self.settings.upload_window_s), time.monotonic()
        # Checked and counted in one step: uploads sent at once cannot all pass before any is counted.
        if not self.uploads.acquire([(k, self.settings.uploads_per_client) for k in keys], window_s=window, now=now):
            raise _Refused(429, "too_many_uploads", "사진을 너무 자주 올렸어요. 잠시 후 다시 올려 주세요.")

        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._forward(scope, receive, capture, self.max_upload_body)
        if start is None:
            raise _Refused(500, "internal_error", "사진을 올리지 못했습니다. 다시 올려 주세요.")
        body = b"".join(chunks)
        if start["status"] == 200:
            try:
                paths = json.loads(body)
            except ValueError:
                paths = None
            if not isinstance(paths, list) or len(paths) != 1 or not isinstance(paths[0], str):
                for p in paths if isinstance(paths, list) else []:
                    _remove_upload(p)
                raise _Refused(400, "one_file_per_upload", "사진은 한 번에 한 장만 올릴 수 있어요.")
            self.browsers.record_upload(browser, paths[0])
        elif start["status"] == 413:
            mb = self.max_upload_bytes // (1024 * 1024)
            raise _Refused(413, "upload_too_large", f"사진 용량이 너무 큽니다. {mb}MB 이하로 올려 주세요.")
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        headers["content-length"] = str(len(body))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    async def _refuse(self, scope: Scope, send: Send, refused: _Refused) -> None:
        path = scope.get("path", "")
        log.info("%s %s -> %d %s", scope.get("method"), path[:200], refused.status, refused.code)
        if path.startswith(API_PREFIX):
            body = json.dumps({"error": {"code": refused.code, "message": refused.message}}, ensure_ascii=False).encode()
            media = "application/json"
        else:
            # Gradio's front end shows a refused upload's body as the error text: plain Korean words.
            body, media = refused.message.encode(), "text/plain; charset=utf-8"
        headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                   (b"x-adgen-error", refused.code.encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": refused.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _with_headers(self, scope: Scope, send: Send, new_cookie: str | None) -> Callable[[Message], Awaitable[None]]:
        path: str = scope.get("path", "")
        secure = scope.get("scheme") == "https"
        framed = self.settings.frame_ancestors.strip() not in ("'self'", "'none'")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "same-origin"
                headers["permissions-policy"] = "camera=(), microphone=(), geolocation=()"
                headers["content-security-policy"] = self.csp  # the API docs are served from here too (adgen.web.api_docs)
                if not framed:
                    headers["x-frame-options"] = "DENY" if self.settings.frame_ancestors.strip() == "'none'" else "SAMEORIGIN"
                if path.startswith(FILE_PREFIX):
                    headers["cache-control"] = "private, no-store"
                if new_cookie is not None:
                    # Framed by another site (Spaces): the cookie must be sent in a third-party frame. The page there is
                    # always https to the browser (the proxy ends TLS), even when this app sees http behind it.
                    same_site = "None; Secure; Partitioned" if framed else "Lax" + ("; Secure" if secure else "")
                    headers.append(
                        "set-cookie", f"{COOKIE_NAME}={new_cookie}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; SameSite={same_site}"
                    )
            await send(message)

        return send_with_headers


def _cookie(scope: Scope, name: str) -> str | None:
    raw = Headers(scope=scope).get("cookie")
    if not raw or len(raw) > 8192:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _without_param(query: bytes, name: str) -> bytes:
    pairs = [(k, v) for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k != name]
    return urlencode(pairs).encode("latin-1")


def _remove_upload(path: Any) -> None:
    if isinstance(path, str):
        try:
            os.remove(path)
        except OSError:
            pass


def _trusted(settings: Settings) -> list[str]:
    return [h.strip() for h in settings.trusted_proxies.split(",") if h.strip()]


def guarded(asgi: ASGIApp, *, settings: Settings, browsers: BrowserRegistry) -> ASGIApp:
    """``asgi`` behind the trusted-proxy rewrite and the guard (for an app that is already built: Gradio's own server)."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    return ProxyHeadersMiddleware(HttpGuard(asgi, settings=settings, browsers=browsers), trusted_hosts=_trusted(settings))  # type: ignore[arg-type]


def guard_app(app: Any, *, settings: Settings, browsers: BrowserRegistry) -> None:
    """Install the guard and the trusted-proxy address rewrite on ``app`` (a FastAPI/Starlette app not yet started).

    The proxy rewrite runs first (outermost), so every address the app and the guard see is the client's.
    """
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    app.add_middleware(HttpGuard, settings=settings, browsers=browsers)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=_trusted(settings))
    app.state.browsers = browsers
