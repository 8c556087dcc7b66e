"""Swagger UI (/api/v1/docs) and ReDoc (/api/v1/redoc) come from the app itself: no CDN, no other host.

The app is built as app.py builds it (``create_app``: the UI, the API and the HTTP guard with its CSP) and
served on loopback. The browser test blocks every request that leaves loopback, as a closed network does.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

import app as app_module
from adgen.runtime import Runtime
from tests.live_server import serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PAGES = ("/api/v1/docs", "/api/v1/redoc")


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    app, _ = app_module.create_app(runtime)
    with serve(app) as base:
        yield base


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "spec-url") and v]


def page_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("path", PAGES)
def test_docs_pages_load_everything_from_the_app(base_url: str, path: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "://" not in page.text  # no CDN, no Google fonts, no favicon from fastapi.tiangolo.com
        links = page_links(page.text) + re.findall(r"url: '([^']+)'", page.text)  # Swagger UI's spec URL is in its script
        assert "/api/v1/openapi.json" in links
        kinds = {}
        for url in links:
            assert url.startswith("/api/v1/"), url
            r = client.get(url)
            assert r.status_code == 200 and len(r.content) > 100, url
            kinds[url.rsplit(".", 1)[-1]] = r.headers["content-type"]
        assert kinds["js"].split(";")[0] in ("text/javascript", "application/javascript")
        assert client.get("/api/v1/static/../settings.py").status_code == 404
        assert client.get("/api/v1/static/missing.js").json()["error"]["code"] == "not_found"


def test_docs_pages_are_not_in_the_openapi_document(base_url: str) -> None:
    paths = httpx.get(f"{base_url}/api/v1/openapi.json", timeout=30).json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc", "/static"))]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_swagger_ui_and_redoc_render_offline_under_the_apps_csp(base_url: str) -> None:
    """Both pages render every operation with all other hosts unreachable and the guard's Content-Security-Policy on.

    The guard still exempts /api/v1/docs from its CSP (from when Swagger UI came from a CDN); the test puts the policy
    the guard sends everywhere else on any page that lacks one, so it shows the exemption is no longer needed.
    """
    from playwright.sync_api import expect, sync_playwright

    with httpx.Client(base_url=base_url, timeout=30) as client:
        csp = client.get("/healthz").headers["content-security-policy"]
        spec = client.get("/api/v1/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    left_loopback: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []

    def route(r: Any) -> None:
        if not re.match(r"^https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/", r.request.url):
            left_loopback.append(r.request.url)
            r.abort()
            return
        response = r.fetch()
        headers = dict(response.headers)
        if headers.get("content-type", "").startswith("text/html") and "content-security-policy" not in headers:
            headers["content-security-policy"] = csp
        r.fulfill(response=response, headers=headers)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.route("**/*", route)
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))

        page.goto(f"{base_url}/api/v1/docs")
        expect(page.locator(".opblock-summary-path", has_text=re.compile(r"^/auth/login$"))).to_be_visible(timeout=30_000)
        expect(page.locator(".opblock")).to_have_count(operations)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=True)

        page.goto(f"{base_url}/api/v1/redoc")
        expect(page.locator("h2", has_text=re.compile(r"^\s*Login\s*$"))).to_be_visible(timeout=30_000)
        expect(page.locator("button", has_text="/auth/login")).to_have_count(1)  # the operation's endpoint panel
        expect(page.locator("[data-section-id*='/operation/']")).to_have_count(operations)
        # ReDoc searches in a web worker it creates from a blob: URL; the CSP decides whether it may.
        page.get_by_placeholder("Search...").fill("logout")
        hits = page.locator("[data-role='search:results'] li")
        worker_src = re.search(r"worker-src ([^;]*)", csp)
        if worker_src and "blob:" in worker_src.group(1):
            expect(hits).to_have_count(1)
        else:
            page.wait_for_timeout(1000)
            expect(hits).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "api-redoc.png"))
        context.close()
        browser.close()

    shutil.copyfile(ARTIFACTS / "api-docs.png", SCREENSHOTS / "api-docs.png")
    assert left_loopback == [], left_loopback
    assert page_errors == [], page_errors
    # What the CSP blocks, and nothing else fails: ReDoc's search worker (until the policy has worker-src blob:) and
    # the "API docs by Redocly" logo it links from cdn.redoc.ly (blocked on purpose: it would leave the network).
    unexpected = [e for e in console_errors if "Creating a worker from 'blob:" not in e and "cdn.redoc.ly/redoc/logo-mini.svg" not in e]
    assert unexpected == [], unexpected
