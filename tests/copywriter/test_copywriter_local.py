"""The offline copywriter: the owner's own phrases laid out, framing that states nothing, and the picture."""

from __future__ import annotations

import re

import pytest

from adgen.copywriter import INDUSTRIES, STYLES, CopyRequest, LocalCopywriter, analysis, facts, lexicon, templates
from adgen.copywriter.base import HASHTAG_RE, is_word_tag
from adgen.copywriter.korean import is_casual, is_polite
from adgen.copywriter.owner_words import lift
from adgen.errors import ValidationError
from adgen.schemas import CopyResult

writer = LocalCopywriter()

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
    "general": "세탁소 운동화 세탁 시작했어요",
}
# Words a frame may never say: each is a fact or a claim only the owner can make.
CLAIMS = (
    "할인",
    "한정",
    "쿠폰",
    "합리적인",
    "최고",
    "정성껏",
    "신선한",
    "특가",
    "무료",
    "1등",
    "완치",
    "효과",
    "보장",
    "오픈",
    "신메뉴",
    "언제든",
)


def write(text: str, ratio: str = "1:1", seed: int = 0, **kwargs: object) -> CopyResult:
    return writer.write(CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed, **kwargs))  # type: ignore[arg-type]


def test_every_industry_has_a_sample() -> None:
    assert set(INDUSTRY_SAMPLES) == set(INDUSTRIES)


@pytest.mark.parametrize(("industry", "text"), INDUSTRY_SAMPLES.items())
def test_industry_is_read_and_every_fact_kept(industry: str, text: str) -> None:
    result = write(text)
    assert result.industry == industry
    assert result.tone == "존댓말"  # polite unless asked, whatever the trade
    assert result.backend == "local" and result.fallback_used is False
    assert facts.compare(text, result.ad_copy.as_text()).ok


def test_the_headline_is_the_owners_offer_and_the_shop_moves_to_the_body() -> None:
    ad = write("성수동 수제버거 가게 오픈 기념 세트 20% 할인, 12월 31일까지 홍보해주세요").ad_copy
    assert ad.headline.rstrip("!") in "성수동 수제버거 가게 오픈 기념 세트 20% 할인"
    assert "20% 할인" in ad.headline and "세트" in ad.headline  # the set, not every burger
    text = facts.squash(ad.headline + ad.body)
    for word in ("성수동", "수제버거", "가게", "오픈", "기념", "12월31일까지"):
        assert word in text
    assert "홍보" not in ad.as_text()


@pytest.mark.parametrize(
    ("text", "price", "item"),
    [
        ("핸드메이드 머그컵 신상품 출시 25,000원", "25,000원", "머그컵"),
        ("딸기라떼 1만2천원, 아메리카노 4500원", "12,000원", "딸기라떼"),
        ("3천만원 전세 매물 역세권 투룸", "3,000만원", "전세"),
    ],
)
def test_each_price_stands_with_its_item(text: str, price: str, item: str) -> None:
    ad = write(text).ad_copy
    line = next(part for part in (ad.headline, *ad.body.split(" · ")) if price in part)
    assert item in line, (price, item, ad)


def test_two_offers_keep_their_own_terms() -> None:
    text = "필라테스 신규 회원 첫 달 50% 할인! 10회 등록 시 2회 무료"
    ad = write(text).ad_copy
    both = ad.headline + " " + ad.body
    assert "신규 회원 첫 달 50% 할인" in both
    assert "10회 등록 시 2회 무료" in both


def test_contacts_go_to_the_details_line_with_their_words() -> None:
    ad = write("필라테스 체험 수업 예약 문의 010-1234-5678, 인스타 @pilates_on").ad_copy
    assert "010-1234-5678" in ad.details and "@pilates_on" in ad.details
    assert "예약 문의" in ad.details
    assert "010" not in ad.body
    assert ad.cta in templates.CTAS["phone_booking"]


def test_a_contact_the_offer_depends_on_stays_in_its_phrase() -> None:
    ad = write("인스타 @cafe_mori 팔로우하면 쿠키 증정").ad_copy
    assert "@cafe_mori 팔로우하면 쿠키 증정" in ad.headline + ad.body


@pytest.mark.parametrize(
    ("text", "ctas"),
    [
        ("치킨집 포장 주문 전화 02-123-4567", templates.CTAS["phone"]),
        ("꽃집 카네이션 예약 받아요 카카오톡 채널 모리꽃집", templates.CTAS["kakao"]),
        ("겨울 니트 세일 www.knitshop.co.kr", templates.CTAS["online"]),
        ("미용실 주말 예약 받아요", templates.CTAS["booking"]),
        ("동네 빵집 소금빵 나왔어요", templates.CTAS["visit"]),
    ],
)
def test_the_cta_fits_how_the_owner_wants_to_be_reached(text: str, ctas: tuple[str, ...]) -> None:
    assert write(text).ad_copy.cta in ctas


def test_framing_lines_state_no_fact_and_no_claim() -> None:
    lines = [line for pairs in templates.CLOSINGS.values() for pair in pairs for line in pair]
    lines += [c for group in templates.CTAS.values() for c in group] + list(templates.CONTACT_HEADLINE)
    for line in lines:
        assert facts.read(line) == [], line
        assert not re.search(r"\d", line), line
        assert not any(claim in line for claim in CLAIMS), line
        assert not analysis.read(line).products, line


def test_each_closing_line_has_both_tones() -> None:
    for pairs in templates.CLOSINGS.values():
        for polite, casual in pairs:
            assert is_polite(polite) and not is_casual(polite), polite
            assert is_casual(casual) and not is_polite(casual), casual


@pytest.mark.parametrize("text", ["세탁소 운동화 세탁 5천원", "카페 신메뉴 홍보", "네일 오픈 이벤트 홍보좀"])
def test_no_claim_the_owner_did_not_make(text: str) -> None:
    for seed in range(6):
        said = write(text, seed=seed).ad_copy.as_text()
        for claim in CLAIMS:
            assert claim not in said or claim in text, (claim, said)


def test_requests_to_us_are_not_on_the_ad() -> None:
    for text in (
        "카페 신메뉴 딸기라떼 홍보해주세요",
        "빵집 소금빵 홍보좀 해주세여",
        "꽃집 오픈했어요 많이 와주세요",
        "헬스장 PT 광고 만들어줘 반말로 써줘",
    ):
        said = write(text).ad_copy.as_text()
        for request in ("홍보", "해주세", "와주세요", "만들어", "반말로", "써줘"):
            assert request not in said, (text, said)


def test_a_tone_asked_in_the_sentence_is_used() -> None:
    result = write("필라테스 첫 달 50% 할인 반말로 써줘")
    assert result.tone == "반말"
    assert is_casual(result.ad_copy.body) and not is_polite(result.ad_copy.body)
    assert write("필라테스 첫 달 50% 할인", tone="반말").tone == "반말"


def test_hashtags_are_the_owners_nouns() -> None:
    text = "성수동 수제버거 가게 오픈 기념 세트 20% 할인"
    tags = write(text).ad_copy.hashtags
    assert tags and len(tags) <= 4
    for tag in tags:
        assert HASHTAG_RE.fullmatch(tag) and is_word_tag(tag)
        assert tag[1:] in text.replace(" ", "")


def test_same_seed_same_ad_and_seeds_vary_only_the_frame() -> None:
    text = "동네 빵집 소금빵 2,500원 오후 3시에 나와요"
    assert write(text, seed=4) == write(text, seed=4)
    ads = {write(text, seed=s).ad_copy.as_text() for s in range(8)}
    assert len(ads) > 1
    for ad in ads:
        assert facts.compare(text, ad).ok


@pytest.mark.parametrize("ratio", ["1:1", "4:3", "3:4"])
def test_every_ratio_gets_the_same_facts(ratio: str) -> None:
    text = "미용실 커트 15,000원 펌 5만원, 평일 오전 예약 시 10% 할인"
    assert facts.compare(text, write(text, ratio).ad_copy.as_text()).ok


def test_nothing_to_advertise_is_a_clear_error() -> None:
    with pytest.raises(ValidationError) as err:
        write("홍보해주세요")
    assert err.value.code == "nothing_to_advertise"
    assert "적어 주세요" in err.value.message


def test_more_than_an_ad_can_hold_is_a_clear_error_not_a_cut() -> None:
    text = ", ".join(f"메뉴{i} {i},000원" for i in range(1, 40))
    with pytest.raises(ValidationError) as err:
        write(text)
    assert err.value.code == "copy_too_long"
    assert "너무 깁니다" in err.value.message


def test_lift_normalises_numbers_and_keeps_the_rest_word_for_word() -> None:
    words = lift("딸기라떼 1만2천원, 케이크 20프로 할인 홍보해주세요")
    assert [p.text for p in words.phrases] == ["딸기라떼 12,000원", "케이크 20% 할인"]


@pytest.mark.parametrize("style", STYLES)
def test_a_chosen_style_reaches_the_picture(style: str) -> None:
    result = write("카페 신메뉴 딸기라떼", style=style)
    assert result.style == style
    assert "strawberry latte" in result.image_prompt
    assert result.negative_prompt == lexicon.NEGATIVE_PROMPT


def test_the_picture_does_not_change_with_the_copy_stream() -> None:
    a = write("카페 신메뉴 딸기라떼", seed=3)
    b = write("카페 신메뉴 딸기라떼 5,500원", seed=3)
    assert a.image_prompt == b.image_prompt
