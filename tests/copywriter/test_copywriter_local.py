"""The offline copywriter: industries, tones, seeds, budgets, keywords and the image prompt."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adgen.copywriter import INDUSTRIES, LENGTH_BUDGET, STYLES, CopyRequest, LocalCopywriter, analysis, budget_problems, lexicon, templates
from adgen.copywriter.base import HASHTAG_RE
from adgen.errors import ValidationError
from adgen.schemas import CopyResult

# One sentence per industry, as an owner would type it.
INDUSTRY_SAMPLES = {
    "cafe": "카페 신메뉴 딸기라떼 홍보해 주세요",
    "bakery": "동네 빵집인데 소금빵이 새로 나왔어요",
    "restaurant": "삼겹살 맛집 오픈 기념 할인",
    "beauty": "강남 미용실 펌 30% 할인 이벤트",
    "fitness": "헬스장 PT 회원 모집",
    "fashion": "여성 의류 쇼핑몰 원피스 신상 입고",
    "academy": "초등 수학학원 겨울방학 특강 모집",
    "flower": "꽃집 어버이날 카네이션 꽃다발 예약",
    "pet": "애견샵 강아지 간식 1+1",
    "realestate": "부동산 아파트 전세 매물 많아요",
    "general": "우리 가게 많이 사랑해 주세요",
}

writer = LocalCopywriter()


def write(text: str, ratio: str = "1:1", seed: int = 0, **kwargs: object) -> CopyResult:
    return writer.write(CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed, **kwargs))  # type: ignore[arg-type]


def test_every_industry_has_a_sample() -> None:
    assert set(INDUSTRY_SAMPLES) == set(INDUSTRIES)
    assert len(INDUSTRIES) >= 9 and "general" in INDUSTRIES


@pytest.mark.parametrize(("industry", "text"), INDUSTRY_SAMPLES.items())
def test_industry_is_detected(industry: str, text: str) -> None:
    result = write(text)
    assert result.industry == industry
    assert result.tone == lexicon.DEFAULT_TONE[industry]
    assert result.backend == "local" and result.fallback_used is False


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("애견카페 오픈", "pet"),  # the longer term wins over "카페"
        ("네일샵 젤네일 이벤트", "beauty"),
        ("필라테스 체험 수업", "fitness"),  # a place noun outweighs "수업"
        ("수제버거 맛집", "restaurant"),
        ("Coffee shop grand opening", "cafe"),
        ("yoga class for beginners", "fitness"),
        ("필요가 있어요", "general"),  # "요가" inside "필요가" is not yoga
        ("competition", "general"),  # "pet" inside an English word is not a pet shop
    ],
)
def test_industry_edge_cases(text: str, industry: str) -> None:
    assert analysis.detect_industry(text)[0] == industry


@pytest.mark.parametrize(
    ("text", "products", "subjects"),
    [
        ("카페 신메뉴 딸기라떼를 소개합니다", ("딸기라떼",), ("strawberry latte",)),
        ("수제버거가 맛있어요", ("수제버거",), ("handmade burger",)),
        ("크루아상맛집", ("크루아상",), ("croissant",)),
        ("강아지 간식 1+1", ("간식",), ("puppy", "treats")),
        ("헬스 회원권 할인", (), ()),  # no "회" (sashimi) inside "회원권"
        ("아이스 아메리카노 한 잔", ("아메리카노",), ("americano",)),
        ("아이스라떼 출시", ("아이스라떼",), ("iced latte",)),
    ],
)
def test_products_and_their_english(text: str, products: tuple[str, ...], subjects: tuple[str, ...]) -> None:
    found_products, found_subjects = analysis.extract_products(text)
    assert found_products == products
    assert set(subjects) <= set(found_subjects)


@pytest.mark.parametrize(
    ("text", "deal", "price"),
    [
        ("전 메뉴 30% 할인", "30% 할인", None),
        ("아메리카노 1+1 이벤트", "1+1", None),
        ("오픈 기념 반값", "반값 할인", None),
        ("라떼 4500원", None, "4,500원"),
        ("세트 12,000 원 특가 20프로", "20% 할인", "12,000원"),
        ("새로 오픈했어요", None, None),
        ("PT 무료 체험", "무료 체험", None),
        ("구매 시 사은품 증정", "사은품 증정", None),
        ("투플러스원 행사", "2+1", None),
    ],
)
def test_deals_and_prices(text: str, deal: str | None, price: str | None) -> None:
    assert analysis.extract_deal(text) == (deal, price)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("오픈 기념 할인", "opening"),
        ("신메뉴 출시", "new"),
        ("주말 할인 이벤트", "event"),
        ("크리스마스 케이크", "season"),
        ("맛있는 빵", "promo"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert analysis.detect_intent(text) == intent


@pytest.mark.parametrize("ratio", sorted(LENGTH_BUDGET))
@pytest.mark.parametrize("tone", ["존댓말", "반말"])
@pytest.mark.parametrize("industry", INDUSTRIES)
def test_copy_fits_the_budget_for_every_ratio_tone_and_seed(industry: str, tone: str, ratio: str) -> None:
    budget = LENGTH_BUDGET[ratio]
    for seed in range(12):
        result = write(INDUSTRY_SAMPLES[industry], ratio, seed, tone=tone)
        assert budget_problems(result.ad_copy, budget) == [], (seed, result.ad_copy)
        assert result.tone == tone
        copy = result.ad_copy
        if tone == "반말":
            assert not templates.is_polite(f"{copy.headline} {copy.body} {copy.cta}"), copy
        else:
            assert templates.is_polite(copy.body), copy


def test_budgets_match_the_layouts() -> None:
    assert LENGTH_BUDGET["3:4"].headline < LENGTH_BUDGET["1:1"].headline < LENGTH_BUDGET["4:3"].headline
    for budget in LENGTH_BUDGET.values():
        assert 40 <= budget.body <= 48 and budget.cta <= 10 and budget.hashtags <= 4


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_same_seed_same_ad_other_seeds_other_ads(industry: str) -> None:
    text = INDUSTRY_SAMPLES[industry]
    assert write(text, seed=7) == write(text, seed=7)
    copies = {write(text, seed=seed).ad_copy.model_dump_json() for seed in range(30)}
    assert len(copies) >= 5, copies


def test_hashtags_start_with_the_product_and_come_from_the_industry() -> None:
    tags = write("카페 신메뉴 딸기라떼", seed=3).ad_copy.hashtags
    assert tags[0] == "#딸기라떼"
    assert "#신메뉴" in tags
    assert all(HASHTAG_RE.fullmatch(t) for t in tags) and len(set(tags)) == len(tags) and 1 <= len(tags) <= 4
    assert set(tags[2:]) <= set(lexicon.INDUSTRY_HASHTAGS["cafe"])


LONG_INPUT = ("우리 카페는 매일 아침 직접 로스팅한 원두로 커피를 내립니다. " * 20)[:500]


@pytest.mark.parametrize(
    "text",
    [
        LONG_INPUT,
        "🎉🎉🎉 ☕️ 🍓",
        "asdf qwer zxcv",
        "ㅋㅋㅋㅋㅋ",
        "Best burgers in town, grand opening this Friday!",
        "딸기" * 250,
        "1234567890 !!! ???",
        "초코딸기바나나블루베리망고라떼 출시",  # a product too long for any headline
        " ",
    ],
)
@pytest.mark.parametrize("ratio", sorted(LENGTH_BUDGET))
def test_odd_inputs_still_give_a_complete_ad(text: str, ratio: str) -> None:
    result = write(text, ratio, seed=1)
    assert budget_problems(result.ad_copy, LENGTH_BUDGET[ratio]) == []
    assert result.image_prompt and result.negative_prompt
    assert result.industry in INDUSTRIES and result.style in STYLES


def test_nonsense_and_english_inputs() -> None:
    assert write("asdf qwer zxcv").industry == "general"
    assert write("🎉🎉🎉").industry == "general"
    english = write("Best burgers in town, grand opening this Friday!")
    assert english.industry == "restaurant"
    assert english.image_prompt.startswith("burger")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=1, max_size=500), ratio=st.sampled_from(sorted(LENGTH_BUDGET)), seed=st.integers(0, 2**31))
def test_any_text_gives_an_ad_within_budget(text: str, ratio: str, seed: int) -> None:
    result = write(text, ratio, seed)
    assert budget_problems(result.ad_copy, LENGTH_BUDGET[ratio]) == []
    assert not re.search(r"[가-힣]", result.image_prompt)


# --- the image prompt ------------------------------------------------------------------------


def test_image_prompt_is_english_with_subject_scene_style_and_quality() -> None:
    result = write("카페 신메뉴 딸기라떼", seed=2)
    prompt = result.image_prompt
    assert prompt.startswith("strawberry latte, cozy cafe interior")
    assert sum(p in lexicon.COMPOSITIONS for p in prompt.split(", ")) == 1
    assert not re.search(r"[가-힣]", prompt)
    assert all(p in prompt for p in lexicon.STYLE_DESCRIPTORS[result.style])
    assert all(p in prompt for p in lexicon.QUALITY_TERMS)
    for word in ("text", "letters", "watermark", "logo"):
        assert word in result.negative_prompt
    # SDXL's CLIP reads 77 tokens; keep the prompt well under that many words.
    assert len(prompt.split()) <= 60


def test_scenes_and_compositions_are_single_phrases() -> None:
    # A refinement finds them by exact phrase in a comma-separated prompt.
    assert not [p for p in [*lexicon.INDUSTRY_SCENES.values(), *lexicon.COMPOSITIONS] if "," in p]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("빵집 크리스마스 케이크 예약", "christmas decorations"),
        ("여름 한정 망고 빙수", "summer"),
        ("네일샵 젤네일", "gel nail art"),
        ("치킨집 오픈", "festive grand opening mood"),
    ],
)
def test_image_prompt_translates_keywords(text: str, phrase: str) -> None:
    assert phrase in write(text).image_prompt


def test_image_prompt_does_not_depend_on_the_copy_templates() -> None:
    # The picture is drawn from its own seeded stream: two tones, same prompt.
    a = write("카페 신메뉴 딸기라떼", seed=5, tone="존댓말")
    b = write("카페 신메뉴 딸기라떼", seed=5, tone="반말")
    assert a.image_prompt == b.image_prompt and a.ad_copy != b.ad_copy


@pytest.mark.parametrize(("style", "expected"), [("따뜻한", "warm"), ("vivid", "vivid"), ("고급스러운", "premium"), ("Minimal", "minimal")])
def test_requested_style_is_used(style: str, expected: str) -> None:
    result = write("카페 신메뉴 딸기라떼", style=style)
    assert result.style == expected
    assert all(p in result.image_prompt for p in lexicon.STYLE_DESCRIPTORS[expected])


def test_unknown_style_falls_back_to_the_industry_default() -> None:
    result = write("카페 신메뉴 딸기라떼", style="retro")
    assert result.style == lexicon.DEFAULT_STYLE["cafe"]
    assert "retro style" in result.image_prompt
    assert write("카페 신메뉴 딸기라떼", style="레트로 감성").style == "warm"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="aspect_ratio"):
        write("카페", "16:9")
    with pytest.raises(ValidationError):
        write("카페", tone="사투리")


# --- templates ---------------------------------------------------------------------------------

_SLOTS = {
    "place": "카페",
    "product": "딸기라떼",
    "item": "딸기라떼",
    "deal": "30% 할인",
    "price": "4,500원",
    "season": "겨울",
    "new": "신메뉴",
}


def _every_template() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for industry, copy in templates.INDUSTRY_COPY.items():
        generic = [*itertools.chain(*templates.HEADLINES.values(), *templates.BODIES.values(), *templates.CTAS.values())]
        for template in [*generic, *copy.headlines, *copy.bodies, *copy.ctas, *templates.PRICE_HEADLINES]:
            out.append((industry, template))
    return out


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_every_template_converts_between_tones_exactly(industry: str) -> None:
    copy = templates.INDUSTRY_COPY[industry]
    protect = set(_SLOTS.values())
    for _, template in (t for t in _every_template() if t[0] == industry):
        for perk in copy.perks:
            slots = {**_SLOTS, "perk": perk, "try": copy.try_verb}
            polite, casual = templates.render(template, slots, "존댓말"), templates.render(template, slots, "반말")
            assert polite and casual
            assert templates.convert_tone(polite, "반말", protect) == casual, template
            assert templates.convert_tone(casual, "존댓말", protect) == polite, template
            assert not templates.is_polite(casual), casual


def test_tone_pairs_are_whole_words_and_unambiguous() -> None:
    pairs = templates.tone_pairs()
    assert len({c for _, c in pairs}) == len(pairs), "two polite phrases share one casual phrase"
    assert len({p for p, _ in pairs}) == len(pairs), "one polite phrase has two casual forms"
    for _, template in _every_template():
        for m in re.finditer(r"\[[^\]]*\]", template):
            before = template[m.start() - 1] if m.start() else " "
            after = template[m.end()] if m.end() < len(template) else " "
            assert not re.match(r"[가-힣A-Za-z0-9}]", before) and not re.match(r"[가-힣A-Za-z0-9{]", after), template


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [("카페", "을", "카페를"), ("빵", "을", "빵을"), ("딸기라떼", "이", "딸기라떼가"), ("소금빵", "으로", "소금빵으로"),
     ("케이크", "으로", "케이크로"), ("펌", "과", "펌과"), ("30% 할인", "을", "30% 할인을"), ("1+1", "이", "1+1이"),
     ("네일", "으로", "네일로")],
)  # fmt: skip
def test_particles_follow_the_last_syllable(word: str, particle: str, expected: str) -> None:
    assert templates.with_particle(word, particle) == expected


def test_generic_tone_conversion_of_foreign_copy() -> None:
    assert templates.convert_tone("새 메뉴가 나왔어요. 지금 주문하세요!", "반말") == "새 메뉴가 나왔어. 지금 주문해!"
    assert templates.convert_tone("오늘 피자!", "존댓말", {"피자"}) == "오늘 피자!"
