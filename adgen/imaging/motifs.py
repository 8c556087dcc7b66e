"""Small line-art motifs per industry (a coffee cup, a dumbbell...), drawn with PIL primitives.

Each motif is drawn as a white-on-black mask in a unit box and returned anti-aliased: PIL draws
without anti-aliasing, so the mask is drawn at ``SUPERSAMPLE`` times the size and reduced. The
template renderer tints the mask and lays it at low opacity, so a motif hints at the business
without turning the background into clip-art.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from PIL import Image, ImageDraw

SUPERSAMPLE: Final = 4

Point = tuple[float, float]
Painter = Callable[[ImageDraw.ImageDraw, Callable[[float, float], Point], float, float], None]


def _ellipse_polygon(cx: float, cy: float, rx: float, ry: float, angle_deg: float, n: int = 40) -> list[Point]:
    """Points of a rotated ellipse (PIL only draws axis-aligned ones)."""
    a = math.radians(angle_deg)
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x, y = rx * math.cos(t), ry * math.sin(t)
        pts.append((cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)))
    return pts


def _wave(x: float, y0: float, y1: float, amplitude: float, turns: float, n: int = 24) -> list[Point]:
    return [(x + amplitude * math.sin(turns * 2 * math.pi * i / (n - 1)), y0 + (y1 - y0) * i / (n - 1)) for i in range(n)]


def _sparkle(cx: float, cy: float, r: float, waist: float = 0.22) -> list[Point]:
    """A four-pointed star with concave sides (the "sparkle" of beauty and promo graphics)."""
    pts: list[Point] = []
    for i in range(8):
        a = math.pi / 4 * i - math.pi / 2
        rr = r if i % 2 == 0 else r * waist
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


# Each painter gets: the draw, P(x, y) mapping unit coordinates to pixels, the stroke width in
# pixels, and the box size in pixels (for radii).


def _cafe(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.rounded_rectangle([P(0.22, 0.44), P(0.68, 0.84)], radius=0.14 * s, outline=255, width=round(w))
    d.arc([P(0.58, 0.51), P(0.84, 0.73)], start=-90, end=90, fill=255, width=round(w))
    d.line([P(0.10, 0.92), P(0.82, 0.92)], fill=255, width=round(w))
    for x, phase in ((0.34, 0.0), (0.45, 0.5), (0.56, 0.0)):
        pts = _wave(x, 0.36 - 0.02 * phase, 0.10 + 0.03 * phase, 0.025, 1.0)
        d.line([P(*p) for p in pts], fill=255, width=round(w * 0.8), joint="curve")


def _bakery(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    # A wheat stalk, slightly bent.
    stem = [(0.50 + 0.06 * (1 - t) ** 2, 0.96 - 0.80 * t) for t in (i / 20 for i in range(21))]
    d.line([P(*p) for p in stem], fill=255, width=round(w), joint="curve")
    for i, t in enumerate((0.30, 0.42, 0.54, 0.66)):
        x, y = 0.50 + 0.06 * (1 - t) ** 2, 0.96 - 0.80 * t
        for side in (-1, 1):
            grain = _ellipse_polygon(x + side * 0.085, y - 0.05, 0.045, 0.10, side * 35)
            d.polygon([P(*p) for p in grain], outline=255, width=round(w * 0.8))
        if i == 3:
            top = _ellipse_polygon(x, y - 0.15, 0.04, 0.09, 0)
            d.polygon([P(*p) for p in top], outline=255, width=round(w * 0.8))


def _restaurant(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.ellipse([P(0.22, 0.20), P(0.78, 0.76)], outline=255, width=round(w))
    d.ellipse([P(0.32, 0.30), P(0.68, 0.66)], outline=255, width=round(w * 0.6))
    # fork
    d.line([P(0.10, 0.36), P(0.10, 0.84)], fill=255, width=round(w))
    for x in (0.06, 0.10, 0.14):
        d.line([P(x, 0.16), P(x, 0.32)], fill=255, width=round(w * 0.6))
    d.arc([P(0.06, 0.22), P(0.14, 0.40)], start=0, end=180, fill=255, width=round(w * 0.6))
    # knife
    d.polygon([P(0.88, 0.16), P(0.93, 0.22), P(0.93, 0.50), P(0.88, 0.50)], outline=255, width=round(w * 0.8))
    d.line([P(0.905, 0.50), P(0.905, 0.84)], fill=255, width=round(w))


def _beauty(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    # A serum drop (a circle with a tangent point on top) and sparkles.
    cx, cy, r, tip = 0.40, 0.64, 0.18, 0.44
    theta = math.acos(r / tip)
    arc = [theta + (2 * math.pi - 2 * theta) * i / 30 for i in range(31)]
    drop = [(cx, cy - tip)] + [(cx + r * math.sin(a), cy - r * math.cos(a)) for a in arc]
    d.polygon([P(*p) for p in drop], outline=255, width=round(w))
    d.polygon([P(*p) for p in _sparkle(0.76, 0.30, 0.13)], fill=255)
    d.polygon([P(*p) for p in _sparkle(0.84, 0.62, 0.07)], fill=255)
    d.polygon([P(*p) for p in _sparkle(0.16, 0.22, 0.05)], fill=255)


def _fitness(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.line([P(0.16, 0.50), P(0.84, 0.50)], fill=255, width=round(w * 1.3))
    for x0, x1, h in ((0.20, 0.29, 0.22), (0.11, 0.19, 0.14)):
        d.rounded_rectangle([P(x0, 0.5 - h), P(x1, 0.5 + h)], radius=0.03 * s, outline=255, width=round(w))
        d.rounded_rectangle([P(1 - x1, 0.5 - h), P(1 - x0, 0.5 + h)], radius=0.03 * s, outline=255, width=round(w))


def _fashion(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.rounded_rectangle([P(0.22, 0.36), P(0.78, 0.90)], radius=0.05 * s, outline=255, width=round(w))
    d.arc([P(0.36, 0.14), P(0.64, 0.56)], start=180, end=360, fill=255, width=round(w))
    d.polygon([P(*p) for p in _sparkle(0.62, 0.62, 0.07)], fill=255)


def _academy(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    left = [P(0.50, 0.34), P(0.10, 0.26), P(0.10, 0.80), P(0.50, 0.88)]
    right = [P(0.50, 0.34), P(0.90, 0.26), P(0.90, 0.80), P(0.50, 0.88)]
    d.line([*left, left[0]], fill=255, width=round(w), joint="curve")
    d.line([*right, right[0]], fill=255, width=round(w), joint="curve")
    for i in range(3):
        y = 0.42 + 0.10 * i
        d.line([P(0.18, y - 0.01), P(0.42, y + 0.035)], fill=255, width=round(w * 0.6))
        d.line([P(0.58, y + 0.035), P(0.82, y - 0.01)], fill=255, width=round(w * 0.6))
    d.polygon([P(*p) for p in _sparkle(0.50, 0.14, 0.07)], fill=255)


def _flower(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.line([P(0.50, 0.50), P(0.50, 0.96)], fill=255, width=round(w))
    leaf = _ellipse_polygon(0.62, 0.76, 0.12, 0.045, -35)
    d.polygon([P(*p) for p in leaf], outline=255, width=round(w * 0.8))
    for i in range(5):
        a = -90 + 72 * i
        cx, cy = 0.50 + 0.15 * math.cos(math.radians(a)), 0.34 + 0.15 * math.sin(math.radians(a))
        d.polygon([P(*p) for p in _ellipse_polygon(cx, cy, 0.14, 0.075, a)], outline=255, width=round(w * 0.8))
    d.ellipse([P(0.45, 0.29), P(0.55, 0.39)], fill=255)


def _pet(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.polygon([P(*p) for p in _ellipse_polygon(0.50, 0.66, 0.20, 0.16, 0)], fill=255)
    for cx, cy, a in ((0.22, 0.40, -25), (0.39, 0.26, -8), (0.61, 0.26, 8), (0.78, 0.40, 25)):
        d.polygon([P(*p) for p in _ellipse_polygon(cx, cy, 0.075, 0.10, a)], fill=255)


def _realestate(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.line([P(0.12, 0.50), P(0.50, 0.16), P(0.88, 0.50)], fill=255, width=round(w), joint="curve")
    d.line([P(0.22, 0.42), P(0.22, 0.88), P(0.78, 0.88), P(0.78, 0.42)], fill=255, width=round(w), joint="curve")
    d.rounded_rectangle([P(0.42, 0.64), P(0.58, 0.88)], radius=0.02 * s, outline=255, width=round(w * 0.8))
    d.rectangle([P(0.30, 0.50), P(0.40, 0.60)], outline=255, width=round(w * 0.6))
    d.line([P(0.66, 0.20), P(0.66, 0.32)], fill=255, width=round(w))


def _general(d: ImageDraw.ImageDraw, P: Callable[[float, float], Point], w: float, s: float) -> None:
    d.polygon([P(*p) for p in _sparkle(0.42, 0.46, 0.30, 0.2)], fill=255)
    d.polygon([P(*p) for p in _sparkle(0.78, 0.20, 0.12, 0.2)], fill=255)
    d.polygon([P(*p) for p in _sparkle(0.76, 0.80, 0.08, 0.2)], fill=255)


PAINTERS: Final[dict[str, Painter]] = {
    "cafe": _cafe,
    "bakery": _bakery,
    "restaurant": _restaurant,
    "beauty": _beauty,
    "fitness": _fitness,
    "fashion": _fashion,
    "academy": _academy,
    "flower": _flower,
    "pet": _pet,
    "realestate": _realestate,
    "general": _general,
}


def motif_mask(name: str, size: int, stroke: float = 0.035) -> Image.Image:
    """An anti-aliased ``size`` x ``size`` "L" mask of the motif (255 = ink); ``stroke`` is relative to ``size``."""
    big = size * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)

    def P(x: float, y: float) -> Point:
        return (x * big, y * big)

    PAINTERS[name](draw, P, max(1.0, stroke * big), float(big))
    return mask.reduce(SUPERSAMPLE)
