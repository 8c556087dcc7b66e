import itertools
import math

import numpy as np
import pytest
from backgrounds import BACKGROUNDS, SIZES, photo_like
from conftest import COPIES, composed, measure_contrast
from PIL import Image

from adgen.compositor import MIN_CONTRAST, ComposedAd, compose, safe_margin, wcag_contrast
from adgen.compositor.layout import ROLE_STYLES, intersection_area
from adgen.errors import ValidationError
from adgen.schemas import AdCopy

RATIOS = list(SIZES)
CONTRAST_BACKGROUNDS = ["white", "black", "mid-grey", "noise", "gradient", "photo", "sdxl"]


def _within_margins(box: tuple[int, int, int, int], ratio: str) -> bool:
    w, h = SIZES[ratio]
    m = safe_margin(w, h, ratio)
    return m <= box[0] < box[2] <= w - m and m <= box[1] < box[3] <= h - m


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("background", CONTRAST_BACKGROUNDS)
def test_every_box_reaches_wcag_aa_measured_on_the_output(background: str, ratio: str) -> None:
    ad = composed(background, ratio)
    pixels = np.asarray(ad.image)
    assert {b.role for b in ad.boxes} == {"headline", "body", "cta", "hashtags"}
    for box in ad.boxes:
        ratio_measured = measure_contrast(pixels, box)
        assert ratio_measured >= MIN_CONTRAST, f"{background} {ratio} {box.role}: {ratio_measured:.2f}"
        # The ratio the compositor reports is what the pixels show (within percentile noise).
        assert box.contrast_ratio >= MIN_CONTRAST
        assert box.contrast_ratio == pytest.approx(ratio_measured, rel=0.15)


def test_busy_backgrounds_get_a_scrim_and_flat_ones_do_not() -> None:
    noisy = {b.role: b for b in composed("noise", "1:1").boxes}
    assert noisy["headline"].background is not None
    assert noisy["hashtags"].background is not None
    white = {b.role: b for b in composed("white", "1:1").boxes}
    assert white["headline"].background is None
    assert white["headline"].text_color != (255, 255, 255)
    black = {b.role: b for b in composed("black", "1:1").boxes}
    assert black["headline"].background is None
    assert black["headline"].text_color == (255, 255, 255)


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("copy", ["typical", "longest", "shortest", "unbroken"])
def test_boxes_stay_inside_the_margins_and_never_overlap(copy: str, ratio: str) -> None:
    ad = composed("photo", ratio, copy)
    pixels = np.asarray(ad.image)
    roles = [b.role for b in ad.boxes]
    assert roles == [r for r in ("headline", "body", "cta", "hashtags") if r != "hashtags" or COPIES[copy].hashtags]
    for box in ad.boxes:
        assert _within_margins(box.box, ratio), (box.role, box.box)
        assert measure_contrast(pixels, box) >= MIN_CONTRAST, (copy, ratio, box.role)
    for a, b in itertools.combinations(ad.boxes, 2):
        assert not _overlap(a.box, b.box), (a.role, a.box, b.role, b.box)


@pytest.mark.parametrize("ratio", RATIOS)
def test_nothing_of_the_copy_is_lost(ratio: str) -> None:
    for name in ("typical", "longest", "unbroken"):
        copy = COPIES[name]
        boxes = {b.role: b for b in composed("photo", ratio, name).boxes}
        assert "".join(boxes["headline"].lines).replace(" ", "") == copy.headline.replace(" ", "")
        assert "".join(boxes["body"].lines).replace(" ", "") == copy.body.replace(" ", "")
        assert "".join(boxes["cta"].lines).replace(" ", "") == copy.cta.replace(" ", "")
        if copy.hashtags:
            assert " ".join(boxes["hashtags"].lines).split() == copy.hashtags


@pytest.mark.parametrize("ratio", RATIOS)
def test_typical_copy_keeps_line_limits_and_hierarchy(ratio: str) -> None:
    boxes = {b.role: b for b in composed("photo", ratio).boxes}
    assert len(boxes["headline"].lines) <= 2
    assert len(boxes["body"].lines) <= 3
    assert len(boxes["cta"].lines) == 1
    assert boxes["headline"].font_size > 2 * boxes["body"].font_size
    assert boxes["body"].font_size >= boxes["hashtags"].font_size
    # Words are never cut: every line break falls on a space of the original.
    for role in ("headline", "body"):
        original = getattr(COPIES["typical"], role)
        assert " ".join(boxes[role].lines) == original


@pytest.mark.parametrize("ratio", RATIOS)
def test_short_copy_is_large_and_long_copy_shrinks(ratio: str) -> None:
    short = {b.role: b for b in composed("photo", ratio, "shortest").boxes}
    long = {b.role: b for b in composed("photo", ratio, "longest").boxes}
    w, h = SIZES[ratio]
    assert short["headline"].font_size >= 0.1 * min(w, h)
    assert long["headline"].font_size < short["headline"].font_size
    assert long["body"].font_size >= 9


def test_layouts_follow_the_ratio() -> None:
    square = {b.role: b.box for b in composed("cream", "1:1").boxes}
    assert square["headline"][1] < 0.2 * 1024 and square["cta"][3] > 0.8 * 1024  # headline top, CTA bottom
    portrait = {b.role: b.box for b in composed("cream", "3:4").boxes}
    assert portrait["headline"][1] < 1152 / 3 and portrait["body"][1] > portrait["headline"][3]
    assert portrait["cta"][3] > 0.8 * 1152
    landscape = {b.role: b.box for b in composed("cream", "4:3").boxes}
    right_edges = [box[2] for box in landscape.values()]
    left_edges = [box[0] for box in landscape.values()]
    # A text column on one side: everything in the left or everything in the right ~half.
    assert max(right_edges) <= 0.56 * 1152 or min(left_edges) >= 0.44 * 1152


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("where", ["centre", "top", "bottom-right", "left-half"])
def test_text_keeps_clear_of_the_product_box(ratio: str, where: str) -> None:
    w, h = SIZES[ratio]
    avoid = {
        "centre": (int(w * 0.35), int(h * 0.35), int(w * 0.65), int(h * 0.62)),
        "top": (int(w * 0.2), int(h * 0.05), int(w * 0.8), int(h * 0.45)),
        "bottom-right": (int(w * 0.5), int(h * 0.45), int(w * 0.95), int(h * 0.95)),
        "left-half": (int(w * 0.05), int(h * 0.1), int(w * 0.5), int(h * 0.9)),
    }[where]
    background = photo_like((w, h))
    ad = compose(background, COPIES["typical"], ratio, avoid=avoid)
    for box in ad.boxes:
        assert not _overlap(box.box, avoid), (box.role, box.box, avoid)
        assert _within_margins(box.box, ratio)
    # A narrower space shrinks the type rather than cutting a word.
    lines = {b.role: b.lines for b in ad.boxes}
    assert " ".join(lines["headline"]) == COPIES["typical"].headline
    assert " ".join(lines["body"]) == COPIES["typical"].body
    # No scrim, shadow or glyph touches the product.
    x0, y0, x1, y1 = avoid
    assert np.array_equal(np.asarray(ad.image)[y0:y1, x0:x1], np.asarray(background)[y0:y1, x0:x1])


# A template's hero disc: the top ~55% of a square, the left half of a landscape, the lower half of a portrait.
HEROES = {"1:1": (150, 40, 880, 590), "4:3": (60, 60, 560, 800), "3:4": (120, 520, 740, 1100)}


@pytest.mark.parametrize("ratio", RATIOS)
def test_text_keeps_off_the_hero_shape_when_it_fits_elsewhere(ratio: str) -> None:
    w, h = SIZES[ratio]
    hero = HEROES[ratio]
    background = BACKGROUNDS["cream"]((w, h))
    plain = compose(background, COPIES["typical"], ratio)
    ad = compose(background, COPIES["typical"], ratio, prefer_clear=hero)
    # The hero matters: the ratio's preferred layout, not told about it, puts words on it.
    assert any(_overlap(b.box, hero) for b in plain.boxes)
    for box in ad.boxes:
        assert not _overlap(box.box, hero), (box.role, box.box, hero)
        assert _within_margins(box.box, ratio)
    # Every word is still there, at a designed size (never below the role's minimum for a soft preference).
    sizes = {b.role: b.font_size for b in ad.boxes}
    assert sizes["headline"] >= 0.06 * min(w, h) and sizes["body"] >= 0.029 * min(w, h) - 1
    assert " ".join(next(b.lines for b in ad.boxes if b.role == "headline")) == COPIES["typical"].headline


def test_hero_shape_is_covered_rather_than_shrinking_type_below_design() -> None:
    """When the hero leaves no room, the copy keeps designed sizes and covers as little of it as it can."""
    w, h = SIZES["1:1"]
    hero = (80, 80, w - 80, h - 80)
    ad = compose(BACKGROUNDS["cream"]((w, h)), COPIES["longest"], "1:1", prefer_clear=hero)
    plain = compose(BACKGROUNDS["cream"]((w, h)), COPIES["longest"], "1:1")
    for box in ad.boxes:
        assert box.font_size >= math.floor(ROLE_STYLES[box.role].min_size * min(w, h)), (box.role, box.font_size)

    def covered(a: ComposedAd) -> int:
        return sum(intersection_area(b.box, hero) for b in a.boxes)

    assert 0 < covered(ad) <= covered(plain)


def test_product_box_outranks_the_hero_shape() -> None:
    """Text may go near the hero, never onto the product photo: the hard rule wins over the soft one."""
    w, h = SIZES["1:1"]
    product = (300, 420, 720, 900)
    hero = (0, 0, w, 400)  # the whole top: no room left clear of both
    background = photo_like((w, h))
    ad = compose(background, COPIES["typical"], "1:1", avoid=product, prefer_clear=hero)
    for box in ad.boxes:
        assert not _overlap(box.box, product), (box.role, box.box)
    x0, y0, x1, y1 = product
    assert np.array_equal(np.asarray(ad.image)[y0:y1, x0:x1], np.asarray(background)[y0:y1, x0:x1])


def test_accent_colours_the_cta_pill() -> None:
    image = Image.new("RGB", (1024, 1024), (245, 245, 245))
    ad = compose(image, COPIES["typical"], "1:1", accent=(30, 110, 200))
    cta = next(b for b in ad.boxes if b.role == "cta")
    assert cta.background is not None
    assert wcag_contrast(cta.text_color, cta.background) >= MIN_CONTRAST
    x0, y0, x1, y1 = cta.box
    centre_left = np.asarray(ad.image)[(y0 + y1) // 2, x0 + (y1 - y0) // 2 - 4]
    assert tuple(int(c) for c in centre_left) == cta.background
    hue_distance = np.abs(np.array(cta.background) - np.array((30, 110, 200))).max()
    assert hue_distance <= 80  # at most deepened for white text, still the brand's colour


def test_input_image_is_not_modified_and_output_is_new() -> None:
    image = photo_like(SIZES["1:1"])
    before = image.tobytes()
    ad = compose(image, COPIES["typical"], "1:1")
    assert image.tobytes() == before
    assert ad.image is not image
    assert ad.image.size == image.size and ad.image.mode == "RGB"


def test_deterministic() -> None:
    image = BACKGROUNDS["sdxl"](SIZES["3:4"])
    a = compose(image, COPIES["typical"], "3:4")
    b = compose(image.copy(), COPIES["typical"], "3:4")
    assert a.image.tobytes() == b.image.tobytes()
    assert a.boxes == b.boxes


@pytest.mark.parametrize("mode", ["RGBA", "L", "P"])
def test_any_image_mode_is_accepted(mode: str) -> None:
    image = photo_like(SIZES["1:1"]).convert(mode)
    ad = compose(image, COPIES["typical"], "1:1")
    assert ad.image.mode == "RGB"


def test_smallest_accepted_image_holds_the_longest_copy() -> None:
    image = photo_like((512, 512))
    ad = compose(image, COPIES["longest"], "1:1")
    pixels = np.asarray(ad.image)
    m = safe_margin(512, 512, "1:1")
    for box in ad.boxes:
        assert m <= box.box[0] < box.box[2] <= 512 - m and m <= box.box[1] < box.box[3] <= 512 - m
        assert box.font_size >= 9
        assert measure_contrast(pixels, box) >= MIN_CONTRAST
    for a, b in itertools.combinations(ad.boxes, 2):
        assert not _overlap(a.box, b.box)


@pytest.mark.parametrize(
    ("size", "ratio", "kwargs"),
    [
        ((1024, 1024), "16:9", {}),
        ((1152, 864), "3:4", {}),
        ((500, 500), "1:1", {}),
        ((1024, 1024), "1:1", {"avoid": (10, 10, 5, 50)}),
        ((1024, 1024), "1:1", {"avoid": (0, 0, 2000, 50)}),
        ((1024, 1024), "1:1", {"accent": (300, 0, 0)}),
        ((1024, 1024), "1:1", {"prefer_clear": (0, 500, 1024, 1100)}),
    ],
)
def test_bad_inputs_are_refused_with_the_value(size: tuple[int, int], ratio: str, kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError) as info:
        compose(Image.new("RGB", size), COPIES["typical"], ratio, **kwargs)
    assert info.value.http_status == 422


def test_hashtags_are_optional_and_single_characters_fit() -> None:
    copy = AdCopy(headline="A", body="B", cta="C", hashtags=[])
    ad = compose(Image.new("RGB", (864, 1152), (128, 128, 128)), copy, "3:4")
    assert [b.role for b in ad.boxes] == ["headline", "body", "cta"]
    pixels = np.asarray(ad.image)
    for box in ad.boxes:
        assert measure_contrast(pixels, box) >= MIN_CONTRAST


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("headline", ["월 450,000원!", "단 9,900원!", "더 맛있게!", "딱 3일만!"])
def test_no_line_of_one_character(ratio: str, headline: str) -> None:
    # "월" alone over "450,000원!" (seen in a 4:3 ad) reads as a stray; a smaller size keeps it on one line.
    copy = AdCopy(headline=headline, body="원하는 조건에 딱 맞는 원룸, 꼼꼼하게 찾아 드려요.", cta="매물 보기", hashtags=["#원룸"])
    for background in ("photo", "gradient"):
        ad = compose(BACKGROUNDS[background](SIZES[ratio]), copy, ratio)
        for box in ad.boxes:
            assert all(len(line.strip()) > 1 for line in box.lines) or len(box.lines) == 1, (box.role, box.lines)
