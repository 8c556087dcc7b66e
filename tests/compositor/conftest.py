"""Shared helpers: compositions cached per (background, ratio, copy), and contrast measured from pixels."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from backgrounds import BACKGROUNDS, SIZES

from adgen.compositor import ComposedAd, TextBox, compose
from adgen.schemas import AdCopy

COPIES: dict[str, AdCopy] = {
    "typical": AdCopy(
        headline="딸기라떼 출시!",
        body="상큼한 생딸기와 부드러운 우유의 만남, 이번 주 20% 할인",
        cta="지금 주문하기",
        hashtags=["#카페", "#딸기라떼", "#신메뉴"],
    ),
    # Every field at its schema maximum: 40 / 120 / 20 characters and 8 tags.
    "longest": AdCopy(
        headline="동네 단골 빵집이 새 단장을 마치고 다시 문을 활짝 엽니다! 꼭 와주세요",
        body="매일 아침 직접 구운 천연발효 식빵과 크루아상, 제철 과일 타르트를 준비했어요. 오픈 기념으로 모든 빵 10% 할인에 "
        "아메리카노 한 잔을 무료로 드립니다! 이번 주말까지만 진행하니 서둘러 방문해 주세요. 감사합니다!",
        cta="매장 위치 확인하고 방문 예약하기!!",
        hashtags=["#동네빵집", "#천연발효빵", "#리뉴얼오픈", "#빵스타그램", "#크루아상", "#과일타르트", "#오픈이벤트", "#주말할인"],
    ),
    "shortest": AdCopy(headline="딸", body="할인", cta="GO", hashtags=["#a"]),
    # One unbroken word longer than any line: must be cut between syllables.
    "unbroken": AdCopy(
        headline="초특가대박할인행사진행중입니다지금바로오세요",
        body="가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파하",
        cta="지금주문하기바로가기",
        hashtags=[],
    ),
}


@lru_cache(maxsize=64)
def composed(background: str, ratio: str, copy: str = "typical") -> ComposedAd:
    return compose(BACKGROUNDS[background](SIZES[ratio]), COPIES[copy], ratio)


@pytest.fixture
def get_composed():  # type: ignore[no-untyped-def]
    return composed


def _neighbours(mask: np.ndarray) -> np.ndarray:
    """How many of each pixel's 8 neighbours are set."""
    padded = np.pad(mask.astype(np.int8), 1)
    h, w = mask.shape
    return sum(padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(r):
        grown = out.copy()
        grown[1:, :] |= out[:-1, :]
        grown[:-1, :] |= out[1:, :]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def _luminance(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def measure_contrast(image: np.ndarray, box: TextBox, percentile: float = 1.0) -> float:
    """WCAG contrast of the glyphs in ``box`` against the pixels behind them, from the image alone.

    The background reference is the median colour of a ring just outside the box (for the CTA:
    the pill's inside), where no glyph is. Glyph pixels are those more than halfway from that
    reference towards the text colour and part of a stroke (two such neighbours at least), so an
    isolated background pixel near the text colour still counts against the ratio. The text
    luminance is the median of the glyph pixels that are the text colour (for type too small to
    cover a whole pixel, the colour the glyphs are drawn in); the background is the
    ring plus every pixel in the box more than 2 px from a glyph (antialiased edges excluded),
    at its 1st/99th luminance percentiles.
    """
    height, width = image.shape[:2]
    x0, y0, x1, y1 = box.box
    text = np.array(box.text_color, dtype=np.float64)
    if box.role == "cta":  # inside the pill, clear of its rounded ends
        r = (y1 - y0) // 2
        x0, x1, y0, y1 = x0 + r, x1 - r, y0 + 2, y1 - 2
        ring = np.empty((0, 3))
        region = image[y0:y1, x0:x1, :3].astype(np.float64)
        reference = np.median(region.reshape(-1, 3), axis=0)
    else:
        gx0, gy0, gx1, gy1 = max(0, x0 - 6), max(0, y0 - 6), min(width, x1 + 6), min(height, y1 + 6)
        grown = image[gy0:gy1, gx0:gx1, :3].astype(np.float64)
        outside = np.ones(grown.shape[:2], dtype=bool)
        outside[y0 - 2 - gy0 : y1 + 2 - gy0, x0 - 2 - gx0 : x1 + 2 - gx0] = False
        ring = grown[outside]
        reference = np.median(ring, axis=0)
        region = image[y0:y1, x0:x1, :3].astype(np.float64)
    distance = np.linalg.norm(region - text, axis=2)
    # Small type is mostly antialiased edge: count faint stroke pixels as glyph there too.
    inky = distance < (0.5 if box.font_size >= 16 else 0.8) * np.linalg.norm(reference - text)
    glyphs = inky & (_neighbours(inky) >= 2)
    assert glyphs.sum() >= 30, f"{box.role}: no glyph strokes of colour {box.text_color} found in {box.box}"
    core = glyphs & (distance <= 12)
    if core.sum() >= 30:
        text_lum = float(np.median(_luminance(region[core])))
    else:  # type so small that no pixel is fully covered: the colour it is drawn in
        text_lum = float(_luminance(text[None, :])[0])
    background = np.concatenate([_luminance(region[~_dilate(glyphs, 2)]), _luminance(ring)])
    assert background.size > 0
    lo, hi = np.percentile(background, [percentile, 100 - percentile])
    return min((max(text_lum, b) + 0.05) / (min(text_lum, b) + 0.05) for b in (lo, hi))
