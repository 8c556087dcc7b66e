"""Reading the owner's sentence: industry, intent, products, deal, season.

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
    "오픈런", "꽃길", "요가원",
)  # fmt: skip

# Terms that name no product on their own (places, categories, modifiers).
_NON_PRODUCTS: Final = frozenset(
    {"카페", "베이커리", "학원", "미용실", "네일샵", "헬스장", "부동산", "음식", "요리", "음료", "아이스", "수제", "한식", "양식",
     "중식", "일식", "공부", "운동", "다이어트", "헬스", "인테리어", "반려동물", "애견", "책",
     # Pets are who the ad is for, not what it sells ("강아지 간식": the product is 간식).
     "강아지", "고양이", "댕댕이", "냥이", "반려견", "반려묘"}
)  # fmt: skip
_PETS: Final = frozenset({"강아지", "고양이", "댕댕이", "냥이", "반려견", "반려묘"})

# Modifiers stay part of the product they are glued to ("수제버거", "아이스라떼") but are no
# product on their own.
_MODIFIERS: Final = frozenset({"아이스", "수제"})

MAX_PRODUCTS: Final = 3
# A product typed as a sentence fragment would not fit a headline; longer spans are ignored.
MAX_PRODUCT_CHARS: Final = 8

_PERCENT_RE: Final = re.compile(r"(\d{1,2})\s*(?:%|퍼센트|프로)")
_PRICE_RE: Final = re.compile(r"(\d{1,3}(?:,\d{3})+|\d{3,7})\s*원")
_BUNDLE_RE: Final = re.compile(r"1\s*\+\s*1|원\s*플러스\s*원|투\s*플러스\s*원|2\s*\+\s*1")
_FREE_RE: Final = re.compile(r"무료\s*(체험|상담|시식|수업|배송|증정)?")
_GIFT_RE: Final = re.compile(r"증정|사은품|서비스로")
_HALF_RE: Final = re.compile(r"반값|반\s*가격")

INTENT_ORDER: Final = ("opening", "new", "event", "season")


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
    i = 0
    while i < len(word):
        for j in range(min(len(word), i + max_len), i, -1):
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
    first_seen: dict[str, int] = {}
    place: dict[str, str] = {}
    for position, word in enumerate(words(text)):
        for match in _scan_word(word, terms, max_len):
            hit = terms[match.term]
            if hit is None:
                continue
            industry, weight = hit
            scores[industry] = scores.get(industry, 0) + weight
            first_seen.setdefault(industry, position)
            if weight == lexicon.PLACE_WEIGHT and not match.term.isascii():
                place.setdefault(industry, match.term)
    if not scores:
        return "general", None
    best = max(scores, key=lambda ind: (scores[ind], -first_seen[ind]))
    return best, place.get(best)


def extract_products(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Product words as typed ("딸기라떼") and their English ("strawberry latte"), in order."""
    terms, max_len = _subject_terms()
    products: list[str] = []
    subjects: list[str] = []
    for word in words(text):
        matches = [m for m in _scan_word(word, terms, max_len) if terms[m.term]]
        for run in _contiguous_runs(matches):
            if all(m.term in _PETS for m in run):
                # "강아지" sells nothing, but the picture should still show one.
                subjects.append(" ".join(str(terms[m.term]) for m in run))
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
                typed = ""  # copy stays Korean; the English word still feeds the image prompt
            if typed and len(typed) <= MAX_PRODUCT_CHARS and typed not in products:
                products.append(typed)
            subjects.append(english)
    return tuple(products[:MAX_PRODUCTS]), tuple(dict.fromkeys(subjects))[:MAX_PRODUCTS]


def _contiguous_runs(matches: list[_Match]) -> Iterable[list[_Match]]:
    run: list[_Match] = []
    for match in matches:
        if run and match.start != run[-1].end:
            yield run
            run = []
        run.append(match)
    if run:
        yield run


def detect_intent(text: str) -> str:
    lowered = text.lower()
    for intent in INTENT_ORDER:
        for cue in lexicon.INTENT_CUES[intent]:
            if cue.isascii() and cue.isalpha():
                if re.search(rf"\b{re.escape(cue)}\b", lowered):
                    return intent
            elif cue in lowered:
                return intent
    return "promo"


def extract_deal(text: str) -> tuple[str | None, str | None]:
    """A discount phrase for copy ("30% 할인", "1+1") and a price ("4,500원"), when stated."""
    deal: str | None = None
    if m := _PERCENT_RE.search(text):
        deal = f"{int(m.group(1))}% 할인"
    elif m := _BUNDLE_RE.search(text):
        deal = "2+1" if m.group(0).startswith(("2", "투")) else "1+1"
    elif _HALF_RE.search(text):
        deal = "반값 할인"
    elif m := _FREE_RE.search(text):
        deal = f"무료 {m.group(1)}" if m.group(1) else "무료 혜택"
    elif _GIFT_RE.search(text):
        deal = "사은품 증정"
    price: str | None = None
    if m := _PRICE_RE.search(text):
        price = f"{int(m.group(1).replace(',', '')):,}원"
    return deal, price


def detect_season(text: str) -> tuple[str | None, str | None]:
    lowered = text.lower()
    for cue, (word, scene) in lexicon.SEASONS.items():
        if cue in lowered:
            return word, scene
    return None, None


def analyze(text: str) -> Brief:
    industry, place = detect_industry(text)
    products, subjects = extract_products(text)
    deal, price = extract_deal(text)
    season, season_scene = detect_season(text)
    return Brief(
        industry=industry,
        intent=detect_intent(text),
        products=products,
        subjects=subjects,
        place=place,
        deal=deal,
        price=price,
        season=season,
        season_scene=season_scene,
    )
