"""Reading the owner's sentence: industry, intent, products, deal, timing, season, tone.

Korean glues particles onto nouns ("딸기라떼를"), so words are scanned left to right for the
longest known term at each position instead of being split on spaces alone. English words are
matched whole, so "pet" is not found inside "competition".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from adgen.copywriter import lexicon

_WORD_RE: Final = re.compile(r"[가-힣]+|[A-Za-z]+|[0-9]+")

# Words that contain a known term but mean something else: they are consumed by the scanner
# so that "회원권" yields no "회" (sashimi) and "필요가" no "요가" (yoga).
_STOP_TERMS: Final = (
    "회원", "회사", "회의", "회식", "회차", "필요", "파이팅", "모자라", "모자란", "바지락", "책임", "책상", "수학여행",
    "오픈런", "꽃길", "요가원", "적립", "회화",
)  # fmt: skip

# Terms that name no product on their own (places, categories, modifiers).
_NON_PRODUCTS: Final = frozenset(
    {"카페", "베이커리", "학원", "미용실", "네일샵", "헬스장", "부동산", "음식", "요리", "음료", "아이스", "수제", "한식", "양식",
     "중식", "일식", "공부", "운동", "다이어트", "헬스", "인테리어", "반려동물", "애견", "책",
     # Pets are who the ad is for, not what it sells ("강아지 간식": the product is 간식).
     "강아지", "고양이", "댕댕이", "냥이", "반려견", "반려묘", "수분", "보습"}
)  # fmt: skip
_PETS: Final = frozenset({"강아지", "고양이", "댕댕이", "냥이", "반려견", "반려묘"})

# Modifiers stay part of the product they are glued to ("수제버거", "아이스라떼") but are no
# product on their own.
_MODIFIERS: Final = frozenset({"아이스", "수제"})

# Words that describe the product written after them, with a space: "수분 세럼", "비건 케이크".
_SPACE_MODIFIERS: Final = frozenset(
    {"수분", "보습", "미백", "진정", "탄력", "비건", "천연", "유기농", "수제", "저당", "무설탕", "촉촉", "생", "통", "우리밀"}
)  # fmt: skip

# An unknown noun right before one of these is what the owner sells ("텀블러 출시", "유자청 판매").
_PRODUCT_CUES: Final = ("출시", "판매", "할인", "예약", "입고", "증정", "특가", "세일", "런칭", "론칭")
# Words that may stand before a cue but name no product.
_NOT_A_PRODUCT: Final = frozenset(
    {"신메뉴", "신제품", "신상", "신상품", "신규", "오픈", "리뉴얼", "출시", "예약", "이벤트", "기념", "할인", "특가", "세일", "한정",
     "선착순", "무료", "증정", "사은품", "행사", "판매", "수량", "기간", "전체", "모든", "메뉴", "전메뉴", "상품", "제품", "가게",
     "매장", "우리", "동네", "특별", "깜짝", "대박", "최대", "단독", "일부", "사전", "조기", "당일", "현장", "온라인", "오프라인",
     "매일", "시즌", "그랜드", "새로", "정식", "추가", "역대급", "파격", "초특가", "마감", "주문", "구매", "고객", "회원", "손님",
     "방문", "오늘", "내일", "모레", "주말", "평일", "이번", "다음", "연휴", "월말", "연말", "연초", "기간한정", "수강", "등록",
     "정기", "단체", "가족", "전품목", "품목", "재고", "창고", "오프", "오늘만", "주말만", "동안", "동시", "연속", "진행",
     # adverbs before a cue ("지금 예약하기" in the last ad's CTA)
     "지금", "바로", "미리", "얼른", "빨리", "어서", "편하게",
     # time spans and money ("오늘 하루만 특가", "천원 할인")
     "하루", "이틀", "사흘", "한달", "일주일", "만원", "천원", "백원", "공짜", "무제한",
     "하나", "두개", "한개", "한잔", "한병", "한봉", "이상", "이하", "이내", "미만", "초과",
     "특선", "점심특선", "런치특선", "포함", "제공", "전화", "상시", "최소주문", "재방문", "가능", "불가", "별도", "이용",
     "작은거", "큰거", "각",
     # what a price is called ("정가 6만원", "할인가 4만5천원")
     "정가", "정상가", "원가", "기존가", "소비자가", "판매가", "할인가", "가격대", "짜리",
     # words of a refinement ("가격 할인 강조해줘")
     "가격", "문구", "제목", "헤드라인", "본문", "이미지", "배경", "사진", "해시태그", "강조"}
)  # fmt: skip
_LOOSE_PARTICLES: Final = ("이", "가", "의", "와", "과", "로", "랑", "에", "도", "만", "은", "는", "을", "를")
_PARTICLE_ENDINGS: Final = ("을", "를", "은", "는", "도", "만")
_ADJECTIVE_ENDINGS: Final = ("한", "운", "는", "된", "던", "적")
MAX_PRODUCTS: Final = 3
# A product typed as a sentence fragment would not fit a headline; longer spans are ignored.
MAX_PRODUCT_CHARS: Final = 8

_PERCENT_RE: Final = re.compile(r"(최대\s*)?(\d{1,2})\s*(?:%|퍼센트|프로)")
# An amount of won as owners write it: "29,000원", "9900원", "8천원", "1만원", "1만 2천원", "1만2천5백원".
_WON: Final = (
    r"(?<![\d,])(?:(?P<plain>\d{1,3}(?:,\d{3})+|\d{3,7})"
    r"|(?=\d+\s*[만천백])(?:(?P<man>\d{1,4})\s*만\s*)?(?:(?P<cheon>\d)\s*천\s*)?(?:(?P<baek>\d)\s*백\s*)?"
    r"|(?<![가-힣])(?P<bare>[만천백]))\s*원"  # "천원 할인": one thousand
)
# A price is what something costs, not a condition ("2만원 이상 구매 시") or a discount ("3천원 할인").
_PRICE_RE: Final = re.compile(_WON + r"(?!\s*(?:이상|이하|할인|DC|off|적립))", re.IGNORECASE)
_WON_OFF_RE: Final = re.compile(_WON + r"\s*(?:할인|DC|off)", re.IGNORECASE)
_ANY_WON_RE: Final = re.compile(_WON)
_POINTS: Final = r"적립|캐시백|페이백|환급"  # money back, not a lower price
# "6만원 → 4만5천원 할인": the amount after an arrow is the price it comes down to, not an amount off.
_REPLACED_RE: Final = re.compile(_WON + r"\s*(?:→|->|=>|에서)\s*$")
_BOOKING_OFF_RE: Final = re.compile(r"(사전\s*|조기\s*)?예약\s*(?:시\s*)?할인")
_FIRST_COME_RE: Final = re.compile(r"선착순\s*(\d{1,4}\s*(?:명|분|개))?")
_LIMITED_RE: Final = re.compile(r"한정\s*(수량|판매)?|수량\s*한정")
_BUNDLE_RE: Final = re.compile(r"1\s*\+\s*1|원\s*플러스\s*원|투\s*플러스\s*원|2\s*\+\s*1")
_FREE_RE: Final = re.compile(r"(?:무료|공짜)\s*(체험|상담|시식|수업|배송|증정)?")
_GIFT_RE: Final = re.compile(r"증정|사은품|서비스(?!\s*(?:가능|제공|이용|센터|문의|업|직))")
_HALF_RE: Final = re.compile(r"반값|반\s*가격")
_UNIT: Final = r"(?:개월|인분|시간|회|개|달|주|잔|번|세트|병|장|박|일|명|마리|팩|판)"
# A bonus counted in units: "2회 무료", "1개월 무료", "1개 더", "1잔 서비스".
_BONUS_RE: Final = re.compile(
    rf"(\d{{1,3}})\s*({_UNIT})\s*(추가\s*증정|무료(?:\s*(?:체험|수업|상담|이용))?|증정|추가|서비스|더)(?:로|으로)?(?![가-힣])"
    r"(?!\s*(?:주문|구매|결제|등록|시\b|하면))"
)
# What a customer does to earn the offer: "10회 등록 시", "3개월 등록하면", "2개 사면", "3만원 이상 구매 시".
_CONDITION_RE: Final = re.compile(
    rf"(\d{{1,3}}(?:,\d{{3}})*\s*(?:{_UNIT}|만\s*원|원)(?:\s*이상)?)\s*"
    r"(?:(등록|구매|결제|주문|예약|이용|수강|시술|신청|가입)\s*(?:시|하면|하시면|할\s*때)|(사면|사시면))(?![가-힣])"
)
# The first time that earns it: "첫 달", "첫 방문".
_FIRST_TIME_RE: Final = re.compile(r"첫\s*(달|방문|구매|주문|수업|등록|이용|시술|결제|주)(?![가-힣])")
# Who the offer is for. "신규 오픈" is the shop's news, not an audience.
_AUDIENCE_RE: Final = re.compile(r"신규\s*(회원|고객|가입|수강생|원생|학생|등록|손님|생(?![가-힣]))")
# Who else an offer may be for: "재방문 고객 10% 할인", "기존 회원", "대학생 20% 할인".
_OTHER_AUDIENCE_RE: Final = re.compile(
    r"(?<![가-힣])(?:(재방문|기존|단골|재등록)\s*(고객|회원|손님|수강생)?|((?:대|고|중|초)?학생|어르신|군인|임산부))(?![가-힣])"
)
# Where a clause ends: a comma that is no thousands separator, a full stop, a "!" or "?".
_CLAUSE_END_RE: Final = re.compile(r",(?!\d{3}(?!\d))|[.!?·/\n]")
_OFFER_WORD_RE: Final = re.compile(r"무료|할인|증정|추가|서비스|%|\d\s*\+\s*\d|적립")
# "신규 모집" recruits members or students; it launches nothing.
_RECRUIT_RE: Final = re.compile(r"신규\s*(?:모집|상담|문의)")
_BOOKING_RE: Final = re.compile(r"예약")
_NO_BOOKING_RE: Final = re.compile(r"예약\s*(?:없이|불필요|필요\s*없|안\s*받)|노\s*예약")

INTENT_ORDER: Final = ("opening", "new", "event", "season")


def won(m: re.Match[str]) -> str:
    """A ``_WON`` match as copy writes it: "12,000원"."""
    if m.group("plain"):
        value = int(m.group("plain").replace(",", ""))
    elif m.group("bare"):
        value = {"만": 10000, "천": 1000, "백": 100}[m.group("bare")]
    else:
        value = sum(int(m.group(unit) or 0) * size for unit, size in (("man", 10000), ("cheon", 1000), ("baek", 100)))
    return f"{value:,}원"


# When the offer runs: a date, a day, a week. Longest alternatives first.
_DATE_RE: Final = re.compile(r"(\d{1,2})\s*월\s*(\d{1,2})\s*일(?:\s*\(?[월화수목금토일]\)?)?(\s*까지)?")
_DAY_RE: Final = re.compile(
    r"((?:이번|다음)\s*주\s*[월화수목금토일]요일|이번\s*주말|다음\s*주말|이번\s*주|다음\s*주|이번\s*달|다음\s*달|이달|주말|평일|오늘\s*하루|오늘|내일|모레|금주"
    r"|[월화수목금토일]요일|연휴|월말|주중)(\s*까지)?"
)
# A time of day: "오후 3시", "저녁 6시부터", "매일 오전 11시 30분", "2시 반까지". "10시간" is a duration.
_PART: Final = r"(?:오전|오후|아침|점심|저녁|밤|새벽)"
_HOUR: Final = r"(?<![\d.:])\d{1,2}\s*시(?!간|즌|식|작|술|험|청|즈)(?:\s*\d{1,2}\s*분|\s*반(?!값|\s*가격))?"
_CLOCK_RE: Final = re.compile(
    rf"(?:(?P<every>매일|평일|주말)\s*)?(?P<first>(?:{_PART}\s*)?{_HOUR})"
    rf"(?:\s*(?P<sep>부터|~|-)\s*(?P<second>(?:{_PART}\s*)?{_HOUR})(?P<end>\s*까지)?|(?P<until>\s*(?:부터|까지|이후|전에)))?"
)


def _clock(text: str) -> str:
    """ "오후5시" as copy writes it: "오후 5시"; "2시 30분", "2시 반"."""
    m = re.fullmatch(rf"(?:({_PART})\s*)?(\d{{1,2}})\s*시(?:\s*(\d{{1,2}})\s*분|\s*(반))?", text.strip())
    if m is None:
        return text.strip()
    part, hour, minute, half = m.groups()
    return " ".join(w for w in (part, f"{int(hour)}시", f"{int(minute)}분" if minute else "반" if half else None) if w)


# The event an offer celebrates, as copy says it ("출시 기념 1+1"); first match wins.
_LAUNCH_CUES: Final = (
    ("리뉴얼", "리뉴얼 오픈"), ("신규 오픈", "신규 오픈"), ("신규오픈", "신규 오픈"), ("그랜드 오픈", "그랜드 오픈"), ("오픈런", None),
    ("오픈", "오픈"), ("개업", "개업"), ("출시", "출시"), ("런칭", "출시"), ("론칭", "출시"), ("신제품", "출시"), ("신메뉴", "출시"),
)  # fmt: skip
# A sentence that ends like this is 반말; the owner wrote the ad's voice themselves.
_CASUAL_END_RE: Final = re.compile(r"(었어|았어|였어|했어|할게|줄게|하자|가자|보자|이야|거야|왔어|났어|있어|없어|[가-힣](해|봐|와|돼|야))$")
_POLITE_END_RE: Final = re.compile(r"(요|니다|세요|십시오|까요)(?=\s*(?:[.!?~)]|$))", re.MULTILINE)


@dataclass(frozen=True)
class Brief:
    """What one sentence says, as far as the lexicon can tell."""

    industry: str
    intent: str  # "opening" | "new" | "event" | "season" | "promo"
    products: tuple[str, ...]  # as typed, particles removed: ("딸기라떼",)
    subjects: tuple[str, ...]  # their English, for SDXL: ("strawberry latte",)
    place: str | None  # the place noun the owner used ("필라테스"), if any
    deal: str | None  # "30% 할인", "1+1", "반값 할인", "무료 증정"
    price: str | None  # "4,500원"
    season: str | None  # the season word for copy ("크리스마스")
    season_scene: str | None  # its English scene
    timing: str | None = None  # when the offer runs, as copy says it ("이번 주", "5월 8일까지")
    launch: str | None = None  # the event an offer celebrates ("오픈", "출시")
    casual: bool = False  # the owner wrote in 반말
    offer: str | None = None  # the deal without its condition ("2회 무료" of "10회 등록하면 2회 무료")
    condition: str | None = None  # what earns it, as every form of the deal says it ("10회 등록", "첫 달")
    audience: str | None = None  # who it is for ("신규 회원")
    deal_forms: tuple[str, ...] = ()  # ways copy may say the deal, most complete first
    booking: bool = False  # the owner takes reservations ("예약 받아요"): the ad asks for one
    limited: bool = False  # the owner announced a limited run ("한정 판매"); copy never claims one otherwise
    discount: bool = False  # the owner offers a lower price ("할인", "세일"); "착한 가격" is said only then
    priced: str | None = None  # the product the price is for, when the owner wrote it next to the price
    second_price: str | None = None  # a second product with its price ("펌 50,000원" of "커트 15,000원 펌 5만원")
    sale: str | None = None  # a stated price cut, old → new ("60,000원 → 45,000원"); `price` is the new one
    text: str = ""  # what the owner wrote (claims such as #급매 need their own words)

    @property
    def when(self) -> str | None:
        """The time the copy should name: the stated days, else the occasion."""
        return self.timing or self.season


@dataclass(frozen=True)
class _Match:
    term: str
    word: str
    start: int
    end: int


def _scan_word(word: str, terms: Mapping[str, object], max_len: int) -> list[_Match]:
    """Greedy longest match at each position of one word; an ASCII word only matches whole."""
    if word.isascii():
        key = word.lower()
        for candidate in (key, key[:-1] if key.endswith("s") and len(key) > 3 else None):
            if candidate and candidate in terms:
                return [_Match(candidate, word, 0, len(word))]
        return []
    found: list[_Match] = []
    core_end = len(_strip_particle(word))
    i = 0
    while i < len(word):
        for j in range(min(len(word), i + max_len), i, -1):
            if j - i == 1 and 0 < i and j < core_end:
                continue  # one syllable inside a word is part of another word ("립" of "드립니다")
            if word[i:j] in terms:
                found.append(_Match(word[i:j], word, i, j))
                i = j
                break
        else:
            i += 1
    return found


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


@lru_cache(maxsize=1)
def _industry_terms() -> tuple[dict[str, tuple[str, int] | None], int]:
    terms: dict[str, tuple[str, int] | None] = dict.fromkeys(_STOP_TERMS)
    for industry, items in lexicon.INDUSTRY_TERMS.items():
        for term in items:
            terms.setdefault(term.lower(), (industry, lexicon.TERM_WEIGHT))
    # Places last so that they win over a term spelled the same ("필라테스" is both).
    for industry, items in lexicon.INDUSTRY_PLACES.items():
        for term in items:
            terms[term.lower()] = (industry, lexicon.PLACE_WEIGHT)
    return terms, max(len(t) for t in terms)


@lru_cache(maxsize=1)
def _subject_terms() -> tuple[dict[str, str | None], int]:
    terms: dict[str, str | None] = dict.fromkeys(_STOP_TERMS)
    terms.update({k.lower(): v for k, v in lexicon.KO_EN.items()})
    terms["바지락"] = "clams"
    # English product words typed as such stay themselves.
    for items in lexicon.INDUSTRY_TERMS.values():
        for term in items:
            if term.isascii() and term.lower() not in terms:
                terms[term.lower()] = term.lower()
    return terms, max(len(t) for t in terms)


def detect_industry(text: str) -> tuple[str, str | None]:
    """The industry with the most evidence (ties: the one mentioned first) and its place noun."""
    terms, max_len = _industry_terms()
    scores: dict[str, int] = {}
    weak: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    place: dict[str, str] = {}
    for position, word in enumerate(words(text)):
        for match in _scan_word(word, terms, max_len):
            hit = terms[match.term]
            if hit is None:
                continue
            industry, weight = hit
            target = weak if match.term in lexicon.WEAK_TERMS else scores
            target[industry] = target.get(industry, 0) + weight
            first_seen.setdefault(industry, position)
            if weight == lexicon.PLACE_WEIGHT and not match.term.isascii():
                place.setdefault(industry, match.term)
    if not scores:
        scores = weak
    if not scores:
        return "general", None
    best = max(scores, key=lambda ind: (scores[ind], -first_seen[ind]))
    if best == "beauty" and "pet" in scores and place.get("beauty") == "미용실":
        return "pet", "애견미용"  # "반려동물 미용실": grooming is the pet shop's, not a hair salon's
    return best, place.get(best)


def extract_products(text: str, offer: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Product words as typed ("딸기라떼") and their English ("strawberry latte"), in order.

    A product named in ``offer`` ("콜라" of "콜라 무료") is the freebie, not what the ad is about:
    it is left out of the products and its English comes last.
    """
    found = _product_pairs(text)
    if offer:
        found = [f for f in found if not (f.typed and f.typed in offer)] + [f for f in found if f.typed and f.typed in offer]
    named = [f for f in found if f.typed and not f.pet and not (offer and f.typed in offer) and not _measure_word(f.typed)]
    # "빵" inside "빵집" names the shop; it is the product only when nothing else is.
    strong = [f for f in named if not f.weak] or named
    products = tuple(dict.fromkeys(f.typed for f in strong))[:MAX_PRODUCTS]
    subjects = tuple(dict.fromkeys(f.english for f in found if f.english))[:MAX_PRODUCTS]
    return products, subjects


def without_counts(phrase: str) -> str:
    """ "마카롱 세트" of "마카롱 6개 세트", "치킨 세트" of "치킨 두 마리 세트": numerals and the units they count dropped."""
    words: list[str] = []
    counted = False
    for word in phrase.split():
        numeral = re.fullmatch(rf"(?:\d{{1,3}}|{_NUMERAL})({_COUNT_UNITS})?", word)
        if not (numeral or (counted and _UNIT_WORD_RE.fullmatch(word))):
            words.append(word)
        counted = bool(numeral) and not numeral.group(1)  # "두 마리": the unit is the next word
    return " ".join(words)


def _measure_word(word: str) -> bool:
    """A unit or a size, never a product: "잔에" of "한 잔에 5500원", "그릇", "소자" (a small portion)."""
    core = word[:-1] if len(word) >= 2 and word.endswith(("에", "씩", "당")) else word
    sizes = ("소자", "중자", "대자", "소", "중", "대", "사이즈")
    # "마리 세트" of "치킨 두 마리 세트": units all through
    return all(bool(_UNIT_WORD_RE.fullmatch(w)) or w in sizes for w in core.split()) if core.strip() else False


def extract_product_pairs(text: str) -> list[tuple[str, str]]:
    """(as typed, English) for each product; either side may be "" (an English word, an unknown noun)."""
    return [(f.typed, f.english) for f in _product_pairs(text) if not f.pet]


@dataclass
class _Found:
    index: int  # which word
    typed: str
    english: str
    whole: bool  # the product is the whole word (particles aside)
    at_start: bool  # the product starts the word
    weak: bool  # found inside a place noun ("빵" in "빵집"): listed after the others
    pet: bool = False


def _spans(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def _strip_particle(word: str) -> str:
    if len(word) >= 3 and word.endswith(_PARTICLE_ENDINGS):
        return word[:-1]
    if len(word) >= 4 and word.endswith(("이랑", "으로", "에서")):
        return word[:-2]
    return word


def _is_place(word: str) -> bool:
    if re.fullmatch(r"[가-힣]{2,}집", _strip_particle(word)):
        return True  # "삼겹살집", "국밥집": any "…집" is a shop
    return any(word.startswith(place) for places in lexicon.INDUSTRY_PLACES.values() for place in places if not place.isascii())


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    known: set[str] = set(lexicon.KO_EN) | set(_STOP_TERMS) | set(lexicon.SEASONS) | _NOT_A_PRODUCT
    for table in (lexicon.INDUSTRY_TERMS, lexicon.INDUSTRY_PLACES, lexicon.INTENT_CUES):
        for items in table.values():
            known.update(items)
    return frozenset(known)


def _unknown_noun(word: str) -> str | None:
    """``word`` as a product name when it is an unknown Korean noun, else None."""
    if not re.fullmatch(r"[가-힣]+", word):
        return None
    noun = _strip_particle(word)
    adjective = noun.endswith(_ADJECTIVE_ENDINGS) and noun not in ("견적", "기적", "실적")
    if not 2 <= len(noun) <= 6 or adjective or _DAY_RE.fullmatch(noun):
        return None
    if re.fullmatch(r"[가-힣]{1,2}당", noun) or _NATIVE_COUNT_RE.fullmatch(noun):
        return None  # "채당", "개당" (per piece), "한장" (one of): a unit, not a product
    known = _known_words()
    if noun in known or word in known or _is_place(noun) or any(noun.startswith(cue) for cue in _PRODUCT_CUES):
        return None
    return noun


def _is_count(text: str, spans: list[tuple[str, int, int]], index: int) -> bool:
    """Whether word ``index`` is a counter unit after a number ("10회", "3 개월을")."""
    if index == 0 or not spans[index - 1][0].isdigit() or text[spans[index - 1][2] : spans[index][1]].strip():
        return False
    return spans[index][0].startswith(lexicon.COUNTERS)


def _before_cue(spans: list[tuple[str, int, int]], index: int) -> bool:
    return index + 1 < len(spans) and spans[index + 1][0].startswith(_PRODUCT_CUES)


def _product_pairs(text: str) -> list[_Found]:
    terms, max_len = _subject_terms()
    spans = _spans(text)
    found: list[_Found] = []
    for index, (word, _, _) in enumerate(spans):
        if _is_count(text, spans, index):
            continue  # "10회", "3개월": a count, not sashimi or a product
        place = _is_place(word)
        core = _strip_particle(word)
        matches = [m for m in _scan_word(word, terms, max_len) if terms[m.term]]
        for run in _contiguous_runs(matches):
            if all(m.term in _PETS for m in run):
                # "강아지" sells nothing, but the picture should still show one.
                found.append(_Found(index, "", " ".join(str(terms[m.term]) for m in run), False, False, False, pet=True))
                continue
            # Leading/trailing places and categories are not part of the product ("크루아상맛집").
            while run and run[-1].term in _NON_PRODUCTS:
                run = run[:-1]
            while len(run) > 1 and run[0].term in _NON_PRODUCTS and run[0].term not in _MODIFIERS:
                run = run[1:]
            if not run or all(m.term in _NON_PRODUCTS for m in run):
                continue
            typed = word[run[0].start : run[-1].end]
            english = " ".join(str(terms[m.term]) for m in run)
            if word.isascii():
                # Copy stays Korean; an abbreviation owners write in Latin letters ("PT") is kept.
                typed = word if word.isupper() and 2 <= len(word) <= 4 else ""
            head = word[: run[0].start]
            if typed and not word.isascii() and run[-1].end == len(core) and _unknown_noun(head) and len(core) <= MAX_PRODUCT_CHARS:
                typed = core  # "우럭회": an unknown name before a known word is part of the product ("회" is any sashimi)
            rest = core[run[-1].end :] if core.startswith(typed) and run[0].start == 0 else ""
            if typed and 1 <= len(rest) <= 2 and not rest.startswith(_LOOSE_PARTICLES) and _before_cue(spans, index):
                typed = core  # "유자청 판매": a known word inside an unknown product name
            if len(typed) > MAX_PRODUCT_CHARS:
                typed = ""
            whole = typed in (word, core)
            found.append(_Found(index, typed, english, whole, run[0].start == 0, place and not whole))
    # Unknown nouns right before a cue ("텀블러 출시").
    taken = {f.index for f in found}
    for index, (word, start, _) in enumerate(spans):
        # "모닝세트 4,500원": what costs that is the product.
        # (not the "3천원" inside "1만 3천원")
        priced = bool(_PRICE_RE.match(text, start)) and index > 0 and not spans[index - 1][0].endswith(("만", "천", "백"))
        if index == 0 or not (word.startswith(_PRODUCT_CUES) or priced) or index - 1 in taken:
            continue
        counted = index > 1 and spans[index - 2][0].isdigit() and not text[spans[index - 2][2] : spans[index - 1][1]].strip()
        if counted or _NATIVE_COUNT_RE.fullmatch(spans[index - 1][0]):
            # "12피스 1만원", "3일전까지 예약": a word glued to a number counts or dates; before a price
            # the noun before the count is what is sold ("타코야끼 8알 5000원", "소주 한병 3천원").
            back = index - 3 if counted else index - 2
            # Not in a list of a set's contents ("샐러드 와인 2잔 4만 9천원" is the set's price).
            listed = back - 1 in taken
            if priced and back >= 0 and back not in taken and not listed and (noun := _unknown_noun(spans[back][0])):
                found.append(_Found(back, noun, "", True, True, False))
                taken.add(back)
            continue
        prev, prev_end = spans[index - 1][0], spans[index - 1][2]
        if text[prev_end : spans[index][1]].strip():
            continue  # punctuation between: not one phrase
        if prev in _SET_WORDS:  # "크로플 세트 9,900원"; a set word alone is no product
            head = _unknown_noun(spans[index - 2][0]) if index > 1 and index - 2 not in taken else None
            if head and len(f"{head} {prev}") <= MAX_PRODUCT_CHARS:
                found.append(_Found(index - 2, f"{head} {prev}", "", True, True, False))
                taken |= {index - 2, index - 1}
            continue
        noun = _unknown_noun(prev)
        if noun:
            found.append(_Found(index - 1, noun, "", True, True, False))
            taken.add(index - 1)
    found.sort(key=lambda f: f.index)
    merged = _join_phrases(text, spans, found)
    ordered = [f for f in merged if not f.weak] + [f for f in merged if f.weak]
    return ordered


def _join_phrases(text: str, spans: list[tuple[str, int, int]], found: list[_Found]) -> list[_Found]:
    """Join a product with the product or modifier written right before it ("카네이션 꽃다발", "수분 세럼")."""
    out: list[_Found] = []
    for item in found:
        index = item.index
        gap_ok = index > 0 and not text[spans[index - 1][2] : spans[index][1]].strip()
        prev = out[-1] if out else None
        if gap_ok and item.at_start and item.typed:
            if prev and prev.index == index - 1 and prev.whole and prev.typed and not prev.weak:
                joined = f"{prev.typed} {item.typed}"
                if len(joined) <= MAX_PRODUCT_CHARS:
                    english = " ".join(e for e in (prev.english, item.english) if e)
                    out[-1] = _Found(index, joined, english, item.whole, True, False)
                    continue
            modifier = spans[index - 1][0]
            if modifier in _SPACE_MODIFIERS and len(f"{modifier} {item.typed}") <= MAX_PRODUCT_CHARS:
                english = " ".join(e for e in (lexicon.KO_EN.get(modifier, ""), item.english) if e)
                item = _Found(index, f"{modifier} {item.typed}", english, item.whole, True, item.weak)
        out.append(item)
    return out


def _contiguous_runs(matches: list[_Match]) -> Iterable[list[_Match]]:
    run: list[_Match] = []
    for match in matches:
        if run and match.start != run[-1].end:
            yield run
            run = []
        run.append(match)
    if run:
        yield run


# Opening hours ("매일 아침 8시 오픈") are no opening.
_HOURS_RE: Final = re.compile(
    r"(?:매일|평일|주말|매주)\s*(?:아침|오전|오후|저녁|밤)?\s*\d{1,2}\s*시(?:\s*\d{1,2}\s*분|\s*반)?\s*(?:에\s*)?(?:오픈|개점|문\s*열)"
)


_OPEN_AT_RE: Final = re.compile(r"(?:오전|오후|아침)?\s*\d{1,2}\s*시(?:\s*\d{1,2}\s*분|\s*반)?\s*(?:에\s*)?(?:오픈|문\s*열)")
_NEW_OPENING_RE: Final = re.compile(r"그랜드|신규|새로|첫|개업|개점|리뉴얼|오늘|내일|\d+\s*월\s*\d+\s*일|[월화수목금토일]요일")


def _without_hours(text: str) -> str:
    """``text`` without opening hours: "매일 아침 8시 오픈", or "오전 11시 오픈" when no day marks an opening."""
    text = _HOURS_RE.sub(" ", text)
    return text if _NEW_OPENING_RE.search(text) else _OPEN_AT_RE.sub(" ", text)


def detect_intent(text: str) -> str:
    # "신규 회원" is who an offer is for, not a new product.
    lowered = _RECRUIT_RE.sub(" ", _AUDIENCE_RE.sub(" ", _without_hours(text))).lower()
    for intent in INTENT_ORDER:
        for cue in lexicon.INTENT_CUES[intent]:
            if cue.isascii() and cue.isalpha():
                if re.search(rf"\b{re.escape(cue)}\b", lowered):
                    return intent
            elif cue in lowered:
                return intent
    if _BONUS_RE.search(text) or _HALF_RE.search(text):
        return "event"  # "2잔 사면 1잔 더", "반값": an offer without the usual words
    return "promo"


@dataclass(frozen=True)
class Offer:
    """The deal a sentence states, in the parts copy needs."""

    deal: str | None  # as copy says it, condition included: "10회 등록하면 2회 무료", "첫 달 50% 할인"
    offer: str | None  # without the condition: "2회 무료", "50% 할인"
    condition: str | None  # the words every form of the deal keeps: "10회 등록", "첫 달"
    audience: str | None  # "신규 회원"
    forms: tuple[str, ...]  # ways to say the deal, most complete first (audience, condition, then the bare offer)
    price: str | None  # "4,500원"
    at: int | None = None  # where the offer starts in the sentence (its clause decides terms and product)


def extract_deal(text: str) -> tuple[str | None, str | None]:
    """A discount phrase for copy ("30% 할인", "1+1", "첫 달 50% 할인") and a price ("4,500원"), when stated."""
    offer = extract_offer(text)
    return offer.deal, offer.price


def extract_offer(text: str) -> Offer:
    """The deal with its condition ("10회 등록 시") and audience ("신규 회원"), and the price."""
    base, price, at = _base_deal(text)
    condition = phrase = None
    if base is not None:
        before = text[:at] if at is not None else text
        if at is not None:
            # "PT 3개월 등록하면 1개월 무료, 요가 클래스 20% 할인": an earlier clause with an offer of its own keeps
            # its terms; the 20% has none.
            start, _ = _clause_of(text, at)
            if _OFFER_WORD_RE.search(text[:start]):
                before = text[start:at]
        ordered = _order_condition(before)
        if m := _CONDITION_RE.search(before):
            amount = re.sub(r"\s+", "", m.group(1)).replace("이상", " 이상")
            if m.group(2):
                condition, phrase = f"{amount} {m.group(2)}", f"{amount} {m.group(2)}하면"
            else:  # "2잔 사면": said the same way in every form
                condition = phrase = f"{amount} 사면"
            if ordered and ordered[0].endswith(condition) and len(ordered[0]) > len(condition):
                condition, phrase = ordered  # "음료 2잔 주문 시": what was ordered is part of the terms
        elif m := _FIRST_TIME_RE.search(before):
            condition = phrase = f"첫 {m.group(1)}"
        elif ordered:
            condition, phrase = ordered
        elif minimums := re.findall(_MIN_PAT, before):
            condition = phrase = re.sub(r"\s+", " ", minimums[-1]).strip()  # "4인 이상", "이불 3채 이상"
    audience = _audience(text, at) if base else None
    deal = f"{phrase} {base}" if phrase and base else base
    forms: list[str] = []
    if deal and base:
        says = [deal]
        if condition and phrase != condition:
            says.append(f"{condition} 시 {base}")  # shorter, for a headline
        says.append(base)
        forms = [f"{audience} {d}" for d in says if audience] + says
    return Offer(deal, base, condition, audience, tuple(dict.fromkeys(forms)), price, at)


def _clause_of(text: str, at: int) -> tuple[int, int]:
    starts = [m.end() for m in _CLAUSE_END_RE.finditer(text, 0, at)]
    end = _CLAUSE_END_RE.search(text, at)
    return (starts[-1] if starts else 0), (end.start() if end else len(text))


def _audience(text: str, at: int | None) -> str | None:
    """Who the offer at ``at`` is for ("신규 회원", "재방문 고객"): not someone named in another clause with an
    offer of its own ("2회 추가, 신규 회원 상담 무료": the new members get the free consultation)."""
    for m in [*_AUDIENCE_RE.finditer(text), *_OTHER_AUDIENCE_RE.finditer(text)]:
        start, end = _clause_of(text, m.start())
        if at is not None and not start <= at < end and _OFFER_WORD_RE.search(text[start:end]):
            continue
        if m.re is _AUDIENCE_RE:
            return "신규생" if m.group(1) == "생" else f"신규 {m.group(1)}"
        if m.group(3):
            return m.group(3)
        return f"{m.group(1)} {m.group(2) or ('회원' if m.group(1) == '재등록' else '고객')}"
    return None


_MIN_PAT: Final = r"\d{1,3}(?:,\d{3})*\s*(?:인|개|채|명|벌|잔|켤레|마리|판|세트|박스|kg|만\s*원|천\s*원|원)\s*이상"


def _gift_before(text: str, at: int) -> tuple[str, int] | None:
    """The item given away, written right before "무료"/"증정" ("콜라 무료", "샷 추가 무료"), and where it starts."""
    tokens = list(re.finditer(r"\S+", text[:at]))
    if not tokens:
        return None
    last = tokens[-1]
    if len(tokens) > 2 and _UNIT_WORD_RE.fullmatch(last.group(0)) and re.fullmatch(rf"{_NUMERAL}|\d{{1,3}}", tokens[-2].group(0)):
        noun = _gift_noun(tokens[-3].group(0))  # "하이볼 한 잔 무료", "케이크 한 조각 무료"
        return (f"{noun} {tokens[-2].group(0)} {last.group(0)}", tokens[-3].start()) if noun else None
    extra = last.group(0) == "추가" or _NATIVE_COUNT_RE.fullmatch(last.group(0))
    if extra and len(tokens) > 1:  # "샷 추가 무료", "셔츠 한장 무료"
        noun = _gift_noun(tokens[-2].group(0))
        return (f"{noun} {last.group(0)}", tokens[-2].start()) if noun else None
    noun = _gift_noun(last.group(0))
    return (noun, last.start()) if noun else None


def _noun_after(text: str, at: int) -> str | None:
    """The noun phrase (one or two nouns) right after the word ending at ``at``: "견적 상담" of "무료 견적 상담".

    None when a particle is glued on ("무료로 드려요": the free thing was written before).
    """
    if not text[at : at + 1].isspace():
        return None
    nouns: list[str] = []
    for word in text[at:].split()[:2]:
        if not re.fullmatch(r"[가-힣]{2,6}", word) or word in _NOT_A_PRODUCT or _is_place(word) or _NATIVE_COUNT_RE.fullmatch(word):
            break
        if word.endswith(("요", "다", "로", "해", "줘")) or not (word in lexicon.KO_EN or _unknown_noun(word)):
            break
        nouns.append(word)
    return " ".join(nouns) or None


def _gift_noun(word: str) -> str | None:
    if not re.fullmatch(r"[가-힣]+", word):
        return None
    noun = _strip_particle(word)
    if noun in ("음료", "음료수", "디저트", "음식"):
        return noun  # no product of an ad, but a fine freebie ("주문 시 음료 무료")
    named = noun in lexicon.KO_EN or any(noun in terms for terms in lexicon.INDUSTRY_TERMS.values())
    if named and noun not in _NON_PRODUCTS and noun not in _NOT_A_PRODUCT and not _is_place(noun):
        return noun
    return _unknown_noun(word)


# What a customer does to earn an offer, without an amount: "배달 주문 시", "포장하면", "음료 2잔 주문 시".
_ORDER_RE: Final = re.compile(
    r"(?:(주문|구매|결제|포장|배달|예약|가입|신청|재등록|재방문|재구매|연박|소개|제시|지참|인증|방문|작성|충전)\s*(시|하면|하시면|할\s*때)"
    r"|(맡기시면|맡기면|보여\s*주시면|가져오시면))\s*$"
)
_ORDER_WORDS: Final = frozenset({"배달", "포장", "매장", "전화", "앱", "현장", "온라인", "추가"})


def _order_condition(before: str) -> tuple[str, str] | None:
    """(condition, as copy says it) for "... 주문 시" right before an offer: ("배달 주문", "배달 주문 시")."""
    before = before.rstrip(" ,")  # "아메리카노 주문 시, 쿠키 무료 증정"
    m = _ORDER_RE.search(before)
    if m is None:
        return None
    words: list[str] = []
    for token in reversed(before[: m.start()].split()):
        stop = token in _NOT_A_PRODUCT and token not in _ORDER_WORDS
        if len(words) == 2 or token[-1:] in ",.!?" or _is_place(token) or stop or token in ("이상", "이하"):
            break
        count = re.fullmatch(r"\d{1,3}\s*(?:잔|개|인분|세트|마리|판|병|팩|박스|장|벌|켤레|회)", token)
        if not (count or token in _ORDER_WORDS or token in lexicon.KO_EN or _unknown_noun(token)):
            break
        words.insert(0, token)
    if m.group(3):  # "와이셔츠 5장 맡기시면": the verb is the condition's own word
        condition = " ".join([*words, re.sub(r"\s+", " ", m.group(3))])
        return condition, condition
    condition = " ".join([*words, m.group(1)])
    ending = re.sub(r"\s+", "", m.group(2))
    return condition, f"{condition} 시" if ending == "시" else f"{condition}{ending}"


def _base_deal(text: str) -> tuple[str | None, str | None, int | None]:
    """The offer itself ("50% 할인", "2회 무료"), the price, and where the offer starts in ``text``."""
    deal: str | None = None
    at: int | None = None
    priced = text
    if m := re.search(r"(\d{1,2})\s*%?\s*[~-]\s*(\d{1,2})\s*(?:%|퍼센트|프로)", text):
        deal, at = f"{int(m.group(1))}~{int(m.group(2))}% 할인", m.start()  # "40~60%": a range, not 60%
    elif m := _PERCENT_RE.search(text):
        # "10% 적립", "포인트 적립 5%", "5% 캐시백": points or money back, not a lower price.
        back = re.match(rf"\s*(?:추가\s*)?({_POINTS})", text[m.end() :]) or re.search(rf"({_POINTS})\s*$", text[: m.start()])
        deal, at = f"{'최대 ' if m.group(1) else ''}{int(m.group(2))}% {back.group(1) if back else '할인'}", m.start()
        if nth := re.search(r"(\d{1,2})\s*(박|번|개|회|잔|벌|장|인)\s*째\s*$", text[: m.start()]):
            deal, at = f"{nth.group(1)}{nth.group(2)}째 {deal}", nth.start()  # "2박째 30% 할인": which one is cheaper
    elif (m := _WON_OFF_RE.search(text)) and not _REPLACED_RE.search(text[: m.start()]):
        deal, at = f"{won(m)} 할인", m.start()
        priced = text[: m.start()] + text[m.end() :]
    elif m := _BONUS_RE.search(text):
        reward = re.sub(r"\s+", " ", m.group(3))
        deal, at = f"{int(m.group(1))}{m.group(2)} {reward}", m.start()
    elif m := _BUNDLE_RE.search(text):
        deal = "2+1" if m.group(0).startswith(("2", "투")) else "1+1"
    elif _HALF_RE.search(text):
        deal = "반값 할인"
    elif m := _FREE_RE.search(text):
        after = _noun_after(text, m.start() + 2) if m.group(1) is None else None
        gift = _gift_before(text, m.start()) if m.group(1) in (None, "증정") else None
        if gift and after and not gift[0].endswith(("비", "료", "금")):
            gift = None  # "시공 무료 견적": the free thing is after; "택배비 무료 산지직송": a fee before
        if after and not gift:  # "무료 견적 상담", "무료 업그레이드": the free thing is written after
            deal = f"무료 {after}"
        elif gift:  # "콜라 무료": the freebie is part of the offer, not the shop's product
            deal, at = f"{gift[0]} 무료" + (f" {m.group(1)}" if m.group(1) else ""), gift[1]
        else:
            deal = f"무료 {m.group(1)}" if m.group(1) else "무료 혜택"
    elif (m := _GIFT_RE.search(text)) and (m.group(0) != "서비스" or _gift_before(text, m.start())):
        gift = _gift_before(text, m.start()) if m.group(0) != "사은품" else None
        word = "서비스" if m.group(0) == "서비스" else "증정"  # "막국수 서비스": the owner's word
        deal, at = (f"{gift[0]} {word}", gift[1]) if gift else ("사은품 증정", at)
    elif m := _BOOKING_OFF_RE.search(text):
        deal = f"{m.group(1).strip()} 예약 할인" if m.group(1) else "예약 할인"
    if m := _FIRST_COME_RE.search(text):
        first_come = f"선착순 {m.group(1).replace(' ', '')}" if m.group(1) else "선착순"
        deal = f"{first_come} {deal}" if deal else f"{first_come} 혜택" if not m.group(1) else first_come
    elif deal is None and (m := _LIMITED_RE.search(text)):
        # "평일 한정", "기간 한정": a time limit, not limited stock (the word may still be said).
        if not re.search(r"(?:평일|주말|오늘|기간|시즌|런치|점심|저녁|\d+\s*일|까지)\s*$", text[: m.start()]) or "수량" in m.group(0):
            deal = "한정 수량" if "수량" in m.group(0) else "한정 판매"
    return deal, extract_price(priced)[0], at


_QUANTITY_RE: Final = re.compile(r"(\d{1,3})\s*(알|줄|캔|ml|개|팩|봉|마리|인분|잔|병|장|박스|세트|판|송이|피스|조각|kg|g)(?:에|씩)?\s*$")
_PER_RE: Final = re.compile(r"(?<![가-힣])(월|주|1인|인당|1박|개당|장당|회당)\s*$")
_NEW_PRICE_RE: Final = re.compile(r"\s*(?:→|->|=>|에서)\s*")
# The price before a reduction: "정가 6만원", "원래 15,000원", "6만원짜리".
_LIST_PRICE_RE: Final = re.compile(r"(?:정가|정상가|원가|기존\s*가격?|소비자\s*가격?|원래|평소)\s*(?:는|은|가)?\s*$")


def _amount(m: re.Match[str]) -> int:
    return int(won(m)[:-1].replace(",", ""))


def _old_and_new(text: str) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    """The first price the owner wrote and, when it is an old price replaced by a lower one, that old price.

    "8만원 → 5만 9천원", "15,000원에서 12,000원으로", "정가 6만원 … 4만5천원", "6만원짜리 원피스 4만5천원":
    (old, new). Otherwise (None, the price).
    """
    m = _PRICE_RE.search(text)
    if m is None:
        return None, None
    if (arrow := _NEW_PRICE_RE.match(text, m.end())) and (new := _ANY_WON_RE.match(text, arrow.end())):
        return (m if _amount(new) < _amount(m) else None), new
    if text[m.end() :].lstrip().startswith("짜리") or _LIST_PRICE_RE.search(text[: m.start()]):
        later = _PRICE_RE.search(text, m.end())
        if later is not None and _amount(later) < _amount(m):
            return m, later
    return None, m


def _price_phrase(text: str) -> tuple[re.Match[str] | None, re.Match[str] | None, str, int]:
    """(old price or None, price, what the price is for ("3개 ", "월 ", or ""), where the phrase starts)."""
    old, m = _old_and_new(text)
    if m is None:
        return None, None, "", -1
    # "삼겹살 1인분 15,000원에서 12,000원": the phrase (and its quantity) begins at the old price.
    at = old.start() if old is not None and _NEW_PRICE_RE.match(text, old.end()) else m.start()
    # "소금빵 3개 8천원": the price is for three; "월 45만원" is a month's rent, "1인 35,000원" a head's.
    if q := _QUANTITY_RE.search(text[:at]):
        return old, m, f"{int(q.group(1))}{q.group(2)} ", q.start()
    if q := _PER_RE.search(text[:at]):
        return old, m, f"{q.group(1)} ", q.start()
    return old, m, "", at


def sale_price(text: str) -> str | None:
    """An old price and the lower new one, as copy writes the drop: "1인분 15,000원 → 12,000원"."""
    old, new, unit, _ = _price_phrase(text)
    if old is None or new is None:
        return None
    return f"{unit}{won(old)} → {won(new)}"


def old_price_alone(copy_text: str, said: str) -> str | None:
    """The problem when ``copy_text`` gives the old price of a cut the owner ``said`` without the new one
    ("원피스 60,000원!" for "6만원짜리 원피스 4만5천원"), else None."""
    old, new = _old_and_new(said)
    if old is None or new is None or _old_price_with_new(copy_text, _amount(old), _amount(new)):
        return None
    was, now = won(old), won(new)
    return f"{was} is the old price; write it only together with the new one, as '{was} → {now}'"


def extract_price(text: str) -> tuple[str | None, int, str | None]:
    """The price as copy writes it ("3개 8,000원", "월 450,000원", "20,000원부터"), where its phrase starts,
    and the price without its quantity ("8,000원").

    An old price replaced by a lower one ("8만원 → 5만 9천원", "정가 6만원 … 4만5천원") gives the new one; the
    phrase then starts at the old price when the new one follows it at once ("삼겹살 1인분 15,000원에서 12,000원").
    """
    _, m, unit, start = _price_phrase(text)
    if m is None:
        return None, -1, None
    price = won(m)
    rest = text[m.end() :]
    if rest.startswith("대"):
        price += "대"  # "3만원대": about, not exactly
    elif re.match(r"\s*(?:부터|~)", rest):
        price += "부터"
    return f"{unit}{price}", start, price


# Words after a product that name what is sold with it: "김치찌개 정식 7천원", "크로플 세트 9,900원".
_SET_WORDS: Final = ("세트", "정식", "코스", "패키지", "도시락", "메뉴", "한판", "한접시")


# A unit a count is made of: "한 잔", "두 그릇", "한 조각".
_COUNT_UNITS: Final = "장|개|잔|병|벌|켤레|박스|봉|팩|판|마리|그릇|접시|세트|통|줄|송이|포대|조각|인분|컵"
_NUMERAL: Final = "한|두|세|네|반"
_UNIT_WORD_RE: Final = re.compile(_COUNT_UNITS)
# "한마리", "두 잔", "반판": a count in words, never a product.
_NATIVE_COUNT_RE: Final = re.compile(rf"(?:{_NUMERAL})\s*(?:{_COUNT_UNITS})")
_FILLER_RE: Final = re.compile(
    r"(?:\d{1,3}|한|두|세|네|반)?\s*"
    r"(?:알|줄|캔|ml|L|잔|개|팩|봉|마리|인분|병|장|박스|판|송이|피스|조각|그릇|kg|g)?(?:에|씩|당)?"
)
_FILLER_WORDS: Final = frozenset({"홍보", "홍보해줘", "가격", "가격은", "가격도", "단돈", "단", "정가", "판매가", "할인가", "특가"})


def _filler(token: str) -> bool:
    """Whether ``token`` says nothing of what is sold: a count ("한 잔", "3개에"), a cue, punctuation."""
    word = token.strip(",.:!?~()[]")
    core = _strip_particle(word)
    return not word or bool(_FILLER_RE.fullmatch(word)) or word in _FILLER_WORDS or core in _NOT_A_PRODUCT or word.startswith(_PRODUCT_CUES)


def priced_item(text: str, products: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """The product the price is for and the products, that one first.

    The product is the one written last before the price with nothing but counts and cue words
    between ("딸기라떼 홍보, 한 잔 4,500원"); "김치찌개 정식 7천원" gives "김치찌개 정식". None when
    another word stands between: copy must then not pair the price with a product it may not be
    the price of ("파스타 … 와인 2잔 49,000원" is the couple set's price, not the pasta's).
    """
    _, start, _ = extract_price(text)
    if start < 0 or not products:
        return None, products
    old, _ = _old_and_new(text)
    if old is not None and old.start() < start:
        # "원피스 정가 6만원, 할인가 4만5천원": the product stands before the old price.
        listed = _LIST_PRICE_RE.search(text[: old.start()])
        found = _priced_before(text[:start], products) or _priced_before(text[: listed.start() if listed else old.start()], products)
    else:
        found = _priced_before(text[:start], products)
    if found is None:
        return None, products
    base = found.split()[0] if found not in products else found
    return found, (found, *(p for p in products if p not in (found, base)))


def _priced_before(before: str, products: tuple[str, ...]) -> str | None:
    """The product written last in ``before`` with nothing but counts and cue words after it (or a set word)."""
    best: tuple[int, str] | None = None
    for product in products:
        # The product as a word of its own: the "빵" inside "소금빵" is not the 빵 of "갓 구운 빵".
        spots = [m.start() for m in re.finditer(rf"(?<![가-힣]){re.escape(product)}", before)]
        if not spots:
            continue
        at = spots[-1]
        rest = re.sub(r"^(?:을|를|은|는|이|가|도|만|이랑|랑)(?=\s)", "", before[at + len(product) :])
        between = rest.split()
        if between and between[0] in _SET_WORDS and all(_filler(t) for t in between[1:]):
            joined = f"{product} {between[0]}"  # "김치찌개 정식"
            named = joined if len(joined) <= MAX_PRODUCT_CHARS else product
        elif len(between) > 1 and between[-1] in _SET_WORDS and all(_filler(t) for t in between[:-1]):
            joined = f"{product} {' '.join(between)}"  # "치킨 두 마리 세트", "마카롱 6개 세트"
            named = joined if len(joined) <= MAX_PRODUCT_CHARS + 2 else f"{product} {between[-1]}"
        elif all(_filler(t) for t in between) and not re.match(r"[가-힣]", rest[:1] or " "):
            named = product
        else:
            continue
        if best is None or at > best[0]:
            best = (at, named)
    return best[1] if best else None


def extract_timing(text: str) -> str | None:
    """When the offer runs, as copy would say it: "5월 8일까지", "이번 주", "주말", "토요일 오전 11시"."""
    day: str | None = None
    day_end = -1
    if m := _DATE_RE.search(text):
        day, day_end = f"{int(m.group(1))}월 {int(m.group(2))}일" + ("까지" if m.group(3) else ""), m.end()
    elif m := _DAY_RE.search(text):
        day = re.sub(r"\s+", "", m.group(1))
        day = re.sub(r"^(이번|다음)주([월화수목금토일]요일)$", r"\1 주 \2", day)
        day = {"이번주말": "이번 주말", "다음주말": "다음 주말", "이번주": "이번 주", "다음주": "다음 주", "이번달": "이번 달",
               "다음달": "다음 달", "오늘하루": "오늘 하루"}.get(day, day)  # fmt: skip
        day += "까지" if m.group(2) else ""
        day_end = m.end()
    clock = _CLOCK_RE.search(text)
    if clock is None:
        return day
    every = clock.group("every")
    said = " ".join(w for w in (every, _clock(clock.group("first"))) if w)
    if clock.group("second"):  # "오후 2시부터 5시까지", "오후 5시~7시"
        joint = "~" if clock.group("sep") in ("~", "-") else "부터 "
        said += joint + _clock(clock.group("second")) + ("까지" if clock.group("end") else "")
    elif until := (clock.group("until") or "").strip():
        said += f" {until}" if until in ("이후", "전에") else until
    if day is None or every:
        return said
    # "토요일 오전 11시": a day and a time written together are one time; apart, the day is the offer's.
    together = not day.endswith("까지") and not text[day_end : clock.start()].strip()
    return f"{day} {said}" if together else day


def detect_launch(text: str) -> str | None:
    """The event an offer celebrates, as copy says it ("오픈", "출시"), if the sentence names one."""
    text = _without_hours(text)
    for cue, word in _LAUNCH_CUES:
        if cue in text:
            if word is None:
                text = text.replace(cue, " ")
                continue
            return word
    return None


def is_casual(text: str) -> bool:
    """Whether the owner wrote in 반말 ("딸기라떼 나왔어!"), which the ad then keeps.

    A request to the tool ("만들어줘") says nothing about the ad's voice, and a sentence of
    nouns ("주말 소금빵 한정 판매") is neither, so both leave the polite default.
    """
    if "반말" in text and "존댓말" not in text:
        return True
    if _POLITE_END_RE.search(text):
        return False
    known = _known_words()
    for sentence in re.split(r"[.!?~\n]+", text):
        last = words(sentence)[-1:] or [""]
        word = last[0]
        if len(word) < 2 or word in known or word.endswith(("줘", "주라", "줄래")):
            continue
        if _CASUAL_END_RE.search(word):
            return True
    return False


def detect_season(text: str) -> tuple[str | None, str | None]:
    lowered = text.lower()
    for cue, (word, scene) in lexicon.SEASONS.items():
        if cue in lowered:
            return word, scene
    return None, None


def asks_booking(text: str) -> bool:
    """Whether the owner takes reservations ("예약 받아요", "예약 할인"), so the ad should ask for one."""
    return bool(_BOOKING_RE.search(text)) and not _NO_BOOKING_RE.search(text)


# Counted amounts copy may state: "2회", "3개월", "30명", "5월 8일", "오후 3시" (won and % are read apart).
# A particle may follow ("3팩에", "50명한테", "20일부터"); "10회원" is no count.
_COUNT_RE: Final = re.compile(rf"(?<![\d,])(\d{{1,4}})\s*({_UNIT}|월|시|분|년|kg|g)(?!원|간|즌)")
_STATED_BUNDLE_RE: Final = re.compile(r"\d\s*\+\s*\d")


def stated_amounts(text: str) -> set[str]:
    """The amounts a text states, written one way: {"30%", "8,000원", "1+1", "2회"} ("8천원" is "8,000원")."""
    found = {f"{int(m.group(2))}%" for m in _PERCENT_RE.finditer(text)}
    found |= {won(m) for m in re.finditer(_WON, text) if any(m.groupdict().values())}
    found |= {re.sub(r"\s+", "", m.group(0)) for m in _STATED_BUNDLE_RE.finditer(text)}
    found |= {f"{int(m.group(1))}{m.group(2)}" for m in _COUNT_RE.finditer(text)}
    return found


def offer_amounts(said: str) -> set[str]:
    """The amounts an ad must state: the offer's ({"30%"}, {"2회"}), else the price's ({"8,000원"})."""
    brief = analyze(said)
    return stated_amounts(brief.offer or brief.deal or brief.price or "")


def claim_problems(copy_text: str, said: str, required: set[str] | None = None) -> list[str]:
    """What ``copy_text`` claims beyond what the owner ``said``, and the offer it leaves out.

    Copy must not invent a number (a price, a discount, a count, a date) or a limited run, and
    must state the amounts in ``required`` (default: the offer's and the price's the owner gave).
    The wording is for the model.
    """
    problems: list[str] = []
    given = stated_amounts(said)
    invented = sorted(stated_amounts(copy_text) - given)
    if invented:
        allowed = ", ".join(sorted(given)) or "none"
        problems.append(f"the copy states {', '.join(invented)}, which the owner did not write; use only the owner's numbers ({allowed})")
    needed = offer_amounts(said) if required is None else required
    missing = sorted(needed - stated_amounts(copy_text))
    if missing:
        problems.append(f"the headline or body must state the owner's offer and price: {', '.join(missing)}")
    if "한정" in copy_text and not says_limited(said):
        problems.append('the owner announced no limited run; do not write "한정"')
    if problem := old_price_alone(copy_text, said):
        problems.append(problem)
    return problems


def _old_price_with_new(copy_text: str, was: int, now: int) -> bool:
    """Whether every mention of the old amount comes with the new one: "60,000원 → 45,000원", "6만원짜리 … 4만5천원",
    "정가 60,000원, 할인가 45,000원"."""
    amounts = list(_ANY_WON_RE.finditer(copy_text))
    has_new = any(_amount(m) == now for m in amounts)
    for m in amounts:
        if _amount(m) != was:
            continue
        arrow = _NEW_PRICE_RE.match(copy_text, m.end())
        if arrow and (after := _ANY_WON_RE.match(copy_text, arrow.end())) and _amount(after) == now:
            continue
        named = copy_text[m.end() :].lstrip().startswith("짜리") or _LIST_PRICE_RE.search(copy_text[: m.start()])
        if not (named and has_new):
            return False
    return True


def second_price(text: str, first: str | None) -> str | None:
    """ "펌 50,000원" of "커트 15,000원 펌 5만원": another product the owner priced after the first one."""
    _, m = _old_and_new(text)
    if first is None or m is None:
        return None
    rest = text[m.end() :]
    price, _, _ = extract_price(rest)
    item, _ = priced_item(rest, extract_products(rest)[0])
    if price is None or item is None or item == first or item in first:
        return None
    return f"{item} {price}"


def _points_only(m: re.Match[str]) -> str:
    """A percentage of points ("5% 적립", "적립 5%") is blanked; a percentage off stays."""
    return " " if re.search(_POINTS, m.group(0)) else m.group(0)


def says_discount(text: str) -> bool:
    """Whether the owner offers a lower price ("할인", "세일", "반값", "특가", "DC"); "10% 적립" is points, not one."""
    points = re.sub(rf"(?:{_POINTS})?\s*\d{{1,2}}\s*(?:%|퍼센트|프로)\s*(?:추가\s*)?(?:{_POINTS})?", _points_only, text)
    return bool(re.search(r"할인|세일|반값|반\s*가격|특가|dc|sale|%|퍼센트|프로\b", points, re.IGNORECASE))


def says_limited(text: str) -> bool:
    """Whether the owner announced a limited run ("한정 판매", "수량 한정", "기간 한정"): only then may copy say "한정"."""
    return "한정" in text


def place_in_copy(text: str, place: str | None) -> str | None:
    """The place as copy should name it: with the word the owner wrote after it ("필라테스 스튜디오")."""
    if place is None:
        return None
    if m := re.search(re.escape(place) + r"\s*(" + "|".join(lexicon.PLACE_SUFFIXES) + r")(?![가-힣])", text):
        return f"{place} {m.group(1)}"
    return lexicon.PLACE_IN_COPY.get(place, place)


# What a whole-range offer covers, written right before it: "모든 음료 1+1", "전 메뉴 10% 할인", "전 품목 세일".
_SCOPE_RE: Final = re.compile(
    r"(?<![가-힣])(?:모든|전|전체)\s*(?:음료|메뉴|품목|상품|제품|커피|디저트|빵|케이크)(?=\s*(?:\d{1,2}\s*(?:%|퍼센트|프로)|[12]\s*\+\s*1|반값|할인|세일|무료))"
)


def _offer_first(text: str, at: int | None, products: tuple[str, ...]) -> tuple[str, ...]:
    """The products written in the offer's clause first: "PT 3개월 등록하면 1개월 무료, 요가 클래스 20% 할인" is an
    ad for the yoga class's 20%, not for PT. None when every product belongs to another clause's offer
    ("신규 회원 첫 달 50% 할인, PT 10회 등록 시 1회 무료": the 50% is no PT discount)."""
    if at is None or not products:
        return products
    start, end = _clause_of(text, at)
    inside = tuple(p for p in products if re.search(rf"(?<![가-힣]){re.escape(p)}", text[start:end]))
    if not inside:
        elsewhere = [_clause_of(text, m.start()) for p in products for m in re.finditer(rf"(?<![가-힣]){re.escape(p)}", text)]
        if elsewhere and all(_OFFER_WORD_RE.search(text[a:b]) for a, b in elsewhere):
            return ()
    return (*inside, *(p for p in products if p not in inside))


def analyze(text: str) -> Brief:
    industry, place = detect_industry(text)
    offer = extract_offer(text)
    # "치킨 … 콜라 무료": the freebie is part of the offer; the ad is about the rest.
    products, subjects = extract_products(text, offer.offer)
    if offer.deal and not offer.price:
        products = _offer_first(text, offer.at, products)
    scope = _SCOPE_RE.search(text) if offer.deal else None
    if scope and _strip_particle((text[: scope.start()].split() or [""])[-1]) not in products:
        # "모든 음료 1+1": the drinks, not the brunch named elsewhere ("니트 전품목": the knits, as written)
        products = (re.sub(r"\s+", " ", scope.group(0)), *products)[:MAX_PRODUCTS]
    price = offer.price
    priced, products = priced_item(text, products)
    if price and priced is None and _QUANTITY_RE.search(price.split()[0] + " "):
        # "와인 2잔 49,000원" in a list of a set's contents: the count is the wine's, not the price's.
        _, start, plain = extract_price(text)
        words = text[:start].split()
        if words and not _is_place(words[-1]):
            price = plain
    season, season_scene = detect_season(text)
    return Brief(
        industry=industry,
        intent=detect_intent(text),
        products=products,
        subjects=subjects,
        place=place_in_copy(text, place),
        deal=offer.deal,
        price=price,
        priced=priced,
        second_price=second_price(text, priced),
        sale=sale_price(text),
        season=season,
        season_scene=season_scene,
        timing=extract_timing(text),
        launch=detect_launch(text),
        casual=is_casual(text),
        offer=offer.offer,
        condition=offer.condition,
        audience=offer.audience,
        deal_forms=offer.forms,
        booking=asks_booking(text),
        limited=says_limited(text),
        discount=says_discount(text),
        text=text,
    )
