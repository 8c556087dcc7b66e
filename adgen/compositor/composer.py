"""Lay Korean ad copy onto a generated image.

``compose`` picks a layout plan for the aspect ratio (one that keeps clear of the product photo,
when there is one), fits the copy to it (all of it: copy that does not fit even in the smallest
legible type is refused, never shortened), then for each group of text measures the pixels that
will lie behind it and picks white or near-black text. Where neither reaches WCAG 4.5:1 against
a busy region, a scrim (a gradient from the nearest image edge) is darkened or lightened just
enough. The CTA becomes a rounded pill in the accent colour. Finally the contrast of every text
box is measured on the finished image; a box that misses 4.5:1 gets a stronger scrim and the
image is drawn again.
"""

from __future__ import annotations

import colorsys
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from adgen.compositor.contrast import (
    MIN_CONTRAST,
    RGB,
    luminance_map,
    luminance_of_float,
    relative_luminance,
    srgb_to_linear,
    wcag_contrast,
    worst_case_contrast,
)
from adgen.compositor.fonts import FALLBACK_FONT, FONTS_DIR, FontChain, load_font, sanitize
from adgen.compositor.layout import (
    AVOID_CLEARANCE,
    ROLE_STYLES,
    Element,
    Layout,
    Placed,
    Plan,
    Rect,
    Role,
    candidate_plans,
    grow,
    intersection_area,
    place,
)
from adgen.errors import ConfigurationError, ImageGenerationError, ValidationError
from adgen.schemas import AdCopy
from adgen.validation import validate_aspect_ratio

log = logging.getLogger(__name__)

WHITE: Final[RGB] = (255, 255, 255)
INK: Final[RGB] = (18, 18, 18)  # near-black: pure black text on a photo looks printed-on
DARK_SCRIM: Final[RGB] = (10, 10, 14)
LIGHT_SCRIM: Final[RGB] = (250, 250, 248)
# When none of the picture's own hues stands out around the pill: charcoal, then white (both
# neutral, so they never clash with the picture), then coral.
_FALLBACK_ACCENTS: Final[tuple[RGB, ...]] = ((34, 34, 40), (250, 250, 250), (232, 76, 61))
_ACCENT_MIN_DELTA_E: Final = 40.0

MIN_SHORT_SIDE: Final = 512  # smaller, the longest copy would need type too small to read
_RATIOS: Final[dict[str, float]] = {"1:1": 1.0, "4:3": 4 / 3, "3:4": 3 / 4}
_RATIO_TOLERANCE: Final = 0.1

# Choosing colours aims a little above the bar, at a stricter percentile than the final check, so
# the check after drawing (antialiasing, the pill's shadow) rarely sends the image back.
_DECIDE_TARGET: Final = 4.7
_DECIDE_PERCENTILE: Final = 0.5
MEASURE_PERCENTILE: Final = 1.0
_MAX_ATTEMPTS: Final = 6
_SAMPLE_PIXELS: Final = 20_000  # enough for a 0.5th percentile of 100 pixels, fast to try scrims on


@dataclass
class TextBox:
    role: Literal["headline", "body", "cta", "hashtags", "details"]
    box: tuple[int, int, int, int]  # (left, top, right, bottom); for the CTA, the pill
    lines: list[str]  # as drawn: characters no font has are gone
    font_size: int
    text_color: tuple[int, int, int]
    background: tuple[int, int, int] | None  # the scrim or pill colour behind the text, if any
    # WCAG ratio of text_color against the pixels around the glyphs in the finished image, taken
    # at the 1st/99th luminance percentile (the worst case without single-pixel outliers).
    contrast_ratio: float


@dataclass
class ComposedAd:
    image: Image.Image
    boxes: list[TextBox]


@dataclass
class _GroupStyle:
    text: RGB
    scrim: RGB
    alpha: float  # scrim opacity where the text is; 0 = no scrim


def compose(
    image: Image.Image,
    ad_copy: AdCopy,
    aspect_ratio: str,
    *,
    avoid: tuple[int, int, int, int] | None = None,
    prefer_clear: tuple[int, int, int, int] | None = None,
    accent: tuple[int, int, int] | None = None,
    font_path: Path | None = None,
) -> ComposedAd:
    """Lay ``ad_copy`` out on a copy of ``image``.

    Args:
        image: the background; any mode, size matching ``aspect_ratio``. It is not modified.
        ad_copy: headline, body, CTA, hashtags and details (the shop's contacts, a small line
            under the hashtags; not drawn when empty).
        aspect_ratio: "1:1", "4:3" or "3:4"; picks the family of layouts.
        avoid: (left, top, right, bottom) of a product photo no text may cover.
        prefer_clear: (left, top, right, bottom) of the picture's hero shape (a template's disc or
            arch): text keeps off it whenever the copy fits elsewhere at its designed sizes, since
            a shape's edge running through the letters looks accidental. Smaller-than-designed
            type is never chosen just to keep off it.
        accent: a suggested colour for the CTA pill (darkened a little if white text needs it).
        font_path: a font to draw every role with (the bundled fonts still supply missing glyphs).

    Raises:
        ValidationError: bad inputs (the code names which), or ``copy_too_long`` when the copy does
            not fit clear of ``avoid`` even at the smallest legible size.
    """
    _check_inputs(image, aspect_ratio, avoid, accent)
    if prefer_clear is not None:
        _check_box(prefer_clear, image.size)
    base = image.convert("RGB") if image.mode != "RGB" else image.copy()
    width, height = base.size
    short = min(width, height)
    pixels = np.asarray(base)

    elements = _elements(ad_copy, font_path)
    plans = candidate_plans(aspect_ratio, width, height, avoid, lambda rect: _busyness(pixels, rect), prefer_clear=prefer_clear)
    layout = _choose(plans, elements, short, avoid, prefer_clear)
    chains = {e.role: e.chain for e in elements}

    cta = next((p for p in layout.placed if p.role == "cta"), None)
    pill, pill_text = _accent(pixels, accent, cta.box if cta is not None else None)
    styles = [_group_style(layout, gi, pixels) for gi in range(len(layout.plan.groups))]
    for _ in range(_MAX_ATTEMPTS):
        out, masks = _render(base, layout, styles, chains, pill, pill_text, avoid)
        measured = _measure(np.asarray(out), layout, masks, styles, pill_text)
        failing = {p.group for p, ratio in zip(layout.placed, measured, strict=True) if ratio < MIN_CONTRAST and p.role != "cta"}
        if any(r < MIN_CONTRAST for p, r in zip(layout.placed, measured, strict=True) if p.role == "cta"):
            break  # the pill is flat and chosen to pass; only a bug gets here
        if not failing:
            boxes = [
                TextBox(
                    role=p.role,
                    box=p.box,
                    lines=p.lines,
                    font_size=p.size,
                    text_color=pill_text if p.role == "cta" else styles[p.group].text,
                    background=pill if p.role == "cta" else (styles[p.group].scrim if styles[p.group].alpha > 0 else None),
                    contrast_ratio=round(ratio, 3),
                )
                for p, ratio in zip(layout.placed, measured, strict=True)
            ]
            return ComposedAd(out, boxes)
        for gi in failing:
            styles[gi].alpha = min(1.0, styles[gi].alpha + 0.1)
    raise ImageGenerationError(
        "광고 문구를 이미지에 배치하지 못했습니다. 다시 시도해 주세요.",
        code="composition_failed",
        contrast=dict(zip([p.role for p in layout.placed], measured, strict=True)),
    )


# --- inputs ------------------------------------------------------------------------------


def _check_inputs(image: Image.Image, aspect_ratio: str, avoid: Rect | None, accent: RGB | None) -> None:
    validate_aspect_ratio(aspect_ratio)
    width, height = image.size
    if min(width, height) < MIN_SHORT_SIDE:
        raise ValidationError(f"이미지가 너무 작습니다: {width}x{height} (짧은 변 {MIN_SHORT_SIDE}px 이상)", code="image_too_small")
    if abs(width / height / _RATIOS[aspect_ratio] - 1) > _RATIO_TOLERANCE:
        raise ValidationError(f"이미지 크기 {width}x{height}가 화면 비율 {aspect_ratio}와 맞지 않습니다.", code="aspect_mismatch")
    if avoid is not None:
        _check_box(avoid, image.size)
    if accent is not None and (len(accent) != 3 or not all(0 <= int(c) <= 255 for c in accent)):
        raise ValidationError(f"강조 색상은 0-255 사이의 RGB 값 세 개여야 합니다. (입력값: {accent!r})", code="invalid_accent")


def _check_box(box: Rect, size: tuple[int, int]) -> None:
    width, height = size
    if len(box) != 4 or not (0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height):
        raise ValidationError(f"제품 영역 {box!r}이 이미지({width}x{height}) 안에 있지 않습니다.", code="invalid_avoid_box")


def _elements(ad_copy: AdCopy, font_path: Path | None) -> list[Element]:
    if font_path is not None:
        try:
            load_font(Path(font_path), 20)
        except OSError:  # missing, unreadable or not a font: a setting points at the wrong file
            raise ConfigurationError(f"글꼴 파일을 찾을 수 없습니다: {font_path}", code="font_missing") from None
    texts: dict[Role, str] = {
        "headline": ad_copy.headline,
        "body": ad_copy.body,
        "cta": ad_copy.cta,
        "hashtags": " ".join(ad_copy.hashtags),
        "details": ad_copy.details,
    }
    elements: list[Element] = []
    for role, text in texts.items():
        primary = FONTS_DIR / ROLE_STYLES[role].font_file
        paths = [Path(font_path)] if font_path is not None else []
        paths += [p for p in (primary, FALLBACK_FONT) if p not in paths]
        chain = FontChain(tuple(paths), ROLE_STYLES[role].tracking)
        drawn, dropped = sanitize(text, chain)
        if dropped:
            log.info("compositor: %s drawn without %s (no font has them)", role, " ".join(f"U+{ord(c):04X}" for c in dropped))
        if drawn:
            elements.append(Element(role, drawn, chain))
        elif text.strip():
            log.warning("compositor: %s %r has nothing drawable; left out", role, text)
    return elements


# --- layout choice -----------------------------------------------------------------------


def _inside(inner: Rect, outer: Rect) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _busyness(pixels: np.ndarray, rect: Rect) -> float:
    return float(luminance_map(_sample(pixels, rect)).std())


def _choose(plans: list[Plan], elements: list[Element], short: int, avoid: Rect | None, prefer_clear: Rect | None = None) -> Layout:
    """The best plan for the copy, in this order:

    1. the first plan (in the ratio's order of preference) that fits at designed sizes and keeps
       clear of both ``avoid`` and ``prefer_clear``;
    2. within the designed range of sizes (smaller, never below the minimum), the plan that keeps the
       type largest clear of both (long owner copy: a shape's edge through the letters looks accidental);
    2b. at designed sizes and clear of ``avoid``, the plan covering least of ``prefer_clear``;
    3. clear of ``avoid``, the plan that keeps the type largest: in the designed range, else
       below it, down to the legibility floor.

    Text never goes on ``avoid`` and none of it is left out: when no plan holds all of it, the copy is too
    long for the image (``copy_too_long``).
    """
    d = round(AVOID_CLEARANCE * short)
    keep_clear = grow(avoid, d) if avoid is not None else None
    soft = grow(prefer_clear, d) if prefer_clear is not None else None

    least_soft: tuple[int, Layout] | None = None
    for plan in plans:
        layout = place(plan, elements, short)
        if layout is None or layout.area_on(keep_clear) > 0:
            continue
        on_hero = layout.area_on(soft)
        if on_hero == 0:
            return layout
        if least_soft is None or on_hero < least_soft[0]:
            least_soft = (on_hero, layout)
    if least_soft is not None:
        if soft is not None and (keep_clear is None or _inside(keep_clear, soft)):
            clear: Layout | None = None
            for plan in plans:
                larger_than = clear.scale if clear is not None else 0.0
                layout = place(plan, elements, short, below_minimum=False, keep_clear=soft, larger_than=larger_than)
                if layout is not None:
                    clear = layout
            if clear is not None:
                return clear
        return least_soft[1]
    # Nothing fits clear of `avoid` at the largest designed sizes: smaller ones, then below them.
    for below_minimum in (False, True):
        best: Layout | None = None
        for plan in plans:
            larger_than = best.scale if best is not None else 0.0
            layout = place(plan, elements, short, below_minimum=below_minimum, keep_clear=keep_clear, larger_than=larger_than)
            if layout is not None:
                best = layout
        if best is not None:
            return best
    raise ValidationError(
        "문구가 너무 길어 이미지에 다 들어가지 않습니다. 본문을 줄여 주세요.",
        code="copy_too_long",
        plans=[p.name for p in plans],
        avoid=avoid,
        lengths={e.role: len(e.text) for e in elements},
    )


# --- colours -----------------------------------------------------------------------------


def _accent(pixels: np.ndarray, suggested: RGB | None, pill_box: Rect | None) -> tuple[RGB, RGB]:
    """The pill colour and its text colour.

    A suggested accent is the brand's choice and is kept. Otherwise the picture's own vivid hues
    are tried, most common first, and the first that stands out from what surrounds the pill wins:
    a button the colour of the table it sits on does not read as a button.
    """
    if suggested is not None:
        return _button(tuple(int(c) for c in suggested))  # type: ignore[arg-type]
    hues = _vivid_hues(pixels)
    # The picture's hues as they are, then deepened (a darker shade reads as the same family).
    candidates = [*hues, *(_deepen(c) for c in hues), *_FALLBACK_ACCENTS]
    if pill_box is None:
        return _button(candidates[0])
    x0, y0, x1, y1 = pill_box
    pad = (y1 - y0) // 2
    around = pixels[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad].reshape(-1, 3).mean(axis=0)
    surround = _lab((int(around[0]), int(around[1]), int(around[2])))
    best: tuple[float, tuple[RGB, RGB]] | None = None
    for candidate in candidates:
        button = _button(candidate)
        distance = float(np.linalg.norm(_lab(button[0]) - surround))
        if distance >= _ACCENT_MIN_DELTA_E:
            return button
        if best is None or distance > best[0]:
            best = (distance, button)
    assert best is not None
    return best[1]


def _button(base: RGB) -> tuple[RGB, RGB]:
    """A pill colour near ``base`` and its label colour: white where a slightly deeper pill allows it."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in base))
    # White on a colour looks like a button; accept a pill up to 0.3 darker for it.
    for step in range(16):
        value = v - 0.02 * step
        if value < v - 0.3 or value <= 0:
            break
        colour = _hsv(h, s, value)
        if wcag_contrast(colour, WHITE) >= _DECIDE_TARGET:
            return colour, WHITE
    if wcag_contrast(base, INK) >= _DECIDE_TARGET:
        return base, INK
    value = v
    while value > 0:  # a mid-tone neither colour clears: deepen until white does
        value -= 0.02
        colour = _hsv(h, s, max(value, 0.0))
        if wcag_contrast(colour, WHITE) >= _DECIDE_TARGET:
            return colour, WHITE
    return (0, 0, 0), WHITE


def _deepen(colour: RGB) -> RGB:
    h, _, _ = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    return _hsv(h, 0.8, 0.45)


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def _lab(rgb: RGB) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour: distances in it follow how different colours look."""
    lin = np.array(srgb_to_linear(rgb))
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _vivid_hues(pixels: np.ndarray, count: int = 3) -> list[RGB]:
    """Button colours from the picture's most common vivid hues, most common first."""
    small = Image.fromarray(pixels).resize((48, 48), Image.Resampling.BOX)
    hsv = np.asarray(small.convert("HSV")).reshape(-1, 3).astype(np.float32) / 255.0
    weight = hsv[:, 1] * hsv[:, 2] * ((hsv[:, 1] > 0.3) & (hsv[:, 2] > 0.3))
    bins = np.bincount((hsv[:, 0] * 24).astype(int) % 24, weights=weight, minlength=24)
    # A hue needs a few percent of the picture behind it to count as the picture's colour.
    order = [int(i) for i in np.argsort(-bins, kind="stable") if bins[i] >= 0.02 * len(weight) * 0.4]
    return [_hsv((i + 0.5) / 24, 0.72, 0.86) for i in order[:count]]


def _group_region(layout: Layout, gi: int, *, text_only: bool) -> Rect | None:
    boxes = [p for p in layout.placed if p.group == gi and not (text_only and p.role == "cta")]
    if not boxes:
        return None
    pad = max(2, round(0.2 * max(p.size for p in boxes)))
    return (
        min(p.box[0] for p in boxes) - pad,
        min(p.box[1] for p in boxes) - pad,
        max(p.box[2] for p in boxes) + pad,
        max(p.box[3] for p in boxes) + pad,
    )


def _sample(array: np.ndarray, rect: Rect) -> np.ndarray:
    x0, y0, x1, y1 = (max(0, rect[0]), max(0, rect[1]), rect[2], rect[3])
    stride = max(1, math.ceil(math.sqrt((x1 - x0) * (y1 - y0) / _SAMPLE_PIXELS)))
    return array[y0:y1:stride, x0:x1:stride]


def _group_style(layout: Layout, gi: int, pixels: np.ndarray) -> _GroupStyle:
    """Text colour for a group and the weakest scrim that gets it to the target contrast."""
    region = _group_region(layout, gi, text_only=True)
    if region is None:  # only the CTA, which brings its own pill
        return _GroupStyle(WHITE, DARK_SCRIM, 0.0)
    region_pixels = _sample(pixels, region)
    bg = luminance_map(region_pixels)
    on_white = worst_case_contrast(relative_luminance(WHITE), bg, _DECIDE_PERCENTILE)
    on_ink = worst_case_contrast(relative_luminance(INK), bg, _DECIDE_PERCENTILE)
    if max(on_white, on_ink) >= _DECIDE_TARGET:
        return _GroupStyle(WHITE, DARK_SCRIM, 0.0) if on_white >= on_ink else _GroupStyle(INK, LIGHT_SCRIM, 0.0)
    flat = region_pixels.reshape(-1, 3).astype(np.float32)
    dark = _required_alpha(flat, DARK_SCRIM, WHITE)
    light = _required_alpha(flat, LIGHT_SCRIM, INK)
    # A dark veil reads as "photo ad"; a heavy white one as washed out, so dark wins near-ties.
    if dark <= light + 0.1:
        return _GroupStyle(WHITE, DARK_SCRIM, dark)
    return _GroupStyle(INK, LIGHT_SCRIM, light)


def _required_alpha(region: np.ndarray, scrim: RGB, text: RGB) -> float:
    text_lum = relative_luminance(text)
    colour = np.array(scrim, dtype=np.float32)

    def passes(alpha: float) -> bool:
        blended = luminance_of_float(region * (1 - alpha) + colour * alpha)
        return worst_case_contrast(text_lum, blended, _DECIDE_PERCENTILE) >= _DECIDE_TARGET

    lo, hi = 0.0, 1.0
    for _ in range(10):
        mid = (lo + hi) / 2
        if passes(mid):
            hi = mid
        else:
            lo = mid
    return round(hi + 0.005, 3)


# --- drawing -----------------------------------------------------------------------------


def _render(
    base: Image.Image,
    layout: Layout,
    styles: list[_GroupStyle],
    chains: dict[Role, FontChain],
    pill: RGB,
    pill_text: RGB,
    avoid: Rect | None,
) -> tuple[Image.Image, list[tuple[Image.Image, tuple[int, int]]]]:
    canvas = np.array(base)
    for gi, style in enumerate(styles):
        if style.alpha > 0:
            _apply_scrim(canvas, layout, gi, style)
    out = Image.fromarray(canvas)
    if avoid is not None and all(intersection_area(b, avoid) == 0 for b in layout.boxes()):
        # The product photo stays exactly as it was: no scrim or shadow may veil it.
        out.paste(base.crop(avoid), avoid[:2])
    masks: list[tuple[Image.Image, tuple[int, int]]] = []
    for placed in layout.placed:
        if placed.role == "cta":
            _draw_pill(out, placed.box, pill)
        colour = pill_text if placed.role == "cta" else styles[placed.group].text
        mask, offset = _text_mask(placed, chains[placed.role], out.size)
        out.paste(colour, offset, mask)
        masks.append((mask, offset))
    return out, masks


def _apply_scrim(canvas: np.ndarray, layout: Layout, gi: int, style: _GroupStyle) -> None:
    """Blend (in place, uint8) a gradient from the group's image edge: full strength behind the text, fading beyond it."""
    height, width = canvas.shape[:2]
    region = _group_region(layout, gi, text_only=False)
    assert region is not None
    short = min(width, height)
    edge = layout.plan.groups[gi].edge
    vertical = edge in ("top", "bottom")
    length = height if vertical else width
    # Distance from the edge to the far side of the text, plus breathing room.
    pad = round(0.04 * short)
    far = {"top": region[3], "bottom": height - region[1], "left": region[2], "right": width - region[0]}[edge] + pad
    # The fade stops short of other groups so it never changes what they were measured against.
    fade = round(0.22 * short)
    for other in range(len(layout.plan.groups)):
        other_region = _group_region(layout, other, text_only=False)
        if other == gi or other_region is None:
            continue
        near = {"top": other_region[1], "bottom": height - other_region[3], "left": other_region[0], "right": width - other_region[2]}[edge]
        if near >= far:
            fade = min(fade, max(0, near - far))
    t = np.arange(length, dtype=np.float32)
    # Slightly deeper towards the edge (a vignette), never weaker than `alpha` behind the text.
    inside = style.alpha + (min(1.0, style.alpha + 0.12) - style.alpha) * np.clip(1 - t / max(far, 1), 0, 1)
    if fade > 0:
        s = np.clip((t - far) / fade, 0, 1)
        outside = style.alpha * (1 - s * s * (3 - 2 * s))
    else:
        outside = np.zeros_like(t)
    profile = np.where(t < far, inside, outside)
    if edge in ("bottom", "right"):
        profile = profile[::-1]
    # Only the band the scrim reaches is converted to float and blended.
    reach = np.nonzero(profile > 0)[0]
    lo, hi = int(reach[0]), int(reach[-1]) + 1
    band = canvas[lo:hi] if vertical else canvas[:, lo:hi]
    alpha = profile[lo:hi, None, None] if vertical else profile[None, lo:hi, None]
    blended = band.astype(np.float32) * (1 - alpha) + np.array(style.scrim, dtype=np.float32) * alpha
    band[...] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def _draw_pill(out: Image.Image, box: Rect, colour: RGB) -> None:
    """A rounded button with a soft shadow, antialiased by drawing it four times larger."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    radius = min(h / 2, w / 2)
    blur = max(2, round(h * 0.12))
    drop = max(1, round(h * 0.06))
    margin = 3 * blur + drop
    crop_box = (max(0, x0 - margin), max(0, y0 - margin), min(out.width, x1 + margin), min(out.height, y1 + margin))
    crop = out.crop(crop_box)
    ox, oy = x0 - crop_box[0], y0 - crop_box[1]

    k = 4
    big = Image.new("L", (crop.width * k, crop.height * k), 0)
    ImageDraw.Draw(big).rounded_rectangle((ox * k, oy * k, (ox + w) * k - 1, (oy + h) * k - 1), radius=round(radius * k), fill=255)
    shape = big.resize(crop.size, Image.Resampling.BOX)

    shadow = Image.new("L", crop.size, 0)
    shadow.paste(shape, (0, drop))
    shadow = shadow.filter(ImageFilter.GaussianBlur(blur)).point(lambda v: v * 0.35)
    crop.paste((0, 0, 0), (0, 0), shadow)
    crop.paste(colour, (0, 0), shape)
    out.paste(crop, crop_box[:2])


def _text_mask(placed: Placed, chain: FontChain, canvas: tuple[int, int]) -> tuple[Image.Image, tuple[int, int]]:
    """The antialiased glyph coverage of one role, over its box plus room for overhanging ink."""
    pad = max(4, round(placed.size * 0.3))
    x0, y0 = max(0, placed.box[0] - pad), max(0, placed.box[1] - pad)
    x1, y1 = min(canvas[0], placed.box[2] + pad), min(canvas[1], placed.box[3] + pad)
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    draw = ImageDraw.Draw(mask)
    for line, (x, baseline) in zip(placed.lines, placed.origins, strict=True):
        chain.draw(draw, x - x0, baseline - y0, line, placed.size, 255)
    return mask, (x0, y0)


# --- measuring ---------------------------------------------------------------------------


def _measure(
    out: np.ndarray,
    layout: Layout,
    masks: list[tuple[Image.Image, tuple[int, int]]],
    styles: list[_GroupStyle],
    pill_text: RGB,
) -> list[float]:
    """Contrast of each role's text colour against the unlettered pixels around its glyphs."""
    ratios: list[float] = []
    for placed, (mask, (mx, my)) in zip(layout.placed, masks, strict=True):
        colour = pill_text if placed.role == "cta" else styles[placed.group].text
        ink = mask.getbbox()
        if ink is None:
            ratios.append(float("inf"))
            continue
        pad = max(2, round(placed.size * 0.2))
        x0, y0 = max(0, ink[0] - pad), max(0, ink[1] - pad)
        x1, y1 = min(mask.width, ink[2] + pad), min(mask.height, ink[3] + pad)
        if placed.role == "cta":  # only the pill lies behind the label, not the picture at its corners
            bx0, by0, bx1, by1 = placed.box
            x0, y0 = max(x0, bx0 - mx + 1), max(y0, by0 - my + 1)
            x1, y1 = min(x1, bx1 - mx - 1), min(y1, by1 - my - 1)
        glyphs = np.asarray(mask)[y0:y1, x0:x1]
        behind = luminance_map(out[my + y0 : my + y1, mx + x0 : mx + x1])[glyphs == 0]
        ratios.append(worst_case_contrast(relative_luminance(colour), behind, MEASURE_PERCENTILE))
    return ratios
