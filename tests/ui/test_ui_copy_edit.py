"""The copy editor of 광고 생성 through gradio_client: real HTTP, real PostgreSQL, the real compositor.

The row an edit changes is never named by the client: ``edit_copy`` takes the token and the words only, and the
server edits the ad it showed this browser session (``AdGenUI.ad_state``, a server-side State).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import handle_file
from PIL import ImageChops
from sqlalchemy import Engine, text

from adgen import storage
from adgen.ui import CLEARED, AdGenUI, hashtags_from_text
from tests.ui.conftest import PASSWORD, Driver, count
from tests.ui.test_browser import CHROMIUM, field
from tests.ui.test_ui_client import assert_png, chat_images, chat_texts, png_file, shown

WORDS = ("사장님 추천 딸기라떼", "설향 딸기를 매일 아침 갈아 넣어요.\n이번 주만 20% 할인!", "지금 주문하기", "#딸기라떼 #동네카페",
         "02-123-4567 · @sweet_cafe")  # fmt: skip


def editor(res: Any, ui: AdGenUI) -> tuple[str, ...]:
    return tuple(res[c] for c in (ui.edit_headline, ui.edit_body, ui.edit_cta, ui.edit_hashtags, ui.edit_details))


def rows(engine: Engine, session_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT * FROM generation_history WHERE session_id = :s ORDER BY id"), {"s": session_id}
        ).mappings()
        return [dict(r) for r in found]


def test_edit_the_words_of_the_ad_shown(driver: Driver, ui: AdGenUI, engine: Engine) -> None:
    token = driver.signup("editor01")
    first = driver.generate(token, "카페 신메뉴 딸기라떼 홍보, 20% 할인")
    session_id = first[ui.session]
    # The editor holds the ad's words as the copy box shows them.
    headline, body, cta, tags, details = editor(first, ui)
    assert headline and body and cta
    assert first[ui.copy_box].splitlines()[0] == headline
    assert tags == " ".join(rows(engine, session_id)[0]["ad_copy"]["hashtags"])

    res = driver.call("edit_copy", token, *WORDS)
    assert "적용 완료" in shown(res[ui.edit_msg]) and "적용 완료" in shown(res[ui.status])
    assert res[ui.session] == session_id
    assert editor(res, ui) == WORDS
    assert res[ui.copy_box] == "\n".join([WORDS[0], WORDS[1], WORDS[4], WORDS[2], WORDS[3]])
    assert "직접 수정" in res[ui.meta_md] and "기존 이미지 재사용" in res[ui.meta_md]
    # A new picture: the same background with other words on it.
    before, after = assert_png(first[ui.result_image]).convert("RGB"), assert_png(res[ui.result_image]).convert("RGB")
    assert before.size == after.size and ImageChops.difference(before, after).getbbox() is not None
    assert res[ui.dl_bare]["visible"] is True
    # The chat, rebuilt from what was stored: the request, the ad, then the edit as a turn of its own.
    chat = res[ui.chatbot]
    assert chat_texts(chat)[0] == "카페 신메뉴 딸기라떼 홍보, 20% 할인"
    assert "문구 직접 수정" in chat_texts(chat) and "사장님 추천 딸기라떼" in chat_texts(chat)[-1]
    assert len(chat_images(chat)) == 2

    stored = rows(engine, session_id)
    assert len(stored) == 2 and stored[1]["copy_backend"] == "owner"
    assert stored[1]["bare_image_hash"] == stored[0]["bare_image_hash"]
    assert stored[1]["ad_copy"]["headline"] == WORDS[0] and stored[1]["ad_copy"]["hashtags"] == ["#딸기라떼", "#동네카페"]
    assert count(engine, "chat_history", "session_id = :s", s=session_id) == 4

    # 채팅 기록 shows the edited ad first; the next refinement starts from the owner's words.
    gallery = driver.call("history", token)[ui.ads_gallery]
    assert len(gallery) == 2 and gallery[0]["caption"].startswith(WORDS[0])
    refined = driver.generate(token, "더 밝게", session_id=session_id)
    assert refined[ui.copy_box].splitlines()[0] == WORDS[0]
    assert editor(refined, ui)[0] == WORDS[0]

    # An edit of the refined ad: the server follows the ad shown, not the first one.
    again = driver.call("edit_copy", token, "두 번째로 고친 제목", *WORDS[1:])
    assert "적용 완료" in shown(again[ui.edit_msg])
    latest = rows(engine, session_id)[-1]
    assert latest["ad_copy"]["headline"] == "두 번째로 고친 제목"
    assert latest["bare_image_hash"] == rows(engine, session_id)[-2]["bare_image_hash"]


def test_bad_words_are_explained_in_korean_and_nothing_changes(driver: Driver, ui: AdGenUI, engine: Engine) -> None:
    token = driver.signup("editor02")
    first = driver.generate(token, "동네 빵집 주말 한정 소금빵 출시")
    cases = [
        (("", *WORDS[1:]), "헤드라인을 입력해 주세요."),
        ((WORDS[0], "가" * 201, *WORDS[2:]), "본문은 200자 이하로 입력해 주세요. (현재 201자)"),
        ((*WORDS[:3], "소금빵 #주말", WORDS[4]), "해시태그는 #으로 시작하고"),
        ((*WORDS[:3], " ".join(f"#빵{i}" for i in range(9)), WORDS[4]), "해시태그는 8개까지"),
    ]
    for words, message in cases:
        res = driver.call("edit_copy", token, *words)
        assert message in shown(res[ui.edit_msg]), shown(res[ui.edit_msg])
        assert not isinstance(res[ui.result_image], str)  # the ad shown stays (no error mark over it)
    assert count(engine, "generation_history") == 1
    assert count(engine, "chat_history", "session_id = :s", s=first[ui.session]) == 2


def test_the_server_decides_which_ad_is_edited(driver: Driver, make_driver, ui: AdGenUI, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    owner = driver.signup("editor03")
    driver.generate(owner, "필라테스 스튜디오 신규 회원 첫 달 50% 할인")
    intruder_browser = make_driver()
    intruder = intruder_browser.signup("intruder1")
    # Another browser has shown no ad: there is nothing for it to edit, whatever it sends.
    res = intruder_browser.call("edit_copy", intruder, *WORDS)
    assert "고칠 광고가 없어요" in shown(res[ui.edit_msg])
    # The owner's browser session with another account's token: the ad shown is not that account's.
    res = driver.call("edit_copy", intruder, *WORDS)
    assert "광고를 찾을 수 없습니다" in shown(res[ui.edit_msg])
    # No token at all: a guest edits nothing.
    res = driver.call("edit_copy", None, *WORDS)
    assert "로그인이 필요합니다" in shown(res[ui.edit_msg])
    assert count(engine, "generation_history") == 1


def test_guests_get_no_editor_and_cannot_edit(driver: Driver, ui: AdGenUI, engine: Engine) -> None:
    first = driver.generate(None, "꽃집 어버이날 카네이션 예약")
    assert first[ui.copy_box]
    assert editor(first, ui)[0]  # filled, but the editor is hidden: a guest's ad is not stored
    assert ui.edit_box.visible is False
    res = driver.call("edit_copy", None, *WORDS)
    assert "로그인이 필요합니다" in shown(res[ui.edit_msg])
    assert count(engine, "generation_history") == 0


def test_continuing_and_restoring_a_session_fill_the_editor(driver: Driver, make_driver, ui: AdGenUI) -> None:  # type: ignore[no-untyped-def]
    token = driver.signup("editor04")
    first = driver.generate(token, "헬스장 오픈 이벤트 PT 10회 등록 시 2회 무료", ratio="3:4")
    session_id = first[ui.session]
    driver.call("edit_copy", token, *WORDS)

    other_tab = make_driver()  # a new page of the same account: only the stored session to go on
    other_tab.call("history", token)  # the session list a person picks from
    resumed = other_tab.call("continue_session", token, session_id)
    assert editor(resumed, ui) == WORDS
    restored = other_tab.call("restore_session", token, session_id)
    assert editor(restored, ui) == WORDS
    # ...and the edit from there changes the session's latest ad (the edited one).
    res = other_tab.call("edit_copy", token, "다시 고친 헤드라인", *WORDS[1:])
    assert "적용 완료" in shown(res[ui.edit_msg])
    assert abs(assert_png(res[ui.result_image]).width / assert_png(res[ui.result_image]).height - 3 / 4) < 0.02


def test_text_only_ads_are_edited_as_text(driver: Driver, ui: AdGenUI, engine: Engine) -> None:
    token = driver.signup("editor05")
    first = driver.generate(token, "카페 신메뉴 홍보", content_type="text")
    res = driver.call("edit_copy", token, *WORDS)
    assert "적용 완료" in shown(res[ui.edit_msg])
    assert res[ui.result_image] is None and res[ui.copy_box].startswith(WORDS[0])
    stored = rows(engine, first[ui.session])
    assert [r["content_type"] for r in stored] == ["text", "text"] and stored[1]["output_url"] is None


def test_new_chat_clears_the_editor_and_the_product_photo(driver: Driver, ui: AdGenUI, tmp_path: Path) -> None:
    token = driver.signup("editor06")
    photo = png_file(tmp_path / "product.png", (320, 240))
    driver.generate(token, "꽃집 어버이날 카네이션 예약", photo=handle_file(str(photo)))
    cleared = driver.call("new_chat")
    assert cleared[ui.session] == CLEARED and cleared[ui.chatbot] == []
    assert cleared[ui.photo] is None and cleared[ui.photo_msg] == ""
    assert cleared[ui.photo_preview]["value"] is None and cleared[ui.photo_preview]["visible"] is False
    assert editor(cleared, ui) == ("", "", "", "", "")
    # The editor has nothing to change after a new chat.
    assert "고칠 광고가 없어요" in shown(driver.call("edit_copy", token, *WORDS)[ui.edit_msg])


def test_hashtags_are_split_at_spaces_and_kept_as_typed() -> None:
    assert hashtags_from_text(" #카페  #딸기라떼\n#동네 ") == ["#카페", "#딸기라떼", "#동네"]
    assert hashtags_from_text("") == [] and hashtags_from_text(None) == []
    assert hashtags_from_text("카페 #라떼") == ["카페", "#라떼"]  # no '#' added: the service refuses it, saying why


# --- in a real browser -----------------------------------------------------------------------

# Each run's ads and page (random seeds: other pictures every run) go to tests/artifacts/, like the other browser
# tests' screenshots; docs/screenshots/copy-edit-*.png are copies of one run.
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# Three shops, each ad edited by hand after it was generated: (request, ratio, words typed into the editor, shot name).
HAND_EDITS = [
    ("카페 신메뉴 딸기라떼 홍보, 20% 할인", "1:1",
     {"edit-headline": "사장님이 직접 만든 딸기라떼", "edit-details": "02-123-4567 · @sweet_cafe"}, "cafe"),
    ("미용실 봄맞이 펌 30% 할인 이벤트", "3:4",
     {"edit-headline": "봄맞이 펌 30% 할인", "edit-body": "3월 한 달, 모든 펌 시술을 30% 할인해 드려요.\n예약 손님 우선이에요.",
      "edit-cta": "지금 예약하기", "edit-hashtags": "#봄펌 #동네미용실", "edit-details": "예약 010-2345-6789 · @salon_bom"}, "salon"),
    ("헬스장 오픈 이벤트 PT 10회 등록 시 2회 무료", "4:3",
     {"edit-headline": "PT 10회 등록하면 2회 더!", "edit-cta": "무료 상담 받기",
      "edit-details": "문의 031-555-1234 · 판교역 2번 출구"}, "gym"),
]  # fmt: skip


@pytest.fixture
def page(ui: AdGenUI, ui_settings: Any) -> Iterator[Any]:
    """Chromium on the app served as app.py serves it (the real template renderer, not paced)."""
    from playwright.sync_api import sync_playwright

    from tests.live_server import serve
    from tests.ui.conftest import ui_app

    with serve(ui_app(ui, ui_settings)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context(locale="ko-KR", viewport={"width": 1366, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base)
        yield page
        context.close()
        browser.close()
        assert errors == [], errors


def open_until_shown(session: Any, images: Any, n: int) -> None:
    """Pick a session in 채팅 기록 until its conversation shows ``n`` images.

    Opening the tab refreshes the list (and empties the conversation) while the refresh that follows 적용 may already
    have filled it: a pick made in between is emptied again when the tab's refresh answers. A person clicks again;
    so does this.
    """
    from playwright.sync_api import expect

    for _ in range(3):
        session.click()
        try:
            expect(images).to_have_count(n, timeout=5_000)
            return
        except AssertionError:
            continue
    expect(images).to_have_count(n)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_edit_by_hand_in_the_browser(page: Any, engine: Engine, ui_settings: Any) -> None:
    from playwright.sync_api import expect

    # As test_browser does: the page mounted and its fonts in (a click before that can be lost or undone by the page's
    # own load event, which restores the signed-out view).
    expect(page.locator("#adgen-header")).to_contain_text("게스트 모드")
    page.wait_for_function("document.fonts.status === 'loaded'")
    page.wait_for_timeout(500)
    field(page, "signup-id").fill("handedit1")
    field(page, "signup-pw").fill(PASSWORD)
    field(page, "signup-pw2").fill(PASSWORD)
    page.locator("#signup-btn").click()
    expect(page.locator("#adgen-header")).to_contain_text("handedit1님 로그인됨")
    prompt = field(page, "adgen-prompt")
    expect(prompt).to_be_visible()
    page.wait_for_timeout(500)  # the tab's components mount as it opens
    chat = page.locator("#adgen-chat")
    result = page.locator("#adgen-result img")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    for n, (request, ratio, words, name) in enumerate(HAND_EDITS):
        if n:
            page.locator("#new-chat-btn").click()
            expect(chat.locator("img")).to_have_count(0)
            expect(page.locator("#adgen-edit")).to_be_hidden()  # no ad, nothing to edit
        page.get_by_label(ratio, exact=True).check()
        prompt.fill(request)
        expect(prompt).to_have_value(request)
        page.locator("#adgen-send").click()
        expect(chat.locator("img")).to_have_count(1, timeout=60_000)
        expect(page.locator("#adgen-status")).to_contain_text("광고가 완성되었어요")
        # The editor under the result holds the ad's words.
        headline = field(page, "edit-headline")
        expect(headline).to_be_visible()
        generated = field(page, "adgen-copy").input_value().splitlines()[0]
        expect(headline).to_have_value(generated)
        before = result.get_attribute("src")

        for elem_id, value in words.items():
            field(page, elem_id).fill(value)
        page.locator("#edit-apply").click()
        expect(page.locator("#edit-msg")).to_contain_text("적용 완료", timeout=30_000)
        expect(result).not_to_have_attribute("src", before or "")
        # The chat has the edit as a turn of its own, with the new picture.
        expect(chat.locator("img")).to_have_count(2)
        expect(chat).to_contain_text("문구 직접 수정")
        expect(chat).to_contain_text(words["edit-headline"])
        expect(field(page, "adgen-copy")).to_have_value(re.compile("^" + re.escape(words["edit-headline"])))

        # What the owner sees, and the edited ad itself (the stored PNG, full size).
        with engine.connect() as conn:
            url = conn.execute(text("SELECT output_url FROM generation_history ORDER BY id DESC LIMIT 1")).scalar_one()
        stored = storage.path_for(ui_settings.images_dir, storage.hash_from_url(url) or "")
        shutil.copyfile(stored, ARTIFACTS / f"copy-edit-{name}.png")
        if n == 0:
            page.wait_for_timeout(300)  # let the images finish painting
            page.screenshot(path=str(ARTIFACTS / "copy-edit-page.png"), full_page=True)

            # 채팅 기록: the edited ad is in the gallery (newest first) and the edit is in the conversation.
            page.get_by_role("tab", name="채팅 기록").click()
            expect(page.locator("#adgen-gallery img")).to_have_count(2)
            sessions = page.locator("#adgen-sessions label")
            expect(sessions).to_have_count(1)
            open_until_shown(sessions.first, page.locator("#history-chat img"), 2)
            expect(page.locator("#history-chat")).to_contain_text("문구 직접 수정")
            page.get_by_role("tab", name="광고 생성").click()
            expect(prompt).to_be_visible()

    assert count(engine, "generation_history", "copy_backend = 'owner'") == 3
    with engine.connect() as conn:
        pairs = conn.execute(text(
            "SELECT e.bare_image_hash = s.bare_image_hash FROM generation_history e JOIN generation_history s "
            "ON s.session_id = e.session_id AND s.id < e.id WHERE e.copy_backend = 'owner'"
        )).scalars().all()  # fmt: skip
    assert pairs == [True, True, True]
