"""The local copywriter never says what the owner did not: no wrong free item, no invented "한정",
no dinner for a lunch special; and it keeps the facts a customer acts on (price, time, the whole
product name).

Every case here was a real ad the offline copywriter wrote from a shop owner's sentence before
the fix ("치킨집 배달 주문 시 콜라 무료" became "치킨 무료 혜택 소식!").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adgen.copywriter import LENGTH_BUDGET, CopyRequest, LocalCopywriter, Turn, analysis, budget_problems
from adgen.schemas import AdCopy

writer = LocalCopywriter()
SEEDS = range(6)


def write(text: str, ratio: str = "1:1", seed: int = 0) -> AdCopy:
    return writer.write(CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed)).ad_copy


def refine(text: str, ask: str, ratio: str, seed: int) -> tuple[AdCopy, AdCopy]:
    """The first ad for ``text`` and the ad after the owner's ``ask`` in the same chat."""
    first = writer.write(CopyRequest(input_text=text, aspect_ratio=ratio, seed=seed))
    again = writer.write(CopyRequest(input_text=ask, aspect_ratio=ratio, seed=seed + 1, history=(Turn("user", text),), previous=first))
    return first.ad_copy, again.ad_copy


# (input, industry, what headline or body must say, what the ad (tags included) must never say)
TRUTH_CASES = [
    # the free item is the one the owner named, not the shop's product
    ("치킨집 배달 주문 시 콜라 무료", "restaurant", ["콜라 무료"], ["치킨 무료", "콜라 콜라", "치킨 콜라"]),
    ("수제버거 오픈 기념 감자튀김 무료", "restaurant", ["감자튀김 무료"], ["버거 무료", "버거 감자튀김"]),
    ("카페 음료 2잔 주문 시 쿠키 증정", "cafe", ["쿠키 증정"], ["음료 쿠키", "사은품"]),
    # prices, as typed or in 만/천
    ("네일샵 오픈 이벤트 젤네일 29,000원", "beauty", ["29,000원"], []),
    ("한식당 점심 특선 김치찌개 8천원", "restaurant", ["8,000원", "김치찌개"], ["저녁"]),
    ("세탁소 겨울 패딩 세탁 1만원", "general", ["10,000원", "패딩"], ["상품"]),
    ("수제 도시락 1만 2천원 배달 가능", "restaurant", ["12,000원"], []),
    # the whole product name ("회" of "광어회" is any sashimi)
    ("광어회 포장 30% 할인", "restaurant", ["광어회", "30%"], ["#회", " 회 "]),
    ("우럭회 포장 주문 시 20% 할인", "restaurant", ["우럭회", "20%"], ["#회"]),
    # the time the owner gave
    ("동네 빵집 소금빵 매일 오후 3시 갓 구운 빵", "bakery", ["소금빵", "오후 3시"], []),
    ("토요일 오전 11시 원데이 클래스 모집", "general", ["원데이 클래스", "토요일 오전 11시"], []),
    # the service the owner sells
    ("수학학원 겨울방학 특강 모집", "academy", ["특강"], ["수학을 준비"]),
    ("요가원 주말 원데이 클래스", "fitness", ["원데이 클래스"], []),
    ("피부과 여름 제모 패키지 할인", "beauty", ["제모"], ["#네일아트", "#헤어스타일"]),
    # the industry the owner is in
    ("반려동물 미용실 첫 방문 20% 할인", "pet", ["20%", "첫 방문"], ["#헤어스타일", "#네일아트", "#뷰티"]),
    ("강아지 미용 예약 받아요", "pet", ["예약"], ["#헤어스타일", "#네일아트"]),
    ("안경점 누진다초점 렌즈 할인", "general", ["렌즈"], []),
    ("부동산 신축 원룸 월세 매물", "realestate", ["원룸"], ["맛집"]),
    # who an offer is for stays with that offer: the new members get the consultation, not the 2 extra sessions
    ("필라테스 10회 등록 시 2회 추가, 신규 회원 상담 무료", "fitness", ["2회 추가"], ["신규 회원 2회", "신규 회원 10회", "#신규회원"]),
    ("네일샵 젤네일 3만원, 재방문 고객 10% 할인", "beauty", ["재방문 고객", "10% 할인"], []),
    ("헬스장 기존 회원 재등록 시 1개월 무료", "fitness", ["재등록 시 1개월 무료"], []),
    ("카페 대학생 아메리카노 20% 할인", "cafe", ["대학생", "20% 할인"], []),
    # two offers: each keeps its own terms and product; the ad may tell one of them, never a mix
    (
        "PT 3개월 등록하면 1개월 무료, 요가 클래스 20% 할인",
        "fitness",
        ["20% 할인"],
        ["3개월 등록 시 20%", "3개월 등록하면 20%", "PT 20%", "PT, 20%"],
    ),
    ("헬스장 신규 회원 첫 달 50% 할인, PT 10회 등록 시 1회 무료", "fitness", ["50% 할인"], ["PT 첫 달", "PT 신규", "PT, 첫"]),
    ("카페 아메리카노 주문 시, 쿠키 무료 증정", "cafe", ["주문 시 쿠키 무료"], []),
    # counts are no products and no gifts: "한 잔에", "한 그릇", "소자"; the gift is what comes before the count
    ("초밥 오마카세 1인 6만원, 예약 시 하이볼 한 잔 무료", "restaurant", ["하이볼 한 잔 무료"], ["초밥 무료", "무료 혜택"]),
    ("봄 신메뉴 딸기 라떼 출시했어요, 한 잔에 5500원입니다", "cafe", ["5,500원"], ["잔에", "#잔"]),
    ("오늘만 짜장면 한 그릇 5천원, 탕수육 소자 1만 2천원", "restaurant", ["짜장면", "5,000원"], ["그릇 5", "#그릇", "#소자", "소자 12"]),
    ("생일인 고객님께 생일 당일 케이크 한 조각 무료 제공", "bakery", ["케이크 한 조각 무료"], ["#조각", "조각 무료 진행"]),
    # a set with its count: the count stays with the product, never in a tag, and a short headline drops it
    ("치킨 두 마리 세트 2만 9천원, 콜라 1.25리터 서비스", "restaurant", ["치킨 두 마리 세트", "29,000원"], ["#마리세트", "#두마리"]),
    ("마카롱 6개 세트 1만 5천원, 12개 세트는 2만 8천원입니다", "cafe", ["마카롱 6개 세트", "15,000원"], ["#마카롱6개세트", "#6개"]),
    # what a whole-range offer covers ("모든 음료 1+1" is no brunch offer); a dish is not a piece of it
    ("새로 오픈한 브런치 카페, 오픈 기념으로 모든 음료 1+1 행사합니다", "cafe", ["모든 음료", "1+1"], ["브런치 1+1", "브런치, 1+1"]),
    ("순대국 포장 시 1천원 할인, 5그릇 이상 주문하면 배달 가능", "restaurant", ["순대국", "1,000원 할인"], ["순대 1,000원", "순대,"]),
    ("영어 회화 그룹 수업 월 15만원, 형제 등록 시 10% 할인", "academy", ["10% 할인"], ["영어 회 ", "영어 회,", "#영어회"]),
    # the terms an owner writes in other words: "맡기시면", "연박 시 2박째"
    ("세탁소 와이셔츠 5장 맡기시면 1장 무료로 세탁해 드립니다", "general", ["5장 맡기시면 1장 무료"], ["무료 혜택"]),
    ("펜션 평일 숙박 1박 12만원, 연박 시 2박째 30% 할인", "general", ["2박째 30% 할인"], [", 30% 할인"]),
    ("포인트 적립 5%, 첫 구매 시 3천 포인트 추가 적립", "general", ["5% 적립"], ["할인", "착한 가격"]),
    ("빨래방 건조기 30분 3천원, 회원 카드 충전 시 10% 추가 적립", "general", ["10% 적립"], ["할인", "착한 가격"]),
    # points are no price cut, and 적립 holds no lipstick (립)
    ("쇼핑몰 재구매 시 10% 적립", "fashion", ["10% 적립"], ["할인", "착한 가격", "#립", " 립 "]),
]


@pytest.mark.parametrize(("text", "industry", "shown", "never"), TRUTH_CASES)
@pytest.mark.parametrize("ratio", sorted(LENGTH_BUDGET))
def test_the_ad_keeps_the_facts_and_invents_none(text: str, industry: str, shown: list[str], never: list[str], ratio: str) -> None:
    assert analysis.analyze(text).industry == industry
    for seed in SEEDS:
        copy = write(text, ratio, seed)
        assert budget_problems(copy, LENGTH_BUDGET[ratio]) == [], copy
        said = f"{copy.headline} {copy.body}"
        for fact in shown:
            assert fact in said, (fact, ratio, seed, copy)
        everything = f" {said} {copy.cta} {' '.join(copy.hashtags)} "
        for wrong in never:
            assert wrong not in everything, (wrong, ratio, seed, copy)


# Every sentence an owner might type: "한정" (a limited run) is a promise only the owner can make.
NOT_LIMITED = [case[0] for case in TRUTH_CASES] + [
    "카페 신메뉴 홍보", "꽃집 어버이날 카네이션", "수학학원 겨울방학 특강 모집", "크리스마스 케이크 예약", "여름 빙수 출시",
    "영어학원 겨울방학 특강 10% 할인", "추석 선물세트 예약 할인", "피자집 크리스마스 피자 20% 할인",
]  # fmt: skip


@pytest.mark.parametrize("text", NOT_LIMITED)
def test_no_limited_run_the_owner_did_not_announce(text: str) -> None:
    for ratio in LENGTH_BUDGET:
        for seed in range(10):
            copy = write(text, ratio, seed)
            assert "한정" not in f"{copy.headline} {copy.body}", (text, ratio, seed, copy)


def test_limited_runs_the_owner_announced_are_kept() -> None:
    said = [write("동네 빵집 주말 소금빵 한정 판매", seed=s) for s in SEEDS]
    assert all("한정" in f"{c.headline} {c.body}" for c in said), said


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("김치찌개 8천원", "8,000원"),
        ("패딩 세탁 1만원", "10,000원"),
        ("도시락 1만 2천원", "12,000원"),
        ("도시락 1만2천5백원", "12,500원"),
        ("젤네일 29,000원", "29,000원"),
        ("커트 15000원", "15,000원"),
        ("점심 세트 9900원", "9,900원"),
        ("2만원 이상 구매 시 10% 할인", None),  # a condition's amount is no price
        ("아메리카노 3000원 할인", None),  # a discount is no price
        ("회원 모집 3개월 등록", None),
    ],
)
def test_prices_in_every_way_owners_write_them(text: str, price: str | None) -> None:
    assert analysis.analyze(text).price == price


@pytest.mark.parametrize(
    ("text", "deal", "products"),
    [
        ("치킨집 배달 주문 시 콜라 무료", "배달 주문 시 콜라 무료", ("치킨",)),
        ("수제버거 오픈 기념 감자튀김 무료", "감자튀김 무료", ("수제버거",)),
        ("카페 음료 2잔 주문 시 쿠키 증정", "음료 2잔 주문 시 쿠키 증정", ()),  # 음료 names no product
        ("아메리카노 주문 시 샷 추가 무료", "주문 시 샷 추가 무료", ("아메리카노",)),
        ("쿠션 신제품 오늘 무료 체험", "무료 체험", ("쿠션",)),  # the freebie is a trial of the product itself
        ("내일 필라테스 체험 수업 무료", "무료", ("필라테스",)),
    ],
)
def test_the_free_item_is_part_of_the_offer(text: str, deal: str, products: tuple[str, ...]) -> None:
    brief = analysis.analyze(text)
    assert deal in (brief.deal or ""), brief
    assert brief.products == products, brief


@pytest.mark.parametrize(
    ("text", "timing"),
    [
        ("소금빵 매일 오후 3시 갓 구운 빵", "매일 오후 3시"),
        ("토요일 오전 11시 원데이 클래스", "토요일 오전 11시"),
        ("저녁 6시부터 해피아워 맥주 1+1", "저녁 6시부터"),
        ("오늘 오후 2시 30분 오픈", "오늘 오후 2시 30분"),
        ("밤 10시까지 영업", "밤 10시까지"),
        ("PT 10회 등록 시 2회 무료", None),  # "10회" counts sessions
    ],
)
def test_times_of_day(text: str, timing: str | None) -> None:
    assert analysis.analyze(text).timing == timing


def test_a_lunch_special_is_not_dinner() -> None:
    for seed in range(12):
        copy = write("한식당 점심 특선 김치찌개", seed=seed)
        assert "저녁" not in f"{copy.headline} {copy.body}", copy


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("네일샵 젤네일 신규 고객 30% 할인", {"#헤어스타일", "#피부관리"}),
        ("미용실 펌 할인", {"#네일아트", "#피부관리"}),
        ("피부과 여름 제모 패키지", {"#헤어스타일", "#네일아트"}),
    ],
)
def test_beauty_tags_stay_in_the_owners_trade(text: str, wrong: set[str]) -> None:
    for seed in range(20):
        tags = set(write(text, seed=seed).hashtags)
        assert not tags & wrong, (seed, tags)


def test_beauty_tags_of_every_trade_when_the_ad_names_none() -> None:
    tags = {tag for seed in range(40) for tag in write("뷰티샵 오픈 이벤트", seed=seed).hashtags}
    assert {"#헤어스타일", "#네일아트", "#피부관리"} <= tags, tags


# Found by a review of 70 ordinary requests (each a bad ad before the fix).
REVIEW_CASES = [
    # an ending or a time word is no product ("드립니다" has no lipstick in it, "하루만" sells no 하루)
    ("피부관리실 첫 방문 고객 수분관리 50% 할인해 드립니다", "beauty", ["50%"], ["립", "#립"]),
    ("헬스장 신규 회원 등록비 면제해 드립니다", "fitness", [], ["립"]),
    ("정육점 한우 등심 100g 9,900원 오늘 하루만 특가", "general", ["9,900원"], ["하루를", "#하루"]),
    ("PT 10회 등록시 30만원 할인", "fitness", ["300,000원 할인"], ["만원 ", "#만원"]),
    ("횟집 포장하면 5천원 할인", "restaurant", ["5,000원 할인"], ["천원을", "#천원"]),
    # the free item after an extra order is the free one, not the extra serving
    ("고깃집 삼겹살 1인분 추가 주문시 된장찌개 무료", "restaurant", ["된장찌개 무료"], ["1인분 추가!", "1인분 추가 찬스"]),
    # no price cut, discount or deadline the owner did not give
    ("속눈썹 연장 리터치 무료", "beauty", ["리터치 무료"], ["착한 가격", "할인"]),
    ("반려동물 미용 소형견 목욕 미용 3만원 이벤트", "pet", ["30,000원"], ["할인"]),
    ("횟집 광어회 포장 20% 할인", "restaurant", ["20%"], ["이번 주"]),
    # opening hours are no opening
    ("반찬가게 3팩에 1만원 매일 아침 8시 오픈", "general", ["10,000원"], ["새롭게 문을", "GRAND OPEN", "그랜드 오픈", "오픈 기념"]),
    # a price keeps its quantity ("3개 8,000원" is not 8,000원 a piece)
    ("소금빵 3개 8천원", "bakery", ["3개 8,000원"], []),
    # a product the lexicon does not know keeps its price
    ("카페 모닝세트 4,500원", "cafe", ["모닝세트", "4,500원"], []),
    ("요가원 신규 회원 한달 무제한 9만9천원", "fitness", ["99,000원"], []),
    # a time range keeps its end
    ("미용실 평일 오후 2시부터 5시까지 펌 2만원", "beauty", ["오후 2시부터 5시까지", "20,000원"], []),
]


@pytest.mark.parametrize(
    ("text", "timing"),
    [
        ("평일 오후 2시부터 5시까지 펌 할인", "평일 오후 2시부터 5시까지"),
        ("해피아워 오후5시~7시 반값", "오후 5시~7시"),
        ("이번 주 금요일까지 20% 할인", "이번 주 금요일까지"),
    ],
)
def test_time_ranges_and_named_days(text: str, timing: str) -> None:
    assert analysis.analyze(text).timing == timing


@pytest.mark.parametrize(
    ("text", "ask", "fact"),
    [("치킨두마리 25000원 포장 가능", "헤드라인 바꿔줘", "25,000원"), ("횟집 광어회 포장 20% 할인", "헤드라인 바꿔줘", "20%")],
)
def test_a_new_headline_keeps_the_fact_the_old_one_had(text: str, ask: str, fact: str) -> None:
    for seed in range(6):
        first, again = refine(text, ask, "1:1", seed)
        assert fact in first.headline
        assert fact in again.headline and again.headline != first.headline, (seed, again)
        assert "이번 주" not in again.headline


def test_longer_never_repeats_a_sentence() -> None:
    for text in ("네일샵 젤네일 선착순 30명 20% 할인", "동네 빵집 소금빵 매일 오후 3시 갓 구운 빵", "카페 신메뉴 홍보"):
        for seed in range(8):
            body = refine(text, "더 길게", "4:3", seed)[1].body
            sentences = [s.strip(" .!?") for s in re.split(r"[.!?]", body) if s.strip(" .!?")]
            assert len(sentences) == len(set(sentences)), body


@pytest.mark.parametrize(
    ("text", "deal"),
    [
        ("우리 카페 리뉴얼 오픈했어 음료 전부 천원 할인해", "1,000원 할인"),
        ("족발집 오픈 기념 막국수 서비스", "막국수 서비스"),
        ("치킨집인데 리뷰 이벤트 하면 치즈볼 서비스 줌", "치즈볼 서비스"),
        ("남성복 매장 정장 한벌 구매시 셔츠 한장 무료 증정", "셔츠 한장 무료 증정"),
        ("친절한 서비스로 모십니다", None),  # service as manners, not a freebie
    ],
)
def test_more_offers_as_owners_write_them(text: str, deal: str | None) -> None:
    said = analysis.analyze(text).deal
    assert (deal in said) if deal and said else said == deal, said


@pytest.mark.parametrize(
    ("text", "industry", "wrong"),
    [
        ("고양이 호텔 명절 연휴 1박 2만원", "pet", {"#멍스타그램", "#댕댕이"}),
        ("강아지 수제간식 육포 할인", "pet", {"#냥스타그램"}),
        ("요가원 주말 원데이 클래스", "fitness", {"#헬스"}),
        ("마라탕 가게 꿔바로우 주문시 음료 무료", "restaurant", {"#카페", "#커피스타그램"}),
        ("스터디카페 100시간 정액권 10만원", "general", {"#카페", "#커피스타그램"}),
        ("코인세탁 운동화 세탁 한켤레 4천원", "general", {"#데일리룩", "#패션"}),
        ("세탁소 이불 빨래 한 채당 1만원", "general", {"#채당"}),
    ],
)
def test_the_trade_and_its_tags(text: str, industry: str, wrong: set[str]) -> None:
    assert analysis.analyze(text).industry == industry
    for seed in range(20):
        tags = set(write(text, seed=seed).hashtags)
        assert not tags & wrong, (seed, tags)


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("원룸 보증금 500에 월 45만원", "월 450,000원"),
        ("캔들 만들기 원데이 클래스 1인 2만원", "1인 20,000원"),
        ("고양이 호텔 1박 2만원", "1박 20,000원"),
    ],
)
def test_a_price_keeps_what_it_is_for(text: str, price: str) -> None:
    assert analysis.analyze(text).price == price
    for seed in range(6):
        copy = write(text, seed=seed)
        assert price in f"{copy.headline} {copy.body}" and f"단 {price}" not in copy.headline, copy


def test_new_students_are_an_audience_not_a_launch() -> None:
    brief = analysis.analyze("수학학원 중등부 신규생 모집 첫달 수강료 반값")
    assert (brief.intent, brief.audience) == ("event", "신규생")
    for seed in range(6):
        copy = write("수학학원 중등부 신규생 모집 첫달 수강료 반값", seed=seed)
        assert "출시" not in f"{copy.headline} {copy.body}", copy


def test_a_shorter_body_is_not_the_button_again() -> None:
    for text in ("미용실 여성 커트 15,000원", "동네 빵집 소금빵 매일 오후 3시 갓 구운 빵", "카페 신메뉴 홍보"):
        for seed in range(10):
            after = refine(text, "문구를 짧게", "1:1", seed)[1]
            assert after.body.rstrip("!?. ") != after.cta.rstrip("!?. "), after


def test_estate_agents_and_academies_are_not_dropped_in_on() -> None:
    for text in ("부동산 신축 원룸 월세 매물", "수학학원 겨울방학 특강 모집"):
        assert all("놀러" not in write(text, seed=s).cta for s in range(12))


def test_an_amount_is_matched_whole() -> None:
    # "5,000원" (the discount) is not in "45,000원" (the price): the offer must really be stated.
    for seed in range(6):
        copy = write("횟집 광어 우럭 세트 45,000원 포장하면 5천원 할인", seed=seed)
        assert re.search(r"(?<![\d,])5,000원 할인", f"{copy.headline} {copy.body}"), copy


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("초밥집 점심특선 12피스 1만 3천원", "#피스"),
        ("향수공방 2인 이상 예약 시 1인 5천원 할인", "#이상"),
        ("홀케이크 3일전까지 예약 필수", "#일전까지"),
    ],
)
def test_counts_and_limits_are_no_hashtags(text: str, tag: str) -> None:
    assert all(tag not in write(text, seed=s).hashtags for s in range(6))


# Found by a second review of 80 other requests (each a bad ad before the fix).
SECOND_REVIEW = [
    # the price goes with the product written next to it, or with none
    ("삼겹살집 평일 점심 김치찌개 정식 7천원", "restaurant", ["김치찌개 정식 7,000원"], ["삼겹살 7,000원"]),
    (
        "파스타 레스토랑 커플세트 파스타2개 샐러드 와인 2잔 4만 9천원",
        "restaurant",
        ["49,000원"],
        ["파스타 2잔", "파스타 49,000원", "2잔 49,000원"],
    ),
    ("디저트카페 크로플 세트 9,900원", "cafe", ["크로플 세트", "9,900원"], []),
    # (the old price only with the new one: test_a_price_cut_shows_the_old_price_only_with_the_new_one)
    ("헤어샵 염색 클리닉 패키지 8만원 → 5만 9천원", "beauty", ["59,000원"], ["80,000원!", "단 80,000원", "80,000원에"]),
    ("가방 편집샵 신상 가방 3만원대", "fashion", ["30,000원대"], ["단 30,000원"]),
    # no condition, audience or urgency the owner did not give
    ("우리카페 스탬프 10개 모으면 아메리카노 한잔 무료에요", "cafe", [], ["지금 방문하면", "단골 손님께", "지금만"]),
    ("베이커리 식빵 2+1 매주 수요일", "bakery", ["2+1"], ["지금만"]),
    ("냉면집 여름 사리 추가 무료", "restaurant", [], ["여름만"]),
    ("영어학원 신규 모집 레벨테스트 무료", "academy", [], ["출시"]),
    # no claim in a tag: #급매 only when the owner says 급매
    ("부동산 투룸 전세 매물 즉시입주", "realestate", [], ["#급매"]),
    ("우리동네 휴대폰 수리점 액정 교체", "general", [], ["#이벤트"]),
]


def test_longer_adds_no_second_call_to_action() -> None:
    for text in ("순대국밥 8천원", "카페 신메뉴 딸기라떼 홍보", "헬스장 PT 30% 할인"):
        for seed in range(8):
            body = refine(text, "더 길게", "4:3", seed)[1].body
            verbs = [s.strip(" .!?").split()[-1] for s in re.split(r"(?<=[.!?])\s+", body) if s.strip(" .!?")]
            assert len(verbs) == len(set(verbs)), body


@pytest.mark.parametrize(
    ("said", "copy"),
    [
        ("반찬가게 3팩에 1만원", "반찬 3팩 10,000원!"),
        ("베이글 첫날 선착순 50명한테 하나씩 무료", "선착순 50명 베이글 무료!"),
        ("영어학원 여름방학 특강 7월 20일부터 개강", "7월 20일 개강! 여름방학 특강"),
        ("돈까스 점심 11시반부터 2시까지 정식 9천원", "11시 반부터 2시까지 돈까스 정식 9,000원"),
    ],
)
def test_the_owners_counts_with_particles_are_the_owners(said: str, copy: str) -> None:
    assert analysis.claim_problems(copy, said) == []


def test_an_offer_is_required_and_the_price_only_without_one() -> None:
    assert analysis.claim_problems("클리닉 무료!", "미용실 커트 15,000원 펌 예약 시 클리닉 무료") == []
    assert analysis.claim_problems("커트 예약하세요!", "미용실 커트 15,000원") != []
    assert analysis.claim_problems("펌 예약하세요!", "미용실 커트 15,000원 펌 예약 시 클리닉 무료") == []  # 무료: no amount
    assert analysis.claim_problems("첫 방문 할인!", "애견미용 5만원 첫방문 10% 할인") != []


def test_a_service_available_is_no_freebie() -> None:
    assert analysis.analyze("애견호텔 설 연휴 1박 3만원 픽업 서비스 가능").deal is None
    for seed in range(6):
        copy = write("애견호텔 설 연휴 1박 3만원 픽업 서비스 가능", seed=seed)
        assert "30,000원" in f"{copy.headline} {copy.body}", copy


SENTENCES = [
    line.strip()
    for line in (Path(__file__).parent / "data" / "owner_sentences.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def test_no_ad_for_150_real_sentences_misstates_the_offer() -> None:
    # The same check an OpenAI reply must pass: the owner's offer (else price) stated, no invented
    # number or 한정; and no 할인 or 지금만 the owner did not offer. Before this session 111 of these
    # 150 sentences gave at least one such ad (seeds 0-2, 1:1 and 3:4).
    assert len(SENTENCES) == 150
    bad = []
    for text in SENTENCES:
        for ratio, seed in (("1:1", 0), ("3:4", 1)):
            copy = write(text, ratio, seed)
            said = f"{copy.headline} {copy.body}"
            problems = analysis.claim_problems(said, text)
            if re.search(r"할인|착한 가격", said + " ".join(copy.hashtags)) and not analysis.says_discount(text):
                problems.append("할인 not offered")
            if "지금만" in said:
                problems.append("지금만")
            if problems:
                bad.append((text, ratio, said, problems))
    assert bad == []


def test_the_body_does_not_echo_a_price_headline() -> None:
    for seed in range(6):
        copy = write("부동산 역세권 원룸 월세 보증금 500에 월 45만원 매물 있습니다", "4:3", seed)
        assert not copy.body.startswith(copy.headline.rstrip("!")), copy


def test_a_count_in_words_is_no_product_and_the_price_joins_the_offer() -> None:
    # Seen through the REST API: "한마리" became the product and the 18,000원 was lost.
    text = "치킨집 배달 주문 시 콜라 무료, 후라이드 한마리 1만 8천원"
    brief = analysis.analyze(text)
    assert (brief.products, brief.price, brief.priced) == (("후라이드",), "18,000원", "후라이드")
    for seed in range(6):
        copy = write(text, seed=seed)
        said = f"{copy.headline} {copy.body}"
        assert "18,000원" in said and "콜라 무료" in said and "#한마리" not in copy.hashtags, copy


# Found by a third, independent review of 60 other requests (each a BAD ad before the fix).
THIRD_REVIEW = [
    # the free thing written after 무료 is the free one
    ("인테리어 필름 시공 무료 견적 상담", "general", ["무료 견적"], ["시공 무료"]),
    ("사과농장 택배비 무료 산지직송", "general", ["택배비 무료"], ["무료 산지직송"]),
    # a range is no single number; a time limit is no limited stock
    ("아이스크림 할인점 전품목 40~60%", "cafe", ["40~60%"], ["최대", " 60%"]),
    ("초밥집 런치 초밥 12pc 1만5천원 평일 한정", "restaurant", ["15,000원"], ["한정 판매"]),
    # a minimum stays with the offer
    ("중국집 4인 이상 볶음밥 무료", "restaurant", ["4인 이상"], []),
    ("세탁소 이불 3채 이상 10% 할인", "general", ["3채 이상", "10%"], []),
    # the item before a count keeps its price; filler words are no products
    ("분식집 타코야끼 8알 5000원", "restaurant", ["타코야끼 8알 5,000원"], []),
    ("포차 금요일 소주 한병 3천원", "restaurant", ["소주", "3,000원"], []),
    ("사진관 증명사진 보정 포함 2만원", "general", ["20,000원"], ["포함 2", "#포함"]),
    # opening hours are no opening
    ("베이커리 소금빵 개당 2800원 오전 11시 오픈", "bakery", ["2,800원"], ["오픈 기념", "GRAND OPEN", "#오픈", "오픈 소식"]),
]


@pytest.mark.parametrize(
    ("text", "second"),
    [
        ("미용실 커트 15,000원 펌 5만원 이벤트 중이에요", "펌 50,000원"),
        ("빵집 앙버터랑 쑥 스콘 홍보해줘 가격은 앙버터 3,800원이고 스콘은 3,200원이야", "스콘 3,200원"),
        ("한식뷔페 성인 12,000원 어린이 7,000원", "어린이 7,000원"),
    ],
)
def test_a_second_priced_product_is_kept(text: str, second: str) -> None:
    assert analysis.analyze(text).second_price == second
    for seed in range(6):
        copy = write(text, seed=seed)
        assert second in copy.body, copy


def test_one_price_gives_no_second() -> None:
    assert analysis.analyze("카페 신메뉴 딸기라떼 홍보, 한 잔 4,500원").second_price is None
    assert analysis.analyze("헤어샵 염색 클리닉 패키지 8만원 → 5만 9천원").second_price is None


def test_a_price_headline_names_what_it_is_for_when_it_fits() -> None:
    for text in ("미용실 커트 15,000원 펌 5만원 이벤트 중이에요", "김치찌개 8천원", "카페 모닝세트 4,500원"):
        brief = analysis.analyze(text)
        for ratio in ("1:1", "3:4"):
            for seed in range(4):
                headline = write(text, ratio, seed).headline
                assert brief.priced in headline and brief.price in headline, (ratio, seed, headline)


def test_the_priced_product_is_a_whole_word() -> None:
    # Seen on a fresh clone's REST API: "빵 3개 8,000원!" for a 소금빵 price (the 빵 of "갓 구운 빵").
    brief = analysis.analyze("빵집 소금빵 3개 8천원 매일 오후 3시 갓 구운 빵")
    assert (brief.priced, brief.products[0], brief.price) == ("소금빵", "소금빵", "3개 8,000원")


@pytest.mark.parametrize(("text", "industry", "shown", "never"), REVIEW_CASES + SECOND_REVIEW + THIRD_REVIEW)
@pytest.mark.parametrize("ratio", ["1:1", "3:4"])
def test_review_cases(text: str, industry: str, shown: list[str], never: list[str], ratio: str) -> None:
    # The sentences of the three reviews, each a bad ad before its fix.
    test_the_ad_keeps_the_facts_and_invents_none(text, industry, shown, never, ratio)


# A price cut the owner states: the new price is the price, the old one is shown only with it.
PRICE_CUTS = [
    ("6만원짜리 원피스 4만5천원", "원피스", "60,000원", "45,000원"),
    ("정가 6만원 원피스 4만5천원에 판매", "원피스", "60,000원", "45,000원"),
    ("원피스 정가 6만원, 할인가 4만5천원", "원피스", "60,000원", "45,000원"),
    ("원피스 6만원 → 4만5천원 할인, 이번 주말까지", "원피스", "60,000원", "45,000원"),
    ("삼겹살 1인분 15,000원에서 12,000원으로 인하", "삼겹살", "15,000원", "12,000원"),
    ("아메리카노 4,500원에서 2,500원으로 할인", "아메리카노", "4,500원", "2,500원"),
]


@pytest.mark.parametrize(("text", "product", "old", "new"), PRICE_CUTS)
def test_a_price_cut_shows_the_old_price_only_with_the_new_one(text: str, product: str, old: str, new: str) -> None:
    brief = analysis.analyze(text)
    assert (brief.priced, brief.price.split()[-1]) == (product, new) and brief.sale.endswith(f"{old} → {new}")
    assert brief.deal is None  # "→ 4만5천원 할인" is the price it comes down to, not 45,000원 off
    assert "정가" not in " ".join(brief.products)
    shown_cut = 0
    for ratio in sorted(LENGTH_BUDGET):
        for seed in SEEDS:
            copy = write(text, ratio, seed)
            said = f"{copy.headline} {copy.body}"
            assert budget_problems(copy, LENGTH_BUDGET[ratio]) == [], copy
            assert new in said and not re.search(r"\d원 할인", said), copy
            assert analysis.claim_problems(said, text) == [], copy
            assert not any("정가" in tag for tag in copy.hashtags), copy
            shown_cut += f"{old} → {new}" in said
    assert shown_cut >= len(SEEDS)  # the cut itself is the ad's news: shown in most ads


def test_the_old_price_alone_is_a_claim_problem() -> None:
    said = "6만원짜리 원피스 4만5천원"
    assert analysis.claim_problems("원피스 60,000원 → 45,000원!", said) == []
    assert analysis.claim_problems("원피스 정가 60,000원, 지금 45,000원!", said) == []
    assert analysis.claim_problems("원피스 정가 60,000원!", said) != []  # the new price missing
    assert any("old price" in p for p in analysis.claim_problems("원피스 60,000원! 지금 45,000원", said))
    # No cut: a higher second amount or no list price keeps the first price as it was.
    assert analysis.analyze("정가 3만원, 2개 구매 시 5만원").sale is None
    assert analysis.analyze("커트 15,000원 펌 5만원").sale is None


@pytest.mark.parametrize(
    ("text", "ask", "new", "gone"),
    [
        ("원피스 4만5천원", "가격 4만원으로 바꿔줘", "40,000원", ["45,000원"]),
        ("6만원짜리 원피스 4만5천원", "가격 4만원으로 바꿔줘", "40,000원", ["45,000원", "60,000원"]),
        ("헬스장 PT 20% 할인", "30% 할인으로 바꿔줘", "30%", ["20%"]),
    ],
)
def test_a_new_price_in_a_refinement_replaces_the_old_one(text: str, ask: str, new: str, gone: list[str]) -> None:
    # Before: "단돈 40,000원! 원피스, 단돈 45,000원!" - the new price added, the old one left standing.
    for ratio in sorted(LENGTH_BUDGET):
        for seed in range(3):
            first, again = refine(text, ask, ratio, seed)
            said = f"{again.headline} {again.body}"
            assert new in said and not any(re.search(rf"(?<![\d,]){re.escape(g)}", said) for g in gone), (first, again)
            assert budget_problems(again, LENGTH_BUDGET[ratio]) == [], again


def test_the_refinement_plan_names_the_new_amounts() -> None:
    from adgen.copywriter import plan_refinement

    previous = writer.write(CopyRequest(input_text="원피스 4만5천원", aspect_ratio="1:1", seed=0))
    plan = plan_refinement(CopyRequest("가격 4만원으로 바꿔줘", "1:1", 1, previous=previous), previous)
    assert "offer" in plan.copy_edits and plan.new_amounts == ("40,000원",)
    assert any("40,000원" in line for line in plan.describe())
    for unrelated in ("해시태그 2개만", "문구를 짧게", "가격 강조해줘", "헤드라인 10자 이내로"):
        assert "offer" not in plan_refinement(CopyRequest(unrelated, "1:1", 1, previous=previous), previous).copy_edits
