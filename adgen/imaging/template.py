"""The offline image backend: designed ad backgrounds, no model, no GPU.

A background is built like a designer would build one in layers: a smooth gradient that is
lightest (or calmest) where the text goes, a soft glow, one hero shape (disc or arch) where the
product or a faint industry motif sits, soft blurred blobs and a few fine accents towards the
edges, and a film-grain dither so 8-bit gradients never show bands. Colours come from OKLCH
recipes (one per style) applied to an industry's hues, so every industry x style pair is
coherent without designing 77 palettes by hand; a colour the prompt asks for ("blue background",
from "배경을 파란색으로 바꿔줘") takes the industry's place.

Everything is drawn with numpy signed-distance shapes (anti-aliased and soft edges for free,
computed only inside each shape's bounding box), which keeps a 1 MP image well under 0.5 s.
A product photo is pasted last, only scaled, so its pixels are exactly the uploaded ones.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from PIL import Image, ImageFilter

from adgen.copywriter.image_prompt import colour_phrases, composition_of
from adgen.imaging.base import GeneratedImage, MonotonicProgress, ProgressCallback, check_request
from adgen.imaging.motifs import motif_mask
from adgen.imaging.palette import (
    MIN_TEXT_CONTRAST,
    NEAR_BLACK,
    NEAR_WHITE,
    RGB,
    Palette,
    contrast_ratio,
    is_dark,
    mix,
    oklab_to_srgb,
    oklch,
    readable_on,
    srgb_to_oklab,
)

log = logging.getLogger(__name__)

MODEL_NAME: Final = "template-v1"

Box = tuple[int, int, int, int]
RelBox = tuple[float, float, float, float]
LC = tuple[float, float]  # OKLCH lightness, chroma


@dataclass(frozen=True)
class IndustryLook:
    hue: float  # OKLCH hue of the industry's main colour
    accent_hue: float  # a complementary or contrasting hue for accents
    default_style: str


INDUSTRY_LOOKS: Final[dict[str, IndustryLook]] = {
    "cafe": IndustryLook(hue=58, accent_hue=150, default_style="warm"),  # caramel and coffee, sage accent
    "bakery": IndustryLook(hue=78, accent_hue=22, default_style="warm"),  # butter and wheat, strawberry accent
    "restaurant": IndustryLook(hue=38, accent_hue=92, default_style="vivid"),  # tomato, mustard accent
    "beauty": IndustryLook(hue=5, accent_hue=330, default_style="minimal"),  # blush rose, mauve
    "fitness": IndustryLook(hue=258, accent_hue=128, default_style="vivid"),  # electric blue, lime
    "fashion": IndustryLook(hue=300, accent_hue=55, default_style="modern"),  # violet, amber
    "academy": IndustryLook(hue=252, accent_hue=92, default_style="bright"),  # school blue, pencil yellow
    "flower": IndustryLook(hue=352, accent_hue=145, default_style="bright"),  # petal pink, leaf green
    "pet": IndustryLook(hue=72, accent_hue=232, default_style="bright"),  # sunny orange, sky blue
    "realestate": IndustryLook(hue=215, accent_hue=75, default_style="modern"),  # trustworthy teal-navy, gold
    "general": IndustryLook(hue=262, accent_hue=40, default_style="modern"),
}

# Names other parts of the product (or people) use for the same businesses.
INDUSTRY_ALIASES: Final[dict[str, str]] = {
    "retail": "fashion", "shop": "fashion", "clothing": "fashion", "food": "restaurant", "salon": "beauty",
    "gym": "fitness", "education": "academy", "florist": "flower", "real_estate": "realestate",
    "카페": "cafe", "베이커리": "bakery", "빵집": "bakery", "음식점": "restaurant", "식당": "restaurant",
    "뷰티": "beauty", "미용실": "beauty", "헬스": "fitness", "피트니스": "fitness", "옷가게": "fashion",
    "패션": "fashion", "학원": "academy", "꽃집": "flower", "반려동물": "pet", "펫": "pet", "부동산": "realestate",
}  # fmt: skip


@dataclass(frozen=True)
class StyleRecipe:
    calm: LC  # the colour behind the text, where the gradient starts
    deep: LC  # the far end of the gradient
    shape: LC  # hero disc/arch and blobs (main hue)
    shape_alt: LC  # second blob colour (accent hue)
    accent: LC  # CTA / fine accents (accent hue)
    text: LC  # preferred text colour (main hue)
    surface: LC  # the card under a product photo
    deep_hue_shift: float = 18.0  # analogous hue shift across the gradient: richer than one hue
    hue_pull: tuple[float, float] | None = None  # (target hue, amount): warm pulls to amber, natural to sage
    accent_hue: float | None = None  # a fixed accent hue (premium's gold) instead of the industry's
    busyness: float = 0.5  # 0..1: how many fine accents (dots, bands, rings)
    glow: float = 0.35  # strength of the soft light behind the text
    blob_hue_shift: float = 28.0  # the corner blobs' analogous hue, this far from the main one


STYLE_RECIPES: Final[dict[str, StyleRecipe]] = {
    "modern": StyleRecipe(
        calm=(0.965, 0.014), deep=(0.86, 0.055), shape=(0.80, 0.085), shape_alt=(0.88, 0.06),
        accent=(0.55, 0.16), text=(0.24, 0.04), surface=(0.995, 0.004), busyness=0.45,
    ),
    "warm": StyleRecipe(
        calm=(0.955, 0.03), deep=(0.84, 0.07), shape=(0.77, 0.095), shape_alt=(0.87, 0.07),
        accent=(0.56, 0.13), text=(0.30, 0.05), surface=(0.99, 0.012), hue_pull=(62, 0.45), busyness=0.35,
    ),
    "vivid": StyleRecipe(
        calm=(0.53, 0.20), deep=(0.40, 0.19), shape=(0.66, 0.21), shape_alt=(0.85, 0.18),
        accent=(0.87, 0.17), text=(0.99, 0.005), surface=(0.99, 0.005), deep_hue_shift=32, busyness=0.9, glow=0.25,
    ),
    "minimal": StyleRecipe(
        calm=(0.978, 0.006), deep=(0.93, 0.018), shape=(0.90, 0.028), shape_alt=(0.935, 0.02),
        accent=(0.42, 0.08), text=(0.22, 0.012), surface=(1.0, 0.0), deep_hue_shift=6, busyness=0.1, glow=0.2,
    ),
    "premium": StyleRecipe(
        calm=(0.27, 0.025), deep=(0.15, 0.018), shape=(0.34, 0.035), shape_alt=(0.38, 0.04),
        accent=(0.80, 0.11), text=(0.96, 0.02), surface=(0.95, 0.012), deep_hue_shift=8,
        accent_hue=84, busyness=0.3, glow=0.3,
    ),
    "natural": StyleRecipe(
        calm=(0.955, 0.024), deep=(0.86, 0.05), shape=(0.79, 0.06), shape_alt=(0.86, 0.05),
        accent=(0.50, 0.10), text=(0.30, 0.04), surface=(0.99, 0.01), hue_pull=(118, 0.6), busyness=0.3,
    ),
    "bright": StyleRecipe(
        calm=(0.975, 0.035), deep=(0.87, 0.10), shape=(0.84, 0.13), shape_alt=(0.90, 0.11),
        accent=(0.64, 0.19), text=(0.30, 0.08), surface=(1.0, 0.0), deep_hue_shift=38, busyness=0.8,
    ),
}  # fmt: skip

INDUSTRIES: Final = tuple(INDUSTRY_LOOKS)
STYLES: Final = tuple(STYLE_RECIPES)


@dataclass(frozen=True)
class ColourWish:
    """A background colour asked for in the prompt ("blue background", after "배경을 파란색으로 바꿔줘")."""

    name: str  # what metadata reports: "blue", "pastel pink"
    hue: float | None  # OKLCH hue; None keeps the industry's
    tone: str | None  # a key of _COLOUR_TONES, or None for a chromatic colour laid on the style's lightness


# The English colour names the copywriter writes (lexicon.COLOURS) -> (OKLCH hue, tone).
_COLOUR_NAMES: Final[dict[str, tuple[float | None, str | None]]] = {
    "red": (27, "red"), "orange": (52, None), "yellow": (92, None), "green": (145, None), "mint green": (172, None),
    "blue": (255, None), "sky blue": (232, None), "navy": (262, "navy"), "purple": (305, None), "pink": (355, None),
    "brown": (40, "brown"), "beige": (70, "beige"), "gold": (86, "gold"), "white": (None, "white"),
    "black": (None, "black"), "gray": (None, "gray"), "silver": (250, "silver"), "pastel": (None, "pastel"),
}  # fmt: skip

# Colours whose look does not follow from the style's lightness: neutrals, the light and dark ones,
# and red (a light red is pink). They replace the recipe's lightness/chroma; accent, surface,
# busyness and glow stay the style's. Dark tones bring light text, light tones dark text.
_COLOUR_TONES: Final[dict[str, dict[str, LC]]] = {
    "red": {"calm": (0.53, 0.20), "deep": (0.41, 0.18), "shape": (0.64, 0.21), "shape_alt": (0.85, 0.12), "text": (0.99, 0.005)},
    "navy": {"calm": (0.33, 0.09), "deep": (0.22, 0.07), "shape": (0.42, 0.11), "shape_alt": (0.52, 0.08), "text": (0.97, 0.01)},
    "brown": {"calm": (0.45, 0.07), "deep": (0.32, 0.055), "shape": (0.56, 0.08), "shape_alt": (0.66, 0.06), "text": (0.97, 0.015)},
    "beige": {"calm": (0.93, 0.035), "deep": (0.85, 0.05), "shape": (0.81, 0.06), "shape_alt": (0.89, 0.04), "text": (0.30, 0.04)},
    "gold": {"calm": (0.87, 0.09), "deep": (0.76, 0.11), "shape": (0.82, 0.12), "shape_alt": (0.91, 0.06), "text": (0.28, 0.06)},
    "white": {"calm": (0.985, 0.005), "deep": (0.93, 0.012), "shape": (0.90, 0.025), "shape_alt": (0.94, 0.03), "text": (0.24, 0.03)},
    "black": {"calm": (0.21, 0.01), "deep": (0.12, 0.008), "shape": (0.30, 0.02), "shape_alt": (0.36, 0.03), "text": (0.96, 0.01)},
    "gray": {"calm": (0.84, 0.005), "deep": (0.70, 0.008), "shape": (0.76, 0.01), "shape_alt": (0.88, 0.015), "text": (0.22, 0.01)},
    "silver": {"calm": (0.91, 0.01), "deep": (0.78, 0.016), "shape": (0.84, 0.02), "shape_alt": (0.94, 0.012), "text": (0.24, 0.02)},
    "pastel": {"calm": (0.945, 0.05), "deep": (0.89, 0.07), "shape": (0.86, 0.08), "shape_alt": (0.91, 0.06), "text": (0.32, 0.06)},
}  # fmt: skip


def colour_wish(prompt: str) -> ColourWish | None:
    """The background colour ``prompt`` asks for, or None.

    The first colour phrase decides (a refinement replaces the previous colour's phrases, so
    there is one, or a few from one message); a colour without a hue of its own (pastel, white,
    black, gray) takes the hue of the next one that has one: "파스텔 핑크" is pastel pink.
    """
    names: list[str] = []
    for phrase in colour_phrases(prompt.lower()):
        name = max((n for n in _COLOUR_NAMES if phrase == n or phrase.startswith(n + " ")), key=len, default=None)
        # colour_phrases keeps only a colour alone or with a COLOUR_CONTEXTS word ("blue background"), never a
        # subject such as "green tea latte".
        if name is not None and name not in names:
            names.append(name)
    if not names:
        return None
    hue, tone = _COLOUR_NAMES[names[0]]
    if hue is None:
        borrowed = next((n for n in names[1:] if _COLOUR_NAMES[n][0] is not None), None)
        if borrowed is not None:
            return ColourWish(f"{names[0]} {borrowed}", _COLOUR_NAMES[borrowed][0], tone)
    return ColourWish(names[0], hue, tone)


@dataclass(frozen=True)
class Layout:
    """Where the calm text area and the hero (product or motif) go, relative to the canvas."""

    name: str
    text: RelBox
    hero: RelBox


@dataclass(frozen=True)
class Rendered:
    """One template background and where its parts went (boxes are (left, top, right, bottom) in pixels)."""

    image: Image.Image
    palette: Palette
    layout: Layout
    product_box: Box | None  # the pasted product photo
    motif_box: Box | None  # the industry motif drawn on the hero shape (no photo)
    hero_box: Box  # the hero shape (disc, disc pair or arch), clipped to the canvas
    accents: tuple[Box, ...]  # the small decorative dots and rings (with their antialiased edge)


# The most accents a style can ask for (busyness 1): positions are placed for this many.
_MAX_ACCENTS: Final = 19

# Portrait and square images stack text and hero; landscape puts them side by side.
_LAYOUTS: Final[dict[str, tuple[Layout, ...]]] = {
    "stack": (
        Layout("text-top", text=(0.07, 0.05, 0.93, 0.38), hero=(0.10, 0.42, 0.90, 0.96)),
        Layout("text-bottom", text=(0.07, 0.62, 0.93, 0.95), hero=(0.10, 0.04, 0.90, 0.58)),
    ),
    "side": (
        Layout("text-left", text=(0.05, 0.10, 0.50, 0.90), hero=(0.52, 0.06, 0.96, 0.94)),
        Layout("text-right", text=(0.50, 0.10, 0.95, 0.90), hero=(0.04, 0.06, 0.48, 0.94)),
    ),
}


def resolve_industry(industry: str | None) -> str:
    key = (industry or "general").strip().lower()
    key = INDUSTRY_ALIASES.get(key, key)
    return key if key in INDUSTRY_LOOKS else "general"


def resolve_style(style: str | None, industry: str) -> str:
    """A style name we have a recipe for; anything else falls back to the industry's default."""
    key = (style or "").strip().lower()
    return key if key in STYLE_RECIPES else INDUSTRY_LOOKS[industry].default_style


# --- drawing primitives ------------------------------------------------------------------------


def _edge(sd: np.ndarray, softness: float) -> np.ndarray:
    """Coverage from a signed distance (negative inside): ``softness`` px wide, 1 px is crisp anti-aliasing."""
    t = np.clip(0.5 - sd / max(softness, 1e-3), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.px = np.empty((height, width, 3), dtype=np.float32)

    def clip(self, x0: float, y0: float, x1: float, y1: float) -> Box | None:
        b = (max(0, int(math.floor(x0))), max(0, int(math.floor(y0))), min(self.w, int(math.ceil(x1))), min(self.h, int(math.ceil(y1))))
        return b if b[2] > b[0] and b[3] > b[1] else None

    @staticmethod
    def grid(box: Box) -> tuple[np.ndarray, np.ndarray]:
        x0, y0, x1, y1 = box
        xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
        return xs, ys

    def paint(self, box: Box, alpha: np.ndarray, colour: RGB | np.ndarray, opacity: float = 1.0) -> None:
        """Blend ``colour`` (one RGB, or one per pixel of ``box``) over ``box`` with coverage ``alpha``."""
        x0, y0, x1, y1 = box
        region = self.px[y0:y1, x0:x1]
        region += (np.asarray(colour, dtype=np.float32) - region) * (alpha * opacity)[..., None]

    def vertical_shade(self, box: Box, top: RGB, bottom: RGB, y_top: float, y_bottom: float) -> np.ndarray:
        """Per-pixel colours for ``box``: ``top`` at ``y_top`` fading to ``bottom`` at ``y_bottom`` (lit from above)."""
        _, ys = self.grid(box)
        t = np.clip((ys - y_top) / max(y_bottom - y_top, 1.0), 0.0, 1.0)[..., None]
        a, b = np.asarray(top, dtype=np.float32), np.asarray(bottom, dtype=np.float32)
        return np.broadcast_to(a + (b - a) * t, (box[3] - box[1], box[2] - box[0], 3))

    # shapes ----------------------------------------------------------------------------------

    def circle(self, cx: float, cy: float, r: float, colour: RGB, opacity: float, softness: float = 1.0, lit: RGB | None = None) -> None:
        """A disc; with ``lit``, shaded from ``lit`` at its top to ``colour`` at its bottom."""
        box = self.clip(cx - r - softness, cy - r - softness, cx + r + softness, cy + r + softness)
        if box is None:
            return
        xs, ys = self.grid(box)
        fill = colour if lit is None else self.vertical_shade(box, lit, colour, cy - r, cy + r * 0.6)
        self.paint(box, _edge(np.hypot(xs - cx, ys - cy) - r, softness), fill, opacity)

    def ring(
        self, cx: float, cy: float, r: float, width: float, colour: RGB, opacity: float, start: float = 0.0, sweep: float = 360.0
    ) -> None:
        """A ring, or an arc of ``sweep`` degrees from ``start`` whose ends fade out (no hard cut)."""
        box = self.clip(cx - r - width, cy - r - width, cx + r + width, cy + r + width)
        if box is None:
            return
        xs, ys = self.grid(box)
        alpha = _edge(np.abs(np.hypot(xs - cx, ys - cy) - r) - width / 2, 1.0)
        if sweep < 360:
            ang = (np.degrees(np.arctan2(ys - cy, xs - cx)) - start) % 360.0
            fade = max(sweep * 0.2, 1.0)
            alpha = alpha * np.clip(np.minimum(ang, sweep - ang) / fade, 0.0, 1.0) * (ang <= sweep)
        self.paint(box, alpha, colour, opacity)

    def rounded_rect(
        self, box: tuple[float, float, float, float], radius: float, colour: RGB, opacity: float, softness: float = 1.0
    ) -> None:
        x0, y0, x1, y1 = box
        pad = softness + 1
        region = self.clip(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        if region is None:
            return
        xs, ys = self.grid(region)
        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 - radius, (y1 - y0) / 2 - radius
        qx, qy = np.abs(xs - cx) - hx, np.abs(ys - cy) - hy
        sd = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) - radius
        self.paint(region, _edge(sd, softness), colour, opacity)

    def arch(self, cx: float, top: float, half_width: float, bottom: float, colour: RGB, opacity: float, lit: RGB | None = None) -> None:
        """A rounded-top arch (a semicircle on a rectangle): the "window" behind a product."""
        region = self.clip(cx - half_width - 2, top - 2, cx + half_width + 2, bottom + 2)
        if region is None:
            return
        xs, ys = self.grid(region)
        ccy = top + half_width
        sd_circle = np.hypot(xs - cx, ys - ccy) - half_width
        sd_rect = np.maximum(np.abs(xs - cx) - half_width, np.maximum(ccy - ys, ys - bottom))
        fill = colour if lit is None else self.vertical_shade(region, lit, colour, top, bottom)
        self.paint(region, _edge(np.minimum(sd_circle, sd_rect), 1.0), fill, opacity)

    def band(self, px: float, py: float, angle_deg: float, width: float, colour: RGB, opacity: float) -> None:
        """A straight band through (px, py) across the whole canvas."""
        box = (0, 0, self.w, self.h)
        xs, ys = self.grid(box)
        a = math.radians(angle_deg)
        d = np.abs((xs - px) * math.sin(a) - (ys - py) * math.cos(a))
        self.paint(box, _edge(d - width / 2, 1.5), colour, opacity)

    def mask(self, x: int, y: int, mask: np.ndarray, colour: RGB, opacity: float) -> None:
        """Lay an alpha mask (0..1 floats) with its top-left corner at (x, y), clipped to the canvas."""
        h, w = mask.shape
        box = self.clip(x, y, x + w, y + h)
        if box is None:
            return
        x0, y0, x1, y1 = box
        self.paint(box, mask[y0 - y : y1 - y, x0 - x : x1 - x], colour, opacity)


# --- colours -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Colours:
    calm: RGB
    deep: RGB
    shape: RGB
    shape_lit: RGB  # the top of the hero shape, as if lit from above
    blob: RGB  # soft corner blobs: an analogous hue, so they never fight the main colour
    shape_alt: RGB
    accent: RGB
    text: RGB
    surface: RGB
    shadow: RGB
    calm_lab: np.ndarray
    deep_lab: np.ndarray


def _pull_hue(hue: float, target: float, amount: float) -> float:
    diff = (target - hue + 180) % 360 - 180  # shortest way round the circle
    return (hue + diff * amount) % 360


def _muddy(lightness: float, hue: float) -> bool:
    """Dark oranges/yellows read as brown, mid-light yellow-greens as khaki: shifted hues avoid both."""
    h = hue % 360
    return (lightness < 0.62 and 45 <= h <= 115) or (lightness < 0.86 and 75 <= h <= 125)


def _hue_gap(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


def _clear_of_mud(lightness: float, *hues: float) -> float:
    """The lightness, raised until at least one of ``hues`` is no longer muddy there."""
    while lightness < 0.95 and all(_muddy(lightness, h) for h in hues):
        lightness += 0.01
    return lightness


def _steer(
    look: IndustryLook, recipe: StyleRecipe, colour: ColourWish | None, tint: np.random.Generator
) -> tuple[float, float, StyleRecipe]:
    """The main hue, accent hue and recipe for ``look`` in ``recipe``, turned towards ``colour`` when one was asked for."""
    # A small hue jitter per seed: variants of one request differ in tint, not just in layout.
    jitter, accent_jitter = tint.uniform(-9, 9), tint.uniform(-8, 8)
    hue = (look.hue + jitter) % 360
    accent_hue = recipe.accent_hue if recipe.accent_hue is not None else (look.accent_hue + accent_jitter) % 360
    if colour is None or colour.hue is None:
        if recipe.hue_pull is not None:
            hue = _pull_hue(hue, *recipe.hue_pull)
    else:
        # The asked-for hue wins over the style's pull (warm's amber), with half the jitter so "blue" stays blue.
        hue = (colour.hue + jitter * 0.5) % 360
        if recipe.accent_hue is None and _hue_gap(accent_hue, hue) < 50:
            # An accent in the background's own hue would vanish: the industry's colour, or the complement.
            accent_hue = look.hue if _hue_gap(look.hue, hue) >= 50 else (hue + 180) % 360
    if colour is None:
        # A dark recipe on an orange/yellow hue would be brown: lift it to amber instead.
        lift = 0.14 if _muddy(recipe.calm[0], hue) else 0.0
        return hue, accent_hue, replace(recipe, calm=(recipe.calm[0] + lift, recipe.calm[1]), deep=(recipe.deep[0] + lift, recipe.deep[1]))
    tone = _COLOUR_TONES.get(colour.tone or "")
    if tone is not None:
        # Designed for that colour (the light, dark or neutral ones, and red, which light is pink):
        # the style keeps its accent, busyness and glow.
        return hue, accent_hue, replace(recipe, **tone)
    # A chromatic colour: the style's lightness, with chroma enough to read as that colour (a light
    # style's 0.01-0.03 is a tint no one would call blue), and the gradient kept within the hue.
    dark = recipe.calm[0] < 0.6
    # Yellow turns lime or ochre within a few degrees: keep its gradient and blobs close to it.
    yellow = 75 <= hue <= 125
    shift, spread = (min(recipe.deep_hue_shift, 6.0), 14.0) if yellow else (min(recipe.deep_hue_shift, 16.0), recipe.blob_hue_shift)
    # Light: a little darker for the chroma to show. Dark: a little darker too, as saturated greens
    # and cyans are lighter (in luminance) than vivid's lightness was tuned for, and white text must still read.
    calm_l = min(recipe.calm[0], 0.93 if not dark else 0.50)
    deep_l = _clear_of_mud(recipe.deep[0], hue - shift, hue + shift)
    calm_c = max(recipe.calm[1], 0.065 if not dark else 0.09)
    lifted = _clear_of_mud(calm_l, hue)
    if lifted > calm_l:
        # A dark yellow/orange is brown or olive: go light and clear instead, past the band (~0.56-0.62)
        # where neither white nor black text reaches 4.5:1, with the gradient falling towards the deep end.
        calm_l, calm_c = max(lifted, 0.68, min(0.95, deep_l + 0.06)), max(calm_c, 0.14)
        deep_l = _clear_of_mud(max(deep_l, calm_l - 0.12), hue - shift, hue + shift)  # a light ad, not light fading to brown
        # A dark style's hero and companion disc would be dark blots on it: light too.
        recipe = replace(
            recipe,
            shape=(max(recipe.shape[0], calm_l - 0.04), recipe.shape[1]),
            shape_alt=(max(recipe.shape_alt[0], 0.88), recipe.shape_alt[1]),
        )
    shape = (_clear_of_mud(recipe.shape[0], hue + 4), max(recipe.shape[1], 0.12))
    steered = replace(
        recipe, calm=(calm_l, calm_c), deep=(deep_l, max(recipe.deep[1], 0.10)), shape=shape, deep_hue_shift=shift, blob_hue_shift=spread
    )
    return hue, accent_hue, steered


def _colours(hue: float, accent_hue: float, recipe: StyleRecipe, tint: np.random.Generator) -> _Colours:
    direction = 1 if tint.random() < 0.5 else -1
    if _muddy(recipe.deep[0], hue + direction * recipe.deep_hue_shift):
        direction = -direction
    deep_hue = hue + direction * recipe.deep_hue_shift
    calm, deep = oklch(*recipe.calm, hue), oklch(*recipe.deep, deep_hue)
    accent_l = recipe.accent[0]
    # The accent must stand out from the background it is laid on (a CTA button that vanishes is useless).
    if contrast_ratio(oklch(accent_l, recipe.accent[1], accent_hue), calm) < 2.0:
        accent_l += -0.25 if not is_dark(calm) else 0.2
    # ... and carry a readable label: mid-lightness colours suit neither white nor black text, so
    # move towards whichever of the two already reads better until one reaches 4.5:1.
    accent = oklch(accent_l, recipe.accent[1], accent_hue)
    towards_dark = contrast_ratio(accent, NEAR_WHITE) >= contrast_ratio(accent, NEAR_BLACK)
    while max(contrast_ratio(accent, NEAR_WHITE), contrast_ratio(accent, NEAR_BLACK)) < MIN_TEXT_CONTRAST:
        accent_l += -0.02 if towards_dark else 0.02
        accent = oklch(accent_l, recipe.accent[1], accent_hue)
    shape_l, shape_c = recipe.shape
    spread = recipe.blob_hue_shift
    blob_hue = next((hh for hh in (hue - direction * spread, hue + direction * spread) if not _muddy(shape_l, hh)), hue)
    return _Colours(
        calm=calm,
        deep=deep,
        shape=oklch(shape_l, shape_c, hue + 4),
        shape_lit=oklch(min(1.0, shape_l + 0.07), shape_c * 0.8, hue + 4),
        blob=oklch(shape_l, shape_c, blob_hue),
        shape_alt=oklch(*recipe.shape_alt, accent_hue),
        accent=accent,
        text=oklch(*recipe.text, hue),
        surface=oklch(*recipe.surface, hue),
        shadow=oklch(min(recipe.deep[0], 0.3) * 0.6, 0.03, deep_hue),
        calm_lab=srgb_to_oklab(np.array(calm) / 255),
        deep_lab=srgb_to_oklab(np.array(deep) / 255),
    )


def _gradient(canvas: _Canvas, c: _Colours, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Fill with a linear gradient from ``start`` (calm colour) to ``end`` (deep colour), mixed in OKLab.

    A 4096-entry lookup table along the axis keeps the per-pixel work to one projection and one
    gather; 4096 steps are far finer than 8-bit output, and the grain added later dithers them.
    """
    lut_t = np.linspace(0.0, 1.0, 4096)[:, None]
    eased = lut_t * lut_t * (3 - 2 * lut_t)  # smoothstep: the calm area stays calm for longer
    lut = (oklab_to_srgb(c.calm_lab + (c.deep_lab - c.calm_lab) * eased) * 255).astype(np.float32)
    (sx, sy), (ex, ey) = start, end
    dx, dy = ex - sx, ey - sy
    length2 = dx * dx + dy * dy
    xs, ys = _Canvas.grid((0, 0, canvas.w, canvas.h))
    t = ((xs - sx) * (dx / length2) + (ys - sy) * (dy / length2)).astype(np.float32)
    idx = (np.clip(t, 0.0, 1.0) * 4095).astype(np.int32)
    canvas.px[:] = lut[idx]


def _soft_light(canvas: _Canvas, cx: float, cy: float, radius: float, colour: RGB, strength: float) -> None:
    box = canvas.clip(cx - 2 * radius, cy - 2 * radius, cx + 2 * radius, cy + 2 * radius)
    if box is None:
        return
    xs, ys = canvas.grid(box)
    d2 = ((xs - cx) ** 2 + (ys - cy) ** 2) / (radius * radius)
    canvas.paint(box, np.exp(-d2), colour, strength)


# --- the renderer ------------------------------------------------------------------------------


def _abs_box(rel: RelBox, w: int, h: int) -> Box:
    return (round(rel[0] * w), round(rel[1] * h), round(rel[2] * w), round(rel[3] * h))


def _expand(box: Box, margin: float) -> tuple[float, float, float, float]:
    return (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)


def _inside(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _photo_for_layout(photo: Image.Image) -> Image.Image:
    """RGB, or RGBA when the photo really has transparency (a cut-out product)."""
    if photo.mode in ("RGBA", "LA", "PA") or (photo.mode == "P" and "transparency" in photo.info):
        rgba = photo.convert("RGBA")
        lo, _ = rgba.getchannel("A").getextrema()
        if lo < 255:
            return rgba
    return photo if photo.mode == "RGB" else photo.convert("RGB")


def fit_size(size: tuple[int, int], bounds: tuple[int, int]) -> tuple[int, int]:
    """The largest size with ``size``'s aspect ratio that fits in ``bounds`` (what a product photo is scaled to)."""
    scale = min(bounds[0] / size[0], bounds[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _card_padding(short: int) -> int:
    return round(short * 0.025)


def _photo_bounds(hero: Box, short: int, cutout: bool) -> tuple[int, int]:
    """The most room a product photo gets in ``hero``: margins, plus the card's padding unless it is a cut-out."""
    margin = _card_padding(short) * (2 if cutout else 4)
    return hero[2] - hero[0] - margin, hero[3] - hero[1] - margin


class TemplateImageGenerator:
    """Designed backgrounds per industry and style: the offline default backend (``name = "template"``)."""

    name = "template"

    def generate(
        self,
        prompt: str,
        aspect_ratio: str,
        seed: int,
        style: str | None,
        control_image: Image.Image | None = None,
        *,
        negative_prompt: str = "",
        industry: str | None = None,
        num_images: int = 1,
        progress: ProgressCallback | None = None,
    ) -> list[GeneratedImage]:
        size = check_request(aspect_ratio, num_images)
        report = MonotonicProgress(progress)
        industry_key = resolve_industry(industry)
        style_key = resolve_style(style, industry_key)
        photo = _photo_for_layout(control_image) if control_image is not None else None
        # The template has no model to read the prompt, but a colour asked for must still show.
        colour = colour_wish(prompt)
        # ...and so must a new framing ("배경 바꿔줘" swaps the prompt's composition phrase): it picks the composition.
        framing = composition_of(prompt.lower()) or ""
        results = []
        for i in range(num_images):
            started = time.perf_counter()
            r = self.render(size, seed + i, industry_key, style_key, photo, colour, framing)
            metadata = {
                "seed": seed + i,
                "style": style_key,
                "style_requested": style,
                "colour": colour.name if colour is not None else None,
                "industry": industry_key,
                # A template never re-draws the product: the photo is placed as it is (t2i, not ControlNet).
                "method": "t2i",
                "model": MODEL_NAME,
                "steps": 0,
                "backend": self.name,
                "width": size[0],
                "height": size[1],
                "layout": r.layout.name,
                "text_area": _abs_box(r.layout.text, *size),
                # The industry motif drawn on the hero shape: text laid over it would be hard to read.
                "motif_box": r.motif_box,
                # The hero shape (disc, arch) behind the motif or photo: text should rather stay off it.
                "hero_box": r.hero_box,
                "accents": list(r.accents),
                "product_photo": photo is not None,
                "palette": r.palette.to_dict(),
                "elapsed_s": round(time.perf_counter() - started, 3),
            }
            results.append(GeneratedImage(image=r.image, metadata=metadata, palette=r.palette, product_box=r.product_box))
            report((i + 1) / num_images, f"배경 디자인 {i + 1}/{num_images} 완료")
        return results

    def render(
        self,
        size: tuple[int, int],
        seed: int,
        industry: str,
        style: str,
        photo: Image.Image | None = None,
        colour: ColourWish | None = None,
        framing: str = "",
    ) -> Rendered:
        """One background, deterministic for its arguments.

        Two random streams, so that a refinement that changes only the colours ("더 밝게" changes
        the style, "파란색 배경" the colour) gives the same ad in new colours, not a new ad:
        ``place`` decides the composition (layout, hero, shapes, motif, accent positions) from the
        seed, industry, size and ``framing`` (the prompt's composition phrase, which only "배경
        바꿔줘" / "다시 만들어줘" change); ``tint`` draws the colour jitter and the grain. Neither
        knows the style or colour, which reach the picture only through the recipe. Every draw
        from ``place`` is made whether its result is used or not (a ring the style leaves out, a
        motif under a photo), so no style decision can shift what is drawn after it.
        """
        w, h = size
        # Mix the industry into the streams: seed 7 for a cafe and for a gym should differ.
        key = [seed & 0xFFFFFFFFFFFFFFFF, zlib.crc32(industry.encode()), w, h]
        place = np.random.default_rng([*key, 1, zlib.crc32(framing.encode())])
        tint = np.random.default_rng([*key, 2])
        look, recipe = INDUSTRY_LOOKS[industry], STYLE_RECIPES[style]
        hue, accent_hue, steered = _steer(look, recipe, colour, tint)
        c = _colours(hue, accent_hue, steered, tint)
        layout = self._choose_layout(place, size, photo)
        text_box, hero = _abs_box(layout.text, w, h), _abs_box(layout.hero, w, h)
        # Slide the hero off-centre along the text edge now and then: symmetric every time looks templated.
        shift = int(place.choice([-1, 0, 0, 1]))
        if layout.name.startswith("text-t") or layout.name.startswith("text-b"):
            dx = round(shift * 0.12 * w)
            hero = (hero[0] + dx, hero[1], hero[2] + dx, hero[3])
        else:
            dy = round(shift * 0.05 * h)
            hero = (hero[0], hero[1] + dy, hero[2], hero[3] + dy)
        # ...but never past the canvas margin: the product must stay whole.
        hero = (max(hero[0], round(0.03 * w)), max(hero[1], round(0.03 * h)), min(hero[2], round(0.97 * w)), min(hero[3], round(0.97 * h)))
        tcx, tcy = (text_box[0] + text_box[2]) / 2, (text_box[1] + text_box[3]) / 2
        hcx, hcy = (hero[0] + hero[2]) / 2, (hero[1] + hero[3]) / 2
        hero_r = min(hero[2] - hero[0], hero[3] - hero[1]) / 2
        short = min(w, h)
        canvas = _Canvas(w, h)

        # 1. Gradient: calm behind the text, deepening past the hero, at a slightly random angle.
        jitter = place.uniform(-0.25, 0.25) * short
        _gradient(canvas, c, (tcx - (hcx - tcx) * 0.3, tcy - (hcy - tcy) * 0.3), (hcx + jitter, hcy + (hcy - tcy) * 0.6 - jitter))
        light = mix(c.calm, (255, 255, 255), 0.6) if not is_dark(c.calm) else mix(c.calm, c.shape, 0.8)
        _soft_light(canvas, tcx, tcy, 0.55 * short, light, steered.glow)

        # 2. Big soft blobs in the two corners farthest from the text: depth without detail.
        corners = [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)]
        corners.sort(key=lambda p: -math.hypot(p[0] - tcx, p[1] - tcy))
        for k, (bx, by) in enumerate(corners[:2]):
            r = short * place.uniform(0.28, 0.42)
            colour_k = c.blob if k == 0 else c.shape
            canvas.circle(bx + place.uniform(-0.08, 0.08) * w, by + place.uniform(-0.08, 0.08) * h, r, colour_k, 0.5, softness=r * 0.9)

        # 3. Either a curved "horizon" (a huge circle whose edge sweeps across the hero side) or,
        # for the energetic styles, a diagonal light streak (the roll is the composition's, the
        # threshold the style's: a busier style shows the streak where a calmer one shows nothing).
        ux, uy = hcx - tcx, hcy - tcy
        norm = math.hypot(ux, uy) or 1.0
        ux, uy = ux / norm, uy / norm
        horizon_roll, streak_roll = place.random(2)
        big = max(w, h) * place.uniform(1.1, 1.8)
        edge = -0.12 * short * place.uniform(0.5, 1.5)  # how far before the hero centre the curve passes
        side = place.uniform(-0.25, 0.25) * short
        angle, streak_width = float(place.choice([-32.0, 32.0, -58.0, 58.0])), short * place.uniform(0.05, 0.08)
        if horizon_roll < 0.5:
            canvas.circle(hcx + ux * (big + edge) - uy * side, hcy + uy * (big + edge) + ux * side, big, c.blob, 0.35, softness=2.0)
        elif streak_roll < (recipe.busyness - 0.4) * 2.0:
            streak = mix(c.calm, (255, 255, 255), 0.5)
            canvas.band(hcx + ux * 0.2 * short, hcy + uy * 0.2 * short, angle, streak_width, streak, 0.16)

        # 4. The hero shape, lit from above and casting a soft shadow: a disc (sometimes with a
        # small companion disc), or an arch, behind the product or the motif; a fine accent ring
        # that fades out at its ends (on a plain disc, when the style is busy enough for it).
        # The arch stands on the bottom edge like a doorway, so only when the hero is at the bottom.
        roll = place.random()
        hero_kind = "arch" if (layout.name == "text-top" and roll < 0.4) else ("duo" if roll > 0.7 else "disc")
        disc_r, small_r = hero_r * place.uniform(0.86, 0.98), place.uniform(0.32, 0.42)
        duo_angle = math.radians(place.choice([-40.0, -140.0, 40.0, 140.0]))
        ring_roll, ring_r, start, sweep = place.random(), place.uniform(1.08, 1.14), place.uniform(0, 360), place.uniform(150, 250)
        arch_half = place.uniform(0.56, 0.64)
        motif_scale = place.uniform(1.0, 1.12)
        line = max(2.0, short * 0.004)
        if hero_kind in ("disc", "duo"):
            r = disc_r
            if hero_kind == "duo":
                small = r * small_r
                sx, sy = hcx + r * 0.92 * math.cos(duo_angle), hcy + r * 0.92 * math.sin(duo_angle)
                canvas.circle(sx, sy, small, c.shape_alt, 0.95, lit=mix(c.shape_alt, (255, 255, 255), 0.25))
            canvas.circle(hcx, hcy + r * 0.06, r, c.shadow, 0.22, softness=r * 0.22)
            canvas.circle(hcx, hcy, r, c.shape, 0.95, lit=c.shape_lit)
            orbit = r
            shape_box = (round(hcx - r), round(hcy - r), round(hcx + r), round(hcy + r))
            if hero_kind == "duo":
                shape_box = (min(shape_box[0], round(sx - small)), min(shape_box[1], round(sy - small)),
                             max(shape_box[2], round(sx + small)), max(shape_box[3], round(sy + small)))  # fmt: skip
            elif ring_roll < 0.4 + 0.5 * recipe.busyness:
                canvas.ring(hcx, hcy, r * ring_r, line, c.accent, 0.7, start=start, sweep=sweep)
        else:
            half = min((hero[2] - hero[0]) / 2 * arch_half, hero_r * 1.1)
            top, bottom = hero[1] + hero_r * 0.05, h + 2.0
            canvas.arch(hcx, top, half, bottom, c.shape, 0.95, lit=c.shape_lit)
            canvas.ring(hcx, top + half, half * 1.12, line, c.accent, 0.7, start=185, sweep=170)
            orbit = half * 1.2
            shape_box = (round(hcx - half), round(top), round(hcx + half), h)

        card_box: Box | None = None
        product_box: Box | None = None
        motif_box: Box | None = None
        scaled_photo: Image.Image | None = None
        if photo is not None:
            scaled_photo, product_box, card_box = self._product_card(canvas, c, photo, hero, short)
        else:
            # 5. The industry motif, tone on tone, on the hero shape.
            msize = int(hero_r * motif_scale)
            m = np.asarray(motif_mask(industry, msize), dtype=np.float32) / 255.0
            ink = mix(c.shape, c.text, 0.55) if not is_dark(c.shape) else mix(c.shape, (255, 255, 255), 0.75)
            canvas.mask(int(hcx - msize / 2), int(hcy - msize / 2), m, ink, 0.55 if style != "premium" else 0.6)
            motif_box = (int(hcx - msize / 2), int(hcy - msize / 2), int(hcx + msize / 2), int(hcy + msize / 2))

        # 6. Fine accents: a few dots and small rings orbiting the hero (and, for busy styles, in
        # the open corners), never on the text side of the hero (the compositor may set the copy
        # anywhere there, not only in the designed text area), the hero shape or the product.
        # The positions are the composition's: as many as the busiest style could want are placed,
        # and a style draws the first ``count`` of them, so a calmer style shows fewer of the same dots.
        sx0, sy0, sx1, sy1 = shape_box
        text_side = {"text-top": (0, 0, w, sy0), "text-bottom": (0, sy1, w, h), "text-left": (0, 0, sx0, h), "text-right": (sx1, 0, w, h)}
        keep_out = [_expand(text_box, 0.02 * short), _expand(text_side[layout.name], 0.02 * short), _expand(shape_box, 0.03 * short)]
        if card_box is not None:
            keep_out.append(_expand(card_box, 0.03 * short))
        palette_dots = (c.accent, c.accent, c.shape_alt, c.surface)
        count = min(int(round(3 + 16 * recipe.busyness)), _MAX_ACCENTS)
        placed: list[tuple[float, float]] = []
        accents: list[Box] = []
        for _ in range(_MAX_ACCENTS * 8):
            if len(placed) >= _MAX_ACCENTS:
                break
            if place.random() < 0.65:
                a, dist = place.uniform(0, 2 * math.pi), orbit * place.uniform(1.12, 1.6)
                x, y = hcx + dist * math.cos(a), hcy + dist * math.sin(a)
            else:
                x, y = place.uniform(0.04, 0.96) * w, place.uniform(0.04, 0.96) * h
            if not (0.02 * w < x < 0.98 * w and 0.02 * h < y < 0.98 * h) or any(_inside(x, y, box) for box in keep_out):
                continue
            if any(math.hypot(x - px, y - py) < 0.04 * short for px, py in placed):  # scattered, never clumped
                continue
            r, dot_colour, as_ring = short * place.uniform(0.003, 0.009), palette_dots[int(place.integers(4))], place.random() < 0.3
            placed.append((x, y))
            if len(placed) > count:
                continue  # this style is calmer: the position is kept so that the next ones stay put
            if as_ring:
                canvas.ring(x, y, r * 1.4, max(1.5, r * 0.35), dot_colour, 0.8)
                r = r * 1.4 + max(1.5, r * 0.35)
            else:
                canvas.circle(x, y, r, dot_colour, 0.85)
            accents.append((math.floor(x - r - 1), math.floor(y - r - 1), math.ceil(x + r + 1), math.ceil(y + r + 1)))

        # 7. Palette, measured on the finished background (before grain) where the text goes.
        x0, y0, x1, y1 = text_box
        under_text: RGB = tuple(int(v) for v in canvas.px[y0:y1, x0:x1].mean(axis=(0, 1), dtype=np.float64).round())  # type: ignore[assignment]
        palette = Palette(
            background=(under_text, c.calm, c.deep, c.shape),
            text=readable_on(under_text, c.text),
            accent=c.accent,
            on_accent=readable_on(c.accent, c.surface if not is_dark(c.calm) else c.deep),
            dark=is_dark(under_text),
        )

        # 8. Grain: ~1.4 levels of monochrome noise dithers the gradient (no 8-bit banding) and
        # gives the flat areas a printed-paper feel.
        canvas.px += tint.standard_normal((h, w, 1), dtype=np.float32) * 1.4
        image = Image.fromarray(np.clip(canvas.px + 0.5, 0, 255).astype(np.uint8), "RGB")

        # 9. The product photo, pasted as it is (after the grain: its pixels stay untouched).
        if scaled_photo is not None and product_box is not None:
            mask = scaled_photo.getchannel("A") if scaled_photo.mode == "RGBA" else None
            image.paste(scaled_photo.convert("RGB") if mask is not None else scaled_photo, product_box[:2], mask)
        hero_box = (max(0, shape_box[0]), max(0, shape_box[1]), min(w, shape_box[2]), min(h, shape_box[3]))
        return Rendered(image, palette, layout, product_box, motif_box, hero_box, tuple(accents))

    @staticmethod
    def _choose_layout(rng: np.random.Generator, size: tuple[int, int], photo: Image.Image | None) -> Layout:
        """A layout for the canvas; with a photo, one where the photo comes out large.

        A wide photo beside the text (or a tall one under it) would be shrunk to a stamp, so on
        square and landscape canvases every layout is considered and the small-photo ones dropped.
        Portrait canvases always stack: a column of text beside a photo would be too narrow.
        """
        w, h = size
        options = list(_LAYOUTS["side" if w > h else "stack"])
        if photo is not None and w >= h:
            options = [*_LAYOUTS["stack"], *_LAYOUTS["side"]]
            areas = []
            for layout in options:
                pw, ph = fit_size(photo.size, _photo_bounds(_abs_box(layout.hero, w, h), min(w, h), photo.mode == "RGBA"))
                areas.append(pw * ph)
            options = [layout for layout, area in zip(options, areas, strict=True) if area >= 0.9 * max(areas)]
        return options[int(rng.integers(len(options)))]

    @staticmethod
    def _product_card(canvas: _Canvas, c: _Colours, photo: Image.Image, hero: Box, short: int) -> tuple[Image.Image, Box, Box]:
        """Scale the photo into the hero area, draw its card and shadow; returns (scaled photo, photo box, card box)."""
        pad = _card_padding(short)
        cutout = photo.mode == "RGBA"
        pw, ph = fit_size(photo.size, _photo_bounds(hero, short, cutout))
        x = (hero[0] + hero[2] - pw) // 2
        y = (hero[1] + hero[3] - ph) // 2
        scaled = photo.resize((pw, ph), Image.Resampling.LANCZOS)
        product_box = (x, y, x + pw, y + ph)
        shadow = c.shadow
        if cutout:
            # A cut-out product gets a shadow of its own silhouette instead of a card.
            blur = max(2, round(short * 0.02))
            alpha = scaled.getchannel("A").filter(ImageFilter.GaussianBlur(blur))
            m = np.asarray(alpha, dtype=np.float32) / 255.0
            canvas.mask(x + round(short * 0.01), y + round(short * 0.025), m, shadow, 0.28)
            return scaled, product_box, product_box
        card = (x - pad, y - pad, x + pw + pad, y + ph + pad)
        radius = pad * 1.2
        offset = short * 0.018
        # Two shadows, as in material design: a wide soft one for lift, a tight one for contact.
        for lift, opacity, blur in ((1.0, 0.22, 0.06), (0.3, 0.12, 0.012)):
            shifted = (card[0], card[1] + offset * lift, card[2], card[3] + offset * lift)
            canvas.rounded_rect(shifted, radius, shadow, opacity, softness=short * blur)
        canvas.rounded_rect(card, radius, c.surface, 1.0)
        return scaled, product_box, card
