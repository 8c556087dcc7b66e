"""What the owner's sentence is about, for the picture and the framing words: industry, products, cues.

It reads the nouns the Korean analyser finds (compounds too: "수제"+"버거" → "수제버거") and looks
them up in the meaning-level ``lexicon``. It never decides the ad's facts: those travel as the
owner's own words (``owner_words``) and are checked by ``facts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from adgen.copywriter import lexicon
from adgen.copywriter.korean import Morph, morphs

MAX_PRODUCTS: Final = 3
# Cue words, read on the owner's words (after requests are removed).
_CUES: Final[dict[str, tuple[str, ...]]] = {
    "booking": ("예약",),
    "inquiry": ("상담", "문의"),
    "online": ("온라인", "스마트스토어", "쇼핑몰", "택배", "배송", "링크", "사이트", "홈페이지", "http", "www"),
    "deadline": ("까지", "한정", "선착순", "마감", "오늘만", "이번 주", "이번주", "당일", "단 하루", "기간"),
    "future": ("예정", "곧", "오픈 전", "사전"),
    "recruit": ("모집", "등록", "수강"),
    "medical": ("치과", "피부과", "한의원", "병원", "의원", "클리닉", "진료", "시술", "치료"),
}
_NOT_SUBJECT: Final = frozenset({"카페", "음료", "디저트"})  # a place or a category: the scene says it already


@dataclass(frozen=True)
class Reading:
    industry: str
    place: str | None  # the place noun the owner used ("필라테스"), if any
    products: tuple[str, ...]  # product words found in the lexicon, as typed ("딸기라떼")
    subjects: tuple[str, ...]  # their English for the picture
    nouns: tuple[str, ...]  # every noun run of the sentence, in order ("성수동", "수제버거", "세트")
    cues: frozenset[str]  # booking, inquiry, online, deadline, future, recruit, medical, opening, new, event, season
    season_scene: str | None = None


def noun_runs(text: str) -> list[str]:
    """Nouns as the owner wrote them: morphemes glued without a space join ("수제"+"버거")."""
    runs: list[str] = []
    current: list[Morph] = []
    for t in morphs(text):
        if t.noun or (t.tag == "XSN" and current):
            if current and t.start > current[-1].end:
                runs.append(text[current[0].start : current[-1].end])
                current = []
            current.append(t)
        else:
            if current:
                runs.append(text[current[0].start : current[-1].end])
            current = []
    if current:
        runs.append(text[current[0].start : current[-1].end])
    return runs


def _lookup(table: dict[str, str], word: str) -> list[str]:
    """Lexicon entries inside ``word``, longest first, without overlaps ("딸기라떼" → 딸기 라떼 → "strawberry latte")."""
    if word.lower() in table:
        return [word.lower()]
    found, i = [], 0
    longest = max(len(k) for k in table)
    while i < len(word):
        for j in range(min(len(word), i + longest), i, -1):
            if word[i:j] in table and (j - i > 1 or len(word) == 1):
                found.append(word[i:j])
                i = j
                break
        else:
            i += 1
    return found


def read(text: str) -> Reading:
    runs = noun_runs(text)
    scores: dict[str, int] = {}
    place: dict[str, str] = {}
    first: dict[str, int] = {}
    places = {t.lower(): ind for ind, items in lexicon.INDUSTRY_PLACES.items() for t in items}
    terms = {t.lower(): ind for ind, items in lexicon.INDUSTRY_TERMS.items() for t in items}
    for position, run in enumerate(runs):
        key = run.replace(" ", "").lower()
        for table, weight in ((places, lexicon.PLACE_WEIGHT), (terms, lexicon.TERM_WEIGHT)):
            for hit in [key] if key in table else _lookup(table, key):  # type: ignore[arg-type]
                industry = table[hit]
                scores[industry] = scores.get(industry, 0) + (0 if hit in lexicon.WEAK_TERMS else weight)
                first.setdefault(industry, position)
                if weight == lexicon.PLACE_WEIGHT:
                    place.setdefault(industry, run)
    scored = {k: v for k, v in scores.items() if v > 0}
    industry = max(scored, key=lambda i: (scored[i], -first[i])) if scored else "general"
    products: list[str] = []
    subjects: list[str] = []
    for run in runs:
        parts = _lookup(lexicon.KO_EN, run)
        if not parts or all(p in _NOT_SUBJECT for p in parts) or run in lexicon.INDUSTRY_PLACES.get(industry, ()):
            continue
        english = " ".join(lexicon.KO_EN[p] for p in parts)
        if run not in products and english not in subjects:
            products.append(run)
            subjects.append(english)
    cues = {name for name, words in _CUES.items() if any(w in text for w in words)}
    cues |= {intent for intent, words in lexicon.INTENT_CUES.items() if any(w in text.lower() for w in words)}
    season = next((lexicon.SEASONS[w][1] for w in lexicon.SEASONS if w in text.lower()), None)
    return Reading(
        industry=industry,
        place=place.get(industry),
        products=tuple(products[:MAX_PRODUCTS]),
        subjects=tuple(subjects[:MAX_PRODUCTS]),
        nouns=tuple(runs),
        cues=frozenset(cues),
        season_scene=season,
    )
