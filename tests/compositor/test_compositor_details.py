"""The shop's contacts (``AdCopy.details``) and copy at the schema's limits: all of it drawn, or refused.

Real compositions on real pixels at SDXL's own sizes; nothing of the layout is faked.
"""

import itertools
from functools import lru_cache

import numpy as np
import pytest
from backgrounds import BACKGROUNDS, photo_like
from conftest import COPIES, composed, measure_contrast
from PIL import Image

from adgen.compositor import MIN_CONTRAST, ComposedAd, compose, safe_margin
from adgen.compositor.layout import AVOID_CLEARANCE, FLOOR_PX, grow
from adgen.errors import ValidationError
from adgen.schemas import AdCopy

# What the image backend makes for each ratio (the ratio check allows SDXL's 1152x896).
SDXL_SIZES: dict[str, tuple[int, int]] = {"1:1": (1024, 1024), "4:3": (1152, 896), "3:4": (896, 1152)}
RATIOS = list(SDXL_SIZES)
CONTACTS = "☎ 010-1234-5678 · @cafe_mori · 성수동 2가 123"

# The schema's limits: a 200-character body that keeps every fact, 160 characters of contacts.
LONG_BODY = (
    "매일 아침 직접 구운 천연발효 식빵과 크루아상, 제철 과일 타르트를 준비했어요. 오픈 기념으로 모든 빵 10% 할인에 "
    "아메리카노 한 잔을 무료로 드립니다! 이번 주말까지만 진행하니 서둘러 방문해 주세요. 주차는 건물 뒤편 공영주차장을 "
    "이용하시면 두 시간 무료이고, 단체 주문은 하루 전까지 연락 주시면 준비해 드려요! 늘 감사한 마음으로 정성껏 굽겠습니다!!"
)
LONG_DETAILS = (
    "☎ 02-1234-5678 · 010-9876-5432 · @cafe_mori_official · 서울 성동구 성수이로 123, 2층 · 매일 10:00-22:00 · "
    "매주 월요일 휴무 · 주차 2시간 무료 · 카카오톡 채널 카페모리 · www.cafemori.kr · 단체 예약 환영!"
)
LONG_COPY = AdCopy(
    headline="동네 단골 빵집이 새 단장을 마치고 다시 문을 활짝 엽니다! 꼭 와주세요",
    body=LONG_BODY,
    cta="매장 위치 확인하고 방문 예약하기!!",
    hashtags=["#동네빵집", "#천연발효빵", "#리뉴얼오픈", "#빵스타그램", "#크루아상", "#과일타르트", "#오픈이벤트", "#주말할인"],
    details=LONG_DETAILS,
)
# No space anywhere in the body: it can only break between syllables.
ABSURD_COPY = LONG_COPY.model_copy(update={"body": ("가나다라마바사아자차카타파하" * 15)[:200]})


def test_the_long_copies_are_at_the_schema_limits() -> None:
    assert len(LONG_BODY) == len(ABSURD_COPY.body) == 200
    assert len(LONG_DETAILS) == 160
    AdCopy.model_validate(LONG_COPY.model_dump())


def _avoid(ratio: str, where: str) -> tuple[int, int, int, int] | None:
    w, h = SDXL_SIZES[ratio]
    boxes = {
        "none": None,
        "centre": (int(w * 0.35), int(h * 0.35), int(w * 0.65), int(h * 0.62)),
        "bottom-right": (int(w * 0.5), int(h * 0.45), int(w * 0.95), int(h * 0.95)),
    }
    return boxes[where]


def _centred(ratio: str, fraction: float) -> tuple[int, int, int, int]:
    """A product box covering ``fraction`` of each side, in the middle."""
    w, h = SDXL_SIZES[ratio]
    return round(w * (1 - fraction) / 2), round(h * (1 - fraction) / 2), round(w * (1 + fraction) / 2), round(h * (1 + fraction) / 2)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _assert_all_drawn(ad: ComposedAd, copy: AdCopy, ratio: str, avoid: tuple[int, int, int, int] | None, background: Image.Image) -> None:
    """Every character of every field drawn, inside the margins, no box on another or on the product, all readable."""
    w, h = background.size
    boxes = {b.role: b for b in ad.boxes}
    fields = {"headline": copy.headline, "body": copy.body, "cta": copy.cta, "hashtags": " ".join(copy.hashtags), "details": copy.details}
    assert set(boxes) == {role for role, text in fields.items() if text}
    for role, text in fields.items():
        if text:
            assert "".join(boxes[role].lines).replace(" ", "") == text.replace(" ", ""), role
    # The contacts break only where the owner put a space: no number, handle or address is cut.
    assert " ".join(boxes["details"].lines) == copy.details
    m = safe_margin(w, h, ratio)
    pixels = np.asarray(ad.image)
    for box in ad.boxes:
        assert m <= box.box[0] < box.box[2] <= w - m and m <= box.box[1] < box.box[3] <= h - m, (box.role, box.box)
        assert box.font_size >= FLOOR_PX, (box.role, box.font_size)
        assert box.contrast_ratio >= MIN_CONTRAST, (box.role, box.contrast_ratio)
        assert measure_contrast(pixels, box) >= MIN_CONTRAST, box.role
        if avoid is not None:
            assert not _overlap(box.box, grow(avoid, round(AVOID_CLEARANCE * min(w, h)))), (box.role, box.box, avoid)
    for a, b in itertools.combinations(ad.boxes, 2):
        assert not _overlap(a.box, b.box), (a.role, a.box, b.role, b.box)
    if avoid is not None:  # not a glyph, scrim or shadow on the product
        x0, y0, x1, y1 = avoid
        assert np.array_equal(pixels[y0:y1, x0:x1], np.asarray(background)[y0:y1, x0:x1])


@lru_cache(maxsize=32)
def _with_contacts(background: str, ratio: str) -> ComposedAd:
    return compose(BACKGROUNDS[background](SDXL_SIZES[ratio]), COPIES["typical"].model_copy(update={"details": CONTACTS}), ratio)


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("background", ["gradient", "noise", "photo", "white"])
def test_contacts_are_drawn_as_a_small_readable_line(background: str, ratio: str) -> None:
    ad = _with_contacts(background, ratio)
    boxes = {b.role: b for b in ad.boxes}
    assert list(boxes) == ["headline", "body", "cta", "hashtags", "details"]
    details = boxes["details"]
    # Whole tokens: the number and the handle each on one line.
    assert any("010-1234-5678" in line for line in details.lines) and any("@cafe_mori" in line for line in details.lines)
    assert " ".join(details.lines) == CONTACTS
    # Where the line must break (a 4:3 column), it breaks between the items, after a "·".
    assert all(line.endswith(" ·") for line in details.lines[:-1]), details.lines
    # Small type like the hashtags', never larger than the body's.
    assert details.font_size == boxes["hashtags"].font_size <= boxes["body"].font_size
    # In the same colour and on the same scrim as the hashtags (one group), and readable on the pixels.
    assert (details.text_color, details.background) == (boxes["hashtags"].text_color, boxes["hashtags"].background)
    assert details.contrast_ratio >= MIN_CONTRAST
    assert measure_contrast(np.asarray(ad.image), details) >= MIN_CONTRAST
    _assert_all_drawn(
        ad, COPIES["typical"].model_copy(update={"details": CONTACTS}), ratio, None, BACKGROUNDS[background](SDXL_SIZES[ratio])
    )


@pytest.mark.parametrize("ratio", RATIOS)
def test_contacts_close_the_ad_like_a_footer(ratio: str) -> None:
    """The last line of the ad, under the hashtags, left-aligned with a column or centred with the rest."""
    boxes = {b.role: b.box for b in _with_contacts("photo", ratio).boxes}
    details = boxes["details"]
    assert all(details[1] >= box[3] for role, box in boxes.items() if role != "details")
    hashtags = boxes["hashtags"]
    aligned_left = details[0] == hashtags[0]
    centred = abs((details[0] + details[2]) - (hashtags[0] + hashtags[2])) <= 2
    assert aligned_left or centred, (details, hashtags)


# compose() before the contacts role (commit 969073c) on photo_like at 1024x1024 / 1152x864 / 864x1152:
# (role, box, font size) of every text box.
BEFORE_CONTACTS: dict[tuple[str, str], list[tuple[str, tuple[int, int, int, int], int]]] = {
    ("1:1", "typical"): [
        ("headline", (174, 72, 850, 202), 117),
        ("body", (239, 251, 785, 363), 43),
        ("cta", (322, 787, 702, 886), 43),
        ("hashtags", (340, 918, 685, 952), 29),
    ],
    ("1:1", "longest"): [
        ("headline", (88, 72, 936, 215), 62),
        ("body", (174, 241, 851, 410), 30),
        ("cta", (147, 759, 877, 851), 40),
        ("hashtags", (206, 881, 817, 952), 27),
    ],
    ("4:3", "typical"): [
        ("headline", (56, 159, 408, 389), 99),
        ("body", (56, 431, 516, 526), 36),
        ("cta", (56, 566, 378, 649), 36),
        ("hashtags", (56, 676, 359, 705), 25),
    ],
    ("4:3", "longest"): [
        ("headline", (56, 149, 561, 332), 52),
        ("body", (56, 354, 560, 540), 26),
        ("cta", (56, 571, 560, 635), 28),
        ("hashtags", (56, 656, 561, 715), 22),
    ],
    ("3:4", "typical"): [
        ("headline", (145, 56, 719, 167), 99),
        ("body", (202, 209, 662, 304), 36),
        ("cta", (271, 957, 593, 1040), 36),
        ("hashtags", (280, 1067, 583, 1096), 25),
    ],
    ("3:4", "longest"): [
        ("headline", (61, 56, 803, 181), 54),
        ("body", (132, 204, 733, 351), 26),
        ("cta", (105, 921, 759, 1004), 36),
        ("hashtags", (142, 1031, 721, 1096), 25),
    ],
}


@pytest.mark.parametrize(("ratio", "copy"), list(BEFORE_CONTACTS))
def test_without_contacts_the_layout_is_what_it_was(ratio: str, copy: str) -> None:
    ad = composed("photo", ratio, copy)
    assert [(b.role, b.box, b.font_size) for b in ad.boxes] == BEFORE_CONTACTS[ratio, copy]
    # An empty field is the same copy as none at all, to the pixel.
    explicit = compose(photo_like(ad.image.size), COPIES[copy].model_copy(update={"details": ""}), ratio)
    assert explicit.boxes == ad.boxes and explicit.image.tobytes() == ad.image.tobytes()


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("where", ["none", "centre", "bottom-right"])
def test_the_longest_copy_with_contacts_is_drawn_whole(ratio: str, where: str) -> None:
    background = BACKGROUNDS["noise" if where == "centre" else "gradient"](SDXL_SIZES[ratio])
    avoid = _avoid(ratio, where)
    ad = compose(background, LONG_COPY, ratio, avoid=avoid)
    _assert_all_drawn(ad, LONG_COPY, ratio, avoid, background)


def test_type_shrinks_only_as_far_as_the_copy_needs() -> None:
    """Below the designed minimum the type shrinks step by step from it, not from half of it."""
    ratio = "1:1"
    ad = compose(BACKGROUNDS["gradient"](SDXL_SIZES[ratio]), LONG_COPY, ratio, avoid=_avoid(ratio, "centre"))
    sizes = {b.role: b.font_size for b in ad.boxes}
    # The body's minimum is 0.029 x 1024 = 29.7 px; one step below it would be 28.
    assert 20 <= sizes["body"] < 30, sizes


def test_a_product_box_leaving_room_only_for_the_smallest_type_still_gets_every_character() -> None:
    ratio = "3:4"
    background = BACKGROUNDS["noise"](SDXL_SIZES[ratio])
    avoid = _centred(ratio, 0.7)
    ad = compose(background, ABSURD_COPY, ratio, avoid=avoid)
    _assert_all_drawn(ad, ABSURD_COPY, ratio, avoid, background)
    assert min(b.font_size for b in ad.boxes) == FLOOR_PX  # it fits only just


def test_copy_that_fits_nowhere_is_refused_not_cut() -> None:
    ratio = "3:4"
    with pytest.raises(ValidationError) as info:
        compose(BACKGROUNDS["noise"](SDXL_SIZES[ratio]), ABSURD_COPY, ratio, avoid=_centred(ratio, 0.8))
    assert info.value.code == "copy_too_long"
    assert info.value.http_status == 422
    assert info.value.message == "문구가 너무 길어 이미지에 다 들어가지 않습니다. 본문을 줄여 주세요."


def test_a_product_box_covering_the_image_refuses_even_short_copy() -> None:
    """Text never goes on the product: when nothing fits beside it, the copy is refused rather than laid over it."""
    w, h = SDXL_SIZES["1:1"]
    with pytest.raises(ValidationError) as info:
        compose(photo_like((w, h)), COPIES["typical"], "1:1", avoid=(20, 20, w - 20, h - 20))
    assert info.value.code == "copy_too_long"


@pytest.mark.parametrize("ratio", RATIOS)
def test_a_contact_token_is_never_cut_while_it_fits_the_line(ratio: str) -> None:
    """A long URL shrinks the line's type rather than breaking in two (a body's unbroken word would be cut)."""
    url = "https://smartstore.naver.com/cafe_mori_official_bakery_store"  # wider than a 4:3 column at the designed sizes
    copy = COPIES["typical"].model_copy(update={"details": f"☎ 010-1234-5678 · {url}"})
    ad = compose(BACKGROUNDS["gradient"](SDXL_SIZES[ratio]), copy, ratio)
    details = next(b for b in ad.boxes if b.role == "details")
    assert any(url in line for line in details.lines), details.lines
    assert any("010-1234-5678" in line for line in details.lines), details.lines


def test_contacts_on_several_lines_keep_the_owners_line_breaks() -> None:
    copy = COPIES["typical"].model_copy(update={"details": "☎ 010-1234-5678\n@cafe_mori"})
    ad = compose(BACKGROUNDS["gradient"](SDXL_SIZES["1:1"]), copy, "1:1")
    assert next(b for b in ad.boxes if b.role == "details").lines == ["☎ 010-1234-5678", "@cafe_mori"]
