"""Korean morphology for the copywriters: one Kiwi analyser per process, and what we read with it.

``kiwipiepy`` splits a sentence into morphemes with their tags and character offsets: nouns
(NNG/NNP), numbers (SN digits, NR Korean numerals), units (NNB 원/월/일/시), particles (J*),
endings (E*) and the web tokens owners type (W_SERIAL phone numbers, W_MENTION @handles, W_URL,
W_EMAIL). The copywriters never split Korean words themselves.

The analyser takes about 3 s and 0.5 GB to load (measured in ``benchmarks/copy_truth.py``), so it
is built once, lazily, under a lock; ``warm_up()`` builds it in a background thread at start-up so
the first request does not wait for it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

log = logging.getLogger(__name__)

_lock = threading.Lock()
_kiwi: Kiwi | None = None
LOAD_SECONDS: float | None = None  # how long the last load took, for the start-up log and benchmarks


def kiwi() -> Kiwi:
    """The process's analyser, loaded on first use."""
    global _kiwi, LOAD_SECONDS
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                started = time.perf_counter()
                analyser = Kiwi()
                analyser.tokenize("준비")  # the first call builds lazy tables
                LOAD_SECONDS = time.perf_counter() - started
                log.info("Korean analyser (kiwipiepy) loaded in %.1f s", LOAD_SECONDS)
                _kiwi = analyser
    return _kiwi


def warm_up() -> threading.Thread | None:
    """Load the analyser off the request path; returns the (daemon) thread doing it, None when loaded."""
    if _kiwi is not None:
        return None
    thread = threading.Thread(target=kiwi, name="kiwi-warm-up", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class Morph:
    """One morpheme: its form, Kiwi's tag and where it stands in the analysed text."""

    form: str
    tag: str
    start: int
    end: int

    @property
    def noun(self) -> bool:
        return self.tag in ("NNG", "NNP") or (self.tag == "SL" and self.form.isalpha())


@lru_cache(maxsize=512)
def morphs(text: str) -> tuple[Morph, ...]:
    """``text`` as morphemes, in order (cached: the same sentence is read by several steps)."""
    return tuple(Morph(t.form, t.tag, t.start, t.start + t.len) for t in kiwi().tokenize(text))


# --- numbers ---------------------------------------------------------------------------------

_DIGITS: Final = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9, "영": 0, "공": 0}
_SMALL: Final = {"십": 10, "백": 100, "천": 1000}
_LARGE: Final = {"만": 10_000, "억": 100_000_000, "조": 1_000_000_000_000}


def number_value(parts: Sequence[str]) -> float | None:
    """The value of a number written in pieces: ["1", "만", "2", "천"] → 12000, ["3", "천만"] → 3e7.

    Digits ("1.2", "25,000") and Korean numerals ("칠천", "백만") mix as owners write them.
    None when a piece is not a number.
    """
    total = section = 0.0
    current: float | None = None
    for part in parts:
        if re.fullmatch(r"\d+(?:,\d{3})*(?:\.\d+)?", part):
            current = float(part.replace(",", ""))
            continue
        for ch in part:
            if ch in _DIGITS:
                current = float(_DIGITS[ch])
            elif ch in _SMALL:
                section += (current if current is not None else 1) * _SMALL[ch]
                current = None
            elif ch in _LARGE:
                total += (section + (current or 0) or 1) * _LARGE[ch]
                section, current = 0.0, None
            else:
                return None
    return total + section + (current or 0)


def won_text(value: float) -> str:
    """An amount as copy writes it: 12,000원; from ten million in 만 units as Korean ads do (3,000만원, 1억 2,000만원)."""
    won = round(value)
    if won < 10_000_000 or won % 10_000:
        return f"{won:,}원"
    eok, man = divmod(won // 10_000, 10_000)
    if not eok:
        return f"{man:,}만원"
    return f"{eok:,}억원" if not man else f"{eok:,}억 {man:,}만원"


# --- tone ------------------------------------------------------------------------------------

_POLITE_EF_RE: Final = re.compile(r"(요|니다|니까|세요|시오|세여)$")


def _endings(text: str) -> list[str]:
    return [t.form for t in morphs(text) if t.tag == "EF"]


def is_polite(text: str) -> bool:
    """Whether any sentence of ``text`` ends in 존댓말 (…요, …니다)."""
    return any(_POLITE_EF_RE.search(e) for e in _endings(text))


def is_casual(text: str) -> bool:
    """Whether any sentence of ``text`` ends in 반말 (…해, …자, …야): a verb ending without 요/니다."""
    return any(not _POLITE_EF_RE.search(e) and e not in ("다", "ㄴ다", "는다", "까") for e in _endings(text))
