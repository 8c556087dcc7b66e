"""Line breaking for Korean ad copy.

Korean breaks between words (어절, the space-separated units); a word is only cut between
syllables when it alone is wider than the line. No line may start with closing punctuation, and
lines are balanced (as even as the line count allows) because a designed headline never leaves
one syllable dangling under a full line.

A contact line ("☎ 010-1234-5678 · @cafe_mori · 성수동 2가 123") is wrapped by *phrases*: it breaks
after a separator (``·``, ``|``, ``,`` ...) wherever a whole phrase fits, a separator never starts
a line, and a symbol (``☎``) never ends one, away from the number it labels.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

Measure = Callable[[str], float]

CLOSING_PUNCTUATION: Final = frozenset(")]}>,.!?:;%…'\"’”」』】〉》〕、。，．！？：；")
OPENING_PUNCTUATION: Final = frozenset("([{<‘“「『【〈《〔")
# What owners put between the items of a contact line ("ㆍ" is the middle dot Korean keyboards type).
# Not dashes: "10:00 - 22:00" is one item.
PHRASE_SEPARATORS: Final = frozenset(",·•∙‧ㆍ|/")


@dataclass(frozen=True)
class _Unit:
    """An unbreakable piece of a line and what joins it to the piece before it on the same line."""

    text: str
    glue: str


def _line_text(units: list[_Unit]) -> str:
    return units[0].text + "".join(u.glue + u.text for u in units[1:])


def _words(paragraph: str, separator: str, *, phrases: bool = False) -> list[str]:
    """Space-separated words, with stray punctuation glued on so it never starts or ends a line alone.

    With ``phrases``, a lone separator ("·") goes with the word before it and a lone symbol ("☎")
    with the word after it, like punctuation.
    """
    words: list[str] = []
    pending_opening = ""
    for word in paragraph.split():
        if pending_opening:
            word, pending_opening = pending_opening + separator + word, ""
        if words and (word[0] in CLOSING_PUNCTUATION or (phrases and set(word) <= PHRASE_SEPARATORS)):
            words[-1] = words[-1] + separator + word
        elif all(c in OPENING_PUNCTUATION or (phrases and unicodedata.category(c) == "So") for c in word):
            pending_opening = word
        else:
            words.append(word)
    if pending_opening:
        if words:
            words[-1] = words[-1] + separator + pending_opening
        else:
            words.append(pending_opening)
    return words


def _phrases(words: list[str]) -> list[list[str]]:
    """Words grouped into the items of a contact line: an item ends with a word ending in a separator."""
    phrases: list[list[str]] = [[]]
    for word in words:
        phrases[-1].append(word)
        if word[-1] in PHRASE_SEPARATORS:
            phrases.append([])
    return [p for p in phrases if p]


def words_fit(text: str, max_width: float, measure: Measure, *, separator: str = " ", phrases: bool = False) -> bool:
    """Whether every word fits on a line whole: if not, ``wrap`` would have to cut one."""
    return all(measure(word) <= max_width for paragraph in text.split("\n") for word in _words(paragraph, separator, phrases=phrases))


def _split_word(word: str, max_width: float, measure: Measure) -> list[str]:
    """Cut a word that is wider than the line between syllables, keeping punctuation with its neighbour."""
    chunks: list[str] = []
    current = ""
    for char in word:
        if current and measure(current + char) > max_width:
            chunks.append(current)
            current = char
        else:
            current += char
    chunks.append(current)
    # A chunk may not start with closing punctuation nor end with opening punctuation: hand one
    # character across the cut instead (the line may then be too wide; the caller shrinks the font).
    for i in range(1, len(chunks)):
        prev, cur = chunks[i - 1], chunks[i]
        while cur and cur[0] in CLOSING_PUNCTUATION and len(prev) > 1:
            prev, cur = prev[:-1], prev[-1] + cur
        while prev and prev[-1] in OPENING_PUNCTUATION and len(prev) > 1:
            prev, cur = prev[:-1], prev[-1] + cur
        chunks[i - 1], chunks[i] = prev, cur
    return [c for c in chunks if c]


def _unglue(word: str, separator: str, max_width: float, measure: Measure) -> list[str]:
    """A contact's glued word ("☎ 010-1234-5678 ·") too wide for the line, parted at its spaces
    before the number itself is cut; a separator stays with the part before it where that fits."""
    parts: list[str] = []
    for part in word.split(separator):
        if parts and set(part) <= PHRASE_SEPARATORS and measure(parts[-1] + separator + part) <= max_width:
            parts[-1] += separator + part
        else:
            parts.append(part)
    return parts


def _greedy(units: list[_Unit], max_width: float, measure: Measure) -> list[list[_Unit]]:
    lines: list[list[_Unit]] = []
    current: list[_Unit] = []
    text = ""  # _line_text(current), grown as units join (rebuilding it per unit is quadratic)
    for unit in units:
        trial = text + unit.glue + unit.text if current else unit.text
        if current and measure(trial) > max_width:
            lines.append(current)
            current, text = [unit], unit.text
        else:
            current.append(unit)
            text = trial
    if current:
        lines.append(current)
    return lines


def wrap(text: str, max_width: float, measure: Measure, *, separator: str = " ", phrases: bool = False) -> list[str]:
    """Lines of ``text`` no wider than ``max_width`` where possible, as few and as even as possible.

    A line can only be wider than ``max_width`` when a single character is (the caller checks
    widths and picks a smaller size). ``separator`` is what stands between words on a line. With
    ``phrases`` (a contact line), a phrase that fits the line is never broken.
    """
    cache: dict[str, float] = {}

    def cached(s: str) -> float:
        if s not in cache:
            cache[s] = measure(s)
        return cache[s]

    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = _words(paragraph, separator, phrases=phrases)
        units: list[_Unit] = []
        for phrase in _phrases(words) if phrases else [[word] for word in words]:
            whole = separator.join(phrase)
            if len(phrase) > 1 and cached(whole) <= max_width:
                units.append(_Unit(whole, separator))
                continue
            for word in phrase:
                parts = _unglue(word, separator, max_width, cached) if phrases and cached(word) > max_width else [word]
                for part in parts:
                    pieces = [part] if cached(part) <= max_width else _split_word(part, max_width, cached)
                    units.extend(_Unit(piece, separator if j == 0 else "") for j, piece in enumerate(pieces))
        if not units:
            continue
        greedy = _greedy(units, max_width, cached)
        if len(greedy) > 1:
            greedy = _balance(units, greedy, max_width, cached)
        lines.extend(_line_text(line) for line in greedy)
    return lines


def _balance(units: list[_Unit], greedy: list[list[_Unit]], max_width: float, measure: Measure) -> list[list[_Unit]]:
    """The narrowest width that still needs no more lines than the greedy fill: even lines."""
    count = len(greedy)
    lo = max(measure(u.text) for u in units)
    hi = max_width
    best = greedy
    for _ in range(12):
        if hi - lo < 1.0:
            break
        mid = (lo + hi) / 2
        trial = _greedy(units, mid, measure)
        if len(trial) <= count:
            best, hi = trial, mid
        else:
            lo = mid
    return best
