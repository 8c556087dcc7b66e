"""Where each piece of copy goes and how big it is.

A layout *plan* is one or two groups of text roles, each stacked in a rectangle inside the safe
margins and anchored to an edge of the image (the edge a scrim grows from if one is needed).
``place`` fits a plan to the copy: every role starts at its largest size (a fraction of the
image's short side) and the whole design shrinks in small uniform steps, so the hierarchy holds,
until it fits; roles that still do not fit at their minimum break onto more lines, and below the
minimum the sizes keep shrinking to a legibility floor rather than ever leaving the canvas. Text
is never cut short: copy that does not fit at the floor fits no plan (the caller says so).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from adgen.compositor.fonts import FontChain
from adgen.compositor.linebreak import words_fit, wrap

Role = Literal["headline", "body", "cta", "hashtags", "details"]
Rect = tuple[int, int, int, int]
Edge = Literal["top", "bottom", "left", "right"]

# The order they stack in: the shop's contacts close the ad, under the hashtags, like a flyer's footer.
ROLES: Final[tuple[Role, ...]] = ("headline", "body", "cta", "hashtags", "details")


@dataclass(frozen=True)
class RoleStyle:
    font_file: str
    max_size: float  # fraction of the image's short side
    min_size: float  # fraction of the short side; below it only when nothing else fits
    max_lines: int  # lines allowed before the size must shrink (beyond min_size: unlimited)
    line_height: float  # baseline-to-baseline distance, in font sizes
    separator: str = " "  # what stands between two words on a line
    tracking: float = 0.0  # extra space after each character, in ems
    phrases: bool = False  # break between the items of a list ("a · b · c") before between words
    cut_words: bool = True  # a word wider than the line may be cut at the role's minimum size


ROLE_STYLES: Final[dict[Role, RoleStyle]] = {
    # Korean display type reads best tight; body text needs air between lines (1.5).
    "headline": RoleStyle("NanumSquareB.ttf", 0.115, 0.06, 2, 1.2, tracking=-0.03),
    "body": RoleStyle("NanumSquareR.ttf", 0.042, 0.029, 3, 1.5),
    "cta": RoleStyle("NanumGothicBold.ttf", 0.042, 0.03, 1, 1.3),
    # Tags are separate words: a wide gap reads as "a list", a single space as a sentence.
    "hashtags": RoleStyle("NanumGothic.ttf", 0.029, 0.022, 2, 1.45, separator="   "),
    # The shop's contacts are read and copied, not skimmed: a phone number or @handle cut in two
    # is misdialled, so the line shrinks (to the floor, if it must) before a word is ever cut.
    "details": RoleStyle("NanumGothic.ttf", 0.029, 0.022, 2, 1.45, phrases=True, cut_words=False),
}

MARGIN_FRACTION: Final[dict[str, float]] = {"1:1": 0.07, "4:3": 0.065, "3:4": 0.065}
FLOOR_PX: Final = 9  # below this Hangul strokes merge; no role is drawn smaller
MIN_GROUP_GAP: Final = 0.04  # fraction of the short side between two groups
# Fraction of the short side kept between text and the product photo: text touching a product
# looks cramped, and the glyphs' surroundings (measured for contrast) must not be the product.
AVOID_CLEARANCE: Final = 0.04

# The CTA pill, in CTA font sizes.
PILL_PAD_X: Final = 1.5
PILL_HEIGHT: Final = 2.3

# Space between consecutive roles in a group, in multiples of the larger of the two font sizes.
_GAPS: Final[dict[tuple[Role, Role], float]] = {
    ("headline", "body"): 0.42,
    ("headline", "cta"): 0.6,
    ("headline", "hashtags"): 0.5,
    ("body", "cta"): 1.1,
    ("body", "hashtags"): 0.9,
    ("cta", "hashtags"): 0.75,
    ("headline", "details"): 0.5,
    ("body", "details"): 0.9,
    ("cta", "details"): 0.75,
    ("hashtags", "details"): 0.9,
}
_SHRINK_STEP: Final = 0.94


def safe_margin(width: int, height: int, aspect_ratio: str) -> int:
    """Pixels kept free of text along every edge."""
    return round(min(width, height) * MARGIN_FRACTION[aspect_ratio])


@dataclass(frozen=True)
class Group:
    rect: Rect
    roles: tuple[Role, ...]
    valign: Literal["top", "center", "bottom"]
    halign: Literal["left", "center"]
    edge: Edge  # the image edge the group sits against; a scrim grows from it


@dataclass(frozen=True)
class Plan:
    name: str
    groups: tuple[Group, ...]
    # Most of the plan's height the text should take while sizes are above their minimum: a
    # layout that is all text hides the picture.
    soft_fill: float


@dataclass
class Element:
    role: Role
    text: str
    chain: FontChain

    @property
    def style(self) -> RoleStyle:
        return ROLE_STYLES[self.role]


@dataclass
class Placed:
    role: Role
    group: int
    size: int
    lines: list[str]
    origins: list[tuple[int, int]]  # (x, baseline) of each line
    box: Rect  # the text block; for the CTA, the pill


@dataclass
class Layout:
    plan: Plan
    placed: list[Placed]
    # The factor ``place`` shrank the type by: of the designed sizes, or below them of the minimum
    # sizes. Of two layouts shrunk the same way, the larger scale has the larger type.
    scale: float = 1.0

    def boxes(self) -> list[Rect]:
        return [p.box for p in self.placed]

    def area_on(self, rect: Rect | None) -> int:
        """Pixels of ``rect`` under the text boxes."""
        return 0 if rect is None else sum(intersection_area(box, rect) for box in self.boxes())


@dataclass(frozen=True)
class _Fit:
    size: int
    lines: tuple[str, ...]
    widths: tuple[float, ...]
    height: int


def _pill_pad(size: int) -> int:
    return round(size * PILL_PAD_X)


def _height(role: Role, chain: FontChain, size: int, n_lines: int) -> int:
    line = round(size * ROLE_STYLES[role].line_height)
    if role == "cta":
        return (n_lines - 1) * line + round(size * PILL_HEIGHT)
    ascent, descent = chain.metrics(size)
    return (n_lines - 1) * line + ascent + descent


def _fit(element: Element, max_width: int, hi: float, lo: float) -> _Fit | None:
    """The largest size in [lo, hi] at which the role fits its line limit; else ``lo`` with more lines."""
    style = element.style
    top, bottom = max(1, int(hi)), max(1, math.ceil(lo))

    def attempt(size: int, *, may_cut_words: bool) -> _Fit | None:
        return _attempt(element.role, element.text, element.chain, max_width, size, may_cut_words)

    size = top
    while size >= bottom:
        fit = attempt(size, may_cut_words=False)
        # A line of one character ("월" over "450,000원!") reads as a stray: a smaller size avoids it.
        stray = fit is not None and len(fit.lines) > 1 and any(len(line.strip()) <= 1 for line in fit.lines)
        if fit is not None and len(fit.lines) <= style.max_lines and not stray:
            return fit
        size -= max(1, round(size * 0.04))
    last = min(top, bottom)
    fit = attempt(last, may_cut_words=False)
    if fit is None and (style.cut_words or last <= FLOOR_PX):  # at the floor there is no smaller size to try
        fit = attempt(last, may_cut_words=True)
    return fit


@lru_cache(maxsize=4096)
def _attempt(role: Role, text: str, chain: FontChain, max_width: int, size: int, may_cut_words: bool) -> _Fit | None:
    """``text`` wrapped at ``size``, or None when a line would be wider than ``max_width``.

    Cached: every plan and every step of shrinking asks again for the same widths and sizes.
    """
    style = ROLE_STYLES[role]
    avail = max_width - (2 * _pill_pad(size) if role == "cta" else 0)
    if avail <= size:
        return None

    def measure(s: str) -> float:
        return chain.width(s, size)

    # A smaller size that keeps words whole beats a larger one that cuts one.
    if not may_cut_words and not words_fit(text, avail, measure, separator=style.separator, phrases=style.phrases):
        return None
    lines = wrap(text, avail, measure, separator=style.separator, phrases=style.phrases)
    widths = [chain.width(line, size) for line in lines]
    if max(widths) > avail:
        return None
    return _Fit(size, tuple(lines), tuple(widths), _height(role, chain, size, len(lines)))


def _gap(prev: _Fit, prev_role: Role, nxt: _Fit, next_role: Role) -> int:
    return round(_GAPS.get((prev_role, next_role), 0.8) * max(prev.size, nxt.size))


def _max_width(group: Group, role: Role) -> int:
    width = group.rect[2] - group.rect[0]
    # A centred paragraph reads badly when it runs edge to edge: keep body text a little narrower.
    if role == "body" and group.halign == "center":
        return round(width * 0.88)
    return width


def place(
    plan: Plan,
    elements: list[Element],
    short_side: int,
    *,
    below_minimum: bool = False,
    keep_clear: Rect | None = None,
    larger_than: float = 0.0,
) -> Layout | None:
    """Fit ``elements`` to ``plan`` at the largest sizes that fit, or None when they cannot fit.

    Without ``below_minimum``, only sizes in the designed range are tried: callers ask every plan
    that way first, so a plan that would need small type loses to one that does not. With it,
    only sizes below the minimum, down to the legibility floor. Either way only layouts clear of
    ``keep_clear``, at a scale above ``larger_than`` (the best another plan reached), are kept.
    """
    by_role = {e.role: e for e in elements}
    mins = {e.role: max(FLOOR_PX, e.style.min_size * short_side) for e in elements}
    scale = 1.0
    if not below_minimum:
        # Every role shrinks by the same factor (clamped at its minimum), until the text leaves
        # enough of the picture free or every role is at its minimum.
        while scale > larger_than:
            his = {e.role: max(mins[e.role], e.style.max_size * short_side * scale) for e in elements}
            at_minimum = all(his[r] <= mins[r] for r in his)
            layout = _try_sizes(plan, by_role, his, mins, short_side, need_soft=not at_minimum)
            if layout is not None and layout.area_on(keep_clear) == 0:
                layout.scale = scale
                return layout
            if at_minimum:
                return None
            scale *= _SHRINK_STEP
        return None
    # Too much copy for the space: below the minimum, every role by the same factor of its
    # minimum (so the hierarchy holds), down to the legibility floor.
    while True:
        scale *= _SHRINK_STEP
        if scale <= larger_than:
            return None
        his = {r: max(FLOOR_PX, mins[r] * scale) for r in mins}
        layout = _try_sizes(plan, by_role, his, his, short_side, need_soft=False)
        if layout is not None and layout.area_on(keep_clear) == 0:
            layout.scale = scale
            return layout
        if all(hi <= FLOOR_PX for hi in his.values()):
            return None


def _try_sizes(
    plan: Plan, by_role: dict[Role, Element], his: dict[Role, float], los: dict[Role, float], short_side: int, *, need_soft: bool
) -> Layout | None:
    fits: dict[Role, _Fit] = {}
    for group in plan.groups:
        for role in group.roles:
            if role in by_role:
                fit = _fit(by_role[role], _max_width(group, role), his[role], los[role])
                if fit is None:
                    return None
                fits[role] = fit
    layout = _position(plan, fits, by_role, short_side)
    if layout is None or not need_soft:
        return layout
    used = sum(_group_height(g, fits) for g in plan.groups)
    union = max(g.rect[3] for g in plan.groups) - min(g.rect[1] for g in plan.groups)
    return layout if used <= plan.soft_fill * union else None


def _group_height(group: Group, fits: dict[Role, _Fit]) -> int:
    roles = [r for r in group.roles if r in fits]
    total = sum(fits[r].height for r in roles)
    total += sum(_gap(fits[a], a, fits[b], b) for a, b in zip(roles, roles[1:], strict=False))
    return total


def _position(plan: Plan, fits: dict[Role, _Fit], by_role: dict[Role, Element], short_side: int) -> Layout | None:
    placed: list[Placed] = []
    for gi, group in enumerate(plan.groups):
        roles = [r for r in group.roles if r in fits]
        if not roles:
            continue
        x0, y0, x1, y1 = group.rect
        total = _group_height(group, fits)
        if total > y1 - y0:
            return None
        if group.valign == "top":
            y = y0
        elif group.valign == "bottom":
            y = y1 - total
        else:
            y = y0 + (y1 - y0 - total) // 2
        for i, role in enumerate(roles):
            if i:
                y += _gap(fits[roles[i - 1]], roles[i - 1], fits[role], role)
            placed.append(_place_role(role, gi, group, fits[role], by_role[role].chain, y))
            y += fits[role].height
    # Groups that share space (top and bottom of one column) must keep clear of each other.
    min_gap = round(MIN_GROUP_GAP * short_side)
    for a in placed:
        for b in placed:
            if a.group < b.group and _intersects(grow(a.box, min_gap // 2), grow(b.box, min_gap // 2)):
                return None
    return Layout(plan, placed)


def _place_role(role: Role, gi: int, group: Group, fit: _Fit, chain: FontChain, y: int) -> Placed:
    x0, _, x1, _ = group.rect
    line = round(fit.size * ROLE_STYLES[role].line_height)
    if role == "cta":
        pad = _pill_pad(fit.size)
        width = math.ceil(max(fit.widths)) + 2 * pad
        left = x0 if group.halign == "left" else x0 + (x1 - x0 - width) // 2
        box = (left, y, left + width, y + fit.height)
        # Centre the ink of a Hangul syllable, not the font's ascent/descent box (which has room
        # for accents above and descenders below that Korean text rarely uses).
        top, bottom = chain.ink_extent("가", fit.size)
        block = (len(fit.lines) - 1) * line
        first = round(y + fit.height / 2 - (block + top + bottom) / 2)
        origins = [(left + pad + round((width - 2 * pad - w) / 2), first + i * line) for i, w in enumerate(fit.widths)]
        return Placed(role, gi, fit.size, list(fit.lines), origins, box)
    ascent, _ = chain.metrics(fit.size)
    origins = []
    for i, w in enumerate(fit.widths):
        x = x0 if group.halign == "left" else x0 + round((x1 - x0 - w) / 2)
        origins.append((x, y + ascent + i * line))
    left = min(o[0] for o in origins)
    right = max(o[0] + math.ceil(w) for o, w in zip(origins, fit.widths, strict=True))
    return Placed(role, gi, fit.size, list(fit.lines), origins, (left, y, min(right, x1), y + fit.height))


def _intersects(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def intersection_area(a: Rect, b: Rect) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


def grow(r: Rect, d: int) -> Rect:
    return (r[0] - d, r[1] - d, r[2] + d, r[3] + d)


def candidate_plans(
    aspect_ratio: str,
    width: int,
    height: int,
    avoid: Rect | None,
    busyness: Callable[[Rect], float],
    *,
    prefer_clear: Rect | None = None,
) -> list[Plan]:
    """Plans in order of preference for the ratio; plans built around ``avoid`` and ``prefer_clear`` follow."""
    m = safe_margin(width, height, aspect_ratio)
    inner: Rect = (m, m, width - m, height - m)
    all_roles = ROLES

    def column(side: Literal["left", "right"], fraction: float) -> Plan:
        w = round((width - 2 * m) * fraction)
        rect: Rect = (m, m, m + w, height - m) if side == "left" else (width - m - w, m, width - m, height - m)
        return Plan(side, (Group(rect, all_roles, "center", "left", side),), 0.9)

    def split(top: Rect, bottom: Rect, name: str) -> Plan:
        return Plan(
            name,
            (
                Group(top, ("headline", "body"), "top", "center", "top"),
                Group(bottom, ("cta", "hashtags", "details"), "bottom", "center", "bottom"),
            ),
            0.62,
        )

    def around(box: Rect, suffix: str) -> list[Plan]:
        """The copy split above and below ``box``, or all of it on one side of it."""
        gap = round(AVOID_CLEARANCE * min(width, height)) + 1
        ax0, ay0, ax1, ay1 = box
        above: Rect = (m, m, width - m, min(height - m, ay0 - gap))
        below: Rect = (m, max(m, ay1 + gap), width - m, height - m)
        left_of: Rect = (m, m, min(width - m, ax0 - gap), height - m)
        right_of: Rect = (max(m, ax1 + gap), m, width - m, height - m)
        plans = []
        if above[3] - above[1] > 0 and below[3] - below[1] > 0:
            plans.append(split(above, below, "split-around" + suffix))
        for name, rect, valign, halign, edge in (
            ("above", above, "top", "center", "top"),
            ("below", below, "bottom", "center", "bottom"),
            ("left-of", left_of, "center", "left", "left"),
            ("right-of", right_of, "center", "left", "right"),
        ):
            if rect[2] - rect[0] >= 0.25 * width and rect[3] - rect[1] >= 0.15 * height:
                plans.append(Plan(name + suffix, (Group(rect, all_roles, valign, halign, edge),), 0.95))  # type: ignore[arg-type]
        return plans

    stack_top = Plan("top", (Group(inner, all_roles, "top", "center", "top"),), 0.55)
    stack_bottom = Plan("bottom", (Group(inner, all_roles, "bottom", "center", "bottom"),), 0.55)
    # Around the product first (it must stay clear), then around the hero shape (it should).
    around_plans = [*(around(avoid, "") if avoid is not None else []), *(around(prefer_clear, "-hero") if prefer_clear is not None else [])]

    main_split = split(inner, inner, "split")
    if aspect_ratio == "4:3":
        left, right = column("left", 0.5), column("right", 0.5)
        # Put the column where the picture is calmer: text over detail needs a heavier scrim.
        sides = [left, right] if busyness(left.groups[0].rect) <= busyness(right.groups[0].rect) else [right, left]
        return [*sides, main_split, stack_bottom, stack_top, *around_plans]
    if aspect_ratio == "3:4":
        return [main_split, stack_bottom, stack_top, *around_plans, column("left", 0.6), column("right", 0.6)]
    return [main_split, stack_bottom, stack_top, column("left", 0.55), column("right", 0.55), *around_plans]
