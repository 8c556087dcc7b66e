"""POST /api/v1/ads/{history_id}/copy over real HTTP: the owner's own words on the same picture, stored as a new ad."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops
from sqlalchemy import Engine, text

from adgen.schemas import AdCopy
from tests.api.conftest import signup_login
from tests.api.test_api import error_code, wait_task
from tests.api.test_api import png as png_bytes

EDIT: dict[str, Any] = {
    "headline": "사장님 추천 딸기라떼",
    "body": "매일 아침 들여오는 설향 딸기로 만들어요.\n이번 주만 20% 할인!",
    "cta": "지금 주문하기",
    "hashtags": ["#딸기라떼", "#동네카페"],
    "details": "02-123-4567 · @sweet_cafe",
}


def make_ad(api: httpx.Client, headers: dict[str, str], text_: str = "카페 신메뉴 딸기라떼 홍보, 20% 할인",
            **fields: Any) -> dict[str, Any]:  # fmt: skip
    r = api.post("/ads", json={"input_text": text_, "aspect_ratio": "1:1"} | fields, headers=headers)
    assert r.status_code == 202, r.text
    done = wait_task(api, r.json()["task_id"], headers)
    assert done["status"] == "completed", done
    return done["result"]


def edit(api: httpx.Client, history_id: int | str, headers: dict[str, str], **changes: Any) -> httpx.Response:
    # json.dumps escapes to ASCII, so a lone surrogate travels as "\\ud800", as a real client's JSON carries it.
    body = json.dumps(EDIT | changes)
    return api.post(f"/ads/{history_id}/copy", content=body, headers=headers | {"content-type": "application/json"})


def png(api: httpx.Client, url: str, headers: dict[str, str]) -> Image.Image:
    r = api.get(url.removeprefix("/api/v1"), headers=headers)  # the client's base URL is the API's root
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
    with Image.open(io.BytesIO(r.content)) as im:
        return im.convert("RGB")


def row(engine: Engine, history_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT * FROM generation_history WHERE id = :i"), {"i": history_id}).mappings().one()
    return dict(found)


def totals(engine: Engine) -> tuple[int, ...]:
    """Rows of every table an edit writes to."""
    with engine.connect() as conn:
        return tuple(int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                     for t in ("generation_history", "chat_history", "image_matching"))  # fmt: skip


def test_the_owner_edits_every_word_on_the_same_picture(api: httpx.Client, engine: Engine) -> None:
    owner = signup_login(api, "cafe01")
    h = owner["headers"]
    ad = make_ad(api, h)

    r = edit(api, ad["history_id"], h)
    assert r.status_code == 201, r.text
    edited = r.json()
    assert edited["source_history_id"] == ad["history_id"] and edited["history_id"] > ad["history_id"]
    assert edited["ad_copy"] == EDIT
    assert edited["session_id"] == ad["session_id"] and edited["copy_backend"] == "owner"
    assert edited["seed"] == ad["seed"] and edited["aspect_ratio"] == "1:1" and edited["content_type"] == "both"
    # The same background, new words on it: not a new picture, and not the old ad either.
    assert edited["bare_image_url"] == ad["bare_image_url"]
    assert edited["image_url"] not in (ad["image_url"], ad["bare_image_url"])
    before, after = png(api, ad["image_url"], h), png(api, edited["image_url"], h)
    assert before.size == after.size
    assert ImageChops.difference(before, after).getbbox() is not None

    source, new = row(engine, ad["history_id"]), row(engine, edited["history_id"])
    assert new["bare_image_hash"] == source["bare_image_hash"] is not None
    for column in ("user_id", "session_id", "seed", "style", "industry", "aspect_ratio", "content_type", "generation_method",
                   "input_image_hash", "image_backend"):  # fmt: skip
        assert new[column] == source[column], column
    assert new["copy_backend"] == "owner" and new["input_text"] == "문구 직접 수정"
    assert new["output_url"] == edited["image_url"]
    # The edited words, and everything else the source row knew (image prompt, tone, layout zones).
    assert {k: new["ad_copy"][k] for k in EDIT} == EDIT
    assert {k: v for k, v in new["ad_copy"].items() if k not in EDIT} == {k: v for k, v in source["ad_copy"].items() if k not in EDIT}
    assert "layout" in new["ad_copy"] and "image_prompt" in new["ad_copy"]
    assert row(engine, ad["history_id"]) == source  # the ad it started from is kept as it was

    # "Find every ad later": newest first in the history, and a turn of its own in the conversation.
    history = api.get("/history/generations", headers=h).json()
    assert [g["id"] for g in history] == [edited["history_id"], ad["history_id"]]
    assert history[0]["output_url"] == edited["image_url"] and history[0]["bare_image_url"] == ad["bare_image_url"]
    chat = api.get("/history/chat", params={"session_id": ad["session_id"]}, headers=h).json()
    assert [m["role"] for m in chat] == ["user", "assistant", "user", "assistant"]
    assert chat[2]["content"] == "문구 직접 수정"
    assert chat[3]["content"] == AdCopy(**EDIT).as_text() and chat[3]["gen_image_url"] == edited["image_url"]

    # The session goes on from the edited ad: a refinement that only changes the picture keeps the owner's words.
    r = api.post("/ads", json={"input_text": "더 밝게", "aspect_ratio": "1:1", "session_id": ad["session_id"]}, headers=h)
    refined = wait_task(api, r.json()["task_id"], h)["result"]
    assert refined["ad_copy"]["headline"] == EDIT["headline"]
    assert refined["ad_copy"]["details"] == EDIT["details"]


def test_editing_an_edit_and_the_contacts_line_may_be_left_out(api: httpx.Client, engine: Engine) -> None:
    h = signup_login(api, "cafe02")["headers"]
    ad = make_ad(api, h)
    first = edit(api, ad["history_id"], h).json()
    body = {k: v for k, v in EDIT.items() if k != "details"} | {"headline": "두 번째 수정", "hashtags": []}
    r = api.post(f"/ads/{first['history_id']}/copy", json=body, headers=h)
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["ad_copy"] == body | {"details": ""}
    assert second["bare_image_url"] == ad["bare_image_url"]
    assert len({ad["image_url"], first["image_url"], second["image_url"]}) == 3
    assert row(engine, second["history_id"])["bare_image_hash"] == row(engine, ad["history_id"])["bare_image_hash"]
    assert len(api.get("/history/chat", params={"session_id": ad["session_id"]}, headers=h).json()) == 6


@pytest.mark.parametrize("content_type", ["text", "image"])
def test_text_only_and_image_only_ads_keep_their_kind(api: httpx.Client, engine: Engine, content_type: str) -> None:
    h = signup_login(api, "cafe03")["headers"]
    ad = make_ad(api, h, content_type=content_type)
    r = edit(api, ad["history_id"], h)
    assert r.status_code == 201, r.text
    edited = r.json()
    assert edited["content_type"] == content_type and edited["ad_copy"] == EDIT
    # Text only: no picture before, none after. Image only: the same picture, words in the copy alone.
    assert edited["image_url"] == ad["image_url"] and edited["bare_image_url"] == ad["bare_image_url"]
    assert row(engine, edited["history_id"])["content_type"] == content_type
    chat = api.get("/history/chat", params={"session_id": ad["session_id"]}, headers=h).json()
    assert chat[-1]["content"] == AdCopy(**EDIT).as_text() and chat[-1]["gen_image_url"] == ad["image_url"]


def test_only_the_owner_can_edit_and_ids_cannot_be_probed(api: httpx.Client, engine: Engine) -> None:
    owner = signup_login(api, "cafe04")
    other = signup_login(api, "gym01")
    ad = make_ad(api, owner["headers"])
    stored = totals(engine)

    theirs = edit(api, ad["history_id"], other["headers"])
    missing = edit(api, ad["history_id"] + 1000, other["headers"])
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()  # the same answer: nobody learns which ids exist
    assert error_code(theirs) == "history_not_found" and "광고를 찾을 수 없습니다" in theirs.json()["error"]["message"]
    # An id past PostgreSQL's INTEGER is answered the same way, not with a database error.
    assert error_code(edit(api, 2**31 - 1, other["headers"])) == "history_not_found"

    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        r = edit(api, ad["history_id"], headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", r.text
    assert totals(engine) == stored
    assert api.get("/history/generations", headers=other["headers"]).json() == []


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"headline": ""}, "invalid_copy", "헤드라인을 입력해 주세요."),
        ({"headline": "   "}, "invalid_copy", "헤드라인을 입력해 주세요."),
        ({"body": "\n"}, "invalid_copy", "본문을 입력해 주세요."),
        ({"cta": ""}, "invalid_copy", "버튼 문구를 입력해 주세요."),
        ({"headline": "가" * 41}, "invalid_copy", "헤드라인은 40자 이하로 입력해 주세요. (현재 41자)"),
        ({"body": "나" * 201}, "invalid_copy", "본문은 200자 이하로 입력해 주세요. (현재 201자)"),
        ({"cta": "다" * 21}, "invalid_copy", "버튼 문구는 20자 이하로 입력해 주세요. (현재 21자)"),
        ({"details": "라" * 161}, "invalid_copy", "연락처 줄은 160자 이하로 입력해 주세요. (현재 161자)"),
        ({"headline": "두 줄\n헤드라인"}, "invalid_copy", "헤드라인은 한 줄로 입력해 주세요."),
        ({"details": "전화\n02-123"}, "invalid_copy", "연락처 줄은 한 줄로 입력해 주세요."),
        ({"body": "널 문자\x00"}, "invalid_copy", "본문에 쓸 수 없는 문자"),
        ({"cta": "주문\x7f"}, "invalid_copy", "버튼 문구에 쓸 수 없는 문자"),
        ({"headline": "깨진 \ud800 글자"}, "invalid_copy", "헤드라인에 쓸 수 없는 문자"),
        ({"hashtags": ["카페"]}, "invalid_copy", "해시태그는 #으로 시작하고"),
        ({"hashtags": ["#동네 카페"]}, "invalid_copy", "(입력값: '#동네 카페')"),
        ({"hashtags": ["#카페#라떼"]}, "invalid_copy", "해시태그는 #으로 시작하고"),
        ({"hashtags": ["#"]}, "invalid_copy", "해시태그는 #으로 시작하고"),
        ({"hashtags": [f"#태그{i}" for i in range(9)]}, "invalid_copy", "해시태그는 8개까지 넣을 수 있어요. (현재 9개)"),
        ({"hashtags": ["#카페", "#라떼", "#카페"]}, "invalid_copy", "같은 해시태그가 두 번 들어 있어요: #카페"),
        ({"hashtags": ["#" + "가" * 30]}, "invalid_copy", "해시태그 하나는 30자 이하로 입력해 주세요."),
        ({"hashtags": "#카페 #라떼"}, "invalid_copy", "해시태그는 글자의 목록으로"),
        ({"hashtags": [1, 2]}, "invalid_copy", "해시태그는 글자의 목록으로"),
        ({"headline": 123}, "invalid_copy", "헤드라인은 1-40자의 글자로 입력해 주세요."),
        ({"details": None}, "invalid_copy", "연락처 줄은 160자 이하의 글자로"),
        ({"user_id": 1}, "unknown_field", "알 수 없는 필드입니다: user_id"),
    ],
)
def test_bad_words_are_refused_in_korean(api: httpx.Client, engine: Engine, changes: dict[str, Any], code: str, words: str) -> None:
    h = signup_login(api, "cafe05")["headers"]
    ad = make_ad(api, h)
    stored = totals(engine)
    r = edit(api, ad["history_id"], h, **changes)
    assert r.status_code == 422 and error_code(r) == code, r.text
    assert words in r.json()["error"]["message"]
    assert totals(engine) == stored


def test_a_missing_field_and_bad_bodies_and_ids(api: httpx.Client, engine: Engine) -> None:
    h = signup_login(api, "cafe06")["headers"]
    ad = make_ad(api, h)
    stored = totals(engine)
    body = {k: v for k, v in EDIT.items() if k != "cta"}
    r = api.post(f"/ads/{ad['history_id']}/copy", json=body, headers=h)
    assert r.status_code == 422 and error_code(r) == "invalid_copy" and "버튼 문구" in r.json()["error"]["message"]
    for raw in (b'{"headline": ', b"[]", b""):
        r = api.post(f"/ads/{ad['history_id']}/copy", content=raw, headers=h | {"content-type": "application/json"})
        assert r.status_code == 422 and error_code(r) == "malformed_json", r.text
    for bad_id in ("0", "-1", "abc", str(2**31)):
        r = api.post(f"/ads/{bad_id}/copy", json=EDIT, headers=h)
        assert r.status_code == 422 and error_code(r) == "invalid_history_id", (bad_id, r.text)
    assert totals(engine) == stored


# Every field at AdCopy's limit (body with spaces, so it can wrap).
LONGEST: dict[str, Any] = {
    "headline": "가" * 40,
    "body": "나다 " * 66 + "라마",
    "cta": "바" * 20,
    "hashtags": ["#" + "사" * 29] + [f"#태그{i}" for i in range(7)],
    "details": "아" * 160,
}


def test_words_that_do_not_fit_are_refused_by_the_compositor_unchanged(api: httpx.Client, engine: Engine) -> None:
    """A body of a hundred one-letter lines is within AdCopy's limits but fits no layout even in the smallest legible
    type: the compositor's own ``copy_too_long`` reaches the client as it is, and nothing is stored. The ad has a
    product photo, which the edited ad keeps (its row, and the text kept clear of it)."""
    h = signup_login(api, "cafe07")["headers"]
    r = api.post("/ads", data={"input_text": "수제 향초 할인 이벤트", "aspect_ratio": "1:1"},
                 files={"image": ("candle.png", png_bytes((220, 180, 90), (600, 600)), "image/png")}, headers=h)  # fmt: skip
    assert r.status_code == 202, r.text
    ad = wait_task(api, r.json()["task_id"], h)["result"]
    photo = row(engine, ad["history_id"])["input_image_hash"]
    assert photo is not None
    stored = totals(engine)
    r = edit(api, ad["history_id"], h, body="나\n" * 99 + "나")
    assert r.status_code == 422 and error_code(r) == "copy_too_long", r.text
    assert "너무 길어" in r.json()["error"]["message"]
    assert totals(engine) == stored

    r = edit(api, ad["history_id"], h)
    assert r.status_code == 201 and r.json()["bare_image_url"] == ad["bare_image_url"], r.text
    assert row(engine, r.json()["history_id"])["input_image_hash"] == photo


def test_the_longest_words_allowed_still_fit(api: httpx.Client) -> None:
    """Without a product photo, every field at AdCopy's limit fits the narrowest layout (the type shrinks)."""
    h = signup_login(api, "cafe08")["headers"]
    ad = make_ad(api, h, aspect_ratio="3:4")
    r = api.post(f"/ads/{ad['history_id']}/copy", json=LONGEST, headers=h)
    assert r.status_code == 201, r.text
    image = png(api, r.json()["image_url"], h)
    assert abs(image.width / image.height - 3 / 4) < 0.02


def test_the_endpoint_is_in_the_openapi_document(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    operation = spec["paths"]["/ads/{history_id}/copy"]["post"]
    assert set(operation["responses"]) >= {"201", "401", "404", "422"}
    schema = spec["components"]["schemas"]["CopyEditRequest"]
    assert set(schema["required"]) == {"headline", "body", "cta"}
    props = schema["properties"]
    assert props["headline"]["maxLength"] == 40 and props["body"]["maxLength"] == 200 and props["cta"]["maxLength"] == 20
    assert props["hashtags"]["maxItems"] == 8 and props["hashtags"]["items"]["pattern"].startswith("^#")
    assert props["details"]["maxLength"] == 160
    assert spec["components"]["schemas"]["EditedAd"]["properties"]["bare_image_url"]
