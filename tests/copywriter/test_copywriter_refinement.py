"""Refinements: a text-only request keeps the picture, an image request keeps the words."""

from __future__ import annotations

import pytest

from adgen.copywriter import LENGTH_BUDGET, CopyRequest, LocalCopywriter, Turn, budget_problems, lexicon, plan_refinement, templates
from adgen.schemas import AdCopy, CopyResult

writer = LocalCopywriter()
FIRST = "카페 신메뉴 딸기라떼 홍보, 한 잔 4,500원"


def first_ad(text: str = FIRST, ratio: str = "1:1", seed: int = 1, **kwargs: object) -> CopyResult:
    return writer.write(CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed, **kwargs))  # type: ignore[arg-type]


def refine(previous: CopyResult, text: str, *, ratio: str = "1:1", seed: int = 2, first: str = FIRST, **kwargs: object) -> CopyResult:
    history = (Turn("user", first), Turn("assistant", previous.ad_copy.as_text()))
    request = CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed, history=history, previous=previous, **kwargs)  # type: ignore[arg-type]
    return writer.write(request)


def same_image(a: CopyResult, b: CopyResult) -> bool:
    return (a.image_prompt, a.negative_prompt, a.style, a.industry) == (b.image_prompt, b.negative_prompt, b.style, b.industry)


TEXT_ONLY = ["문구를 짧게", "반말로", "가격 강조해줘", "헤드라인 바꿔줘", "해시태그 다른 걸로", "본문 좀 더 길게", "문구 다시 써줘",
             "CTA 바꿔줘", "음... 별로예요"]  # fmt: skip
IMAGE_ONLY = ["더 밝게", "배경을 파란색으로", "더 고급스럽게", "좀 어둡게 해줘", "배경 바꿔줘", "따뜻한 분위기로", "사진 다시 만들어줘"]


@pytest.mark.parametrize("text", TEXT_ONLY)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_text_only_request_keeps_the_image_exactly(text: str, seed: int) -> None:
    previous = first_ad(seed=seed)
    result = refine(previous, text, seed=seed + 10)
    assert same_image(result, previous)
    assert result.ad_copy != previous.ad_copy, text
    assert budget_problems(result.ad_copy, LENGTH_BUDGET["1:1"]) == []


@pytest.mark.parametrize("text", IMAGE_ONLY)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_image_request_keeps_the_copy_exactly(text: str, seed: int) -> None:
    previous = first_ad(seed=seed)
    result = refine(previous, text, seed=seed + 10)
    assert result.ad_copy == previous.ad_copy
    assert result.tone == previous.tone and result.industry == previous.industry
    assert result.image_prompt != previous.image_prompt, text
    assert result.negative_prompt == previous.negative_prompt


def test_brighter_switches_to_the_bright_style() -> None:
    previous = first_ad()
    assert previous.style == "warm"
    result = refine(previous, "더 밝게")
    assert result.style == "bright"
    assert "bright, high-key lighting" in result.image_prompt
    assert "warm tones" not in result.image_prompt
    # Everything else in the prompt is still there, in order.
    kept = [p for p in previous.image_prompt.split(", ") if p not in lexicon.STYLE_DESCRIPTORS["warm"]]
    assert [p for p in result.image_prompt.split(", ") if p in kept] == kept


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
    """"green tea latte" starts with a colour: a new background colour must not take the latte out of the picture."""
    first = first_ad("카페 신메뉴 녹차라떼 출시")
    assert "green tea latte" in first.image_prompt
    blue = refine(first, "배경을 파란색으로 바꿔줘", first="카페 신메뉴 녹차라떼 출시")
    assert "blue background" in blue.image_prompt and "green tea latte" in blue.image_prompt
    red = refine(blue, "배경은 빨간색으로", first="카페 신메뉴 녹차라떼 출시")
    assert "red background" in red.image_prompt and "blue background" not in red.image_prompt
    assert "green tea latte" in red.image_prompt


@pytest.mark.parametrize("industry_text", [FIRST, "헬스장 PT 30% 할인", "꽃집 어버이날 카네이션", "부동산 아파트 전세 매물"])
@pytest.mark.parametrize("ratio", sorted(LENGTH_BUDGET))
@pytest.mark.parametrize("seed", range(6))
def test_shorter_is_shorter(industry_text: str, ratio: str, seed: int) -> None:
    previous = first_ad(industry_text, ratio, seed)
    result = refine(previous, "문구를 짧게", ratio=ratio, seed=seed, first=industry_text)
    before = len(previous.ad_copy.headline) + len(previous.ad_copy.body)
    after = len(result.ad_copy.headline) + len(result.ad_copy.body)
    assert after < before, (previous.ad_copy, result.ad_copy)
    assert result.ad_copy.cta == previous.ad_copy.cta and result.ad_copy.hashtags == previous.ad_copy.hashtags
    assert same_image(result, previous)


@pytest.mark.parametrize("seed", range(8))
def test_tone_change_rewrites_only_the_endings_and_back(seed: int) -> None:
    previous = first_ad(seed=seed)
    assert previous.tone == "존댓말"
    casual = refine(previous, "반말로 바꿔줘", seed=seed)
    assert casual.tone == "반말"
    assert not templates.is_polite(f"{casual.ad_copy.headline} {casual.ad_copy.body} {casual.ad_copy.cta}")
    assert casual.ad_copy.hashtags == previous.ad_copy.hashtags
    polite = refine(casual, "다시 존댓말로", seed=seed)
    assert polite.tone == "존댓말"
    assert polite.ad_copy == previous.ad_copy  # template copy converts exactly
    assert same_image(polite, previous)


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


def test_price_emphasis_uses_the_price_from_the_session() -> None:
    previous = first_ad()
    result = refine(previous, "가격 강조해줘")
    assert "4,500원" in result.ad_copy.headline or "4,500원" in result.ad_copy.body
    assert result.ad_copy.headline != previous.ad_copy.headline
    assert same_image(result, previous)


def test_price_emphasis_without_a_price() -> None:
    previous = first_ad("빵집 소금빵 홍보")
    history_free = writer.write(CopyRequest("가격 강조해줘", "1:1", 3, previous=previous))
    assert (
        history_free.ad_copy.headline in [templates.render(t, {}, previous.tone) for t in templates.PRICE_FALLBACK_HEADLINES]
        or "원" in history_free.ad_copy.headline
    )


def test_regenerate_changes_copy_and_picture_but_not_the_industry() -> None:
    previous = first_ad()
    result = refine(previous, "다시 만들어줘")
    assert result.ad_copy != previous.ad_copy
    assert result.image_prompt != previous.image_prompt
    # Only the composition changed: one phrase swapped in place.
    changed = [(a, b) for a, b in zip(previous.image_prompt.split(", "), result.image_prompt.split(", "), strict=True) if a != b]
    assert len(changed) == 1 and all(p in lexicon.COMPOSITIONS for p in changed[0])
    assert (result.industry, result.style, result.tone) == (previous.industry, previous.style, previous.tone)


def test_a_new_product_changes_the_words_and_the_subject() -> None:
    previous = first_ad()
    result = refine(previous, "초코라떼로 바꿔줘")
    assert "초코라떼" in result.ad_copy.as_text()
    assert result.image_prompt.startswith("chocolate latte")
    assert "strawberry" not in result.image_prompt
    assert result.image_prompt.split(", ")[1:] == previous.image_prompt.split(", ")[1:]
    assert "#딸기라떼" not in result.ad_copy.hashtags
    assert result.style == previous.style and result.industry == previous.industry


def test_industry_persists_even_when_the_request_names_another() -> None:
    previous = first_ad()
    result = refine(previous, "헬스장 느낌으로 더 밝게")
    assert result.industry == "cafe"


def test_a_changed_aspect_ratio_still_fits() -> None:
    previous = first_ad(ratio="4:3", seed=4)
    for text in ["더 밝게", "반말로", "가격 강조해줘"]:
        result = refine(previous, text, ratio="3:4")
        assert budget_problems(result.ad_copy, LENGTH_BUDGET["3:4"]) == []


def test_refining_copy_the_templates_did_not_write() -> None:
    # The previous ad may come from the OpenAI backend: free text, its own image prompt.
    previous = CopyResult(
        ad_copy=AdCopy(
            headline="여름엔 수박주스!",
            body="시원한 수박주스가 나왔어요. 지금 주문하세요!",
            cta="주문하기",
            hashtags=["#수박주스", "#카페"],
        ),
        image_prompt="a glass of watermelon juice with ice on a table, eye-level shot, warm tones, soft golden light, cozy mood, "
        "professional advertising photography, high detail, sharp focus, uncluttered background",
        negative_prompt="text, watermark",
        industry="cafe",
        style="warm",
        tone="존댓말",
        backend="openai",
    )
    casual = refine(previous, "반말로", first="여름 수박주스 홍보")
    assert casual.ad_copy.body == "시원한 수박주스가 나왔어. 지금 주문해!"
    assert same_image(casual, previous)
    shorter = refine(previous, "문구를 짧게", first="여름 수박주스 홍보")
    assert shorter.ad_copy.body == "시원한 수박주스가 나왔어요."
    bright = refine(previous, "더 밝게", first="여름 수박주스 홍보")
    assert bright.ad_copy == previous.ad_copy
    assert bright.image_prompt.startswith("a glass of watermelon juice with ice on a table, eye-level shot, bright, high-key lighting")


@pytest.mark.parametrize(
    ("text", "copy", "image"),
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
        ("vivid style please", False, True),
        ("ㅎㅎ", True, False),
    ],
)
def test_plan(text: str, copy: bool, image: bool) -> None:
    previous = first_ad()
    plan = plan_refinement(CopyRequest(text, "1:1", 0, previous=previous), previous)
    assert (plan.changes_copy, plan.changes_image(previous)) == (copy, image)


def test_refinement_is_deterministic() -> None:
    previous = first_ad()
    assert refine(previous, "다시 만들어줘", seed=9) == refine(previous, "다시 만들어줘", seed=9)


def test_an_ad_stored_without_its_prompt_can_still_be_refined() -> None:
    previous = first_ad().model_copy(update={"image_prompt": "", "negative_prompt": ""})
    assert same_image(refine(previous, "문구를 짧게"), previous)
    bright = refine(previous, "더 밝게")
    assert bright.style == "bright" and "cozy cafe interior" in bright.image_prompt and "high-key lighting" in bright.image_prompt
    assert bright.ad_copy == previous.ad_copy and bright.negative_prompt


# --- removing the hashtags ------------------------------------------------------------------

DROP_HASHTAGS = ["해시태그 빼줘", "해시태그 없이", "태그 지워줘", "해시태그 필요 없어", "해시태그는 안 넣어도 돼요", "해시태그 없애 주세요"]


@pytest.mark.parametrize("text", DROP_HASHTAGS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_removing_the_hashtags_changes_nothing_else(text: str, seed: int) -> None:
    previous = first_ad(seed=seed)
    assert previous.ad_copy.hashtags
    result = refine(previous, text, seed=seed + 10)
    assert result.ad_copy.hashtags == []
    assert result.ad_copy.model_dump(exclude={"hashtags"}) == previous.ad_copy.model_dump(exclude={"hashtags"})
    assert same_image(result, previous) and result.tone == previous.tone  # a copy-only edit: the image is reused
    assert budget_problems(result.ad_copy, LENGTH_BUDGET["1:1"], hashtags_optional=True) == []


@pytest.mark.parametrize("text", ["해시태그 다시", "해시태그 바꿔줘", "해시태그 다른 걸로"])
def test_asking_for_other_hashtags_still_picks_new_ones(text: str) -> None:
    previous = first_ad()
    result = refine(previous, text)
    assert result.ad_copy.hashtags and result.ad_copy.hashtags != previous.ad_copy.hashtags


def test_removed_hashtags_stay_removed_until_asked_back() -> None:
    ad = refine(first_ad(), "해시태그 빼줘")
    history: tuple[Turn, ...] = (Turn("user", FIRST),)
    for ask in ["문구를 짧게", "반말로", "더 밝게", "가격 강조해줘", "초코라떼로 바꿔줘", "다시 만들어줘", "문구 다시 써줘"]:
        history += (Turn("assistant", ad.ad_copy.as_text()),)
        ad = writer.write(CopyRequest(ask, "1:1", 5, history=history, previous=ad))
        history += (Turn("user", ask),)
        assert ad.ad_copy.hashtags == [], (ask, ad.ad_copy)
    # A changed aspect ratio re-fits the words, and still adds no hashtags.
    assert refine(ad, "더 밝게", ratio="3:4").ad_copy.hashtags == []
    for ask in ["해시태그 넣어줘", "해시태그 다시 추가해줘"]:
        back = refine(ad, ask)
        assert back.ad_copy.hashtags and budget_problems(back.ad_copy, LENGTH_BUDGET["1:1"]) == []
        assert back.ad_copy.model_dump(exclude={"hashtags"}) == ad.ad_copy.model_dump(exclude={"hashtags"})
        assert same_image(back, ad)


@pytest.mark.parametrize(
    ("text", "edit"),
    [
        ("해시태그 빼줘", "drop_hashtags"),
        ("태그는 지우고 문구 짧게", "drop_hashtags"),
        ("해시태그 빼지 말고 다른 걸로", "hashtags"),
        ("해시태그 넣어줘", "hashtags"),
        ("해시태그 바꿔줘", "hashtags"),
    ],
)
def test_plan_reads_hashtag_requests(text: str, edit: str) -> None:
    previous = first_ad()
    plan = plan_refinement(CopyRequest(text, "1:1", 0, previous=previous), previous)
    assert edit in plan.copy_edits and not plan.changes_image(previous)
    assert plan.no_hashtags == (edit == "drop_hashtags")


def test_removing_hashtags_and_rewriting_does_both() -> None:
    previous = first_ad()
    result = refine(previous, "해시태그 빼고 문구 다시 써줘")
    assert result.ad_copy.hashtags == [] and result.ad_copy.body != previous.ad_copy.body
    assert same_image(result, previous)


# --- 반말 after 문구를 짧게 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", [FIRST, "헬스장 PT 30% 할인", "동네 빵집 주말 소금빵 한정 판매", "필라테스 스튜디오 신규 회원 첫 달 50% 할인"]
)
@pytest.mark.parametrize("seed", range(6))
def test_casual_after_shorter_is_visibly_casual(text: str, seed: int) -> None:
    first = first_ad(text, seed=seed)
    short = refine(first, "문구를 짧게", seed=seed, first=text)
    history = (Turn("user", text), Turn("assistant", first.ad_copy.as_text()), Turn("user", "문구를 짧게"))
    casual = writer.write(CopyRequest("반말로", "1:1", seed, history=history, previous=short))
    copy = casual.ad_copy
    assert casual.tone == "반말" and copy != short.ad_copy, copy
    assert not templates.is_polite(f"{copy.headline} {copy.body} {copy.cta}"), copy
    assert copy.hashtags == short.ad_copy.hashtags and same_image(casual, short)
    assert budget_problems(copy, LENGTH_BUDGET["1:1"]) == []
