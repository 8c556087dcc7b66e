"""Fonts for the overlay: a chain per text role, with per-character fallback.

Pillow draws a missing glyph as the font's ``.notdef`` box ("tofu") without complaint, so every
character is checked against the font before it is drawn: through the font's cmap when fontTools
is installed, otherwise by rendering it and comparing the mask with the ``.notdef`` mask. A
character no font in the chain has (an emoji, say) is dropped from what is drawn and logged.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from PIL import ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONTS_DIR: Final = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FALLBACK_FONT: Final = FONTS_DIR / "NanumGothic.ttf"

# A noncharacter: no font maps it, so rendering it shows exactly what the font draws for a gap.
_NOTDEF_PROBE: Final = "\U0010ffff"
_PROBE_SIZE: Final = 40

try:  # optional: the cmap answers exactly and without rendering
    from fontTools.ttLib import TTFont as _TTFont
except ImportError:  # pragma: no cover - depends on the environment
    _TTFont = None


@lru_cache(maxsize=512)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: precomposed Hangul needs no shaping, and results must not depend on whether
    # this machine's Pillow was built with libraqm.
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=16)
def _cmap(path: Path) -> frozenset[int] | None:
    if _TTFont is None:
        return None
    with _TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@lru_cache(maxsize=16)
def _notdef_mask(path: Path) -> tuple[tuple[int, int], bytes]:
    mask = load_font(path, _PROBE_SIZE).getmask(_NOTDEF_PROBE)
    return mask.size, bytes(mask)


@lru_cache(maxsize=65536)
def covers_by_mask(path: Path, char: str) -> bool:
    """Whether ``path`` draws ``char`` as something other than its ``.notdef`` box."""
    mask = load_font(path, _PROBE_SIZE).getmask(char)
    return (mask.size, bytes(mask)) != _notdef_mask(path)


def has_glyph(path: Path, char: str) -> bool:
    cmap = _cmap(path)
    if cmap is not None:
        return ord(char) in cmap
    return covers_by_mask(path, char)


@dataclass(frozen=True)
class FontChain:
    """The fonts one role is drawn with: the first one that has a character draws it."""

    paths: tuple[Path, ...]
    # Extra space after every character, in ems. Display type is set tighter than text: large
    # Hangul at the font's default spacing looks loose.
    tracking: float = 0.0

    def font_index(self, char: str) -> int | None:
        if char == " ":
            return 0
        for i, path in enumerate(self.paths):
            if has_glyph(path, char):
                return i
        return None

    def font(self, size: int, index: int = 0) -> ImageFont.FreeTypeFont:
        return load_font(self.paths[index], size)

    def runs(self, text: str) -> list[tuple[str, int]]:
        """``text`` cut into pieces that one font draws; characters no font has must be gone already."""
        out: list[tuple[str, int]] = []
        for char in text:
            index = self.font_index(char)
            if index is None:
                raise ValueError(f"no font in the chain draws {char!r}; sanitize the text first")
            if out and out[-1][1] == index:
                out[-1] = (out[-1][0] + char, index)
            else:
                out.append((char, index))
        return out

    def width(self, text: str, size: int) -> float:
        return _width(self, text, size)

    def metrics(self, size: int) -> tuple[int, int]:
        """(ascent, descent) of the primary font: every line of a role uses the same rhythm."""
        return self.font(size).getmetrics()

    def ink_extent(self, text: str, size: int) -> tuple[float, float]:
        """Top and bottom of the drawn glyphs relative to the baseline (negative = above)."""
        top, bottom = 0.0, 0.0
        for run, index in self.runs(text):
            box = self.font(size, index).getbbox(run, anchor="ls")
            top, bottom = min(top, box[1]), max(bottom, box[3])
        return top, bottom

    def draw(self, draw: ImageDraw.ImageDraw, x: float, baseline: float, text: str, size: int, fill: int | tuple[int, ...]) -> None:
        extra = self.tracking * size
        for run, index in self.runs(text):
            font = self.font(size, index)
            if not extra:
                draw.text((x, baseline), run, font=font, fill=fill, anchor="ls")
                x += font.getlength(run)
                continue
            for char in run:
                draw.text((x, baseline), char, font=font, fill=fill, anchor="ls")
                x += font.getlength(char) + extra


@lru_cache(maxsize=32768)
def _width(chain: FontChain, text: str, size: int) -> float:
    if not chain.tracking:
        return sum(chain.font(size, index).getlength(run) for run, index in chain.runs(text))
    # As drawn: character by character, the tracking after each but the last.
    advances = sum(chain.font(size, index).getlength(char) for run, index in chain.runs(text) for char in run)
    return advances + chain.tracking * size * max(0, len(text) - 1)


def sanitize(text: str, chain: FontChain) -> tuple[str, list[str]]:
    """The text as it can be drawn, and the characters dropped because no font in the chain has them.

    Line breaks are kept (the copy may ask for one), other whitespace becomes a single space, and
    format characters (zero-width joiners, emoji variation selectors) go with the emoji they join.
    """
    kept: list[str] = []
    dropped: list[str] = []
    for char in text:
        if char == "\n":
            kept.append(char)
        elif char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            dropped.append(char)
        elif chain.font_index(char) is None:
            dropped.append(char)
        else:
            kept.append(char)
    lines = [" ".join(line.split()) for line in "".join(kept).split("\n")]
    return "\n".join(line for line in lines if line), dropped
