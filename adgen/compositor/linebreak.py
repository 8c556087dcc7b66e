"""Line breaking for Korean ad copy.

Korean breaks between words (어절, the space-separated units); a word is only cut between
syllables when it alone is wider than the line. No line may start with closing punctuation, and
lines are balanced (as even as the line count allows) because a designed headline never leaves
one syllable dangling under a full line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

Measure = Callable[[str], float]

CLOSING_PUNCTUATION: Final = frozenset(")]}>,.!?:;%…'\"’”」』】〉》〕、。，．！？：；")
OPENING_PUNCTUATION: Final = frozenset("([{<‘“「『【〈《〔")


@dataclass(frozen=True)
class _Unit:
    """An unbreakable piece of a line and what joins it to the piece before it on the same line."""

    text: str
    glue: str


def _line_text(units: list[_Unit]) -> str:
    return units[0].text + "".join(u.glue + u.text for u in units[1:])


def _words(paragraph: str, separator: str) -> list[str]:
    """Space-separated words, with stray punctuation glued on so it never starts or ends a line alone."""
    words: list[str] = []
    pending_opening = ""
    for word in paragraph.split():
        if pending_opening:
            word, pending_opening = pending_opening + separator + word, ""
        if words and word[0] in CLOSING_PUNCTUATION:
            words[-1] = words[-1] + separator + word
        elif all(c in OPENING_PUNCTUATION for c in word):
            pending_opening = word
        else:
            words.append(word)
    if pending_opening:
        if words:
            words[-1] = words[-1] + separator + pending_opening
        else:
            words.append(pending_opening)
    return words


def words_fit(text: str, max_width: float, measure: Measure, *, separator: str = " ") -> bool:
    """Whether every word fits on a line whole: if not, ``wrap`` would have to cut one."""
    return all(measure(word) <= max_width for paragraph in text.split("\n") for word in _words(paragraph, separator))


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


def _greedy(units: list[_Unit], max_width: float, measure: Measure) -> list[list[_Unit]]:
    lines: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if current and measure(_line_text([*current, unit])) > max_width:
            lines.append(current)
            current = [unit]
        else:
            current.append(unit)
    if current:
        lines.append(current)
    return lines


def wrap(text: str, max_width: float, measure: Measure, *, separator: str = " ") -> list[str]:
    """Lines of ``text`` no wider than ``max_width`` where possible, as few and as even as possible.

    A line can only be wider than ``max_width`` when a single character is (the caller checks
    widths and picks a smaller size). ``separator`` is what stands between words on a line.
    """
    cache: dict[str, float] = {}

    def cached(s: str) -> float:
        if s not in cache:
            cache[s] = measure(s)
        return cache[s]

    lines: list[str] = []
    for paragraph in text.split("\n"):
        units: list[_Unit] = []
        for word in _words(paragraph, separator):
            pieces = [word] if cached(word) <= max_width else _split_word(word, max_width, cached)
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
