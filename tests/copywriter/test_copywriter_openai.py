"""The OpenAI backend through the real ``openai`` client, against a fake endpoint on loopback."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adgen.copywriter import LENGTH_BUDGET, CopyRequest, LocalCopywriter, Turn, budget_problems, get_copywriter, lexicon
from adgen.copywriter.openai_backend import OpenAICopywriter
from adgen.errors import ConfigurationError
from adgen.schemas import CopyResult
from adgen.settings import Settings
from tests.fakes.fake_openai import FAKE_API_KEY as TEST_API_KEY
from tests.fakes.fake_openai import FakeOpenAI

GOOD = {
    "headline": "딸기라떼 출시!",
    "body": "상큼한 생딸기를 듬뿍 넣은 딸기라떼, 지금 만나 보세요.",
    "cta": "주문하기",
    "hashtags": ["#딸기라떼", "#신메뉴", "#카페"],
    "industry": "cafe",
    "image_prompt": "a glass of strawberry latte with fresh strawberries on a wooden cafe table",
}
REQUEST = CopyRequest(input_text="카페 신메뉴 딸기라떼 홍보", aspect_ratio="1:1", seed=42)

MakeSettings = Callable[..., Settings]


def copywriter(make_settings: MakeSettings, **overrides: Any) -> OpenAICopywriter:
    # A short backoff keeps retry tests fast; the schedule itself is tested separately.
    return OpenAICopywriter(make_settings(**overrides), backoff_s=0.01)


def test_good_json_becomes_the_ad(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json(GOOD)
    result = copywriter(make_openai_settings).write(REQUEST)

    assert result.backend == "openai" and result.fallback_used is False
    assert result.ad_copy.headline == GOOD["headline"] and result.ad_copy.hashtags == GOOD["hashtags"]
    assert (result.industry, result.tone, result.style) == ("cafe", "존댓말", "warm")
    assert result.image_prompt.startswith(GOOD["image_prompt"] + ", ")
    assert all(p in result.image_prompt for p in lexicon.STYLE_DESCRIPTORS["warm"])
    assert result.negative_prompt == lexicon.NEGATIVE_PROMPT

    [sent] = fake_openai.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {TEST_API_KEY}"
    assert sent.body["model"] == "fake-model"
    assert sent.body["response_format"] == {"type": "json_object"}
    assert sent.body["seed"] == 42
    system, user = sent.messages
    assert system["role"] == "system" and "JSON" in system["content"]
    assert "14자 이하" in system["content"] and "44자 이하" in system["content"] and "10자 이하" in system["content"]
    assert user == {"role": "user", "content": REQUEST.input_text}


def test_budget_in_the_prompt_follows_the_aspect_ratio(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json({**GOOD, "headline": "딸기라떼 출시"})
    copywriter(make_openai_settings).write(CopyRequest("카페 신메뉴", "3:4", 1, tone="반말"))
    system = fake_openai.requests[0].messages[0]["content"]
    assert "12자 이하" in system and "40자 이하" in system and "반말" in system


def test_bad_json_is_sent_back_once_then_falls_back(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.reply("여기 광고 문구입니다: 딸기라떼 최고!")
    fake_openai.reply('{"headline": "딸기라떼"')
    with caplog.at_level(logging.WARNING, logger="adgen.copywriter"):
        result = copywriter(make_openai_settings).write(REQUEST)

    assert result.fallback_used is True and result.backend == "local"
    assert result == LocalCopywriter().write(REQUEST).model_copy(update={"fallback_used": True})
    first, second = fake_openai.requests
    repair = second.messages[-1]
    assert repair["role"] == "user" and "JSON" in repair["content"]
    assert second.messages[-2] == {"role": "assistant", "content": "여기 광고 문구입니다: 딸기라떼 최고!"}
    assert "falling back" in caplog.text or "local copywriter" in caplog.text


def test_bad_json_then_a_fixed_reply(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply("not json")
    fake_openai.reply_json(GOOD)
    result = copywriter(make_openai_settings).write(REQUEST)
    assert result.fallback_used is False and result.ad_copy.headline == GOOD["headline"]
    assert len(fake_openai.requests) == 2


def test_over_budget_is_sent_back_with_the_problem(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json({**GOOD, "headline": "새로 나온 상큼한 딸기라떼를 만나보세요", "hashtags": ["#딸기 라떼"]})
    fake_openai.reply_json(GOOD)
    result = copywriter(make_openai_settings).write(REQUEST)
    assert result.fallback_used is False
    repair = fake_openai.requests[1].messages[-1]["content"]
    assert "headline has 21 characters, the limit is 14" in repair
    assert "#딸기 라떼" in repair


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "body": "가" * 45},
        {**GOOD, "hashtags": ["딸기라떼"]},
        {**GOOD, "hashtags": []},
        {**GOOD, "cta": ""},
        {**GOOD, "image_prompt": "딸기라떼 사진"},
        {key: value for key, value in GOOD.items() if key != "body"},
        ["not", "an", "object"],
    ],
)
def test_still_invalid_after_the_repair_falls_back(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, bad: Any) -> None:
    fake_openai.reply_json(bad)
    fake_openai.reply_json(bad)
    result = copywriter(make_openai_settings).write(REQUEST)
    assert result.fallback_used is True
    assert budget_problems(result.ad_copy, LENGTH_BUDGET["1:1"]) == []
    assert len(fake_openai.requests) == 2


def test_rate_limit_then_success(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.error(429, "Rate limit reached")
    fake_openai.reply_json(GOOD)
    result = copywriter(make_openai_settings).write(REQUEST)
    assert result.fallback_used is False and result.backend == "openai"
    assert len(fake_openai.requests) == 2


def test_server_errors_until_retries_are_exhausted(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    for status in (500, 502, 503, 500):
        fake_openai.error(status)
    result = copywriter(make_openai_settings, openai_max_retries=2).write(REQUEST)
    assert result.fallback_used is True
    assert len(fake_openai.requests) == 3  # one try and two retries, no more
    assert fake_openai.pending == 1


def test_client_errors_are_not_retried(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.error(401, "Incorrect API key provided")
    fake_openai.reply_json(GOOD)
    result = copywriter(make_openai_settings).write(REQUEST)
    assert result.fallback_used is True
    assert len(fake_openai.requests) == 1


def test_timeout_falls_back_in_bounded_time(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json(GOOD, delay=3.0)
    fake_openai.reply_json(GOOD, delay=3.0)
    writer = copywriter(make_openai_settings, openai_timeout_s=0.3, openai_max_retries=1)
    started = time.monotonic()
    result = writer.write(REQUEST)
    elapsed = time.monotonic() - started
    assert result.fallback_used is True
    assert len(fake_openai.requests) == 2
    assert elapsed < 2.0, elapsed


def test_timeout_then_success(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json(GOOD, delay=2.0)
    fake_openai.reply_json(GOOD)
    result = copywriter(make_openai_settings, openai_timeout_s=0.3).write(REQUEST)
    assert result.fallback_used is False and len(fake_openai.requests) == 2


def test_unreachable_endpoint_falls_back(make_openai_settings: MakeSettings) -> None:
    closed = FakeOpenAI().start()
    url = closed.base_url
    closed.stop()
    result = copywriter(make_openai_settings, openai_base_url=url, openai_max_retries=1).write(REQUEST)
    assert result.fallback_used is True


def test_backoff_doubles_and_honours_retry_after(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.error(429, headers={"retry-after": "0.3"})
    fake_openai.error(503)
    fake_openai.reply_json(GOOD)
    started = time.monotonic()
    result = copywriter(make_openai_settings).write(REQUEST)
    assert result.fallback_used is False
    gaps = [b.received_at - a.received_at for a, b in zip(fake_openai.requests, fake_openai.requests[1:], strict=False)]
    assert gaps[0] >= 0.3  # the server asked for 0.3 s
    assert time.monotonic() - started < 2.0


# --- refinements ---------------------------------------------------------------------------


def _previous(tone: str = "존댓말") -> CopyResult:
    return LocalCopywriter().write(CopyRequest("카페 신메뉴 딸기라떼 홍보, 한 잔 4,500원", "1:1", 3, tone=tone))


def _refinement(text: str, previous: CopyResult, **kwargs: Any) -> CopyRequest:
    history = (Turn("user", "카페 신메뉴 딸기라떼 홍보, 한 잔 4,500원"), Turn("assistant", previous.ad_copy.as_text()))
    return CopyRequest(input_text=text, aspect_ratio="1:1", seed=7, history=history, previous=previous, **kwargs)


def test_refinement_sends_the_previous_ad_and_the_history(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 4,500원"})
    result = copywriter(make_openai_settings).write(_refinement("가격 강조해줘", previous))

    [sent] = fake_openai.requests
    roles = [m["role"] for m in sent.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert sent.messages[1]["content"] == "카페 신메뉴 딸기라떼 홍보, 한 잔 4,500원"
    last = sent.messages[-1]["content"]
    assert json.dumps(previous.ad_copy.model_dump(), ensure_ascii=False) in last
    assert "가격 강조해줘" in last and "가격" in last

    assert result.ad_copy.headline == "딸기라떼 4,500원"
    assert result.ad_copy.cta == previous.ad_copy.cta  # not asked for: kept
    assert (result.image_prompt, result.negative_prompt, result.style, result.industry) == (
        previous.image_prompt,
        previous.negative_prompt,
        previous.style,
        previous.industry,
    )


def test_text_only_refinement_keeps_unrequested_fields_even_if_the_model_changes_them(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings
) -> None:
    previous = _previous()
    fake_openai.reply_json({"headline": "새 헤드라인!", "body": "모델이 멋대로 바꾼 본문이에요.", "cta": "딴 버튼", "hashtags": ["#딴것"]})
    result = copywriter(make_openai_settings).write(_refinement("헤드라인 바꿔줘", previous))
    assert result.ad_copy.headline == "새 헤드라인!"
    assert result.ad_copy.model_dump(exclude={"headline"}) == previous.ad_copy.model_dump(exclude={"headline"})


def test_image_refinement_needs_no_request_and_keeps_the_copy(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    result = copywriter(make_openai_settings).write(_refinement("더 밝게", previous))
    assert fake_openai.requests == []
    assert result.ad_copy == previous.ad_copy
    assert result.style == "bright" and "bright, high-key lighting" in result.image_prompt
    assert result.backend == "openai" and result.fallback_used is False


def test_shorter_must_really_be_shorter(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    longer = {**previous.ad_copy.model_dump(), "body": previous.ad_copy.body + " 정말로요!"}
    fake_openai.reply_json(longer)
    fake_openai.reply_json(longer)
    result = copywriter(make_openai_settings).write(_refinement("문구를 짧게", previous))
    assert "shorter than before" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is True
    assert len(result.ad_copy.headline) + len(result.ad_copy.body) < len(previous.ad_copy.headline) + len(previous.ad_copy.body)
    assert result.image_prompt == previous.image_prompt


def test_tone_refinement_rejects_polite_copy_for_banmal(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    fake_openai.reply_json(previous.ad_copy.model_dump())  # unchanged, still polite
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 나왔어!", "body": "한 잔 4,500원, 지금 바로 맛봐!"})
    result = copywriter(make_openai_settings).write(_refinement("반말로", previous))
    assert result.fallback_used is False and result.tone == "반말"
    assert result.ad_copy.body == "한 잔 4,500원, 지금 바로 맛봐!"
    assert "반말" in fake_openai.requests[1].messages[-1]["content"]


def test_failed_refinement_falls_back_to_local_refinement(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    for _ in range(3):
        fake_openai.error(503)
    result = copywriter(make_openai_settings).write(_refinement("반말로", previous))
    assert result.fallback_used is True and result.tone == "반말"
    assert result.image_prompt == previous.image_prompt


def test_removing_hashtags_needs_no_model_and_they_stay_removed(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    writer = copywriter(make_openai_settings)
    previous = _previous()
    bare = writer.write(_refinement("해시태그 빼줘", previous))
    assert fake_openai.requests == []  # nothing for a model to write
    assert bare.ad_copy.hashtags == [] and bare.fallback_used is False and bare.backend == "openai"
    assert bare.ad_copy.model_dump(exclude={"hashtags"}) == previous.ad_copy.model_dump(exclude={"hashtags"})
    assert (bare.image_prompt, bare.negative_prompt, bare.style) == (previous.image_prompt, previous.negative_prompt, previous.style)

    # A later copy edit: the model's hashtags are not taken, and no hashtags is not a problem to repair.
    fake_openai.reply_json({"headline": "딸기라떼 4,500원", "body": "지금 맛보세요.", "cta": "주문하기", "hashtags": ["#딸기라떼"]})
    short = writer.write(_refinement("문구를 짧게", bare))
    assert len(fake_openai.requests) == 1 and short.fallback_used is False
    assert short.ad_copy.hashtags == [] and short.ad_copy.body == "지금 맛보세요."
    assert writer.write(_refinement("더 밝게", short)).ad_copy.hashtags == []

    # Asked back: the model picks them, and only they change.
    fake_openai.reply_json({**short.ad_copy.model_dump(), "hashtags": ["#딸기라떼", "#신메뉴"]})
    back = writer.write(_refinement("해시태그 다시 넣어줘", short))
    assert back.ad_copy.hashtags == ["#딸기라떼", "#신메뉴"] and back.fallback_used is False
    assert back.ad_copy.model_dump(exclude={"hashtags"}) == short.ad_copy.model_dump(exclude={"hashtags"})


def test_removing_hashtags_with_another_edit_tells_the_model(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 4,500원", "hashtags": ["#딸기라떼"]})
    result = copywriter(make_openai_settings).write(_refinement("해시태그 없이 가격 강조해줘", previous))
    assert result.ad_copy.hashtags == [] and result.ad_copy.headline == "딸기라떼 4,500원"
    assert "해시태그는 모두 빼기" in fake_openai.requests[0].messages[-1]["content"]


def test_a_bare_unit_hashtag_is_sent_back(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    pt = {**GOOD, "headline": "PT 2회 무료!", "body": "PT 10회 등록 시 2회 무료! 지금 시작하세요.", "industry": "fitness"}
    fake_openai.reply_json({**pt, "hashtags": ["#PT", "#회", "#10회"]})
    fake_openai.reply_json({**pt, "hashtags": ["#PT", "#헬스장"]})
    result = copywriter(make_openai_settings).write(CopyRequest("헬스장 PT 10회 등록 시 2회 무료", "1:1", 1))
    repair = fake_openai.requests[1].messages[-1]["content"]
    assert "'#회'" in repair and "'#10회'" in repair and "'#PT'" not in repair
    assert result.ad_copy.hashtags == ["#PT", "#헬스장"] and result.fallback_used is False


# --- the copy states the owner's offer and invents no number ----------------------------------


@pytest.mark.parametrize(
    ("text", "bad", "complaint"),
    [
        ("카페 신메뉴 딸기라떼 홍보", {"headline": "딸기라떼 50% 할인!"}, "50%"),  # a discount nobody offered
        ("광어회 포장 30% 할인", {"headline": "광어회 포장 할인!", "body": "싱싱한 광어회, 지금 포장해 가세요."}, "30%"),  # left out
        ("한식당 김치찌개 8천원", {"headline": "김치찌개 7,000원!", "body": "든든한 한 끼, 지금 드세요."}, "7,000원"),  # changed
        ("헬스장 PT 10회 등록 시 2회 무료", {"headline": "PT 3회 무료!", "body": "PT 10회 등록 시 3회 무료!"}, "3회"),
        ("카페 신메뉴 딸기라떼 홍보", {"headline": "딸기라떼 한정 출시!"}, "한정"),  # a limited run nobody announced
        ("6만원짜리 원피스 4만5천원", {"headline": "원피스 60,000원!", "body": "원피스 45,000원에 만나 보세요."}, "old price"),
    ],
)
def test_copy_that_changes_the_facts_is_sent_back(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, text: str, bad: dict[str, str], complaint: str
) -> None:
    fixed = {"headline": "오늘의 추천!", "body": f"{text}! 지금 만나 보세요."}
    fake_openai.reply_json({**GOOD, **bad})
    fake_openai.reply_json({**GOOD, **fixed})
    result = copywriter(make_openai_settings).write(CopyRequest(text, "4:3", 1))
    repair = fake_openai.requests[1].messages[-1]["content"]
    assert complaint in repair
    assert result.fallback_used is False and result.ad_copy.body == fixed["body"]


def test_the_owners_numbers_in_other_words_are_accepted(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    # "8천원" written "8,000원", "30프로" written "30%": the same amounts.
    fake_openai.reply_json({**GOOD, "headline": "김치찌개 8,000원", "body": "점심 특선 30% 할인, 든든한 한 끼 드세요."})
    result = copywriter(make_openai_settings).write(CopyRequest("한식당 점심 특선 김치찌개 8천원 30프로 할인", "4:3", 1))
    assert len(fake_openai.requests) == 1 and result.fallback_used is False
    assert "사장님이 쓰지 않은 숫자" in fake_openai.requests[0].messages[0]["content"]


def test_a_model_that_keeps_inventing_gives_way_to_the_local_copy(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    for _ in range(2):
        fake_openai.reply_json({**GOOD, "headline": "광어회 50% 할인!", "body": "싱싱한 광어회를 반값에!"})
    result = copywriter(make_openai_settings).write(CopyRequest("광어회 포장 30% 할인", "1:1", 1))
    assert result.fallback_used is True
    assert "30%" in result.ad_copy.headline + result.ad_copy.body and "50%" not in result.ad_copy.as_text()


def test_a_refinement_keeps_the_price_the_last_ad_stated(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    assert "4,500원" in previous.ad_copy.headline + previous.ad_copy.body
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 나왔어!", "body": "지금 바로 맛봐!"})
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 나왔어!", "body": "딱 4,500원, 지금 바로 맛봐!"})
    result = copywriter(make_openai_settings).write(_refinement("반말로", previous))
    assert "4,500원" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is False and result.ad_copy.body == "딱 4,500원, 지금 바로 맛봐!"


def test_a_new_price_replaces_the_old_one_in_a_refinement(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    # "가격 4,000원으로 바꿔줘": the new price is required and the old one, left standing, is sent back.
    previous = _previous()
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 4,000원!", "body": "4,500원 딸기라떼, 지금 맛보세요."})
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 4,000원!", "body": "딸기라떼, 이제 4,000원에 맛보세요."})
    result = copywriter(make_openai_settings).write(_refinement("가격 4,000원으로 바꿔줘", previous))
    asked = fake_openai.requests[0].messages[-1]["content"]
    assert "4,000원" in asked and "이전 금액은 쓰지 않기" in asked
    assert "replaced 4,500원 with 4,000원" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is False and result.ad_copy.body == "딸기라떼, 이제 4,000원에 맛보세요."


# --- the key never reaches a log -------------------------------------------------------------


def test_api_key_is_not_logged(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, caplog: pytest.LogCaptureFixture) -> None:
    fake_openai.error(429)
    fake_openai.error(500, f"upstream said: invalid key {TEST_API_KEY}")  # a server that echoes the key
    fake_openai.error(500, f"Bearer {TEST_API_KEY}")
    fake_openai.error(401, f"Incorrect API key provided: {TEST_API_KEY}")
    with caplog.at_level(logging.DEBUG):
        writer = copywriter(make_openai_settings)
        writer.write(REQUEST)
        writer.write(REQUEST)
    assert len(fake_openai.requests) == 4
    assert "OpenAI copy failed" in caplog.text
    for record in caplog.records:
        assert TEST_API_KEY not in record.getMessage(), record.name
        assert TEST_API_KEY not in repr(record.args)
    assert TEST_API_KEY not in repr(writer.__dict__.get("_endpoint"))


# --- choosing a backend ------------------------------------------------------------------------


def test_get_copywriter(make_openai_settings: MakeSettings) -> None:
    assert get_copywriter(make_openai_settings(copywriter_backend="auto")).name == "openai"
    assert get_copywriter(make_openai_settings(copywriter_backend="auto", openai_api_key=None)).name == "local"
    assert get_copywriter(make_openai_settings(copywriter_backend="local")).name == "local"
    with pytest.raises(ConfigurationError):
        get_copywriter(make_openai_settings(copywriter_backend="openai", openai_api_key=None))


# --- the fake server itself ---------------------------------------------------------------------


def test_fake_server_answers_unscripted_requests_loudly(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    result = copywriter(make_openai_settings, openai_max_retries=0).write(REQUEST)
    assert result.fallback_used is True
    assert len(fake_openai.requests) == 1

    response = httpx.get(fake_openai.base_url + "/models")
    assert response.status_code == 404 and "POST /v1/chat/completions" in response.text
