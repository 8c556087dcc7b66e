"""Refinements through the local copywriter: a picture wish keeps the words, a copy wish keeps the picture.

Every test goes through ``LocalCopywriter().write(CopyRequest(..., previous=<the last ad>))`` and
``plan_refinement``, as the service does. Whatever the wish, the owner's facts stay: the new ad is
checked against the last one with ``facts.compare`` (the one fact reader), never by eye.
"""

from __future__ import annotations

import pytest

from adgen.copywriter import LENGTH_BUDGET, CopyRequest, LocalCopywriter, Turn, facts, lexicon, plan_refinement, templates
from adgen.copywriter.korean import is_casual, is_polite
from adgen.copywriter.refinement import NEW_BRIEF_NOTICE
from adgen.schemas import AdCopy, CopyResult

writer = LocalCopywriter()

CAFE = "카페 신메뉴 딸기라떼 출시, 한 잔 4,500원"
# Sentences whose ads carry the owner's phrases in the body, then a closing line.
WITH_PHRASES = [
    CAFE,
    "카페 딸기라떼 1만2천원, 포장 가능해요. 예약 문의 010-1234-5678",
    "동네 빵집 소금빵 매일 오후 3시 갓 구운 빵",
    "네일샵 젤네일 3만원 이벤트 12/24~12/26 인스타 @nail_mori",
    "부동산 아파트 전세 3천만원 매물, 문의 010-1234-5678",
    "필라테스 신규 회원 첫 달 50% 할인! 10회 등록 시 2회 무료",
]
# Sentences that fit in the headline: the body is only a closing line.
HEADLINE_ONLY = [
    "헬스장 PT 30% 할인",
    "수분 세럼 신제품 출시 기념 1+1",
    "수제버거 가게 토요일 오전 11시 오픈",
    "꽃집 어버이날 카네이션 예약 받아요",
]
NO_PRICE = ["동네 빵집 소금빵 매일 오후 3시 갓 구운 빵", "수제버거 가게 토요일 오전 11시 오픈", "꽃집 어버이날 카네이션 예약 받아요"]

PICTURE_WISHES = [
    "더 밝게",
    "배경 파란색으로",
    "배경을 파란색으로",
    "더 고급스럽게",
    "좀 어둡게 해줘",
    "배경 바꿔줘",
    "따뜻한 분위기로",
    "사진 다시 만들어줘",
]
COPY_WISHES = [
    "문구를 짧게",
    "반말로",
    "가격 강조해줘",
    "헤드라인 바꿔줘",
    "해시태그 다른 걸로",
    "해시태그 빼줘",
    "본문 좀 더 길게",
    "문구 다시 써줘",
    "CTA 바꿔줘",
    "음... 별로예요",
]


def first_ad(text: str = CAFE, ratio: str = "1:1", seed: int = 1, **kwargs: object) -> CopyResult:
    return writer.write(CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed, **kwargs))  # type: ignore[arg-type]


def refine(previous: CopyResult, text: str, *, ratio: str = "1:1", seed: int = 2, first: str = CAFE, **kwargs: object) -> CopyResult:
    history = (Turn("user", first), Turn("assistant", previous.ad_copy.as_text()))
    request = CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed, history=history, previous=previous, **kwargs)  # type: ignore[arg-type]
    return writer.write(request)


def plan(previous: CopyResult, text: str):  # type: ignore[no-untyped-def]
    return plan_refinement(CopyRequest(text, "1:1", 0, previous=previous), previous)


def same_image(a: CopyResult, b: CopyResult) -> bool:
    return (a.image_prompt, a.negative_prompt, a.style, a.industry) == (b.image_prompt, b.negative_prompt, b.style, b.industry)


def facts_kept(previous: CopyResult, result: CopyResult) -> facts.Report:
    return facts.compare(previous.ad_copy.as_text(), result.ad_copy.as_text())


def closing_of(body: str) -> templates.Line | None:
    """The framing line the body ends with, as a (존댓말, 반말) pair."""
    return next((pair for pairs in templates.CLOSINGS.values() for pair in pairs if body.endswith(pair)), None)


# --- a picture wish keeps the words; a copy wish keeps the picture --------------------------------


@pytest.mark.parametrize("wish", PICTURE_WISHES)
@pytest.mark.parametrize("text", [CAFE, "네일샵 젤네일 3만원 이벤트 12/24~12/26 인스타 @nail_mori", "헬스장 PT 30% 할인"])
def test_a_picture_wish_keeps_the_copy_exactly(wish: str, text: str) -> None:
    previous = first_ad(text)
    result = refine(previous, wish, first=text)
    assert result.ad_copy == previous.ad_copy
    assert (result.tone, result.industry, result.notice) == (previous.tone, previous.industry, None)
    assert result.image_prompt != previous.image_prompt, (wish, text)
    assert result.negative_prompt == previous.negative_prompt


@pytest.mark.parametrize("wish", [*COPY_WISHES, "헤드라인을 '오픈 기념 세트'로 바꿔줘", "본문에 '주차 가능' 넣어줘"])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_copy_wish_keeps_the_picture_exactly(wish: str, seed: int) -> None:
    previous = first_ad(seed=seed)
    result = refine(previous, wish, seed=seed + 10)
    assert same_image(result, previous)


@pytest.mark.parametrize("wish", [w for w in COPY_WISHES if w != "해시태그 빼줘"])
@pytest.mark.parametrize("text", WITH_PHRASES + HEADLINE_ONLY)
def test_a_copy_wish_never_loses_or_invents_a_fact(wish: str, text: str) -> None:
    previous = first_ad(text)
    result = refine(previous, wish, first=text)
    assert facts_kept(previous, result).ok, (wish, previous.ad_copy, result.ad_copy)
    assert result.ad_copy.details == previous.ad_copy.details


@pytest.mark.parametrize(
    "wish",
    [
        *COPY_WISHES,
    ],
)
def test_a_copy_wish_is_answered(wish: str) -> None:
    """The words change, or a notice tells the owner why they could not."""
    previous = first_ad()
    result = refine(previous, wish)
    assert result.ad_copy != previous.ad_copy or result.notice, wish


# --- 문구를 짧게 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", WITH_PHRASES)
@pytest.mark.parametrize("ratio", sorted(LENGTH_BUDGET))
@pytest.mark.parametrize("seed", range(3))
def test_shorter_drops_the_closing_line_and_no_fact(text: str, ratio: str, seed: int) -> None:
    previous = first_ad(text, ratio, seed)
    before = previous.ad_copy
    assert closing_of(before.body) is not None, before
    result = refine(previous, "문구를 짧게", ratio=ratio, seed=seed, first=text)
    after = result.ad_copy
    assert facts_kept(previous, result).ok, (before, after)
    assert len(after.headline) + len(after.body) < len(before.headline) + len(before.body)
    assert after.headline == before.headline and before.body.startswith(after.body.rstrip("."))
    assert (after.cta, after.hashtags, after.details) == (before.cta, before.hashtags, before.details)
    assert same_image(result, previous) and result.notice is None


@pytest.mark.parametrize("text", HEADLINE_ONLY)
@pytest.mark.parametrize("seed", range(2))
def test_shorter_with_nothing_to_drop_says_so(text: str, seed: int) -> None:
    previous = first_ad(text, seed=seed)
    result = refine(previous, "문구를 짧게", seed=seed, first=text)
    assert result.ad_copy == previous.ad_copy
    assert result.notice


@pytest.mark.parametrize(
    ("text", "offer"),
    [("카페 신메뉴 딸기라떼 홍보, 20% 할인", "20%"), ("수분 세럼 신제품 출시 기념 1+1", "1+1"), ("헬스장 PT 30% 할인 이벤트", "30%")],
)
@pytest.mark.parametrize("seed", range(4))
def test_shorter_keeps_the_offer_in_the_headline(text: str, offer: str, seed: int) -> None:
    previous = first_ad(text, seed=seed)
    assert offer in previous.ad_copy.headline
    result = refine(previous, "문구를 짧게", seed=seed, first=text)
    assert offer in result.ad_copy.headline and facts_kept(previous, result).ok


def test_shorter_on_words_the_templates_did_not_write_changes_nothing_and_says_so() -> None:
    # "오늘도 기다릴게요" is the owner's (or a model's) line, not a closing the local writer may drop.
    previous = first_ad("한식당 점심 특선 김치찌개 8천원")
    previous = previous.model_copy(update={"ad_copy": previous.ad_copy.model_copy(update={"body": "김치찌개 8,000원! 오늘도 기다릴게요."})})
    result = refine(previous, "문구를 짧게", first="한식당 점심 특선 김치찌개 8천원")
    assert result.ad_copy == previous.ad_copy
    assert result.notice and "직접" in result.notice


# --- words in quotes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wish", "field", "words"),
    [
        ("헤드라인을 '오픈 기념 세트 20% 할인'으로 바꿔줘", "headline", "오픈 기념 세트 20% 할인"),
        ('제목을 "봄맞이 딸기 축제"로 바꿔줘', "headline", "봄맞이 딸기 축제"),
        ("헤드라인은 “딸기가 왔어요”로", "headline", "딸기가 왔어요"),
        ("제목 ‘딸기 한 잔의 봄’으로 해줘", "headline", "딸기 한 잔의 봄"),
        ("헤드라인 「딸기라떼 개시」로 바꿔 주세요", "headline", "딸기라떼 개시"),
        ("본문을 '매장에서 직접 만든 딸기청을 넣었어요.'로 바꿔줘", "body", "매장에서 직접 만든 딸기청을 넣었어요."),
        ("본문에 '주차 가능' 넣어줘", "body_add", "주차 가능"),
        ("본문에 “테이크아웃 10% 할인” 추가해줘", "body_add", "테이크아웃 10% 할인"),
        ("'주차 가능' 넣어줘", "body_add", "주차 가능"),
        ("제목 말고 본문에 '주차 가능' 넣어줘", "body_add", "주차 가능"),
        ("버튼을 '전화 주문'으로", "cta", "전화 주문"),
        ("CTA는 「매장 방문」으로 바꿔줘", "cta", "매장 방문"),
    ],
)
def test_quoted_words_are_applied_exactly(wish: str, field: str, words: str) -> None:
    previous = first_ad()
    assert plan(previous, wish).quoted == {field: words}
    result = refine(previous, wish)
    ad, before = result.ad_copy, previous.ad_copy
    if field == "body_add":
        assert words in ad.body and facts_kept(previous, result).missing == ()
        assert ad.model_dump(exclude={"body"}) == before.model_dump(exclude={"body"})
    else:
        assert getattr(ad, field) == words
        assert ad.model_dump(exclude={field}) == before.model_dump(exclude={field})
    assert same_image(result, previous) and result.tone == previous.tone


def test_two_quotes_go_to_their_own_fields() -> None:
    previous = first_ad()
    result = refine(previous, "헤드라인은 '봄 세일'로 하고 버튼은 '전화 주문'으로 바꿔줘")
    assert (result.ad_copy.headline, result.ad_copy.cta) == ("봄 세일", "전화 주문")
    assert result.ad_copy.body == previous.ad_copy.body


def test_an_amount_in_quotes_is_the_owners_words_not_a_new_price() -> None:
    previous = first_ad()
    wish = "헤드라인을 '오픈 기념 세트 20% 할인'으로 바꿔줘"
    assert plan(previous, wish).new_amounts == ()
    assert refine(previous, wish).notice is None


# --- 가격 강조해줘 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [CAFE, "카페 딸기라떼 1만2천원, 포장 가능해요. 예약 문의 010-1234-5678", "헬스장 PT 30% 할인"])
@pytest.mark.parametrize("seed", range(3))
def test_price_emphasis_puts_the_price_in_the_headline(text: str, seed: int) -> None:
    previous = first_ad(text, seed=seed)
    result = refine(previous, "가격 강조해줘", seed=seed, first=text)
    assert any(f.kind in ("amount", "percent") for f in facts.read(result.ad_copy.headline)), result.ad_copy
    assert facts_kept(previous, result).ok
    assert same_image(result, previous)


@pytest.mark.parametrize("text", NO_PRICE)
@pytest.mark.parametrize("wish", ["가격 강조해줘", "가격을 크게 보여줘"])
def test_price_emphasis_without_a_price_says_so_and_invents_none(text: str, wish: str) -> None:
    previous = first_ad(text)
    result = refine(previous, wish, first=text)
    assert result.notice is not None and result.notice.startswith("이 광고에는 가격이 없어서")
    assert not [f for f in facts.read(result.ad_copy.as_text()) if f.kind in ("amount", "percent")]
    assert facts_kept(previous, result).ok and same_image(result, previous)


def test_a_new_price_is_an_offer_not_an_emphasis() -> None:
    previous = first_ad()
    asked = plan(previous, "가격 4만원으로 바꿔줘")
    assert asked.new_amounts == ("40,000원",) and "offer" in asked.copy_edits and "price" not in asked.copy_edits
    assert not asked.new_brief


# --- 반말로 / 존댓말로 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", WITH_PHRASES + HEADLINE_ONLY)
@pytest.mark.parametrize("seed", range(3))
def test_tone_switches_the_framing_line_and_keeps_the_owners_phrases(text: str, seed: int) -> None:
    previous = first_ad(text, seed=seed)
    pair = closing_of(previous.ad_copy.body)
    assert previous.tone == "존댓말" and pair is not None and is_polite(pair[0])
    casual = refine(previous, "반말로 바꿔줘", seed=seed, first=text)
    assert casual.tone == "반말" and casual.ad_copy.body.endswith(pair[1]) and is_casual(pair[1])
    owners = previous.ad_copy.body.removesuffix(pair[0])
    assert casual.ad_copy.body.removesuffix(pair[1]) == owners
    assert casual.ad_copy.model_dump(exclude={"body"}) == previous.ad_copy.model_dump(exclude={"body"})
    assert facts_kept(previous, casual).ok and same_image(casual, previous)

    polite = refine(casual, "다시 존댓말로", seed=seed, first=text)
    assert polite.tone == "존댓말" and polite.ad_copy == previous.ad_copy and same_image(polite, previous)


def test_tone_change_on_a_models_words_is_done_or_explained() -> None:
    previous = CopyResult(
        ad_copy=AdCopy(
            headline="여름엔 수박주스!", body="시원한 수박주스가 나왔어요. 지금 주문하세요!", cta="주문하기", hashtags=["#수박주스"]
        ),
        image_prompt="a glass of watermelon juice with ice, eye-level shot, warm tones",
        negative_prompt="text, watermark",
        industry="cafe",
        style="warm",
        tone="존댓말",
        backend="openai",
    )
    casual = refine(previous, "반말로", first="여름 수박주스 홍보")
    assert not is_polite(casual.ad_copy.body) or casual.notice


# --- hashtags -------------------------------------------------------------------------------------

DROP_HASHTAGS = ["해시태그 빼줘", "해시태그 없이", "태그 지워줘", "해시태그 필요 없어", "해시태그는 안 넣어도 돼요", "해시태그 없애 주세요"]


@pytest.mark.parametrize("wish", DROP_HASHTAGS)
def test_removing_the_hashtags_changes_nothing_else(wish: str) -> None:
    previous = first_ad()
    assert previous.ad_copy.hashtags
    result = refine(previous, wish)
    assert result.ad_copy.hashtags == []
    assert result.ad_copy.model_dump(exclude={"hashtags"}) == previous.ad_copy.model_dump(exclude={"hashtags"})
    assert same_image(result, previous) and result.tone == previous.tone


def test_removed_hashtags_stay_removed() -> None:
    ad = refine(first_ad(), "해시태그 빼줘")
    history: tuple[Turn, ...] = (Turn("user", CAFE),)
    for wish in [
        "문구를 짧게",
        "반말로",
        "더 밝게",
        "가격 강조해줘",
        "초코라떼로 바꿔줘",
        "다시 만들어줘",
        "문구 다시 써줘",
        "헤드라인을 '봄 세일'로 바꿔줘",
    ]:
        history += (Turn("assistant", ad.ad_copy.as_text()),)
        ad = writer.write(CopyRequest(wish, "1:1", 5, history=history, previous=ad))
        history += (Turn("user", wish),)
        assert ad.ad_copy.hashtags == [], (wish, ad.ad_copy)
        assert plan(ad, "문구를 짧게").no_hashtags


def test_hashtags_asked_back_come_back() -> None:
    bare = refine(first_ad(), "해시태그 빼줘")
    back = refine(bare, "해시태그 넣어줘")
    assert back.ad_copy.hashtags


@pytest.mark.parametrize(
    ("wish", "edit"),
    [
        ("해시태그 빼줘", "drop_hashtags"),
        ("태그는 지우고 문구 짧게", "drop_hashtags"),
        ("해시태그 빼지 말고 다른 걸로", "hashtags"),
        ("해시태그 넣어줘", "hashtags"),
        ("해시태그 바꿔줘", "hashtags"),
    ],
)
def test_plan_reads_hashtag_requests(wish: str, edit: str) -> None:
    previous = first_ad()
    asked = plan(previous, wish)
    assert edit in asked.copy_edits and not asked.changes_image(previous)
    assert asked.no_hashtags == (edit == "drop_hashtags")


# --- a new sentence in the session is a new ad -------------------------------------------------------

NEW_BRIEFS = [
    "꽃집 어버이날 카네이션 꽃다발 3만원 예약 받아요",
    "빨간 장미 꽃다발 5만원",
    "미용실 커트 1만원 펌 5만원",
    "헬스장 PT 10회 50만원",
    "동네 세탁소 운동화 세탁 시작했어요",
    "고급 한우 선물세트 10만원 예약 받아요",
]
NOT_NEW_BRIEFS = [
    "딸기라떼로 바꿔줘",
    "초코라떼로 바꿔줘",
    "초코라떼도 있어요",
    "가격 4만원으로 바꿔줘",
    "30% 할인으로",
    "딸기라떼 5천원",
    "빨간색으로",
    "헬스장 느낌으로 더 밝게",
    "고급스럽게 해주세요",
    "좀 더 세련된 느낌",
    "다시 존댓말로",
    "헤드라인을 '꽃집 어버이날 카네이션 3만원'으로 바꿔줘",
    *PICTURE_WISHES,
    *COPY_WISHES,
]


@pytest.mark.parametrize("sentence", NEW_BRIEFS)
def test_a_new_unrelated_sentence_is_a_fresh_ad_without_the_last_ads_facts(sentence: str) -> None:
    previous = first_ad()
    assert plan(previous, sentence).new_brief
    result = refine(previous, sentence)
    assert result.notice == NEW_BRIEF_NOTICE
    assert result == first_ad(sentence, seed=2).model_copy(update={"notice": NEW_BRIEF_NOTICE})
    shown = result.ad_copy.as_text()
    for fact in facts.read(previous.ad_copy.as_text()):
        assert fact.text not in shown, fact
    assert "딸기라떼" not in shown and "strawberry" not in result.image_prompt
    assert facts.compare(sentence, shown).ok


@pytest.mark.parametrize("wish", NOT_NEW_BRIEFS)
def test_a_wish_about_the_last_ad_is_not_a_new_brief(wish: str) -> None:
    previous = first_ad()
    assert not plan(previous, wish).new_brief, wish
    assert refine(previous, wish).notice != NEW_BRIEF_NOTICE


def test_a_new_brief_after_a_refinement_still_leaves_the_old_ad_behind() -> None:
    shorter = refine(first_ad(), "문구를 짧게")
    flowers = refine(shorter, "꽃집 어버이날 카네이션 꽃다발 3만원 예약 받아요")
    assert flowers.industry == "flower" and "4,500원" not in flowers.ad_copy.as_text()
    # And the next wish refines the flower ad.
    brighter = refine(flowers, "더 밝게", first="꽃집 어버이날 카네이션 꽃다발 3만원 예약 받아요")
    assert brighter.ad_copy == flowers.ad_copy and brighter.notice is None


# --- the picture ---------------------------------------------------------------------------------------


def test_brighter_switches_to_the_bright_style() -> None:
    previous = first_ad()
    assert previous.style == "warm"
    result = refine(previous, "더 밝게")
    assert result.style == "bright"
    assert "bright, high-key lighting" in result.image_prompt
    assert "warm tones" not in result.image_prompt
    kept = [p for p in previous.image_prompt.split(", ") if p not in lexicon.STYLE_DESCRIPTORS["warm"]]
    assert [p for p in result.image_prompt.split(", ") if p in kept] == kept


def test_a_style_wish_for_the_style_the_ad_has_still_changes_the_picture() -> None:
    bright = refine(first_ad(), "더 밝게")
    again = refine(bright, "더 밝게")
    assert again.ad_copy == bright.ad_copy and again.image_prompt != bright.image_prompt


def test_darker_then_brighter_does_not_ask_for_both_lights() -> None:
    dark = refine(first_ad(), "어둡게 해줘")
    assert "low-key lighting" in dark.image_prompt and dark.style == "premium"
    bright = refine(dark, "다시 밝게")
    assert "low-key lighting" not in bright.image_prompt and "high-key lighting" in bright.image_prompt
    assert bright.ad_copy == dark.ad_copy


def test_a_new_colour_replaces_the_old_one() -> None:
    blue = refine(first_ad(), "배경을 파란색으로")
    assert "blue background" in blue.image_prompt and blue.style == "warm"
    red = refine(blue, "배경은 빨간색이 좋겠어요")
    assert "red background" in red.image_prompt and "blue background" not in red.image_prompt
    assert red.image_prompt.index("red background") < red.image_prompt.index(lexicon.QUALITY_TERMS[0])


def test_a_colour_never_replaces_a_subject_that_starts_with_a_colour_word() -> None:
    """A new background colour must not take the "green tea latte" out of the picture."""
    text = "카페 신메뉴 녹차라떼 출시"
    first = first_ad(text)
    assert "green tea latte" in first.image_prompt
    blue = refine(first, "배경을 파란색으로 바꿔줘", first=text)
    assert "blue background" in blue.image_prompt and "green tea latte" in blue.image_prompt
    red = refine(blue, "배경은 빨간색으로", first=text)
    assert "red background" in red.image_prompt and "blue background" not in red.image_prompt
    assert "green tea latte" in red.image_prompt


def test_regenerate_changes_the_composition_only() -> None:
    previous = first_ad()
    result = refine(previous, "다시 만들어줘")
    changed = [(a, b) for a, b in zip(previous.image_prompt.split(", "), result.image_prompt.split(", "), strict=True) if a != b]
    assert len(changed) == 1 and all(p in lexicon.COMPOSITIONS for p in changed[0])
    assert (result.industry, result.style, result.tone) == (previous.industry, previous.style, previous.tone)
    assert facts_kept(previous, result).ok


def test_a_new_product_changes_the_subject_of_the_picture() -> None:
    previous = first_ad()
    result = refine(previous, "초코라떼로 바꿔줘")
    assert result.image_prompt.startswith("chocolate latte") and "strawberry" not in result.image_prompt
    assert result.image_prompt.split(", ")[1:] == previous.image_prompt.split(", ")[1:]
    assert "초코라떼" in result.ad_copy.as_text() or result.notice
    assert (result.style, result.industry) == (previous.style, previous.industry)


def test_industry_persists_even_when_the_request_names_another() -> None:
    assert refine(first_ad(), "헬스장 느낌으로 더 밝게").industry == "cafe"


def test_form_fields_resent_with_a_refinement_do_not_undo_it() -> None:
    # The form sends its dropdowns again with every message; only the words decide.
    first = first_ad(style="warm", tone="존댓말")
    bright = refine(first, "더 밝게", style="warm", tone="존댓말")
    casual = refine(bright, "반말로", style="warm", tone="존댓말")
    assert casual.tone == "반말" and same_image(casual, bright) and casual.style == "bright"
    shorter = refine(casual, "문구를 짧게", style="warm", tone="존댓말")
    assert shorter.tone == "반말" and same_image(shorter, bright)
    blue = refine(shorter, "배경을 파란색으로", style="warm", tone="존댓말")
    assert blue.ad_copy == shorter.ad_copy and blue.style == "bright"


def test_a_picture_wish_under_another_aspect_ratio_keeps_the_words() -> None:
    previous = first_ad("수제버거 가게 토요일 오전 11시 오픈", ratio="4:3", seed=4)
    result = refine(previous, "더 밝게", ratio="3:4", first="수제버거 가게 토요일 오전 11시 오픈")
    assert result.ad_copy == previous.ad_copy


def test_an_ad_stored_without_its_prompt_can_still_be_refined() -> None:
    previous = first_ad().model_copy(update={"image_prompt": "", "negative_prompt": ""})
    assert same_image(refine(previous, "문구를 짧게"), previous)
    bright = refine(previous, "더 밝게")
    assert bright.style == "bright" and "cozy cafe interior" in bright.image_prompt and "high-key lighting" in bright.image_prompt
    assert bright.ad_copy == previous.ad_copy and bright.negative_prompt


@pytest.mark.parametrize(
    ("wish", "copy", "image"),
    [
        ("문구를 짧게", True, False),
        ("더 밝게", False, True),
        ("더 밝게 하고 문구도 짧게", True, True),
        ("배경을 파란색으로", False, True),
        ("다시 만들어줘", True, True),
        ("문구만 다시", True, False),
        ("배경만 다시", False, True),
        ("반말로", True, False),
        ("해시태그 바꿔줘", True, False),
        ("헤드라인을 '봄 세일'로 바꿔줘", True, False),
        ("vivid style please", False, True),
        ("ㅎㅎ", True, False),
    ],
)
def test_plan(wish: str, copy: bool, image: bool) -> None:
    previous = first_ad()
    asked = plan(previous, wish)
    assert (asked.changes_copy, asked.changes_image(previous)) == (copy, image)


def test_refinement_is_deterministic() -> None:
    previous = first_ad()
    assert refine(previous, "다시 만들어줘", seed=9) == refine(previous, "다시 만들어줘", seed=9)


def test_a_price_given_after_the_no_price_notice_is_added_word_for_word() -> None:
    text = "동네 빵집 소금빵 나왔어요"
    previous = first_ad(text)
    asked = refine(previous, "가격 강조해줘", first=text)
    assert asked.notice and "가격이 없어서" in asked.notice
    given = refine(asked, "가격 2,500원 넣어줘", first=text)
    assert "가격 2,500원" in given.ad_copy.body and "넣어" not in given.ad_copy.body and given.notice is None
    report = facts.compare(previous.ad_copy.as_text() + " 2,500원", given.ad_copy.as_text())
    assert report.ok, report


def test_a_new_price_replaces_the_one_price_of_the_ad() -> None:
    text = "카페 신메뉴 딸기라떼 5,500원 출시"
    result = refine(first_ad(text), "가격 6천원으로 바꿔줘", first=text)
    said = result.ad_copy.as_text()
    assert "6,000원" in said and "5,500원" not in said and result.notice is None
