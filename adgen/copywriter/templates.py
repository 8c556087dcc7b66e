"""Korean ad-copy templates, their rendering, and tone conversion.

Template syntax:
    {place} {product} {item} {deal} {price} {second} {sale} {season} {when} {timing} {launch} {perk} {try}
        slots. ``{product}`` falls back to the industry's default product; ``{item}`` only
        renders when the sentence named a product, so "NEW {item}" never reads "NEW 상품".
    {product|을}
        a slot followed by the particle that fits its last syllable (을/를, 이/가, 은/는,
        과/와, 으로/로, 이에요/예요, 이랑/랑).
    [polite|casual]
        the same words in 존댓말 and in 반말. A pair always spans whole words, so that
        ``convert_tone`` can swap them back and forth in finished copy.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

INTENTS: Final = ("opening", "new", "event", "season", "promo")


@dataclass(frozen=True)
class IndustryCopy:
    headlines: tuple[str, ...]
    bodies: tuple[str, ...]
    ctas: tuple[str, ...]
    perks: tuple[str, ...]  # noun phrases, tone-neutral
    try_verb: str  # "[맛보세요|맛봐]": how a customer takes up the offer
    price_headlines: tuple[str, ...] = ()


# --- generic templates per intent --------------------------------------------------------

HEADLINES: Final[dict[str, tuple[str, ...]]] = {
    "opening": (
        "{place} 그랜드 오픈!",
        "드디어 [오픈했어요|오픈했어]!",
        "새로 문 [열었어요|열었어]!",
        "{place} 오픈 소식",
        "오픈 기념 {deal}!",
        "GRAND OPEN",
        "[반가워요|반가워], 새로 오픈!",
    ),
    "new": (
        "NEW {item}",
        "{item} 출시!",
        "새로운 {item} 등장",
        "{item}, 새로 [나왔어요|나왔어]",
        "드디어 [나왔어요|나왔어]!",
        "기다리던 신상 출시!",
    ),
    "event": (
        "{deal} 이벤트!",
        "놓치면 [아쉬워요|아쉬워]!",
        "특별 혜택 진행 중",
        "{item} {deal}",
    ),
    "season": (
        "{season} 한정 {item}",
        "{season}엔 {item}!",
        "{season} 맞이 이벤트",
        "{season} 특별 혜택",
        "설레는 {season} 선물",
    ),
    "promo": (
        "오늘은 {place}에서",
        "동네 단골 {place}",
        "한 번 오면 단골!",
    ),
}

BODIES: Final[dict[str, tuple[str, ...]]] = {
    "opening": (
        "{place|이} 새롭게 문을 [열었어요|열었어]. 오픈 기념 혜택도 [준비했어요|준비했어]!",
        "정성 가득한 {product|으로} [기다릴게요|기다릴게]. 편하게 [들러 주세요|들러 줘]!",
        "오픈 기념 {deal} 중! 이번 기회 [놓치지 마세요|놓치지 마].",
        "새로 문 연 {place}, 첫 손님이 되어 [주세요|줘]!",
        "{perk|을} 담아 [오픈했어요|오픈했어]. 지금 {try}!",
    ),
    "new": (
        "새로 나온 {item|을} 지금 {try}!",
        "오래 준비한 {item|이} 드디어 [나왔어요|나왔어]. 지금 {try}.",
        "{perk}, 새로운 {product|으로} [만나요|만나자]!",
        "기다리던 신상 {product}! 가장 먼저 {try}.",
        "{item} 출시 기념 {deal} [중이에요|중이야]. 지금 {try}!",
        "새로 나온 {item}, {price}에 [만나 보세요|만나 봐]!",
    ),
    "event": (
        "{deal}! 이번 기회 [놓치지 마세요|놓치지 마].",
        "{product|을} 더 착한 가격으로! {deal} 혜택을 [누려 보세요|누려 봐].",
        "기간 한정 {deal} 진행 중. 서두르면 더 [좋아요|좋아]!",
        "{perk|을} 더 착한 가격에 [만나 보세요|만나 봐]!",
    ),
    "season": (
        "{season|에} 딱 맞는 {product|을} [준비했어요|준비했어]. 지금 {try}!",
        "{season} 한정으로 만나는 {product}! 놓치면 [아쉬워요|아쉬워].",
        "설레는 {season}, {perk|과} 함께 [보내요|보내자]!",
        "{season} 맞이 특별 혜택! 지금 {try}.",
    ),
    "promo": (
        "{perk}, {place|에서} [기다릴게요|기다릴게]!",
        "한 번 오면 또 오고 싶은 곳. {perk|을} [약속해요|약속할게]!",
        "동네 단골들이 먼저 찾는 {place}! 지금 {try}.",
    ),
}

CTAS: Final[dict[str, tuple[str, ...]]] = {
    "opening": ("오픈 소식 보기", "지금 방문하기", "길찾기", "[놀러 오세요|놀러 와]"),
    "new": ("지금 만나기", "신상 보러 가기", "자세히 보기"),
    "event": ("혜택 받기", "쿠폰 받기", "지금 참여하기"),
    "season": ("지금 확인하기", "혜택 보러 가기", "예약하기"),
    "promo": ("지금 방문하기", "자세히 보기", "[놀러 오세요|놀러 와]"),
}

# When the owner takes reservations ("예약 받아요"): the button and the {try} of every template.
BOOKING_CTAS: Final = ("예약하기", "지금 예약하기", "예약 문의")
BOOKING_TRY: Final = "[예약하세요|예약해]"
# Bodies that repeat the owner's "예약 받아요"; offered only when the owner takes reservations.
BOOKING_BODIES: Final = (
    "{when} {item} 예약 [받아요|받아]! 편하게 [문의하세요|문의해].",
    "{item} 예약 [받아요|받아]! 편하게 [문의하세요|문의해].",
    "{when} 예약 [받아요|받아]! 편하게 [문의하세요|문의해].",
    "{item} {deal}! 예약 [받아요|받아].",
)

# Templates that say what the owner asked for, in their words: the product ({item}), the offer
# ({deal}) and when it runs ({when}: "이번 주", "어버이날"). Used for every intent; the copywriter
# prefers, among those that fit, the ones that carry the most of these facts.
FACT_HEADLINES: Final = (
    "{deal}!",
    "{item} {deal}!",
    "{item}, {deal}!",
    "{when} {deal}!",
    "{timing}만 {deal}!",
    "{launch} 기념 {deal}!",
    "{deal} 찬스!",
    "{deal} 진행 중!",
    "{when} 한정 {item}",
    "{when} {item} {deal}",
    # a price the owner gave ("김치찌개 8천원"), or its cut ("9,900원 → 6,900원")
    "{item} {sale}!",
    "{sale}!",
    "{item} {price}!",
    "{item} 단 {price}!",
    "{when} {item} {price}",
    "단 {price}!",
    "{when} 단 {price}!",
    "{when} {price}!",
    "{price}!",
)
FACT_BODIES: Final = (
    # product, offer and time
    "{when} {item} {deal}! 지금 {try}.",
    "{item} {deal}, {when} [진행해요|진행해]. 지금 {try}!",
    "{when} {deal} {item}! 이번 기회 [놓치지 마세요|놓치지 마].",
    "{item}, {when} {deal}! 놓치면 [아쉬워요|아쉬워].",
    "{when} {launch} 기념 {item} {deal}! 지금 {try}.",
    "{item} {deal}! {when} {place|에서} [기다릴게요|기다릴게].",
    # product and offer
    "{item} {deal}! 지금 {try}.",
    "{launch} 기념 {item} {deal}! 이번 기회 [놓치지 마세요|놓치지 마].",
    "{item} {deal} 소식! {place|에서} [기다릴게요|기다릴게].",
    "지금 {item} {deal} [진행해요|진행해]. 서둘러 [주세요|줘]!",
    # offer and time
    "{when} {deal}! 이번 기회 [놓치지 마세요|놓치지 마].",
    "{when} {deal} 진행 중! 지금 {try}.",
    # the offer alone, for a long one with its terms ("2만원 이상 구매하면 10% 할인")
    "{deal}! 지금 {try}.",
    "{deal}! 이번 기회 [놓치지 마세요|놓치지 마].",
    # product and time
    "{when} {item|을} [만나 보세요|만나 봐]!",
    "{when} 한정 {item}! 지금 {try}.",
    # the price, with the product and the time or the occasion
    "{item} {price}! 지금 {try}.",
    "{item} {price}, {deal}!",
    # a price cut the owner stated ("6만원짜리 원피스 4만5천원"): the old price only with the new one
    "{item} {sale}! 지금 {try}.",
    "{item}, {sale}! {place|에서} [기다릴게요|기다릴게].",
    "{when} {item} {sale}!",
    "{sale}! 지금 {try}.",
    "{sale}! {place|에서} [기다릴게요|기다릴게].",
    # two products the owner priced ("커트 15,000원 펌 5만원")
    "{item} {price}, {second}!",
    "{item} {price}, {second}! 지금 {try}.",
    "{when} {item} {price}! 지금 {try}.",
    "{item} {price}! {place|에서} [기다릴게요|기다릴게].",
    "{item}, 단돈 {price}! 지금 {try}.",
    "{when} 단돈 {price}! 지금 {try}.",
    "단돈 {price}! {place|에서} [기다릴게요|기다릴게].",
    "{when} {price}! 지금 {try}.",
    "{price}! {place|에서} [기다릴게요|기다릴게].",
)

# Short sentences for "문구를 짧게" when no template is shorter, and to extend a body for "더 길게".
SHORT_BODIES: Final = (
    "지금 {try}!",
    "{item}, 지금 {try}!",
    "[놀러 오세요|놀러 와]!",
    "{place|에서} [기다릴게요|기다릴게]!",
    "[기다릴게요|기다릴게]!",
)

# Bodies of facts alone, for "문구를 짧게" when only the body carried a fact ("매일 오후 3시").
SHORT_FACT_BODIES: Final = ("{when} {item}!", "{item} {price}!", "{item} {deal}!", "{when} {deal}!", "{deal}!", "{item}, {when}!")

# Headlines for "가격 강조해줘" when the copy names a price or deal, and when it names none.
PRICE_HEADLINES: Final = ("단 {price}!", "{item} {price}", "{price}의 행복", "{deal} 찬스!", "{item} {deal}!")
PRICE_FALLBACK_HEADLINES: Final = ("착한 가격!", "가격 부담 없이!", "이 가격 실화?", "가성비 최고!", "합리적인 가격!")
PRICE_BODY_PREFIXES: Final = ("착한 가격!", "부담 없는 가격!", "가격은 가볍게!")

# --- per industry ---------------------------------------------------------------------------

INDUSTRY_COPY: Final[dict[str, IndustryCopy]] = {
    "cafe": IndustryCopy(
        headlines=("오늘의 커피 한 잔", "달콤한 쉼표 하나", "향긋한 오후", "오늘은 {item} [어때요|어때]?", "{item} 맛집은 여기"),
        bodies=(
            "향긋한 커피와 달콤한 디저트, {place|에서} 잠시 [쉬어 가세요|쉬어 가].",
            "바쁜 하루, 커피 한 잔으로 여유를 [채워 보세요|채워 봐].",
            "매일 정성껏 내리는 {product}! 오늘도 [기다릴게요|기다릴게].",
        ),
        ctas=("주문하기", "메뉴 보기", "지금 방문하기"),
        perks=("향긋한 한 잔", "달콤한 휴식", "여유로운 오후"),
        try_verb="[맛보세요|맛봐]",
    ),
    "bakery": IndustryCopy(
        headlines=("갓 구운 행복", "매일 아침 갓 구운 빵", "고소한 빵 냄새", "오늘의 {item}", "{item} 맛집은 여기"),
        bodies=(
            "매일 아침 직접 굽는 {product}! 따끈할 때 [맛보세요|맛봐].",
            "좋은 재료로 정직하게 구운 {product|을} [만나 보세요|만나 봐].",
            "고소한 빵 냄새 가득한 {place|에서} 하루를 [시작해요|시작하자]!",
        ),
        ctas=("주문하기", "빵 보러 가기", "매장 방문"),
        perks=("갓 구운 고소함", "버터 향 가득한 빵", "달콤한 디저트"),
        try_verb="[맛보세요|맛봐]",
    ),
    "restaurant": IndustryCopy(
        headlines=("오늘 뭐 [먹을까요|먹을까]?", "정성 가득 한 끼", "인생 맛집 등장", "{item} 맛집"),
        bodies=(
            "신선한 재료로 매일 만드는 {product}! 든든한 한 끼 [드세요|먹어].",
            "한 번 먹으면 계속 생각나는 맛, {place|에서} [기다릴게요|기다릴게].",
            "정성으로 끓이고 굽는 {product}, 오늘 한 끼는 여기서 [어때요|어때]?",
        ),
        ctas=("예약하기", "주문하기", "메뉴 보기"),
        perks=("정성 가득한 한 끼", "든든한 한 상", "푸짐한 맛"),
        try_verb="[맛보세요|맛봐]",
    ),
    "beauty": IndustryCopy(
        headlines=("나를 위한 변신", "오늘은 예뻐지는 날", "빛나는 나를 위한 시간", "{item} 맛집"),
        bodies=(
            "나에게 꼭 맞는 스타일, {place|에서} [찾아 드려요|찾아 줄게].",
            "섬세한 손길로 완성하는 {product}! 지금 [예약하세요|예약해].",
            "오늘은 나를 위한 시간. 편안하게 [관리받으세요|관리받아].",
        ),
        ctas=("예약하기", "상담 신청", "스타일 보기"),
        perks=("나만의 스타일", "섬세한 손길", "빛나는 변화"),
        try_verb="[받아 보세요|받아 봐]",
    ),
    "fitness": IndustryCopy(
        headlines=("오늘부터 운동 시작!", "건강한 변화의 시작", "몸이 달라지는 곳", "오운완 하러 [가요|가자]"),
        bodies=(
            "혼자 하기 힘든 운동, {place|에서} 함께라면 [할 수 있어요|할 수 있어]!",
            "전문 트레이너와 함께하는 {product}! 건강한 변화를 [시작하세요|시작해].",
            "작심삼일은 이제 그만! 오늘부터 같이 [운동해요|운동하자].",
        ),
        ctas=("무료 체험", "상담 신청", "등록하기"),
        perks=("건강한 변화", "탄탄한 몸", "매일의 활력"),
        try_verb="[시작하세요|시작해]",
    ),
    "fashion": IndustryCopy(
        headlines=("이번 시즌 데일리룩", "나만의 스타일 완성", "오늘의 코디 추천", "{item} 입고 [외출해요|외출하자]"),
        bodies=(
            "매일 입고 싶은 {product}, 데일리룩을 [완성해 보세요|완성해 봐].",
            "트렌디한 신상이 가득! {place|에서} 나만의 스타일을 [찾아보세요|찾아봐].",
            "편안한데 예쁘기까지 한 {product}! 지금 [구경하세요|구경해].",
        ),
        ctas=("구경하기", "구매하기", "신상 보기"),
        perks=("트렌디한 스타일", "편안한 데일리룩", "나만의 코디"),
        try_verb="[만나 보세요|만나 봐]",
    ),
    "academy": IndustryCopy(
        headlines=("성적이 오르는 공부", "실력이 쑥쑥!", "꿈을 키우는 {place}", "{item}, 제대로 [배워요|배우자]"),
        bodies=(
            "아이 수준에 꼭 맞춘 {product}, 실력이 [쌓여요|쌓여].",
            "소수 정예로 꼼꼼하게! {place|에서} 실력을 [키워 보세요|키워 봐].",
            "기초부터 탄탄하게, 꼭 맞는 수업을 [약속해요|약속할게].",
        ),
        ctas=("상담 신청", "체험 수업 신청", "문의하기"),
        perks=("꼼꼼한 1:1 관리", "탄탄한 기초", "즐거운 배움"),
        try_verb="[상담받아 보세요|상담받아 봐]",
    ),
    "flower": IndustryCopy(
        headlines=("마음을 전하는 꽃", "오늘, 꽃 한 송이", "향기로운 하루", "{item} 한 다발"),
        bodies=(
            "소중한 사람에게 {product|으로} 마음을 [전해 보세요|전해 봐].",
            "매일 들어오는 싱그러운 꽃, {place|에서} 예쁘게 [담아 드려요|담아 줄게].",
            "특별한 날에도, 평범한 날에도 꽃 한 송이 [어때요|어때]?",
        ),
        ctas=("주문하기", "꽃 보러 가기", "예약하기"),
        perks=("싱그러운 꽃", "향기로운 선물", "마음을 담은 꽃다발"),
        try_verb="[선물해 보세요|선물해 봐]",
    ),
    "pet": IndustryCopy(
        headlines=("우리 아이 행복 가득", "댕냥이 모두 환영!", "꼬리가 살랑살랑", "{item}, 우리 아이 최애"),
        bodies=(
            "우리 아이가 좋아하는 {product}, {place|에서} 다 [만나 보세요|만나 봐].",
            "반려동물과 함께하는 행복한 하루, 정성껏 [돌봐 드려요|돌봐 줄게].",
            "건강하고 맛있는 {product|으로} 꼬리가 살랑살랑! 지금 [놀러 오세요|놀러 와].",
        ),
        ctas=("구경하기", "예약하기", "방문하기"),
        perks=("우리 아이 행복", "건강한 간식", "정성 어린 돌봄"),
        try_verb="[만나 보세요|만나 봐]",
    ),
    "realestate": IndustryCopy(
        headlines=("내 집 마련의 시작", "좋은 집, 여기 [있어요|있어]", "딱 맞는 집 찾기", "믿을 수 있는 중개"),
        bodies=(
            "원하는 조건에 딱 맞는 {product}, 꼼꼼하게 [찾아 드려요|찾아 줄게].",
            "동네를 가장 잘 아는 {place}! 편하게 [상담받으세요|상담받아].",
            "좋은 매물은 빨리 [나가요|나가]. 지금 바로 [문의하세요|문의해]!",
        ),
        ctas=("매물 보기", "상담 신청", "문의하기"),
        perks=("믿을 수 있는 중개", "꼼꼼한 매물 안내", "정직한 상담"),
        try_verb="[확인해 보세요|확인해 봐]",
    ),
    "general": IndustryCopy(
        headlines=("우리 동네 추천 가게", "정성을 [담았어요|담았어]", "오늘의 추천!", "특별한 하루"),
        bodies=(
            "정성을 담아 [준비했어요|준비했어]. {place|에서} 기분 좋은 하루를 [보내세요|보내].",
            "믿고 찾는 {place}! 언제든 편하게 [들러 주세요|들러 줘].",
            "작지만 특별한 {place}, 오늘도 [기다릴게요|기다릴게].",
        ),
        ctas=("지금 방문하기", "자세히 보기", "문의하기"),
        perks=("정성 가득한 준비", "기분 좋은 하루", "특별한 순간"),
        try_verb="[확인해 보세요|확인해 봐]",
    ),
}

# --- rendering -----------------------------------------------------------------------------

_SLOT_RE: Final = re.compile(r"\{(\w+)(?:\|(\w+))?\}")
_TONE_RE: Final = re.compile(r"\[([^\[\]|]*)\|([^\[\]|]*)\]")

# Particle pairs: (after a final consonant, after a vowel). 으로/로 also takes 로 after ㄹ.
_PARTICLES: Final[dict[str, tuple[str, str]]] = {
    "을": ("을", "를"), "이": ("이", "가"), "은": ("은", "는"), "과": ("과", "와"), "으로": ("으로", "로"),
    "이에요": ("이에요", "예요"), "이랑": ("이랑", "랑"), "에서": ("에서", "에서"), "에": ("에", "에"),
}  # fmt: skip

# How the last digit or sign is read aloud: does it end in a consonant (and is it ㄹ)?
_DIGIT_FINAL: Final[dict[str, str]] = {
    "0": "ㅇ", "1": "ㄹ", "2": "", "3": "ㅁ", "4": "", "5": "", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ", "9": "", "%": "",
}  # fmt: skip


def _final_consonant(word: str) -> str:
    """'' when ``word`` ends in a vowel sound, 'ㄹ' for ㄹ, another marker for other consonants."""
    last = word.rstrip(" !?.~")[-1:] or "a"
    if "가" <= last <= "힣":
        index = (ord(last) - 0xAC00) % 28
        return "" if index == 0 else ("ㄹ" if index == 8 else "C")
    if last in _DIGIT_FINAL:
        return _DIGIT_FINAL[last]
    # Latin letters: most English words Koreans read end in a vowel sound ("NEW" → 뉴).
    return "C" if last.lower() in "mnlk" else ""


def with_particle(word: str, particle: str) -> str:
    after_consonant, after_vowel = _PARTICLES[particle]
    final = _final_consonant(word)
    if particle == "으로":
        return word + ("로" if final in ("", "ㄹ") else "으로")
    return word + (after_consonant if final else after_vowel)


def slots_of(template: str) -> set[str]:
    return {m.group(1) for m in _SLOT_RE.finditer(template)}


def render(template: str, slots: Mapping[str, str | None], tone: str) -> str | None:
    """The template filled and in ``tone``, or None when a slot it needs is unknown."""
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = slots.get(match.group(1))
        if not value:
            missing = True
            return ""
        return with_particle(value, match.group(2)) if match.group(2) else value

    text = _SLOT_RE.sub(fill, template)
    if missing:
        return None
    # Slot values (``{try}``) may carry tone pairs themselves, so tone is applied after filling.
    return apply_tone(text, tone)


def apply_tone(text: str, tone: str) -> str:
    group = 1 if tone == "존댓말" else 2
    return _TONE_RE.sub(lambda m: m.group(group), text)


# --- tone conversion -----------------------------------------------------------------------

# Endings that turn 해요체 into 반말 in copy the templates did not write (an earlier OpenAI ad).
_GENERIC_TO_CASUAL: Final = (
    ("하세요", "해"), ("보세요", "봐"), ("오세요", "와"), ("주세요", "줘"), ("드려요", "줄게"), ("할게요", "할게"),
    ("이에요", "이야"), ("예요", "야"), ("해요", "해"), ("어요", "어"), ("아요", "아"), ("워요", "워"), ("져요", "져"),
    ("돼요", "돼"), ("게요", "게"), ("네요", "네"), ("래요", "래"), ("죠", "지"), ("합니다", "해"), ("습니다", "어"),
)  # fmt: skip
# The other way round is guesswork (is "해" "해요" or "하세요"?), so only endings that are
# verbs wherever they end a sentence are touched.
_GENERIC_TO_POLITE: Final = (
    ("줄게", "드릴게요"), ("할게", "할게요"), ("이야", "이에요"), ("해", "해요"), ("봐", "봐요"), ("줘", "주세요"),
    ("었어", "었어요"), ("았어", "았어요"), ("있어", "있어요"), ("없어", "없어요"), ("하자", "해요"), ("가자", "가요"),
)  # fmt: skip
# An ending only counts at the end of a sentence: mid-sentence "해" may be the noun "해" (sun).
_SENTENCE_END: Final = r"(?=\s*(?:[.!?~]|$))"


def _all_templates() -> list[str]:
    texts: list[str] = [*PRICE_HEADLINES, *PRICE_FALLBACK_HEADLINES, *PRICE_BODY_PREFIXES, *SHORT_BODIES, *FACT_HEADLINES]
    texts += [*SHORT_FACT_BODIES, *FACT_BODIES]
    texts += [*BOOKING_CTAS, BOOKING_TRY, *BOOKING_BODIES]
    for table in (HEADLINES, BODIES, CTAS):
        for items in table.values():
            texts.extend(items)
    for copy in INDUSTRY_COPY.values():
        texts.extend((*copy.headlines, *copy.bodies, *copy.ctas, *copy.perks, copy.try_verb, *copy.price_headlines))
    return texts


@lru_cache(maxsize=1)
def tone_pairs() -> tuple[tuple[str, str], ...]:
    """Every (polite, casual) pair the templates use, longest polite side first."""
    pairs: dict[tuple[str, str], None] = {}
    for text in _all_templates():
        for m in _TONE_RE.finditer(text):
            pairs[(m.group(1), m.group(2))] = None
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), -len(p[1]))))


def _swap_phrases(text: str, table: list[tuple[str, str]]) -> str:
    """Replace whole-word phrases, longest first, never touching a replacement twice."""
    # One alternation regex: each position is replaced at most once, so "놀러 와" written for
    # "놀러 오세요" cannot be converted again by a shorter pair.
    table = sorted(table, key=lambda p: -len(p[0]))
    mapping = dict(table)
    pattern = re.compile(r"(?<![가-힣A-Za-z0-9])(" + "|".join(re.escape(src) for src, _ in table) + r")(?![가-힣A-Za-z0-9])")
    return pattern.sub(lambda m: mapping[m.group(1)], text)


def convert_tone(text: str, tone: str, protect: Collection[str] = ()) -> str:
    """``text`` rewritten into ``tone``: exact for template copy, best effort for other copy.

    Words in ``protect`` (product names, places: "피자" must not become "피요") are never
    treated as verb endings.
    """
    pairs = tone_pairs()
    table = list(pairs) if tone == "반말" else [(c, p) for p, c in pairs]
    text = _swap_phrases(text, table)
    generic = _GENERIC_TO_CASUAL if tone == "반말" else _GENERIC_TO_POLITE
    protected = set(protect)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in protected or (tone == "존댓말" and word.endswith(("요", "다"))):
            return word
        for src, dst in generic:
            if word.endswith(src):
                return word[: len(word) - len(src)] + dst
        return word

    return re.sub(r"[가-힣]+" + _SENTENCE_END, fix, text)


def is_polite(text: str) -> bool:
    """Whether the sentences of ``text`` end politely (as far as endings tell)."""
    return bool(re.search(r"(요|니다|세요)" + _SENTENCE_END, text))
