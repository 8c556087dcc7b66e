"""Regression tests for the medium and low findings of the security review (issue 14), over real HTTP."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from adgen.admission import JobCaps
from adgen.errors import TooManyJobsError
from adgen.logging_setup import CappedFormatter, fingerprint, shorten
from adgen.settings import Settings
from adgen.ui import AdGenUI, chat_text, copy_markdown
from adgen.web.browsers import BrowserRegistry
from adgen.web.guard import guard_app
from adgen.web.server import MaskSessionHashes, install_log_filters
from tests.live_server import serve
from tests.ui.conftest import Driver, browser_cookie
from tests.ui.test_ui_files import call_event, paths_in

# --- headers, cache, framing (low) ---------------------------------------------------------------


def test_every_response_carries_the_security_headers(base_url: str, driver: Driver, ui: AdGenUI) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for path in ("/", "/config", "/healthz-missing", "/gradio_api/info"):
            r = client.get(path)
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert r.headers["x-frame-options"] == "SAMEORIGIN", path
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'self'" in csp and "img-src 'self' data: blob:" in csp and "object-src 'none'" in csp
        assert client.get("/monitoring/summary").status_code == 403  # Gradio's analytics are not public
        first = httpx.get(f"{base_url}/", timeout=30)  # a browser without the cookie yet
        assert "HttpOnly" in first.headers["set-cookie"] and "SameSite=Lax" in first.headers["set-cookie"]
    demo = ui.demo
    assert demo is not None
    fn_index = next(i for i, f in demo.fns.items() if f.api_name == "generate")
    data = [None, "카페 신메뉴 딸기라떼 홍보", None, None, "1:1", "both", "auto", "auto", 1, None]  # token, text, session, state, ...
    messages = call_event(base_url, fn_index, True, data, browser_cookie(base_url))
    image_url = next(u for m in messages for u in paths_in(m.get("output", {})) if "/gradio_api/file=" in u)
    with httpx.Client(timeout=30) as client:
        r = client.get(image_url)
        assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("ui_settings", [{"frame_ancestors": "'self' https://huggingface.co"}], indirect=True)
def test_a_space_may_frame_the_app(base_url: str) -> None:
    r = httpx.get(f"{base_url}/", timeout=30)
    assert "frame-ancestors 'self' https://huggingface.co" in r.headers["content-security-policy"]
    assert "x-frame-options" not in r.headers  # it cannot name another site; the CSP does
    # The browser cookie must reach the app inside huggingface.co's frame (a third-party context), also when the app
    # sees plain http behind the Space's proxy.
    assert "SameSite=None; Secure; Partitioned" in r.headers["set-cookie"]


# --- body limits and read timeouts (M2, slowloris) ------------------------------------------------


@pytest.mark.parametrize("ui_settings", [{"max_request_kb": 64, "request_body_timeout_s": 0.5}], indirect=True)
def test_bodies_are_limited_and_timed_on_every_route(base_url: str) -> None:
    big = b"{" + b" " * (65 * 1024) + b"}"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        r = client.post("/gradio_api/queue/join", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.headers["x-adgen-error"] == "request_too_large" and "너무 큽니다" in r.text

        def chunks() -> Any:
            for _ in range(80):
                yield b" " * 1024

        r = client.post("/gradio_api/queue/join", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413  # chunked: counted as it arrives
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    with socket.create_connection((host, port), timeout=10) as sock:  # promises 100 bytes, sends 1, then waits
        sock.sendall(b"POST /gradio_api/queue/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        started = time.monotonic()
        reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 5


def test_a_client_that_never_finishes_its_headers_is_cut_off(ui: AdGenUI, ui_settings: Settings) -> None:
    from tests.ui.conftest import ui_app

    with serve(ui_app(ui, ui_settings), header_timeout_s=0.5) as base:
        host, port = urlsplit(base).hostname, urlsplit(base).port
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n")
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 5:
                try:
                    sock.sendall(b"X-a: b\r\n")  # a header line now and then: each would reset a keep-alive timer
                    time.sleep(0.1)
                except OSError:
                    closed = True
                    break
                sock.settimeout(0.01)
                try:
                    if sock.recv(1) == b"":
                        closed = True
                        break
                except TimeoutError:
                    pass
            assert closed and time.monotonic() - started < 3


# --- logs (M3, session hashes) --------------------------------------------------------------------


def test_refused_logins_log_no_user_value_whole(driver: Driver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adgen")
    huge, typed_password = "x" * 200_000, "MySecret-Pw-77"
    for login_id in (huge, typed_password):
        driver.call("login", login_id, "whatever-123")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert typed_password not in logged and "x" * 100 not in logged
    assert fingerprint(typed_password) in logged  # still traceable by an operator
    assert max(len(r.getMessage()) for r in caplog.records) < 2000


def test_log_helpers_cut_and_mask() -> None:
    assert shorten("a" * 1000).endswith("…(len 1000)") and len(shorten("a" * 1000)) < 80
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("y" * 10_000,), None)
    assert len(CappedFormatter("%(message)s").format(record)) < 4100
    access = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4:5", "GET", "/gradio_api/queue/data?session_hash=abc123def&x=1", "1.1", 200), None)  # fmt: skip
    MaskSessionHashes().filter(access)
    assert "abc123def" not in access.getMessage() and "session_hash=***" in access.getMessage()
    beat = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/gradio_api/heartbeat/abc123def",), None)
    MaskSessionHashes().filter(beat)
    assert "abc123def" not in beat.getMessage()
    install_log_filters()
    assert any(isinstance(f, MaskSessionHashes) for f in logging.getLogger("uvicorn.access").filters)


# --- trusted proxies (M4) -------------------------------------------------------------------------


def _echo_client_app(settings: Settings) -> FastAPI:
    app = FastAPI()

    @app.get("/who")
    def who(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.client.host if request.client else "")

    guard_app(app, settings=settings, browsers=BrowserRegistry("k" * 40, upload_ttl_s=60))
    return app


@pytest.mark.parametrize(
    ("trusted", "forwarded", "seen"),
    [
        ("", "203.0.113.9", "127.0.0.1"),  # no trusted proxy: the header is the client's own words
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),  # nginx on this host appends the real address
        ("127.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # a forged entry before the proxy's: ignored
        ("127.0.0.1,10.0.0.0/8", "203.0.113.9, 10.1.2.3", "203.0.113.9"),  # two proxies: the right-most untrusted
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(settings_factory: Callable[..., Settings], trusted: str,
                                                            forwarded: str, seen: str) -> None:  # fmt: skip
    with serve(_echo_client_app(settings_factory(trusted_proxies=trusted))) as base:
        assert httpx.get(f"{base}/who", headers={"X-Forwarded-For": forwarded}, timeout=30).text == seen


# --- job caps (M5) --------------------------------------------------------------------------------


def test_job_caps_per_user_guest_and_all_guests(settings_factory: Callable[..., Settings]) -> None:
    caps = JobCaps(settings_factory(max_jobs_per_user=2, max_jobs_per_guest=1, max_guest_jobs=3))
    user = caps.limits(user_id=7, browser="b1", address="1.2.3.4")
    held = [caps.take(user), caps.take(user)]
    with pytest.raises(TooManyJobsError):
        caps.take(user)
    caps.take(caps.limits(user_id=8, browser=None, address=None))  # another account is not affected
    caps.give_back(held.pop())
    caps.take(user)
    guest = caps.take(caps.limits(user_id=None, browser="g1", address="5.6.7.8"))
    with pytest.raises(TooManyJobsError):
        caps.take(caps.limits(user_id=None, browser="g1", address="5.6.7.9"))  # the same guest browser
    caps.take(caps.limits(user_id=None, browser="g2", address="5.6.7.8"))  # the same address holds two
    with pytest.raises(TooManyJobsError):
        caps.take(caps.limits(user_id=None, browser="g3", address="5.6.7.8"))
    caps.take(caps.limits(user_id=None, browser="g4", address=None))
    with pytest.raises(TooManyJobsError):  # all guests: 3
        caps.take(caps.limits(user_id=None, browser="g5", address=None))
    caps.bind("event-1", guest)
    caps.release_event("event-1")
    caps.take(caps.limits(user_id=None, browser="g5", address=None))


def test_a_user_at_the_cap_is_told_and_nothing_is_queued(driver: Driver, ui: AdGenUI, ui_settings: Settings, base_url: str) -> None:
    from adgen import auth

    token = driver.signup("busy0001")
    user_id = auth.verify_token(token, engine=ui.ctx.engine, settings=ui_settings)
    caps = ui.runtime.caps
    held = [caps.take(caps.limits(user_id=user_id, browser=None, address=None)) for _ in range(ui_settings.max_jobs_per_user)]
    demo = ui.demo
    assert demo is not None
    fn_index = next(i for i, f in demo.fns.items() if f.api_name == "generate")
    data = [token, "카페 신메뉴 홍보", None, None, "1:1", "both", "auto", "auto", 1, None]
    refused = call_event(base_url, fn_index, True, data, browser_cookie(base_url))
    assert refused[0]["status"] == 400 and "이미 만들고 있는 광고가 있어요" in refused[0]["body"]  # not queued at all
    with pytest.raises(Exception, match="이미 만들고 있는 광고가 있어요"):  # the pre-check's toast, before queueing
        ui.precheck(token, "카페 신메뉴 홍보", None, None, SimpleNamespace(cookies={}, session_hash="s", client=None))
    for ticket in held:
        caps.give_back(ticket)
    assert driver.generate(token, "카페 신메뉴 홍보")[ui.copy_box]
    assert caps.held_count(f"user:{user_id}") == 0  # the queued event's ticket came back when it had run


# --- the chat's sanitiser (low) -------------------------------------------------------------------


def test_the_owners_words_never_become_markup(driver: Driver, ui: AdGenUI) -> None:
    hostile = "<style>body{display:none}</style><form action=//e><details open>x</details> ![a](https://e.example/t.png) [b](https://e)"
    assert "<" not in chat_text(hostile) and "](" not in chat_text(hostile).replace("\\](", "")
    assert "<" not in copy_markdown("<b>헤드라인</b>\n본문")
    ad = driver.generate(None, "카페 홍보 " + hostile[:200])
    shown = [c["text"] for m in ad[ui.chatbot] for c in m["content"] if c.get("type") == "text"]
    assert shown and not any("<style" in t or "<form" in t or "![a](" in t for t in shown)


def test_browser_cookie_signatures(settings: Settings) -> None:
    registry = BrowserRegistry("a" * 40, upload_ttl_s=60)
    browser, cookie = registry.new_cookie()
    assert registry.browser_of(cookie) == browser
    assert registry.browser_of(cookie.split(".")[0] + ".AAAA") is None
    assert BrowserRegistry("b" * 40, upload_ttl_s=60).browser_of(cookie) is None  # another key
    assert registry.browser_of(None) is None and registry.browser_of("x" * 500) is None


def test_photo_decoding_never_blocks_the_event_loop(ui: AdGenUI, base_url: str) -> None:
    """H2: the REST create_ad decodes in a worker thread: while one decode is stuck, the server still answers."""
    from adgen.api import create_api

    gate = threading.Event()
    original = ui.runtime.decoder.decode

    def slow_decode(data: bytes) -> Any:
        gate.wait(10)
        return original(data)

    ui.runtime.decoder.decode = slow_decode  # type: ignore[method-assign]
    import io

    from PIL import Image

    from adgen import auth

    auth.register_user("loopuser1", "Cafe-Latte-2026!", engine=ui.ctx.engine, settings=ui.settings)
    token = auth.authenticate_user("loopuser1", "Cafe-Latte-2026!", engine=ui.ctx.engine, settings=ui.settings)["session_token"]
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buf, format="PNG")
    with serve(create_api(ui.runtime)) as api:
        result: dict[str, Any] = {}

        def post() -> None:
            result["r"] = httpx.post(f"{api}/ads", data={"input_text": "카페 홍보", "aspect_ratio": "1:1"},
                                     files={"image": ("p.png", buf.getvalue(), "image/png")},
                                     headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip

        poster = threading.Thread(target=post)
        poster.start()
        time.sleep(0.3)  # the upload is in, its decode is stuck
        started = time.monotonic()
        assert httpx.get(f"{api}/openapi.json", timeout=5).status_code == 200
        assert time.monotonic() - started < 2
        gate.set()
        poster.join(30)
    assert result["r"].status_code == 202, result["r"].text


# --- a lock-out for everyone (M4): known devices -------------------------------------------------


@pytest.mark.parametrize("ui_settings", [{"login_max_failures_per_client": 3, "login_max_failures_per_account": 3}], indirect=True)
def test_a_spray_does_not_lock_owners_out_of_their_own_browsers(driver: Driver, make_driver: Callable[[], Driver], ui: AdGenUI) -> None:
    """Behind one address (a proxy that is not trusted puts every visitor there), failed logins on random ids lock
    that address, and failures on one id lock that id: but never for a browser the owner already logged in from."""
    from tests.ui.conftest import PASSWORD

    driver.signup("owner001")
    driver.call("logout", driver.call("login", "owner001", PASSWORD)[ui.token])  # this browser: a known device
    attacker = make_driver()
    for i in range(3):  # a spray from the same address, one guess each
        assert "일치하지 않습니다" in str(attacker.call("login", f"nobody{i:03d}", "Wrong-pass-1")[ui.auth_msg])
    for _ in range(3):  # ... and guesses at the owner's id from fresh browsers
        make_driver().call("login", "owner001", "Wrong-pass-2")
    newcomer = make_driver()
    assert "로그인 시도가 너무 많습니다" in str(newcomer.call("login", "owner001", PASSWORD)[ui.auth_msg])
    back = driver.call("login", "OWNER001", PASSWORD)  # the owner's own browser, any letter case
    assert "owner001님 로그인됨" in back[ui.header]


def test_a_guest_may_ask_again_as_soon_as_an_ad_is_done(driver: Driver, ui: AdGenUI, base_url: str) -> None:
    """The guest's one place is given back before the browser hears "completed", so the next request (sent at
    once) is never refused as too many (before: a race, seen through the running app)."""
    demo = ui.demo
    assert demo is not None
    fn_index = next(i for i, f in demo.fns.items() if f.api_name == "generate")
    cookies = browser_cookie(base_url)
    for text in ("카페 신메뉴 홍보", "빵집 주말 한정 소금빵", "꽃집 카네이션 예약"):
        messages = call_event(base_url, fn_index, True, [None, text, None, None, "1:1", "text", "auto", "auto", 1, None], cookies)
        assert messages[-1].get("msg") == "process_completed" and messages[-1].get("success") is True, messages[-1]
    assert ui.runtime.caps.held_count("guests") == 0
