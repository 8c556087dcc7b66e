"""The local copywriter keeps what the owner wrote: product, offer, time, occasion, tone."""

from __future__ import annotations

import pytest

from adgen.copywriter import LENGTH_BUDGET, CopyRequest, LocalCopywriter, analysis, budget_problems, templates
from adgen.schemas import CopyResult

writer = LocalCopywriter()


def write(text: str, ratio: str = "1:1", seed: int = 0, **kwargs: object) -> CopyResult:
    return writer.write(CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed, **kwargs))  # type: ignore[arg-type]


# (input, industry, facts the ad must show in headline/body/hashtags, facts the body must show: the offer first)
CASES = [
    ("카페 신메뉴 딸기라떼 출시, 이번 주 20% 할인", "cafe", ["20%", "딸기라떼", "이번 주"], ["20%", "딸기라떼"]),
    ("수분 세럼 신제품 출시 기념 1+1", "beauty", ["1+1", "수분 세럼"], ["1+1", "수분 세럼"]),
    ("동네 빵집 주말 소금빵 한정 판매", "bakery", ["소금빵", "주말", "한정"], ["한정", "소금빵"]),
    ("꽃집 어버이날 카네이션 꽃다발 예약 할인", "flower", ["카네이션", "어버이날", "예약 할인"], ["예약 할인", "카네이션"]),
    ("헬스장 신규 오픈 PT 30% 할인 이벤트", "fitness", ["PT", "30%"], ["30%", "PT"]),
    ("아이크림 출시 기념 30% 할인", "beauty", ["아이크림", "30%"], ["30%", "아이크림"]),
    ("토너 앰플 세트 2+1 이벤트", "beauty", ["2+1"], ["2+1"]),
    ("쿠션 신제품 오늘 무료 체험", "beauty", ["무료 체험", "쿠션", "오늘"], ["무료 체험"]),
    ("미용실 펌 5,000원 할인 이번 주말까지", "beauty", ["5,000원", "펌", "이번 주말까지"], ["5,000원", "펌"]),
    ("삼겹살 맛집 금요일 선착순 30명 1+1", "restaurant", ["1+1", "삼겹살", "금요일"], ["1+1", "삼겹살"]),
    ("피자집 크리스마스 피자 20% 할인", "restaurant", ["20%", "피자", "크리스마스"], ["20%", "피자"]),
    ("빵집 발렌타인 초코 케이크 예약", "bakery", ["케이크", "발렌타인"], ["케이크"]),
    ("애견샵 강아지 간식 1+1 행사 5월 5일까지", "pet", ["1+1", "간식", "5월 5일까지"], ["1+1", "간식"]),
    ("옷가게 리뉴얼 오픈 니트 전품목 40% 할인", "fashion", ["40%", "니트"], ["40%", "니트"]),
    ("영어학원 겨울방학 특강 10% 할인", "academy", ["10%", "겨울방학"], ["10%"]),
    ("추석 선물세트 예약 할인", "general", ["선물세트", "예약 할인", "추석"], ["예약 할인", "선물세트"]),
    ("카페 텀블러 출시 사은품 증정", "cafe", ["텀블러", "사은품 증정"], ["사은품 증정", "텀블러"]),
    ("내일 필라테스 체험 수업 무료", "fitness", ["무료", "내일"], ["무료"]),
]


@pytest.mark.parametrize(("text", "industry", "shown", "in_body"), CASES)
@pytest.mark.parametrize("ratio", sorted(LENGTH_BUDGET))
def test_the_owner_finds_their_request_in_the_ad(text: str, industry: str, shown: list[str], in_body: list[str], ratio: str) -> None:
    for seed in range(6):
        result = write(text, ratio, seed)
        copy = result.ad_copy
        assert result.industry == industry
        assert result.tone == "존댓말"
        assert budget_problems(copy, LENGTH_BUDGET[ratio]) == [], copy
        everything = " ".join([copy.headline, copy.body, *(t.replace("_", " ") for t in copy.hashtags)])
        squashed = everything.replace(" ", "")
        for fact in shown:
            assert fact in everything or fact.replace(" ", "") in squashed, (fact, seed, copy)
        for fact in in_body:
            assert fact in copy.body, (fact, seed, copy)


@pytest.mark.parametrize(("text", "industry", "shown", "in_body"), CASES)
def test_the_headline_carries_the_offer(text: str, industry: str, shown: list[str], in_body: list[str]) -> None:
    brief = analysis.analyze(text)
    # The most important fact: the offer's number ("20%", "1+1") or words, else the product.
    primary = in_body[0] if brief.deal else brief.products[0]
    for seed in range(6):
        headline = write(text, "4:3", seed).ad_copy.headline
        assert primary in headline, (seed, headline)


def test_the_five_reported_inputs() -> None:
    cafe = write("카페 신메뉴 딸기라떼 출시, 이번 주 20% 할인").ad_copy
    assert "20%" in cafe.headline + cafe.body and "이번 주" in cafe.body and "딸기라떼" in cafe.body
    serum = write("수분 세럼 신제품 출시 기념 1+1")
    assert serum.industry == "beauty" and "1+1" in serum.ad_copy.body and "#수분세럼" in serum.ad_copy.hashtags
    assert serum.image_prompt.startswith("hydrating serum bottle")
    bread = write("동네 빵집 주말 소금빵 한정 판매")
    assert "소금빵" in bread.ad_copy.body and "주말" in bread.ad_copy.body and "salt butter roll" in bread.image_prompt
    flower = write("꽃집 어버이날 카네이션 꽃다발 예약 할인")
    assert "#어버이날" in flower.ad_copy.hashtags and "카네이션 꽃다발" in flower.ad_copy.body
    assert "carnations" in flower.image_prompt and "bouquet" in flower.image_prompt
    gym = write("헬스장 신규 오픈 PT 30% 할인 이벤트")
    assert gym.tone == "존댓말" and "PT" in gym.ad_copy.body and "personal training" in gym.image_prompt


@pytest.mark.parametrize(
    "text",
    [
        "수분 세럼 신제품",
        "스킨케어 세트",
        "화장품 1+1",
        "수분크림 할인",
        "토너 출시",
        "앰플 기획전",
        "립스틱 신상",
        "쿠션 리필 증정",
        "선크림 특가",
    ],
)
def test_beauty_words_mean_beauty(text: str) -> None:
    assert analysis.detect_industry(text)[0] == "beauty"


@pytest.mark.parametrize(("text", "industry"), [("딸기 크림 케이크", "bakery"), ("아이스크림 할인", "cafe"), ("생크림 케이크", "bakery")])
def test_food_creams_are_not_cosmetics(text: str, industry: str) -> None:
    assert analysis.detect_industry(text)[0] == industry


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("동네 빵집 주말 소금빵 한정 판매", ("소금빵",)),
        ("수분 세럼 신제품 출시 기념 1+1", ("수분 세럼",)),
        ("꽃집 어버이날 카네이션 꽃다발 예약 할인", ("카네이션 꽃다발",)),
        ("헬스장 신규 오픈 PT 30% 할인 이벤트", ("PT",)),
        ("카페 텀블러 출시", ("텀블러",)),  # an unknown noun before a cue
        ("유자청 판매 시작", ("유자청",)),
        ("전 메뉴 30% 할인", ()),
        ("오픈 기념 할인", ()),
    ],
)
def test_products_include_compounds_and_unknown_nouns(text: str, products: tuple[str, ...]) -> None:
    assert analysis.extract_products(text)[0] == products


@pytest.mark.parametrize(
    ("text", "deal", "timing"),
    [
        ("카페 신메뉴 딸기라떼 출시, 이번 주 20% 할인", "20% 할인", "이번 주"),
        ("주말 소금빵 한정 판매", "한정 판매", "주말"),
        ("어버이날 카네이션 예약 할인", "예약 할인", None),
        ("케이크 3,000원 할인 5월 8일까지", "3,000원 할인", "5월 8일까지"),
        ("오늘 선착순 20명 1+1", "선착순 20명 1+1", "오늘"),
        ("최대 50% 세일 이번주말까지", "최대 50% 할인", "이번 주말까지"),
        ("토요일 무료 시식", "무료 시식", "토요일"),
    ],
)
def test_offers_and_timing(text: str, deal: str, timing: str | None) -> None:
    brief = analysis.analyze(text)
    assert (brief.deal, brief.timing) == (deal, timing)


def test_won_discount_is_not_a_price() -> None:
    assert analysis.extract_deal("아메리카노 3000원 할인") == ("3,000원 할인", None)


@pytest.mark.parametrize("text", ["헬스장 PT 회원 모집", "옷가게 니트 신상 입고", "애견샵 강아지 간식 1+1", "우리 가게 많이 사랑해 주세요"])
def test_tone_defaults_to_polite_for_every_industry(text: str) -> None:
    for seed in range(5):
        result = write(text, seed=seed)
        assert result.tone == "존댓말" and templates.is_polite(result.ad_copy.body), result.ad_copy


@pytest.mark.parametrize("text", ["우리 헬스장 새로 열었어! PT 30% 할인해", "딸기라떼 나왔어! 이번 주 1+1이야", "반말로 써줘, 카페 신메뉴"])
def test_casual_input_gives_casual_copy(text: str) -> None:
    result = write(text)
    assert result.tone == "반말"
    assert not templates.is_polite(" ".join((result.ad_copy.headline, result.ad_copy.body, result.ad_copy.cta)))


@pytest.mark.parametrize("text", ["카페 신메뉴 딸기라떼 홍보해줘", "피자 할인 이벤트 만들어줘", "주말 소금빵 한정 판매", "치즈 피자"])
def test_requests_and_noun_phrases_are_not_casual(text: str) -> None:
    assert analysis.is_casual(text) is False


def test_fact_templates_convert_between_tones_exactly() -> None:
    slots = {"place": "카페", "product": "딸기라떼", "item": "딸기라떼", "deal": "20% 할인", "when": "이번 주", "launch": "출시",
             "try": "[맛보세요|맛봐]"}  # fmt: skip
    for template in (*templates.FACT_HEADLINES, *templates.FACT_BODIES):
        polite, casual = templates.render(template, slots, "존댓말"), templates.render(template, slots, "반말")
        assert polite and casual
        assert templates.convert_tone(polite, "반말", set(slots.values())) == casual, template
        assert templates.convert_tone(casual, "존댓말", set(slots.values())) == polite, template


@pytest.mark.parametrize(("text", "_industry", "_shown", "_in_body"), CASES[:6])
def test_facts_are_deterministic_and_varied(text: str, _industry: str, _shown: list[str], _in_body: list[str]) -> None:
    assert write(text, seed=11) == write(text, seed=11)
    assert len({write(text, seed=s).ad_copy.model_dump_json() for s in range(20)}) >= 3


def test_a_text_refinement_keeps_the_picture_and_the_facts() -> None:
    first = write("카페 신메뉴 딸기라떼 출시, 이번 주 20% 할인", seed=2)
    for ask in ("문구 다시 써줘", "헤드라인 바꿔줘", "반말로"):
        again = writer.write(CopyRequest(input_text=ask, aspect_ratio="1:1", seed=3, previous=first))
        assert (again.image_prompt, again.style, again.industry) == (first.image_prompt, first.style, first.industry)
        assert "20%" in again.ad_copy.headline + again.ad_copy.body
