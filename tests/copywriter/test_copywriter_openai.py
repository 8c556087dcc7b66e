"""The OpenAI backend through the real ``openai`` client, against a fake endpoint on loopback.

Nothing in the client is mocked: ``tests/fakes/fake_openai.py`` is a real HTTP server answering from a
script. Every reply is checked with ``facts.compare`` (the one fact reader): a reply that drops, changes or
adds a fact is sent back once with the problems, and then the local copywriter answers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adgen.copywriter import LENGTH_BUDGET, CopyRequest, LocalCopywriter, Turn, budget_problems, facts, get_copywriter, lexicon
from adgen.copywriter.openai_backend import OpenAICopywriter
from adgen.copywriter.refinement import NEW_BRIEF_NOTICE
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
    budget = LENGTH_BUDGET["1:1"]
    for limit in (budget.headline, budget.body, budget.cta):
        assert f"{limit}자 이하" in system["content"]
    assert '"details"' in system["content"]  # the owner's contacts have a field of their own
    assert user == {"role": "user", "content": REQUEST.input_text}


def test_budget_in_the_prompt_follows_the_aspect_ratio(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json({**GOOD, "headline": "딸기라떼 출시"})
    copywriter(make_openai_settings).write(CopyRequest("카페 신메뉴", "3:4", 1, tone="반말"))
    system = fake_openai.requests[0].messages[0]["content"]
    budget = LENGTH_BUDGET["3:4"]
    assert f"{budget.headline}자 이하" in system and f"{budget.body}자 이하" in system and "반말" in system


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
    assert "headline has 21 characters, the limit is 20" in repair
    assert "#딸기 라떼" in repair


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "body": "가" * 91},
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


# --- the owner's facts, in whatever form the model writes them ---------------------------------

PHONE_AD = "카페 딸기라떼 1만2천원, 포장 가능해요. 예약 문의 010-1234-5678"
PHONE_REPLY = {
    **GOOD,
    "headline": "딸기라떼 12,000원",
    "body": "포장 가능해요. 미리 예약해 주세요!",
    "cta": "전화 예약",
    "hashtags": ["#딸기라떼", "#카페"],
    "details": "예약 문의 010-1234-5678",
}


def _ad(headline: str, body: str) -> dict[str, Any]:
    return {**GOOD, "headline": headline, "body": body, "hashtags": ["#우리가게"], "details": ""}


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("카페 딸기라떼 1만2천원", _ad("딸기라떼 12,000원", "지금 맛보세요.")),
        ("카페 딸기라떼 12,000원", _ad("딸기라떼 1만2천원", "지금 맛보세요.")),
        ("카페 딸기라떼 12,000원", _ad("딸기라떼 12000원", "지금 맛보세요.")),
        ("아파트 전세 3천만원 매물", _ad("전세 3,000만원 매물", "편하게 문의해 주세요.")),
        ("아파트 전세 3천만원 매물", _ad("전세 30,000,000원", "매물 있어요. 편하게 문의해 주세요.")),
        ("아파트 전세 3,000만원 매물", _ad("전세 3천만원 매물", "편하게 문의해 주세요.")),
        ("동네 빵집 소금빵 매일 오후 3시 갓 구운 빵", _ad("매일 15:00 갓 구운 소금빵", "동네 빵집에 들러 주세요.")),
        ("동네 빵집 소금빵 매일 15:00 갓 구운 빵", _ad("매일 오후 3시 갓 구운 소금빵", "동네 빵집에 들러 주세요.")),
        ("빵집 소금빵 1.2만원", _ad("소금빵 12,000원", "들러서 맛보세요.")),
        ("빵집 소금빵 1.2만원", _ad("소금빵 1만2천원", "들러서 맛보세요.")),
        ("한식당 점심 특선 김치찌개 8천원 30프로 할인", _ad("김치찌개 8,000원", "점심 특선 30% 할인, 든든한 한 끼 드세요.")),
        (PHONE_AD, PHONE_REPLY),
        (PHONE_AD, {**PHONE_REPLY, "details": "", "body": "포장 가능해요. 예약 문의 010 1234 5678"}),  # in the body, spaced
    ],
)
def test_the_owners_facts_in_any_written_form_pass(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, text: str, reply: dict[str, Any]
) -> None:
    fake_openai.reply_json(reply)
    result = copywriter(make_openai_settings).write(CopyRequest(text, "4:3", 1))
    assert len(fake_openai.requests) == 1, fake_openai.requests[-1].messages[-1]["content"]
    assert result.fallback_used is False and result.backend == "openai"
    assert (result.ad_copy.headline, result.ad_copy.body, result.ad_copy.details) == (reply["headline"], reply["body"], reply["details"])


@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        ({"headline": "딸기라떼 출시", "body": "포장 가능해요. 미리 예약해 주세요!"}, "'12,000원' is missing"),  # dropped
        ({"headline": "딸기라떼 13,000원"}, "'13,000원' (amount) is not in the owner's words"),  # changed
        ({"headline": "딸기라떼 12,000원 10% 할인"}, "'10%' (percent) is not in the owner's words"),  # a discount nobody offered
        ({"details": "예약 문의 010-1234-5678 · 02-123-4567"}, "'02-123-4567' (contact) is not in the owner's words"),
        ({"details": ""}, "'010-1234-5678' is missing"),  # the owner's phone, nowhere
        ({"details": "예약 문의 010-1234-5679"}, "'010-1234-5678' is missing"),  # a digit off
        ({"headline": "딸기라떼 12,000원 한정"}, "'한정' is not in the owner's words"),  # a limited run nobody announced
        ({"body": "포장 가능해. 미리 예약해 줘!"}, "존댓말"),  # 반말 in a 존댓말 ad
    ],
)
def test_a_reply_that_breaks_a_fact_is_sent_back_once(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, bad: dict[str, str], complaint: str
) -> None:
    fake_openai.reply_json({**PHONE_REPLY, **bad})
    fake_openai.reply_json(PHONE_REPLY)
    result = copywriter(make_openai_settings).write(CopyRequest(PHONE_AD, "4:3", 1))
    repair = fake_openai.requests[1].messages[-1]["content"]
    assert complaint in repair, repair
    assert result.fallback_used is False and result.ad_copy.headline == PHONE_REPLY["headline"]
    assert len(fake_openai.requests) == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"headline": "딸기라떼 출시"},
        {"headline": "딸기라떼 13,000원"},
        {"headline": "딸기라떼 12,000원 10% 할인"},
        {"details": "예약 문의 02-123-4567"},
    ],
)
def test_a_model_that_keeps_breaking_facts_gives_way_to_the_local_copy(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, bad: dict[str, str]
) -> None:
    for _ in range(2):
        fake_openai.reply_json({**PHONE_REPLY, **bad})
    request = CopyRequest(PHONE_AD, "4:3", 1)
    result = copywriter(make_openai_settings).write(request)
    assert len(fake_openai.requests) == 2
    assert result == LocalCopywriter().write(request).model_copy(update={"fallback_used": True})
    assert facts.compare(PHONE_AD, result.ad_copy.as_text()).ok


def test_a_banmal_ad_refuses_polite_copy(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json({**GOOD, "body": "상큼한 딸기라떼가 나왔어요. 지금 만나 보세요."})
    fake_openai.reply_json({**GOOD, "body": "상큼한 딸기라떼가 나왔어. 지금 만나 봐!"})
    result = copywriter(make_openai_settings).write(CopyRequest("카페 신메뉴 딸기라떼 홍보", "1:1", 1, tone="반말"))
    assert "반말" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is False and result.tone == "반말" and result.ad_copy.body.endswith("만나 봐!")


def test_a_reply_that_turns_afternoon_into_morning_is_sent_back(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    fake_openai.reply_json(_ad("매일 오전 3시 갓 구운 소금빵", "동네 빵집에 들러 주세요."))
    fake_openai.reply_json(_ad("매일 오후 3시 갓 구운 소금빵", "동네 빵집에 들러 주세요."))
    copywriter(make_openai_settings).write(CopyRequest("동네 빵집 소금빵 매일 오후 3시 갓 구운 빵", "4:3", 1))
    assert len(fake_openai.requests) == 2


def test_a_reply_that_changes_a_count_is_sent_back(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    pt = {**GOOD, "industry": "fitness", "hashtags": ["#PT", "#헬스장"]}
    fake_openai.reply_json({**pt, "headline": "PT 3회 무료!", "body": "PT 10회 등록 시 3회 무료예요."})
    fake_openai.reply_json({**pt, "headline": "PT 2회 무료!", "body": "PT 10회 등록 시 2회 무료예요."})
    copywriter(make_openai_settings).write(CopyRequest("헬스장 PT 10회 등록 시 2회 무료", "4:3", 1))
    assert len(fake_openai.requests) == 2


def test_a_bare_unit_hashtag_is_sent_back(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    pt = {**GOOD, "headline": "PT 2회 무료!", "body": "PT 10회 등록 시 2회 무료! 지금 시작하세요.", "industry": "fitness"}
    fake_openai.reply_json({**pt, "hashtags": ["#PT", "#회", "#10회"]})
    fake_openai.reply_json({**pt, "hashtags": ["#PT", "#헬스장"]})
    result = copywriter(make_openai_settings).write(CopyRequest("헬스장 PT 10회 등록 시 2회 무료", "1:1", 1))
    repair = fake_openai.requests[1].messages[-1]["content"]
    assert "'#회'" in repair and "'#10회'" in repair and "'#PT'" not in repair
    assert result.ad_copy.hashtags == ["#PT", "#헬스장"] and result.fallback_used is False


# --- refinements -----------------------------------------------------------------------------------

CAFE = "카페 신메뉴 딸기라떼 출시, 한 잔 4,500원"


def _previous(text: str = CAFE, tone: str = "존댓말") -> CopyResult:
    return LocalCopywriter().write(CopyRequest(text, "1:1", 3, tone=tone))


def _refinement(text: str, previous: CopyResult, first: str = CAFE, ratio: str = "1:1", **kwargs: Any) -> CopyRequest:
    history = (Turn("user", first), Turn("assistant", previous.ad_copy.as_text()))
    return CopyRequest(input_text=text, aspect_ratio=ratio, seed=7, history=history, previous=previous, **kwargs)


def _same_image(a: CopyResult, b: CopyResult) -> bool:
    return (a.image_prompt, a.negative_prompt, a.style, a.industry) == (b.image_prompt, b.negative_prompt, b.style, b.industry)


def test_refinement_sends_the_previous_ad_and_the_history(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    assert "4,500원" not in previous.ad_copy.headline
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 한 잔 4,500원"})
    result = copywriter(make_openai_settings).write(_refinement("가격 강조해줘", previous))

    [sent] = fake_openai.requests
    assert [m["role"] for m in sent.messages] == ["system", "user", "assistant", "user"]
    assert sent.messages[1]["content"] == CAFE
    last = sent.messages[-1]["content"]
    assert json.dumps(previous.ad_copy.model_dump(), ensure_ascii=False) in last
    assert "가격 강조해줘" in last and "가격/할인 혜택을 헤드라인에서 강조하기" in last

    assert result.ad_copy.headline == "딸기라떼 한 잔 4,500원" and result.fallback_used is False
    assert result.ad_copy.cta == previous.ad_copy.cta  # not asked for: kept
    assert _same_image(result, previous) and result.notice is None


def test_text_only_refinement_keeps_unrequested_fields_even_if_the_model_changes_them(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings
) -> None:
    previous = _previous(PHONE_AD)
    fake_openai.reply_json(
        {
            "headline": "딸기라떼 12,000원 개시!",
            "body": "모델이 멋대로 바꾼 본문이에요.",
            "cta": "딴 버튼",
            "hashtags": ["#딴것"],
            "details": "",
        }
    )
    result = copywriter(make_openai_settings).write(_refinement("헤드라인 바꿔줘", previous, first=PHONE_AD))
    assert result.ad_copy.headline == "딸기라떼 12,000원 개시!"
    assert result.ad_copy.model_dump(exclude={"headline"}) == previous.ad_copy.model_dump(exclude={"headline"})
    assert "010-1234-5678" in result.ad_copy.details


@pytest.mark.parametrize("wish", ["더 밝게", "배경 파란색으로", "배경 바꿔줘", "더 고급스럽게"])
def test_a_picture_wish_needs_no_request_and_keeps_the_copy(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, wish: str) -> None:
    previous = _previous()
    result = copywriter(make_openai_settings).write(_refinement(wish, previous))
    assert fake_openai.requests == []
    assert result.ad_copy == previous.ad_copy and result.image_prompt != previous.image_prompt
    assert result.backend == "openai" and result.fallback_used is False


def test_a_picture_wish_keeps_words_over_another_ratios_budget(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous("수제버거 가게 토요일 오전 11시 오픈")
    assert budget_problems(previous.ad_copy, LENGTH_BUDGET["3:4"])  # the headline is long for a portrait
    result = copywriter(make_openai_settings).write(
        _refinement("더 밝게", previous, first="수제버거 가게 토요일 오전 11시 오픈", ratio="3:4")
    )
    assert fake_openai.requests == [] and result.ad_copy == previous.ad_copy and result.style == "bright"


def test_a_long_field_the_model_was_not_asked_to_change_is_not_its_problem(
    fake_openai: FakeOpenAI, make_openai_settings: MakeSettings
) -> None:
    previous = _previous("수제버거 가게 토요일 오전 11시 오픈")
    assert len(previous.ad_copy.headline) > LENGTH_BUDGET["1:1"].headline
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "cta": "오픈 알림 받기"})
    result = copywriter(make_openai_settings).write(_refinement("CTA 바꿔줘", previous, first="수제버거 가게 토요일 오전 11시 오픈"))
    assert len(fake_openai.requests) == 1 and result.fallback_used is False
    assert result.ad_copy.cta == "오픈 알림 받기" and result.ad_copy.headline == previous.ad_copy.headline


def test_shorter_must_really_be_shorter(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    longer = {**previous.ad_copy.model_dump(), "body": previous.ad_copy.body + " 정말로요!"}
    fake_openai.reply_json(longer)
    fake_openai.reply_json(longer)
    result = copywriter(make_openai_settings).write(_refinement("문구를 짧게", previous))
    assert "shorter than before" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is True
    assert len(result.ad_copy.headline) + len(result.ad_copy.body) < len(previous.ad_copy.headline) + len(previous.ad_copy.body)
    assert facts.compare(previous.ad_copy.as_text(), result.ad_copy.as_text()).ok
    assert result.image_prompt == previous.image_prompt


def test_shorter_that_drops_a_fact_is_sent_back(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 출시!", "body": "맛보러 오세요!"})
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 출시!", "body": "한 잔 4,500원."})
    result = copywriter(make_openai_settings).write(_refinement("문구를 짧게", previous))
    assert "'4,500원' is missing" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is False and result.ad_copy.body == "한 잔 4,500원."


def test_tone_refinement_rejects_polite_copy_for_banmal(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    fake_openai.reply_json(previous.ad_copy.model_dump())  # unchanged, still polite
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 나왔어!", "body": "한 잔 4,500원, 지금 바로 맛봐!"})
    result = copywriter(make_openai_settings).write(_refinement("반말로", previous))
    assert result.fallback_used is False and result.tone == "반말"
    assert result.ad_copy.body == "한 잔 4,500원, 지금 바로 맛봐!"
    assert "반말" in fake_openai.requests[1].messages[-1]["content"]


def test_tone_refinement_rejects_casual_copy_for_polite(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous(tone="반말")
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "body": "한 잔 4,500원, 지금 바로 맛봐!"})
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "body": "한 잔 4,500원, 지금 바로 맛보세요!"})
    result = copywriter(make_openai_settings).write(_refinement("존댓말로", previous))
    assert "존댓말" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is False and result.tone == "존댓말" and result.ad_copy.body.endswith("맛보세요!")


def test_a_refinement_keeps_the_price_the_last_ad_stated(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
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
    assert "do not state '4,500원'" in fake_openai.requests[1].messages[-1]["content"]
    assert result.fallback_used is False and result.ad_copy.body == "딸기라떼, 이제 4,000원에 맛보세요."


def test_a_new_product_may_replace_the_old_one(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous(PHONE_AD)
    assert "딸기라떼" in previous.ad_copy.headline
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "카페 초코라떼 12,000원!", "hashtags": ["#초코라떼"]})
    result = copywriter(make_openai_settings).write(_refinement("초코라떼로 바꿔줘", previous, first=PHONE_AD))
    assert len(fake_openai.requests) == 1 and result.fallback_used is False
    assert result.ad_copy.headline == "카페 초코라떼 12,000원!" and result.image_prompt.startswith("chocolate latte")


def test_failed_refinement_falls_back_to_local_refinement(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    for _ in range(3):
        fake_openai.error(503)
    request = _refinement("반말로", previous)
    result = copywriter(make_openai_settings).write(request)
    assert result.fallback_used is True and result.tone == "반말"
    assert result == LocalCopywriter().write(request).model_copy(update={"fallback_used": True})
    assert result.image_prompt == previous.image_prompt


def test_removing_hashtags_needs_no_model_and_they_stay_removed(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    writer = copywriter(make_openai_settings)
    previous = _previous()
    bare = writer.write(_refinement("해시태그 빼줘", previous))
    assert fake_openai.requests == []  # nothing for a model to write
    assert bare.ad_copy.hashtags == [] and bare.fallback_used is False and bare.backend == "openai"
    assert bare.ad_copy.model_dump(exclude={"hashtags"}) == previous.ad_copy.model_dump(exclude={"hashtags"})
    assert _same_image(bare, previous)

    # A later copy edit: the model's hashtags are not taken, and no hashtags is not a problem to repair.
    fake_openai.reply_json({"headline": "딸기라떼 출시!", "body": "한 잔 4,500원.", "cta": "주문하기", "hashtags": ["#딸기라떼"]})
    short = writer.write(_refinement("문구를 짧게", bare))
    assert len(fake_openai.requests) == 1 and short.fallback_used is False
    assert short.ad_copy.hashtags == [] and short.ad_copy.body == "한 잔 4,500원."
    assert writer.write(_refinement("더 밝게", short)).ad_copy.hashtags == []

    # Asked back: the model picks them, and only they change.
    fake_openai.reply_json({**short.ad_copy.model_dump(), "hashtags": ["#딸기라떼", "#신메뉴"]})
    back = writer.write(_refinement("해시태그 다시 넣어줘", short))
    assert back.ad_copy.hashtags == ["#딸기라떼", "#신메뉴"] and back.fallback_used is False
    assert back.ad_copy.model_dump(exclude={"hashtags"}) == short.ad_copy.model_dump(exclude={"hashtags"})


def test_removing_hashtags_with_another_edit_tells_the_model(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "headline": "딸기라떼 한 잔 4,500원", "hashtags": ["#딸기라떼"]})
    result = copywriter(make_openai_settings).write(_refinement("해시태그 없이 가격 강조해줘", previous))
    assert result.ad_copy.hashtags == [] and result.ad_copy.headline == "딸기라떼 한 잔 4,500원"
    assert "해시태그는 모두 빼기" in fake_openai.requests[0].messages[-1]["content"]


@pytest.mark.parametrize(
    ("wish", "field", "words"),
    [
        ("헤드라인을 '오픈 기념 세트 20% 할인'으로 바꿔줘", "headline", "오픈 기념 세트 20% 할인"),
        ("제목은 “봄맞이 딸기 축제”로", "headline", "봄맞이 딸기 축제"),
        ("버튼을 「전화 주문」으로", "cta", "전화 주문"),
        ("본문을 ‘매장에서 직접 만든 딸기청을 넣었어요.’로 바꿔줘", "body", "매장에서 직접 만든 딸기청을 넣었어요."),
    ],
)
def test_quoted_words_need_no_model(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, wish: str, field: str, words: str) -> None:
    previous = _previous()
    result = copywriter(make_openai_settings).write(_refinement(wish, previous))
    assert fake_openai.requests == []
    assert getattr(result.ad_copy, field) == words
    assert result.ad_copy.model_dump(exclude={field}) == previous.ad_copy.model_dump(exclude={field})
    assert result.backend == "openai" and result.fallback_used is False and _same_image(result, previous)


def test_quoted_words_added_to_the_body_need_no_model(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    result = copywriter(make_openai_settings).write(_refinement("본문에 '주차 가능' 넣어줘", previous))
    assert fake_openai.requests == []
    assert "주차 가능" in result.ad_copy.body and "4,500원" in result.ad_copy.body


@pytest.mark.parametrize("wish", ["가격 강조해줘", "가격을 크게 보여줘"])
def test_price_emphasis_without_a_price_needs_no_model(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, wish: str) -> None:
    text = "꽃집 어버이날 카네이션 예약 받아요"
    previous = _previous(text)
    result = copywriter(make_openai_settings).write(_refinement(wish, previous, first=text))
    assert fake_openai.requests == []
    assert result.notice is not None and result.notice.startswith("이 광고에는 가격이 없어서")
    assert not [f for f in facts.read(result.ad_copy.as_text()) if f.kind in ("amount", "percent")]
    assert result.backend == "openai" and result.fallback_used is False


# --- a new sentence in a session is a new ad -----------------------------------------------------------

FLOWERS = "꽃집 어버이날 카네이션 꽃다발 3만원 예약 받아요"
FLOWER_REPLY = {
    "headline": "어버이날 카네이션 꽃다발",
    "body": "꽃다발 30,000원, 예약 받아요.",
    "cta": "예약하기",
    "hashtags": ["#카네이션", "#어버이날"],
    "industry": "flower",
    "image_prompt": "a bouquet of red carnations on a florist counter",
}


def test_a_new_brief_is_written_afresh_without_the_last_ad(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    fake_openai.reply_json({**FLOWER_REPLY, "body": "꽃다발 30,000원, 딸기라떼 4,500원도 있어요."})  # the cafe's price carried over
    fake_openai.reply_json(FLOWER_REPLY)
    result = copywriter(make_openai_settings).write(_refinement(FLOWERS, previous))

    first, second = fake_openai.requests
    assert [m["role"] for m in first.messages] == ["system", "user"] and first.messages[1]["content"] == FLOWERS
    assert "딸기라떼" not in first.text() and "이전 광고" not in first.text()
    assert "'4,500원' (amount) is not in the owner's words" in second.messages[-1]["content"]
    assert result.notice == NEW_BRIEF_NOTICE and result.fallback_used is False
    assert result.ad_copy.body == FLOWER_REPLY["body"] and result.industry == "flower"
    assert result.image_prompt.startswith(FLOWER_REPLY["image_prompt"])


def test_a_new_brief_falls_back_to_a_fresh_local_ad(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings) -> None:
    previous = _previous()
    for _ in range(3):
        fake_openai.error(503)
    result = copywriter(make_openai_settings).write(_refinement(FLOWERS, previous))
    fresh = LocalCopywriter().write(CopyRequest(FLOWERS, "1:1", 7))
    assert result == fresh.model_copy(update={"fallback_used": True, "notice": NEW_BRIEF_NOTICE})
    assert "4,500원" not in result.ad_copy.as_text() and "딸기라떼" not in result.ad_copy.as_text()


@pytest.mark.parametrize("wish", ["딸기라떼로 바꿔줘", "문구 다시 써줘"])
def test_a_wish_about_the_last_ad_is_no_new_brief(fake_openai: FakeOpenAI, make_openai_settings: MakeSettings, wish: str) -> None:
    previous = _previous()
    fake_openai.reply_json({**previous.ad_copy.model_dump(), "body": "한 잔 4,500원. 들러서 맛보세요!"})
    result = copywriter(make_openai_settings).write(_refinement(wish, previous))
    [sent] = fake_openai.requests
    assert "이전 광고" in sent.messages[-1]["content"] and result.notice is None


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
