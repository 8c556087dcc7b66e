"""The one fact reader: what an owner's sentence states, and whether an ad still states it.

Both copywriters and the copy benchmark use it. ``read(text)`` finds, with the Korean analyser,
every amount of money (in any written form: 12,000원, 1만2천원, 1.2만원, 만 원, 칠천원, 3천만원,
25마넌, "전세 2억 3천"; both ends of a range: 2~3만원, 40~60%), percent, date, time of day and
contact (phone, @handle, URL, e-mail, Kakao channel), and the item each price is for. Counts
("3개", "2인", "10회") are no facts. ``compare(source, copy)`` says which of the source's facts the
copy lost and which amounts, percents, dates, times or contacts it added: a copy is true to its
source when both lists are empty. Facts are compared by value, so "12,000원" in the copy keeps
"1만2천원" of the sentence, and "오후 3시" keeps "15:00" (and "3시", which leaves the half of the
day open) but not "오전 3시".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from adgen.copywriter.korean import Morph, morphs, number_value, won_text

Kind = Literal["amount", "percent", "date", "time", "contact", "item", "count"]
KINDS: Final[tuple[Kind, ...]] = ("amount", "percent", "date", "time", "contact", "item", "count")
# Kinds a copy must never add: a number or a contact the owner did not write is invented.
INVENTABLE: Final[frozenset[Kind]] = frozenset({"amount", "percent", "date", "time", "contact"})

_PERIODS: Final = {"오전": 0, "아침": 0, "새벽": 0, "오후": 12, "저녁": 12, "밤": 12, "낮": 12, "점심": 12}
_PERCENT_UNITS: Final = ("%", "퍼센트", "프로", "퍼")
_SLANG_MAN: Final = ("마넌", "만냥")  # "25마넌": 25만 원
_MULTIPLIER_RE: Final = re.compile(r"[십백천만억조]")
_NUMERAL_WORD_RE: Final = re.compile(r"([일이삼사오육칠팔구십백천만억]*[십백천만억])(원)")  # "칠천원", "삼만원"
# A phone number: "010-1234-5678", "010 1234 5678", "01012345678", "(02)123-4567", "1588-1234".
_PHONE_RE: Final = re.compile(
    r"(?<![\d-])(?P<area>0\d{1,3}|1[5-9]\d{2})(?P<sep>\)\s?|[-. ])?(?P<mid>\d{3,4})(?:[-. ]?(?P<line>\d{4}))?(?![\d-])"
)
_AMOUNT_AFTER: Final = ("원", "만", "천", "억", "%")  # digits followed by these are a price, not a phone number
# "12/24", "12.24", "2024.12.24", "2024-12-24" (a dash only with the year: "3-4" is no date)
_DATE_SERIAL_RE: Final = re.compile(r"(?:(?P<year>\d{4}|\d{2})[/.-])?(?P<month>\d{1,2})[/.-](?P<day>\d{1,2})\.?")
_CLOCK_RE: Final = re.compile(r"(\d{1,2}):(\d{2})")
_DOMAIN_RE: Final = re.compile(
    r"(?:https?://\S+|(?<![\w@.])(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|kr|co|me|io|shop|store|org|link|page|ly)(?:/[\w./?=&%-]*)?)",
    re.I,
)
_KAKAO_WORDS: Final = ("카카오톡", "카톡", "카카오", "플친", "플러스친구", "오픈채팅", "채널")
# Nouns after "카톡 채널" that say what to do with the channel, not its name: "플친 추가", "카톡 문의".
_NOT_KAKAO_NAMES: Final = frozenset(
    {"추가", "친구", "검색", "문의", "상담", "예약", "주문", "채팅", "링크", "버튼", "등록", "연락", "이벤트", "가능", "톡", "메시지",
     "안내", "알림", "소식", "쿠폰", "할인", "플러스", "접수", "답장", "답변", "환영"}
)  # fmt: skip
# What ends a handle's glued word but is not the handle: particles, endings, punctuation ("@모리꽃집으로.").
_NOT_HANDLE_END: Final = ("J", "E", "VCP", "SF", "SP", "SS", "SE", "SO", "XSV", "XSA")
_WEEKDAYS: Final = frozenset({"월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"})
# "1/2 가격" is half the price, not January 2 ("12/31 할인" is a date: a fraction is 1/2, 1/3, 3/4).
_FRACTION_OF: Final = frozenset({"가격", "값", "할인", "세일", "off", "OFF"})
# Counting words between an item and its price even without a number: "소금빵 개당 2,800원".
_COUNTERS: Final = frozenset({"잔", "개", "인분", "세트", "개당", "인당", "마리", "장", "병", "팩", "판", "알", "피스", "조각", "그릇"})
# Units a count is written in ("10회", "2인 이상", "3개월", "1박"): a count the copy changes is a changed fact.
_COUNT_UNITS: Final = frozenset(
    {"회", "개", "잔", "명", "인", "인분", "장", "병", "판", "마리", "세트", "박", "개월", "주", "회차", "권", "벌", "켤레", "팩",
     "조각", "그릇", "시간", "분", "년", "살", "세", "층", "평", "매", "대", "종", "가지", "일", "kg", "g", "ml", "L", "cm", "회분"}
)  # fmt: skip
_NOT_ITEMS: Final = frozenset(
    {"가격", "정가", "할인가", "원래", "월", "이상", "이하", "미만", "초과"}
)  # words before a price that are no item


@dataclass(frozen=True)
class Fact:
    """One stated fact. ``key`` compares facts by meaning; ``text`` is how copy writes it."""

    kind: Kind
    key: object
    text: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Report:
    """What a copy did to its source's facts."""

    missing: tuple[Fact, ...] = ()
    invented: tuple[Fact, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing and not self.invented

    def describe(self) -> list[str]:
        """The problems in words a model (or a log reader) can act on."""
        out = [f"the owner's {f.kind} '{f.text}' is missing" for f in self.missing]
        out += [f"'{f.text}' ({f.kind}) is not in the owner's words; do not add it" for f in self.invented]
        return out


@dataclass
class _Reader:
    text: str
    tokens: tuple[Morph, ...]
    facts: list[Fact] = field(default_factory=list)
    used: set[int] = field(default_factory=set)  # token indexes already part of a fact

    def add(self, kind: Kind, key: object, text: str, first: int, last: int) -> None:
        self.facts.append(Fact(kind, key, text, self.tokens[first].start, self.tokens[last].end))
        self.used.update(range(first, last + 1))


def read(text: str) -> list[Fact]:
    """Every fact ``text`` states, in order of appearance."""
    if not text.strip():
        return []
    reader = _Reader(text, _numeral_words(morphs(text)))
    _contacts(reader)
    _numbers(reader)
    _items(reader)
    return sorted(reader.facts, key=lambda f: (f.start, f.kind))


def _numeral_words(toks: tuple[Morph, ...]) -> tuple[Morph, ...]:
    """Tokens with a price Kiwi took for a name ("칠천원" as one NNP) split into its number and 원."""
    out: list[Morph] = []
    for t in toks:
        m = _NUMERAL_WORD_RE.fullmatch(t.form) if t.tag in ("NNP", "NNG") and t.end - t.start == len(t.form) else None
        if m is None:
            out.append(t)
            continue
        cut = t.start + len(m[1])
        out += [Morph(m[1], "NR", t.start, cut), Morph(m[2], "NNB", cut, t.end)]
    return tuple(out)


def _contacts(r: _Reader) -> None:
    toks = r.tokens
    for i, t in enumerate(toks):
        if i in r.used:
            continue
        if t.tag in ("W_MENTION", "W_EMAIL"):
            r.add("contact", t.form.lower(), t.form, i, i)
        elif t.tag == "SW" and t.form == "@" and i + 1 < len(toks) and toks[i + 1].start == t.end:
            # "@모리꽃집": a Korean handle Kiwi splits into morphemes ("모리", "꽃", "집")
            last = _handle_end(toks, i)
            if last > i:
                shown = r.text[t.start : toks[last].end]
                r.add("contact", shown.lower(), shown, i, last)
        elif t.form in _KAKAO_WORDS and t.tag in ("NNP", "NNG"):
            name = _kakao_name(toks, i)
            if name is not None:
                first, last = name
                shown = r.text[toks[first].start : toks[last].end]
                r.add("contact", "kakao:" + re.sub(r"\W", "", shown).lower(), shown, first, last)
                r.used.update(range(i, last + 1))
    # Web addresses by pattern: Kiwi splits "www.knitshop.co.kr" into pieces.
    for m in _DOMAIN_RE.finditer(r.text):
        if m.start() > 0 and (r.text[m.start() - 1].isalnum() or r.text[m.start() - 1] in "@."):
            continue  # the domain of an e-mail address
        url = m.group(0).rstrip(".,;:!?)]}'\"")  # the sentence's punctuation after it: "…/mori, 홍보해주세요"
        span = _span(toks, m.start(), m.start() + len(url))
        if span and not (set(span) & r.used):
            r.add("contact", _url_key(url), url, span[0], span[-1])
    for m in _PHONE_RE.finditer(r.text):
        digits = m["area"] + m["mid"] + (m["line"] or "")
        if len(digits) < 8 or (m["line"] is None and not (m["area"].startswith("1") and m["sep"])):
            continue  # "010 1234" is no number; "1588-1234" is, "15000000" (원) is not
        if r.text[m.end() :].lstrip().startswith(_AMOUNT_AFTER):
            continue  # "1588 1234원": digits of a price
        start = m.start() - 1 if (m["sep"] or "").startswith(")") and m.start() > 0 and r.text[m.start() - 1] == "(" else m.start()
        span = _span(toks, start, m.end())
        if span and not (set(span) & r.used):
            r.add("contact", "tel:" + digits, r.text[start : m.end()], span[0], span[-1])


def _span(toks: tuple[Morph, ...], start: int, end: int) -> list[int]:
    """Indexes of the tokens overlapping characters ``start``..``end``."""
    return [i for i, t in enumerate(toks) if t.start < end and t.end > start]


def _handle_end(toks: tuple[Morph, ...], at: int) -> int:
    """Last token of the handle after the "@" at ``at``: the glued word, without its particles ("@모리꽃집으로")."""
    last = at
    while last + 1 < len(toks) and toks[last + 1].start == toks[last].end:
        last += 1
    while last > at and toks[last].tag.startswith(_NOT_HANDLE_END):
        last -= 1
    return last


def _kakao_name(toks: tuple[Morph, ...], i: int) -> tuple[int, int] | None:
    """The channel name after "카카오톡 채널", "카톡": a run of nouns or a quoted name."""
    j = i + 1
    while j < len(toks) and toks[j].form in _KAKAO_WORDS + ("아이디", "ID", "id") or (j < len(toks) and toks[j].tag in ("SSO", "SP")):
        j += 1
    first = j
    while j < len(toks) and (toks[j].noun or toks[j].tag in ("SN", "SH")) and toks[j].form not in _NOT_KAKAO_NAMES:
        if j > first and toks[j].start > toks[j - 1].end:
            break  # a space ends the name: "카톡 모리꽃집 문의"
        j += 1
    if j == first:
        return None
    if j < len(toks) and toks[j].start == toks[j - 1].end and toks[j].tag.startswith(("XSV", "XSA", "VV")):
        return None  # "플친 추가하면": what to do with the channel, not its name
    return first, j - 1


def _url_key(url: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower()).rstrip("/")


def _number_run(toks: tuple[Morph, ...], i: int) -> tuple[list[str], int]:
    """The pieces of the number written from token ``i`` ("1", "만", "2", "천") and the index after it."""
    if toks[i].tag not in ("SN", "NR"):
        return [toks[i].form], i + 1  # "만 원": Kiwi reads a bare 만 as a noun
    parts = [toks[i].form]
    j = i + 1
    while j < len(toks) and toks[j].tag in ("SN", "NR") and toks[j].start - toks[j - 1].end <= 1:
        if toks[j].tag == "SN" and (toks[j - 1].tag == "SN" or not _MULTIPLIER_RE.search(toks[j - 1].form)):
            break  # two numbers side by side are two numbers: "1+1 5000원", "1588 1234"; "만2천" is one
        parts.append(toks[j].form)
        j += 1
    return parts, j


def _numbers(r: _Reader) -> None:
    toks = r.tokens
    month: int | None = None
    i = 0
    while i < len(toks):
        t = toks[i]
        if i in r.used:
            i += 1
            continue
        if t.tag == "W_SERIAL" and (m := _CLOCK_RE.fullmatch(t.form)) and int(m[1]) < 25 and int(m[2]) < 60:
            r.add("time", (int(m[1]) % 12, int(m[2])), t.form, i, i)
        elif t.tag in ("W_SERIAL", "SN") and (m := _DATE_SERIAL_RE.fullmatch(t.form)) and _is_date(toks, i, m):
            month = int(m["month"])
            r.add("date", (month, int(m["day"])), f"{month}월 {int(m['day'])}일", i, i)
        elif (
            t.tag == "NR"
            and i > 0
            and toks[i - 1].end == t.start
            and toks[i - 1].tag not in ("SN", "NR")
            and "가" <= r.text[t.start - 1] <= "힣"
        ):
            pass  # a syllable of a word Kiwi read as a numeral: the 일 of "네일"
        elif t.tag in ("SN", "NR") or (t.tag == "NNG" and t.form in ("만", "천", "백")):
            parts, j = _number_run(toks, i)
            value = number_value(parts)
            if value is None:
                i = j
                continue
            unit, scale = j, 1.0
            # A range names its unit once: "40~60%", "2~3만원", "12월 5~14일".
            if (
                j + 1 < len(toks)
                and toks[j].form in ("~", "-")
                and toks[j + 1].tag in ("SN", "NR")
                and toks[j + 1].start - toks[j].end <= 1
            ):
                second, unit = _number_run(toks, j + 1)
                scale = _range_scale(parts, second)
            i, month = _unit(r, i, j, unit, value * scale, parts, month)
            continue
        i += 1


def _range_scale(first: list[str], second: list[str]) -> float:
    """What the first number of "2~3만원" is counted in: the 만 of the second, when it has none of its own."""
    if len(second) == 2 and all(re.fullmatch(r"[\d,.]+", p) for p in first + second[:1]):
        whole = number_value(second)
        if whole is not None:
            return whole / float(second[0].replace(",", ""))
    return 1.0


def _unit(r: _Reader, i: int, j: int, unit: int, value: float, parts: list[str], month: int | None) -> tuple[int, int | None]:
    """The fact of the number at tokens ``i``..``j``-1, told by its unit (token ``unit``); the next index and month.

    ``unit`` is ``j`` for a number and its unit ("3만원"), or the unit after the range's second
    number ("2~3만원"), in which case the fact spans only the number.
    """
    toks = r.tokens
    last = j if unit == j else j - 1  # the fact's last token
    after = unit + 1 if unit == j else j  # where reading goes on
    nxt = toks[unit] if unit < len(toks) else None
    if nxt is None or not (nxt.form == "원" and nxt.tag in ("NNB", "NNG")):
        eok = _eok_amount(toks, j, parts, value)
        if eok is not None:
            r.add("amount", round(eok), won_text(eok), i, j - 1)
            return j, month
    if nxt is None:
        return j, month
    if nxt.form == "원" and nxt.tag in ("NNB", "NNG"):
        r.add("amount", round(value), won_text(value), i, last)
        return after, month
    if unit == j and r.text.startswith(_SLANG_MAN, toks[j - 1].end):
        # "25마넌": Kiwi reads the slang as a word ("마넌") or as a verb ("말" + "넌")
        end = next(k for k in range(j, len(toks)) if toks[k].end >= toks[j - 1].end + 2)
        r.add("amount", round(value * 10_000), won_text(value * 10_000), i, end)
        return end + 1, month
    if nxt.form in _PERCENT_UNITS and value <= 100:
        exact = int(value) if value == int(value) else value  # "12.5%" stays 12.5
        r.add("percent", exact, f"{exact:g}%", i, last)
        return after, month
    if unit == j and nxt.form == "월" and 1 <= value <= 12 and j + 1 < len(toks) and toks[j + 1].tag == "SN":
        # "12월 24일", or "12월 5~14일" whose days the next numbers read
        if j + 2 < len(toks) and toks[j + 2].form == "일" and toks[j + 1].form.isdigit() and 1 <= int(toks[j + 1].form) <= 31:
            day = int(toks[j + 1].form)
            r.add("date", (int(value), day), f"{int(value)}월 {day}일", i, j + 2)
            return j + 3, int(value)
        return j + 1, int(value)
    if nxt.form == "일" and month is not None and 1 <= value <= 31 and value == int(value) and not _duration(toks, unit):
        r.add("date", (month, int(value)), f"{month}월 {int(value)}일", i, last)
        return after, month
    if nxt.form == "시" and nxt.tag == "NNB" and value < 25 and value == int(value):
        if unit == j:
            return _clock(r, i, j, int(value)), month
        if not _duration(toks, unit):
            r.add("time", (int(value) % 12, 0), r.text[toks[i].start : toks[j - 1].end], i, j - 1)
        return j, month
    if unit == j and nxt.form in _COUNT_UNITS and nxt.start == toks[j - 1].end:
        exact = int(value) if value == int(value) else value
        r.add("count", (exact, nxt.form), f"{exact:g}{nxt.form}", i, j)
        return j + 1, month
    return j, month


def _eok_amount(toks: tuple[Morph, ...], j: int, parts: list[str], value: float) -> float | None:
    """An amount in 억 written without 원 ("전세 2억 3천": 230,000,000원), or None.

    Owners leave 원 off prices this large, and what follows 억 is counted in 만 ("2억 3천" is 2억 3천만).
    """
    if not any("억" in p for p in parts) or any("원" in p for p in parts):
        return None
    if j < len(toks) and toks[j].start == toks[j - 1].end and toks[j].tag in ("NNB", "NNG", "SL"):
        return None  # "1억개", "1억뷰": a count
    eok = value // 100_000_000 * 100_000_000
    rest = value - eok
    return eok + rest * 10_000 if 0 < rest < 10_000 else value


def _is_date(toks: tuple[Morph, ...], i: int, m: re.Match[str]) -> bool:
    month, day = int(m["month"]), int(m["day"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if toks[i].tag == "W_SERIAL":
        if m["year"] is None and "-" in toks[i].form:
            return False  # "3-4": no date without its year
        fraction = "/" in toks[i].form and month < day <= 4 and nxt is not None and nxt.form in _FRACTION_OF
        return not fraction
    # "12.24" as SN is a date only next to a range mark or a weekday, not in "1.5kg" or "1.2만원".
    prev = toks[i - 1] if i > 0 else None
    return (nxt is not None and (nxt.form in ("~", "-", "부터", "까지", "(") or nxt.tag == "SSO" or nxt.form in _WEEKDAYS)) or (
        prev is not None and prev.form in ("~", "-")
    )


def _duration(toks: tuple[Morph, ...], j: int) -> bool:
    nxt = toks[j + 1].form if j + 1 < len(toks) else ""
    return nxt in ("간", "동안", "치", "권")


def _clock(r: _Reader, i: int, j: int, hour: int) -> int:
    """A time of day from "오후 3시 반", "11시 30분"; returns the next token index."""
    toks = r.tokens
    first, last = i, j
    if i > 0 and toks[i - 1].form in _PERIODS:
        first = i - 1
        if _PERIODS[toks[i - 1].form] and hour < 12:
            hour += 12
    minute = 0
    k = j + 1
    if k + 1 < len(toks) and toks[k].tag == "SN" and toks[k + 1].form == "분":
        minute, last, k = int(toks[k].form), k + 1, k + 2
    elif k < len(toks) and toks[k].form == "반" and toks[k].start - toks[j].end <= 1 and not _glued_noun(toks, k):
        minute, last, k = 30, k, k + 1
    if k < len(toks) and toks[k].form in ("간",):
        return k  # "3시간" is a duration
    shown = r.text[toks[first].start : toks[last].end]
    r.add("time", (hour % 12, minute), shown, first, last)
    return k


def _glued_noun(toks: tuple[Morph, ...], k: int) -> bool:
    """Whether a noun is glued to token ``k``: the 반 of "7시 반값" is half the price, not half past."""
    return k + 1 < len(toks) and toks[k + 1].start == toks[k].end and toks[k + 1].noun


def _items(r: _Reader) -> None:
    """The item each price is for: the word just before the amount ("딸기라떼 5,500원"), past its count."""
    toks = r.tokens
    for fact in [f for f in r.facts if f.kind == "amount"]:
        k = next(i for i, t in enumerate(toks) if t.start == fact.start) - 1
        while k >= 0 and _is_count(toks, k):
            k -= 1
        last = k
        # The word just before (glued morphemes: "딸기라떼", "운동화세탁"), not the whole noun phrase.
        while k >= 0 and toks[k].noun and toks[k].form not in _NOT_ITEMS:
            if k < last and toks[k + 1].start > toks[k].end:
                break
            k -= 1
        if last > k:
            shown = r.text[toks[k + 1].start : toks[last].end]
            r.facts.append(Fact("item", squash(shown), shown, toks[k + 1].start, toks[last].end))


def _is_count(toks: tuple[Morph, ...], k: int) -> bool:
    """Whether token ``k`` counts what a price is for: "한 잔", "2개", "100g", "12pc", "개당", "1인당"."""
    t = toks[k]
    if t.form == "원":
        return False
    if t.tag in ("SN", "NR", "MM"):
        return True
    if t.tag == "XSN" and t.form == "당":
        return True
    glued_to_number = k > 0 and toks[k - 1].tag in ("SN", "NR", "MM") and (toks[k - 1].end == t.start or toks[k - 1].tag == "MM")
    return (glued_to_number and t.tag in ("NNB", "NNG", "SL")) or t.form in _COUNTERS


def squash(text: str) -> str:
    """Text compared without spaces and punctuation: "딸기 라떼" keeps "딸기라떼"."""
    return re.sub(r"[\s\W_]+", "", text).lower()


def compare(source: str, copy_text: str, *, source_facts: Iterable[Fact] | None = None) -> Report:
    """Which of ``source``'s facts ``copy_text`` lost, and which it added."""
    said = list(source_facts) if source_facts is not None else read(source)
    written = read(copy_text)
    flat = squash(copy_text)
    missing = []
    for f in said:
        if f.kind == "item":
            if f.key not in flat:
                missing.append(f)
        elif f.kind == "count":
            if not any(_same(f, w) for w in written) and squash(f.text) not in flat:
                missing.append(f)
        elif f.kind == "contact" and str(f.key).startswith("kakao:"):
            if str(f.key)[6:] not in flat:
                missing.append(f)
        elif not any(_same(f, w) for w in written):
            missing.append(f)
    said_flat = squash(source)
    # A count is changed when the copy has one in a unit the owner counted in, at a value the owner did not
    # write ("3회 무료" for "2회 무료"); a count in a unit the owner never used is wording ("1잔" for "한 잔").
    counted = {s.key[1] for s in said if s.kind == "count"}  # type: ignore[index]
    invented = [
        f
        for f in written
        if (f.kind in INVENTABLE or (f.kind == "count" and f.key[1] in counted and squash(f.text) not in said_flat))  # type: ignore[index]
        and not any(_same(f, s) for s in said)
        and not (f.kind == "contact" and (str(f.key).startswith("kakao:") and str(f.key)[6:] in said_flat))
    ]
    return Report(tuple(_unique(missing)), tuple(_unique(invented)))


def _same(a: Fact, b: Fact) -> bool:
    """Whether two facts state the same thing: equal keys, and times in the same half of the day when both say which."""
    if (a.kind, a.key) != (b.kind, b.key):
        return False
    if a.kind == "time":
        half_a, half_b = _half_day(a.text), _half_day(b.text)
        return half_a is None or half_b is None or half_a == half_b
    return True


def _half_day(shown: str) -> str | None:
    """ "am" or "pm" when a time says which ("오전 3시", "15:00"), None when it leaves it to the reader ("3시")."""
    period = next((p for p in _PERIODS if shown.startswith(p)), None)
    if period is not None:
        if period in ("밤", "새벽") and re.search(r"(?<!\d)12\s*시", shown):
            return "am"  # "밤 12시" is midnight, 00:00
        return "pm" if _PERIODS[period] else "am"
    if (m := _CLOCK_RE.fullmatch(shown)) is not None and (int(m[1]) >= 12 or m[1].startswith("0")):
        return "pm" if int(m[1]) >= 12 else "am"  # "15:00", "09:30"; "3:00" leaves it open
    return None


def _unique(facts: list[Fact]) -> list[Fact]:
    seen: set[tuple[str, object]] = set()
    out = []
    for f in facts:
        if (f.kind, f.key) not in seen:
            seen.add((f.kind, f.key))
            out.append(f)
    return out
