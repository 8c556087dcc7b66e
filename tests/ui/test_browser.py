"""The UI in a real browser: headless Debian Chromium driven by Playwright.

The app is built the way app.py builds it (FastAPI + ``gr.mount_gradio_app(app, build_ui(rt), path="/")``)
and served by uvicorn on loopback. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from adgen.runtime import Runtime
from adgen.settings import Settings
from adgen.ui import AdGenUI
from tests.live_server import serve
from tests.ui.conftest import PASSWORD, count, ui_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


class PacedImages:
    """The real template renderer, paced so that a person (and this test) can watch the progress."""

    def __init__(self, inner: Any, delay_s: float) -> None:
        self._inner = inner
        self._delay_s = delay_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def generate(self, *args: Any, progress: Any = None, **kwargs: Any) -> Any:
        for step in range(3):
            time.sleep(self._delay_s)
            if progress is not None:
                progress((step + 1) / 4, "이미지를 그리고 있어요")
        return self._inner.generate(*args, progress=progress, **kwargs)


@pytest.fixture
def browser_url(runtime: Runtime, ui: AdGenUI, ui_settings: Settings) -> Iterator[str]:
    # Slow enough that the in-progress state is on screen for seconds even on a loaded machine.
    runtime.ctx.image_generator = PacedImages(runtime.ctx.image_generator, 1.5)
    with serve(ui_app(ui, ui_settings)) as base:
        yield base


@pytest.fixture
def page(browser_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context(locale="ko-KR", viewport={"width": 1366, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(browser_url)
        yield page
        context.close()
        browser.close()
        assert errors == [], errors


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def rendering_fonts(page: Any, selector: str) -> dict[str, int]:
    """Glyphs per font family that Chromium actually used to draw the text of ``selector`` (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def field(page: Any, elem_id: str) -> Any:
    return page.locator(f"#{elem_id} :is(input, textarea)").first


def test_signup_generate_history_continue_reload(page: Any, engine: Engine) -> None:
    from playwright.sync_api import expect

    header = page.locator("#adgen-header")
    expect(header).to_contain_text("AdGen 광고 스튜디오")
    expect(header).to_contain_text("게스트 모드")
    # Hangul is drawn with a Korean font (a system one, else the app's own web font), not as empty boxes.
    page.wait_for_function("document.fonts.status === 'loaded'")
    fonts = rendering_fonts(page, ".adgen-hero p")
    korean = {"AdGen Nanum", "NanumSquare", "NanumBarunGothic", "NanumGothic", "Apple SD Gothic Neo", "Malgun Gothic",
              "Noto Sans KR", "Noto Sans CJK KR", "Pretendard"}  # fmt: skip
    hangul = sum(ch >= "가" and ch <= "힣" for ch in page.locator(".adgen-hero p").inner_text())
    assert hangul > 10 and sum(n for name, n in fonts.items() if name in korean) >= hangul, fonts
    shot(page, "login.png")

    # sign up: logged in at once, taken to 광고 생성
    field(page, "signup-id").fill("marketer01")
    field(page, "signup-pw").fill(PASSWORD)
    field(page, "signup-pw2").fill(PASSWORD)
    page.locator("#signup-btn").click()
    expect(header).to_contain_text("marketer01님 로그인됨")
    prompt = field(page, "adgen-prompt")
    expect(prompt).to_be_visible()

    # generate with Hangul text: the request shows at once, progress streams, then the ad
    # (the tab's components mount as it opens: typing before that can be reset to their initial value)
    page.wait_for_timeout(500)
    prompt.fill("카페 신메뉴 딸기라떼 홍보, 20% 할인")
    expect(prompt).to_have_value("카페 신메뉴 딸기라떼 홍보, 20% 할인")
    page.locator("#adgen-send").click()
    chat = page.locator("#adgen-chat")
    # In a bubble (the empty chat's example buttons show the same words).
    expect(chat.locator(".message").first).to_contain_text("카페 신메뉴 딸기라떼 홍보, 20% 할인", timeout=30_000)
    # The first update comes when the GPU queue starts the event: seconds on a loaded 2-core machine.
    expect(page.locator("#adgen-status")).to_contain_text("광고를 만들고 있어요", timeout=30_000)
    expect(page.get_by_text("이미지를 그리고 있어요").first).to_be_visible(timeout=30_000)
    shot(page, "generate-progress.png")
    expect(chat.locator("img")).to_have_count(1, timeout=60_000)
    expect(page.locator("#adgen-result img")).to_be_visible()
    expect(page.locator("#adgen-status")).to_contain_text("광고가 완성되었어요")
    copy = field(page, "adgen-copy").input_value()
    assert copy.strip() and any("가" <= ch <= "힣" for ch in copy)
    page.wait_for_timeout(300)  # let the images finish painting
    shot(page, "generate.png")
    # The chat's share button only works on Spaces (elsewhere an English error): hidden.
    share = chat.locator("button[aria-label='공유'], button[aria-label='Share']")
    assert share.count() >= 1 and not any(b.is_visible() for b in share.all())

    # An empty request is refused with a toast, and the finished ad stays in the result panel.
    page.locator("#adgen-send").click()
    expect(page.get_by_text("광고 요청 내용을 입력해 주세요.").first).to_be_visible()
    page.wait_for_timeout(500)
    expect(page.locator("#adgen-result img")).to_be_visible()
    marks = page.locator("#adgen-result").inner_text()
    assert "오류" not in marks and "Error" not in marks, marks  # Gradio's error mark over the ad (before)

    # refine within the session
    prompt.fill("문구를 짧게")
    page.locator("#adgen-send").click()
    expect(chat.locator("img")).to_have_count(2, timeout=60_000)
    expect(page.locator("#adgen-status")).to_contain_text("광고가 완성되었어요")
    assert count(engine, "chat_history") == 4

    # 채팅 기록: the session, its conversation with images, the gallery
    page.get_by_role("tab", name="채팅 기록").click()
    sessions = page.locator("#adgen-sessions label")
    expect(sessions).to_have_count(1)
    expect(sessions.first).to_contain_text("카페 신메뉴 딸기라떼 홍보")
    sessions.first.click()
    history_chat = page.locator("#history-chat")
    expect(history_chat.locator("img")).to_have_count(2)
    expect(history_chat).to_contain_text("문구를 짧게")
    expect(page.locator("#adgen-gallery img").first).to_be_visible()
    page.wait_for_timeout(300)
    shot(page, "history.png")

    # continue the session: back in 광고 생성 with the whole conversation
    page.locator("#continue-btn").click()
    expect(prompt).to_be_visible()
    expect(chat.locator("img")).to_have_count(2)
    expect(page.locator("#adgen-status")).to_contain_text("이전 대화를 이어가요")

    # a reload keeps the login (token in BrowserState, verified server-side) and the conversation
    page.reload()
    expect(header).to_contain_text("marketer01님 로그인됨")
    expect(chat.locator("img")).to_have_count(2)
    expect(page.locator("#adgen-result img")).to_be_visible()

    # narrow screens: one column, nothing cut off
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    shot(page, "generate-mobile.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 392

    # log out: back to the login tab, and a reload stays logged out
    page.set_viewport_size({"width": 1366, "height": 1000})
    page.get_by_role("tab", name="로그인").click()
    page.locator("#logout-btn").click()
    expect(header).to_contain_text("게스트 모드")
    page.reload()
    expect(header).to_contain_text("게스트 모드")
    expect(field(page, "login-id")).to_be_visible()
    # ...quietly: the browser no longer holds the revoked token (before, every reload said so).
    page.wait_for_timeout(500)
    assert "로그아웃된 세션" not in page.locator("#auth-msg").inner_text()
    assert "로그아웃된 세션" not in page.content()


def test_mistakes_are_explained_in_korean(page: Any) -> None:
    from playwright.sync_api import expect

    # sign-up form: the seed's message next to the form
    field(page, "signup-id").fill("ab")
    field(page, "signup-pw").fill(PASSWORD)
    field(page, "signup-pw2").fill(PASSWORD)
    page.locator("#signup-btn").click()
    expect(page.locator("#auth-msg")).to_contain_text("ID는 3-20자의 영문/숫자만 가능합니다.")
    expect(page.locator("#adgen-header")).to_contain_text("게스트 모드")

    # generation (a guest): an empty request gets a Korean error toast, no traceback
    page.get_by_role("tab", name="광고 생성").click()
    page.locator("#adgen-send").click()
    expect(page.get_by_text("광고 요청 내용을 입력해 주세요.").first).to_be_visible()
    assert "Traceback" not in page.content()
    shot(page, "error-toast.png", full_page=False)  # the toast is fixed to the viewport


def test_a_guest_uploads_a_product_photo_under_the_guard(page: Any, tmp_path: Path) -> None:
    """The upload path a browser takes (the signed cookie, the guard, the per-browser record) works end to end,
    under the app's Content-Security-Policy."""
    from PIL import Image
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["adgen_browser"]["httpOnly"] is True
    photo = tmp_path / "latte.png"
    Image.new("RGB", (320, 240), (180, 120, 80)).save(photo)
    page.get_by_role("tab", name="광고 생성").click()
    prompt = field(page, "adgen-prompt")
    expect(prompt).to_be_visible()  # the tab's components mount as it opens (slow on a loaded machine)
    options = page.get_by_text("세부 옵션 · 상품 사진")
    expect(options).to_be_visible()
    options.click()
    page.locator("input[type=file]").first.set_input_files(str(photo))
    expect(page.get_by_text("광고에 이 상품을 담을게요.")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(300)
    prompt.fill("카페 신메뉴 라떼 홍보")
    expect(prompt).to_have_value("카페 신메뉴 라떼 홍보")
    page.locator("#adgen-send").click()
    chat = page.locator("#adgen-chat")
    expect(chat.locator("img")).to_have_count(2, timeout=60_000)  # the product photo, then the ad
    expect(page.locator("#adgen-status")).to_contain_text("광고가 완성되었어요")
    shot(page, "generate-photo.png")
    assert violations == [], violations
