"""The one fact reader: what an owner's sentence states, and whether an ad still states it.

Both copywriters and the copy benchmark use it. ``read(text)`` finds, with the Korean analyser,
every amount of money (in any written form: 12,000원, 1만2천원, 1.2만원, 만 원, 칠천원, 3천만원),
percent, date, time of day and contact (phone, @handle, URL, e-mail, Kakao channel), and the item
each price is for. ``compare(source, copy)`` says which of the source's facts the copy lost and
which amounts, percents, dates, times or contacts it added: a copy is true to its source when
both lists are empty. Facts are compared by value, so "12,000원" in the copy keeps "1만2천원" of
the sentence, and "오후 3시" keeps "15:00".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from adgen.copywriter.korean import Morph, morphs, number_value, won_text

Kind = Literal["amount", "percent", "date", "time", "contact", "item"]
KINDS: Final[tuple[Kind, ...]] = ("amount", "percent", "date", "time", "contact", "item")
# Kinds a copy must never add: a number or a contact the owner did not write is invented.
INVENTABLE: Final[frozenset[Kind]] = frozenset({"amount", "percent", "date", "time", "contact"})

_PERIODS: Final = {"오전": 0, "아침": 0, "새벽": 0, "오후": 12, "저녁": 12, "밤": 12, "낮": 12, "점심": 12}
_PERCENT_UNITS: Final = ("%", "퍼센트", "프로", "퍼")
_SLANG_MAN: Final = ("마넌", "만냥")  # "25마넌": 25만 원
_PHONE_RE: Final = re.compile(r"(?<![\d-])(0\d{1,3}|1[5-9]\d{2})[-. )]?(\d{3,4})(?:[-. ]?(\d{4}))?(?![\d-])")
_DATE_SERIAL_RE: Final = re.compile(r"(\d{1,2})[/.](\d{1,2})\.?")
_CLOCK_RE: Final = re.compile(r"(\d{1,2}):(\d{2})")
_DOMAIN_RE: Final = re.compile(
    r"(?:https?://\S+|(?<![\w@.])(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|kr|co|me|io|shop|store|org|link|page|ly)(?:/[\w./?=&%-]*)?)", re.I
)
_KAKAO_WORDS: Final = ("카카오톡", "카톡", "카카오", "플친", "플러스친구", "오픈채팅", "채널")
# Counted things between an item and its price: "아메리카노 한 잔 4,500원", "빵 2개 5천원".
_COUNT_TAGS: Final = ("SN", "NR", "MM", "NNB")


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
    reader = _Reader(text, morphs(text))
    _contacts(reader)
    _numbers(reader)
    _items(reader)
    return sorted(reader.facts, key=lambda f: (f.start, f.kind))


def _contacts(r: _Reader) -> None:
    toks = r.tokens
    for i, t in enumerate(toks):
        if i in r.used:
            continue
        if t.tag == "W_MENTION":
            r.add("contact", t.form.lower(), t.form, i, i)
        elif t.tag == "W_EMAIL":
            r.add("contact", t.form.lower(), t.form, i, i)
        elif t.tag == "SW" and t.form == "@" and i + 1 < len(toks) and toks[i + 1].start == t.end:
            # "@모리": a Korean handle Kiwi splits in two
            r.add("contact", "@" + toks[i + 1].form.lower(), t.form + toks[i + 1].form, i, i + 1)
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
        span = [i for i, t in enumerate(toks) if t.start < m.end() and t.end > m.start()]
        if span and not (set(span) & r.used):
            r.add("contact", _url_key(m.group(0)), m.group(0), span[0], span[-1])
    for m in _PHONE_RE.finditer(r.text):
        digits = "".join(g for g in m.groups() if g)
        if len(digits) < 8 or (m.group(3) is None and not m.group(1).startswith("1")):
            continue  # "010 1234" is no number; "1588-1234" is
        span = [i for i, t in enumerate(toks) if t.start < m.end() and t.end > m.start()]
        if span and not (set(span) & r.used):
            r.add("contact", "tel:" + digits, m.group(0), span[0], span[-1])


def _kakao_name(toks: tuple[Morph, ...], i: int) -> tuple[int, int] | None:
    """The channel name after "카카오톡 채널", "카톡": a run of nouns or a quoted name."""
    j = i + 1
    while j < len(toks) and toks[j].form in _KAKAO_WORDS + ("아이디", "ID", "id") or (j < len(toks) and toks[j].tag in ("SSO", "SP")):
        j += 1
    first = j
    while j < len(toks) and (toks[j].noun or toks[j].tag in ("SN", "SH")) and toks[j].form not in ("문의", "상담", "예약", "주문"):
        if j > first and toks[j].start > toks[j - 1].end:
            break  # a space ends the name: "카톡 모리꽃집 문의"
        j += 1
    return (first, j - 1) if j > first else None


def _url_key(url: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower()).rstrip("/")


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
            month = int(m[1])
            r.add("date", (month, int(m[2])), f"{int(m[1])}월 {int(m[2])}일", i, i)
        elif t.tag in ("SN", "NR") or (t.tag == "NNG" and t.form in ("만", "천", "백")):
            j = i
            parts = []
            while j < len(toks) and toks[j].tag in ("SN", "NR") and (j == i or toks[j].start - toks[j - 1].end <= 1):
                parts.append(toks[j].form)
                j += 1
            if not parts:
                parts, j = [t.form], i + 1
            nxt = toks[j] if j < len(toks) else None
            value = number_value(parts)
            if value is None or nxt is None:
                i = max(j, i + 1)
                continue
            if nxt.form == "원" and nxt.tag in ("NNB", "NNG"):
                r.add("amount", round(value), won_text(value), i, j)
                i = j + 1
                continue
            if nxt.form in _SLANG_MAN:
                r.add("amount", round(value * 10_000), won_text(value * 10_000), i, j)
                i = j + 1
                continue
            if nxt.form in _PERCENT_UNITS and value <= 100:
                r.add("percent", round(value), f"{round(value)}%", i, j)
                i = j + 1
                continue
            if nxt.form == "월" and 1 <= value <= 12 and j + 2 < len(toks) and toks[j + 1].tag == "SN" and toks[j + 2].form == "일":
                month = int(value)
                r.add("date", (month, int(toks[j + 1].form)), f"{month}월 {int(toks[j + 1].form)}일", i, j + 2)
                i = j + 3
                continue
            if nxt.form == "일" and month is not None and 1 <= value <= 31 and not _duration(toks, j):
                r.add("date", (month, int(value)), f"{month}월 {int(value)}일", i, j)
                i = j + 1
                continue
            if nxt.form == "시" and nxt.tag == "NNB" and value < 25:
                i = _clock(r, i, j, int(value))
                continue
            i = max(j, i + 1)
            continue
        i += 1


def _is_date(toks: tuple[Morph, ...], i: int, m: re.Match[str]) -> bool:
    month, day = int(m[1]), int(m[2])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    if toks[i].tag == "W_SERIAL":
        return "/" in toks[i].form or "." in toks[i].form
    # "12.24" as SN is a date only next to a range mark or a weekday, not in "1.5kg" or "1.2만원".
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    prev = toks[i - 1] if i > 0 else None
    return (nxt is not None and (nxt.form in ("~", "-", "부터", "까지", "(") or nxt.tag == "SSO")) or (prev is not None and prev.form in ("~", "-"))


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
    elif k < len(toks) and toks[k].form == "반" and toks[k].start - toks[j].end <= 1:
        minute, last, k = 30, k, k + 1
    if k < len(toks) and toks[k].form in ("간",):
        return k  # "3시간" is a duration
    shown = r.text[toks[first].start : toks[last].end]
    r.add("time", (hour % 12, minute), shown, first, last)
    return k


def _items(r: _Reader) -> None:
    """The item each price is for: the run of nouns just before the amount ("딸기라떼 5,500원")."""
    toks = r.tokens
    for fact in [f for f in r.facts if f.kind == "amount"]:
        k = next(i for i, t in enumerate(toks) if t.start == fact.start) - 1
        while k >= 0 and (toks[k].tag in _COUNT_TAGS or toks[k].form in ("잔", "개", "인분", "세트")) and toks[k].form != "원":
            k -= 1
        last = k
        # The word just before (glued morphemes: "딸기라떼", "운동화세탁"), not the whole noun phrase.
        while k >= 0 and toks[k].noun and toks[k].form not in ("가격", "정가", "할인가", "원래", "월", "이상", "이하"):
            if k < last and toks[k + 1].start > toks[k].end:
                break
            k -= 1
        if last > k:
            shown = r.text[toks[k + 1].start : toks[last].end]
            r.facts.append(Fact("item", squash(shown), shown, toks[k + 1].start, toks[last].end))


def squash(text: str) -> str:
    """Text compared without spaces and punctuation: "딸기 라떼" keeps "딸기라떼"."""
    return re.sub(r"[\s\W_]+", "", text).lower()


def compare(source: str, copy_text: str, *, source_facts: Iterable[Fact] | None = None) -> Report:
    """Which of ``source``'s facts ``copy_text`` lost, and which it added."""
    said = list(source_facts) if source_facts is not None else read(source)
    written = read(copy_text)
    flat = squash(copy_text)
    have = {(f.kind, f.key) for f in written}
    missing = []
    for f in said:
        if f.kind == "item":
            if f.key not in flat:
                missing.append(f)
        elif f.kind == "contact" and str(f.key).startswith("kakao:"):
            if str(f.key)[6:] not in flat:
                missing.append(f)
        elif (f.kind, f.key) not in have:
            missing.append(f)
    known = {(f.kind, f.key) for f in said}
    said_flat = squash(source)
    invented = [
        f
        for f in written
        if f.kind in INVENTABLE
        and (f.kind, f.key) not in known
        and not (f.kind == "contact" and (str(f.key).startswith("kakao:") and str(f.key)[6:] in said_flat))
    ]
    return Report(tuple(_unique(missing)), tuple(_unique(invented)))


def _unique(facts: list[Fact]) -> list[Fact]:
    seen: set[tuple[str, object]] = set()
    out = []
    for f in facts:
        if (f.kind, f.key) not in seen:
            seen.add((f.kind, f.key))
            out.append(f)
    return out
