"""The fact reader (``facts.read`` / ``facts.compare``): every way owners write a fact, read to one value.

Both copywriters and the copy benchmark trust this reader to say whether an ad still states the
owner's price, date, time and contact, so each form here is one an owner typed in a review round.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adgen.copywriter import facts
from adgen.copywriter.korean import is_casual, is_polite, number_value, won_text


def of_kind(text: str, kind: str) -> list[object]:
    return [f.key for f in facts.read(text) if f.kind == kind]


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "won", "shown"),
    [
        ("아메리카노 12,000원", 12_000, "12,000원"),
        ("아메리카노 12000원", 12_000, "12,000원"),
        ("아메리카노 1만2천원", 12_000, "12,000원"),
        ("아메리카노 1만 2천원", 12_000, "12,000원"),
        ("아메리카노 만2천원", 12_000, "12,000원"),
        ("아메리카노 1.2만원", 12_000, "12,000원"),
        ("커트 만원", 10_000, "10,000원"),
        ("커트 만 원", 10_000, "10,000원"),
        ("칠천원에 드려요", 7_000, "7,000원"),
        ("천오백원", 1_500, "1,500원"),
        ("삼만원", 30_000, "30,000원"),
        ("3천만원 전세 매물", 30_000_000, "3,000만원"),
        ("3,000만원 전세 매물", 30_000_000, "3,000만원"),
        ("2백만원", 2_000_000, "2,000,000원"),
        ("소금빵 2천5백원", 2_500, "2,500원"),
        ("도시락 1만2천5백원", 12_500, "12,500원"),
        ("패딩 25마넌", 250_000, "250,000원"),
        ("가방 3만원대", 30_000, "30,000원"),
        ("요가 한달 무제한 9만9천원", 99_000, "99,000원"),
        ("1억 2천만원", 120_000_000, "1억 2,000만원"),
        ("1억2천만원", 120_000_000, "1억 2,000만원"),
        ("매매 1억원", 100_000_000, "1억원"),
        ("빌라 매매 15000000원", 15_000_000, "1,500만원"),  # eight digits and 원: a price, not a 15xx number
        ("전세 3억", 300_000_000, "3억원"),  # 억 without 원 is money
        ("전세 2억 3천 즉시입주", 230_000_000, "2억 3,000만원"),  # after 억, 3천 counts 만
        ("건조기 30분 3천원", 3_000, "3,000원"),
        ("애견샵 크로플 칠천원 이상", 7_000, "7,000원"),  # Kiwi reads "칠천원" here as one name (NNP)
        ("횟집 여성 커트 삼천원 12/24", 3_000, "3,000원"),
        ("사진관 후라이드 치킨 3마넌 신규 회원", 30_000, "30,000원"),  # and "마넌" here as 말 + 넌
        ("5천원씩 할인", 5_000, "5,000원"),
    ],
)
def test_an_amount_in_every_form_owners_write(text: str, won: int, shown: str) -> None:
    amounts = [f for f in facts.read(text) if f.kind == "amount"]
    assert [(f.key, f.text) for f in amounts] == [(won, shown)]


@pytest.mark.parametrize(
    "text",
    [
        "빵 3개",
        "2인 이상",
        "PT 10회 등록",
        "3개월 등록",
        "선착순 30명",
        "1+1",
        "2+1",
        "콜라 1.25리터",
        "3천 포인트 적립",
        "보증금 500에",
        "1억뷰 달성",
    ],
)
def test_counts_are_no_amounts(text: str) -> None:
    assert of_kind(text, "amount") == [] and of_kind(text, "percent") == []


def test_a_numeral_syllable_of_a_word_is_no_number() -> None:
    # Kiwi reads "네일" as 네 + 일 (one): "일 30프로" once became one number, and the ad said "네30%".
    text = "네일 30프로 할인 진행"
    (percent,) = facts.read(text)
    assert (percent.kind, percent.key, text[percent.start : percent.end]) == ("percent", 30, "30프로")


def test_two_numbers_side_by_side_are_two_numbers() -> None:
    # "1+1 5000원" once read as one number starting at the second 1: the ad said "1+5,000원".
    text = "아메리카노 1+1 5000원"
    (amount,) = [f for f in facts.read(text) if f.kind == "amount"]
    assert (amount.key, text[amount.start : amount.end]) == (5_000, "5000원")


@pytest.mark.parametrize(
    ("text", "won"),
    [
        ("커트 15,000원 펌 5만원 염색 6만원", [15_000, 50_000, 60_000]),
        ("원피스 6만원 → 4만5천원", [60_000, 45_000]),
        ("2만원 이상 구매 시 3천원 할인", [20_000, 3_000]),
        ("아이폰 12만원부터 갤럭시 9만원부터", [120_000, 90_000]),
        ("니트 2~3만원", [20_000, 30_000]),  # a range says 만 once
        ("니트 2만~3만원", [20_000, 30_000]),
        ("20,000~30,000원", [20_000, 30_000]),
    ],
)
def test_several_amounts(text: str, won: list[int]) -> None:
    assert of_kind(text, "amount") == won


@pytest.mark.parametrize("won", [10_000_000, 30_000_000, 100_000_000, 120_000_000, 123_450_000, 1_000_000_000, 12_345_000, 9_990_000])
def test_won_text_reads_back_to_the_same_value(won: int) -> None:
    assert of_kind(won_text(won), "amount") == [won]
    assert of_kind(f"전세 {won_text(won)} 매물", "amount") == [won]


@given(
    st.integers(min_value=1, max_value=99_999).map(lambda n: n * 100)
    | st.integers(min_value=1, max_value=9_999).map(lambda n: n * 1_000_000)
)
@settings(max_examples=60, deadline=None)
def test_any_amount_written_by_won_text_reads_back(won: int) -> None:
    assert of_kind(f"가격 {won_text(won)}", "amount") == [won]


@pytest.mark.parametrize(
    ("parts", "value"),
    [
        (["12,000"], 12_000),
        (["1", "만", "2", "천"], 12_000),
        (["1.2", "만"], 12_000),
        (["3", "천만"], 30_000_000),
        (["칠천"], 7_000),
        (["만"], 10_000),
        (["1", "억", "2,000", "만"], 120_000_000),
        (["이"], 2),
        (["열"], None),
    ],
)
def test_number_value(parts: list[str], value: float | None) -> None:
    assert number_value(parts) == value


# --- percents --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "percents"),
    [
        ("전 메뉴 20% 할인", [20]),
        ("전 메뉴 20프로 할인", [20]),
        ("전 메뉴 20퍼센트 할인", [20]),
        ("전 메뉴 20 % 할인", [20]),
        ("니트 최대 30% 세일", [30]),
        ("10%할인", [10]),
        ("50% off", [50]),
        ("아이스크림 전품목 40~60%", [40, 60]),  # both ends of a range
        ("포인트 적립 5%, 회원 10% 추가 적립", [5, 10]),
    ],
)
def test_percents(text: str, percents: list[int]) -> None:
    assert of_kind(text, "percent") == percents
    assert all(f.text == f"{f.key}%" for f in facts.read(text) if f.kind == "percent")


# --- dates and times -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("12월 24일 오픈", [(12, 24)]),
        ("12월24일 오픈", [(12, 24)]),
        ("12/24 오픈", [(12, 24)]),
        ("12.24(토) 오픈", [(12, 24)]),
        ("12.24 토요일 오픈", [(12, 24)]),
        ("2024.12.24 오픈", [(12, 24)]),
        ("2024-12-24 오픈", [(12, 24)]),
        ("2024년 12월 24일 오픈", [(12, 24)]),
        ("12월 24일부터 31일까지", [(12, 24), (12, 31)]),
        ("12월 5~14일 팝업", [(12, 5), (12, 14)]),
        ("12/24~12/31 할인", [(12, 24), (12, 31)]),
        ("12/24-12/31 할인", [(12, 24), (12, 31)]),
        ("12.24~12.26 패키지", [(12, 24), (12, 26)]),
        ("행사 5월 5일까지", [(5, 5)]),
        ("1/2 가격", []),  # half the price
        ("12/31 할인", [(12, 31)]),
        ("1.5kg 2만원", []),
        ("3-4인 세트", []),
        ("365일 영업", []),
        ("3일전까지 예약", []),
    ],
)
def test_dates(text: str, dates: list[tuple[int, int]]) -> None:
    assert of_kind(text, "date") == dates


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("오후 3시 오픈", [(3, 0)]),
        ("오후3시 오픈", [(3, 0)]),
        ("15:00 오픈", [(3, 0)]),
        ("11:30 오픈", [(11, 30)]),
        ("저녁 7시 반 오픈", [(7, 30)]),
        ("11시반부터 2시까지", [(11, 30), (2, 0)]),
        ("오후 1시 30분", [(1, 30)]),
        ("평일 오전 10시~오후 2시", [(10, 0), (2, 0)]),
        ("11:30~14:00 점심특선", [(11, 30), (2, 0)]),
        ("해피아워 오후5시~7시 반값!", [(5, 0), (7, 0)]),  # the 반 of 반값 is half the price, not half past
        ("3시간 이용권", []),
        ("2~3시간 소요", []),
        ("24시간 영업", []),
        ("필라테스 1:1 체험", []),
    ],
)
def test_times(text: str, times: list[tuple[int, int]]) -> None:
    assert of_kind(text, "time") == times


def test_a_time_is_the_same_in_every_form() -> None:
    assert of_kind("오후 3시", "time") == of_kind("15:00", "time") == of_kind("3시", "time")
    assert of_kind("오후 7시 30분", "time") == of_kind("19:30", "time") == of_kind("저녁 7시 반", "time")


@pytest.mark.parametrize(
    ("source", "copy_text", "same"),
    [
        ("매일 오후 3시", "매일 15:00", True),
        ("매일 오후 3시", "매일 3시", True),  # the copy leaves the half of the day open: not wrong
        ("매일 3시", "매일 오후 3시", True),
        ("매일 오후 3시", "매일 오전 3시", False),
        ("매일 오후 3시", "매일 03:00", False),
        ("저녁 7시 반", "19:30", True),
        ("밤 12시까지", "00:00까지", True),  # midnight
        ("밤 12시까지", "낮 12시까지", False),
    ],
)
def test_morning_is_not_afternoon(source: str, copy_text: str, same: bool) -> None:
    report = facts.compare(source, copy_text)
    assert report.ok is same, report.describe()
    if not same:
        assert [f.kind for f in report.missing] == [f.kind for f in report.invented] == ["time"]


# --- contacts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "shown"),
    [
        ("문의 010-1234-5678", "tel:01012345678", "010-1234-5678"),
        ("문의 010 1234 5678", "tel:01012345678", "010 1234 5678"),
        ("문의 010.1234.5678", "tel:01012345678", "010.1234.5678"),
        ("문의 01012345678", "tel:01012345678", "01012345678"),
        ("예약 02-123-4567", "tel:021234567", "02-123-4567"),
        ("예약 (02)123-4567", "tel:021234567", "(02)123-4567"),
        ("상담 0507-1234-5678", "tel:050712345678", "0507-1234-5678"),
        ("대표번호 1588-1234", "tel:15881234", "1588-1234"),
        ("인스타 @cafe_mori 팔로우", "@cafe_mori", "@cafe_mori"),
        ("인스타 @모리꽃집 팔로우", "@모리꽃집", "@모리꽃집"),
        ("@한글계정으로 DM 주세요", "@한글계정", "@한글계정"),
        ("홈페이지 www.knitshop.co.kr", "knitshop.co.kr", "www.knitshop.co.kr"),
        ("주문은 https://smartstore.naver.com/mori", "smartstore.naver.com/mori", "https://smartstore.naver.com/mori"),
        ("mori@naver.com 으로 문의", "mori@naver.com", "mori@naver.com"),
        ("주문은 https://smartstore.naver.com/mori, 홍보해주세요", "smartstore.naver.com/mori", "https://smartstore.naver.com/mori"),
        ("홈페이지 www.mori.co.kr.", "mori.co.kr", "www.mori.co.kr"),
        ("카카오톡 채널 모리꽃집으로 주문", "kakao:모리꽃집", "모리꽃집"),
        ("카카오톡 채널 '모리꽃집' 추가하세요", "kakao:모리꽃집", "모리꽃집"),
        ("카톡 모리꽃집 문의", "kakao:모리꽃집", "모리꽃집"),
        ("카톡채널 모리꽃집", "kakao:모리꽃집", "모리꽃집"),
        ("카톡 플친 별빛펜션", "kakao:별빛펜션", "별빛펜션"),
        ("플친 모리베이커리 추가시 쿠키 증정", "kakao:모리베이커리", "모리베이커리"),
        ("카톡 ID mori123", "kakao:mori123", "mori123"),
    ],
)
def test_contacts(text: str, key: str, shown: str) -> None:
    contacts = [(f.key, f.text) for f in facts.read(text) if f.kind == "contact"]
    assert contacts == [(key, shown)]


@pytest.mark.parametrize(
    "text",
    [
        "플친 추가하면 10% 할인",
        "카카오톡 채널 추가",
        "카톡으로 문의주세요",
        "카톡 상담 가능",
        "010 1234",
        "15000원",
        "1588 1234원",
        "1.5kg",
    ],
)
def test_no_contact(text: str) -> None:
    assert of_kind(text, "contact") == []


# --- items -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("딸기라떼 5,500원", ["딸기라떼"]),
        ("카페 신메뉴 딸기라떼 1만2천원, 아메리카노 4500원", ["딸기라떼", "아메리카노"]),
        ("아메리카노 한 잔 4,500원", ["아메리카노"]),
        ("소금빵 3개 8천원", ["소금빵"]),
        ("소금빵 개당 2800원", ["소금빵"]),
        ("포차 소주 한병 3천원", ["소주"]),
        ("분식집 타코야끼 8알 5000원", ["타코야끼"]),
        ("치킨 두 마리 세트 2만 9천원", ["치킨"]),
        ("세탁소 이불 한 채당 1만원", ["이불"]),
        ("3천만원 전세 매물", []),  # nothing before the price
        ("초밥 오마카세 1인 6만원", ["오마카세"]),
        ("정육점 한우 등심 100g 9,900원", ["등심"]),  # "100g" counts what the price buys; "g" is no item
        ("초밥 12pc 1만5천원", ["초밥"]),
        ("2만원 이상 구매 시 3천원 할인", []),  # "구매 시" is a condition, not an item
        ("정가 6만원", []),
    ],
)
def test_the_item_is_the_noun_before_its_price(text: str, items: list[str]) -> None:
    assert [f.text for f in facts.read(text) if f.kind == "item"] == items


# --- a whole sentence ------------------------------------------------------------------------


def test_a_whole_sentence_in_order() -> None:
    text = "펜션 12/24~12/26 크리스마스 패키지 1박 18만원 체크인 오후 3시 카톡 플친 별빛펜션 문의 010-2222-3333"
    found = [(f.kind, f.key) for f in facts.read(text)]
    assert [fact for fact in found if fact[0] != "item"] == [
        ("date", (12, 24)),
        ("date", (12, 26)),
        ("count", (1, "박")),
        ("amount", 180_000),
        ("time", (3, 0)),
        ("contact", "kakao:별빛펜션"),
        ("contact", "tel:01022223333"),
    ]
    assert all(f.kind in facts.KINDS for f in facts.read(text))
    # Each fact points at the words that state it: the copywriter rewrites numbers in place.
    spans = [(f.kind, text[f.start : f.end]) for f in facts.read(text)]
    assert spans == [
        ("date", "12/24"),
        ("date", "12/26"),
        ("item", "패키지"),
        ("count", "1박"),
        ("amount", "18만원"),
        ("time", "오후 3시"),
        ("contact", "별빛펜션"),
        ("contact", "010-2222-3333"),
    ]


def test_counts_are_read_and_a_changed_count_is_a_changed_fact() -> None:
    assert [(f.kind, f.key) for f in facts.read("PT 10회 등록 시 2회 무료, 2인 이상")] == [
        ("count", (10, "회")),
        ("count", (2, "회")),
        ("count", (2, "인")),
    ]
    changed = facts.compare("PT 10회 등록 시 2회 무료", "PT 10회 등록 시 3회 무료")
    assert [f.text for f in changed.missing] == ["2회"] and [f.text for f in changed.invented] == ["3회"]
    # A count in a unit the owner did not count in is wording, not a fact: "1잔" for "한 잔".
    assert facts.compare("딸기라떼 한 잔 4,500원", "딸기라떼 1잔 4,500원").ok
    assert facts.compare("펜션 3일간 20% 할인", "펜션 3일간 20% 할인!").ok


def test_nothing_to_read() -> None:
    assert facts.read("") == [] and facts.read("   ") == []
    assert facts.read("카페 신메뉴 딸기라떼 출시") == []


# --- compare ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "copy_text"),
    [
        ("딸기라떼 1만2천원", "딸기라떼 12,000원!"),
        ("딸기라떼 12,000원", "딸기라떼 1만 2천원이에요"),
        ("3천만원 전세 매물", "전세 3,000만원 매물"),
        ("전세 2억 3천 즉시입주", "전세 2억 3,000만원, 즉시입주"),
        ("소금빵 매일 오후 3시", "소금빵이 매일 15:00에 나와요"),
        ("전 메뉴 20프로 할인", "전 메뉴 20% 할인"),
        ("행사 12/24~12/31", "12월 24일부터 12월 31일까지 행사"),
        ("카톡 채널 모리꽃집으로 주문", "모리꽃집 카카오톡 채널로 주문하세요"),
        ("예약 010 1234 5678", "예약 문의 010-1234-5678"),
        ("전품목 40~60% 세일", "전품목 40%~60% 세일"),
    ],
)
def test_a_copy_in_other_number_forms_keeps_every_fact(source: str, copy_text: str) -> None:
    report = facts.compare(source, copy_text)
    assert report.ok, report.describe()
    assert report.describe() == []


def test_a_changed_amount_is_missing_and_invented() -> None:
    report = facts.compare("딸기라떼 1만2천원", "딸기라떼 13,000원!")
    assert [(f.kind, f.key) for f in report.missing] == [("amount", 12_000)]
    assert [(f.kind, f.key) for f in report.invented] == [("amount", 13_000)]
    assert not report.ok
    assert report.describe() == [
        "the owner's amount '12,000원' is missing",
        "'13,000원' (amount) is not in the owner's words; do not add it",
    ]


def test_an_amount_is_matched_whole() -> None:
    # "5,000원" (the discount) is not stated by "45,000원" (the price).
    report = facts.compare("광어 우럭 세트 45,000원 포장하면 5천원 할인", "광어 우럭 세트 45,000원")
    assert [f.key for f in report.missing] == [5_000]


def test_an_added_percent_is_invented() -> None:
    report = facts.compare("카페 신메뉴 딸기라떼", "카페 신메뉴 딸기라떼 20% 할인!")
    assert report.missing == ()
    assert [(f.kind, f.key) for f in report.invented] == [("percent", 20)]


def test_a_dropped_phone_is_missing() -> None:
    report = facts.compare("꽃집 오픈 문의 010-1234-5678", "꽃집 오픈! 편하게 들러 주세요")
    assert [(f.kind, f.key) for f in report.missing] == [("contact", "tel:01012345678")]
    assert report.invented == ()


def test_an_added_contact_date_or_time_is_invented() -> None:
    report = facts.compare("꽃집 오픈", "꽃집 오픈 12월 24일 오후 3시 문의 010-1234-5678")
    assert sorted(f.kind for f in report.invented) == ["contact", "date", "time"]


def test_a_lost_item_or_channel_is_missing() -> None:
    report = facts.compare("딸기라떼 5,500원, 카톡 채널 모리카페", "5,500원")
    assert sorted((f.kind, f.text) for f in report.missing) == [("contact", "모리카페"), ("item", "딸기라떼")]


def test_the_facts_read_once_can_be_passed_in() -> None:
    said = facts.read("딸기라떼 1만2천원")
    assert facts.compare("", "딸기라떼 12,000원", source_facts=said).ok


def test_squash() -> None:
    assert facts.squash("딸기 라떼, 12월 31일까지!") == "딸기라떼12월31일까지"
    assert facts.squash("Cafe_Mori") == "cafemori"


# --- tone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "polite", "casual"),
    [
        ("소금빵이 새로 나왔어요", True, False),
        ("주말에 오픈합니다", True, False),
        ("우리 헬스장 새로 열었어", False, True),
        ("이번 주 1+1이야", False, True),
        ("카페 신메뉴 딸기라떼", False, False),  # a noun phrase has no tone
    ],
)
def test_tone_of_the_owners_words(text: str, polite: bool, casual: bool) -> None:
    assert (is_polite(text), is_casual(text)) == (polite, casual)
