"""The template renderer: every industry x ratio, determinism, product photos placed untouched."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest
from imaging_helpers import assert_not_flat, product_photo
from PIL import Image

from adgen.errors import ValidationError
from adgen.imaging import SIZES, GeneratedImage, ImageGenerator
from adgen.imaging.palette import MIN_TEXT_CONTRAST, contrast_ratio
from adgen.imaging.template import INDUSTRIES, STYLES, TemplateImageGenerator

RATIOS = list(SIZES)
REQUIRED_METADATA = {"seed", "style", "method", "model", "steps", "backend", "width", "height", "elapsed_s"}


@pytest.fixture(scope="module")
def generator() -> TemplateImageGenerator:
    return TemplateImageGenerator()


def _one(generator: TemplateImageGenerator, **kwargs) -> GeneratedImage:  # type: ignore[no-untyped-def]
    args = {"prompt": "카페 신메뉴 홍보", "aspect_ratio": "1:1", "seed": 1, "style": None} | kwargs
    [result] = generator.generate(**args)
    return result


def test_is_an_image_generator(generator: TemplateImageGenerator) -> None:
    assert isinstance(generator, ImageGenerator)
    assert generator.name == "template"


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("industry", INDUSTRIES)
def test_every_industry_and_ratio(generator: TemplateImageGenerator, industry: str, ratio: str) -> None:
    result = _one(generator, aspect_ratio=ratio, seed=3, industry=industry)
    assert result.image.mode == "RGB"
    assert result.image.size == SIZES[ratio]
    assert_not_flat(result.image)
    meta = result.metadata
    assert REQUIRED_METADATA <= meta.keys()
    assert (meta["width"], meta["height"]) == SIZES[ratio]
    assert meta["method"] == "t2i" and meta["backend"] == "template" and meta["industry"] == industry
    assert meta["style"] in STYLES and meta["product_photo"] is False
    assert result.product_box is None
    # The suggested text colour must be readable where the text goes.
    palette = result.palette
    assert palette is not None
    assert contrast_ratio(palette.text, palette.background[0]) >= MIN_TEXT_CONTRAST
    assert contrast_ratio(palette.on_accent, palette.accent) >= MIN_TEXT_CONTRAST


def test_text_area_is_calm(generator: TemplateImageGenerator) -> None:
    """The area left for the text has less detail than the rest of the image (no motif, no dots there)."""
    for seed in range(4):
        result = _one(generator, seed=seed, industry="fitness", style="vivid")
        x0, y0, x1, y1 = result.metadata["text_area"]
        gray = np.asarray(result.image.convert("L"), dtype=np.float32)
        edges = np.abs(np.diff(gray, axis=1))
        inside = edges[y0:y1, x0 : x1 - 1]
        assert (inside > 24).mean() < 0.001, "hard edges inside the text area"
        assert (edges > 24).mean() > (inside > 24).mean()


@pytest.mark.parametrize("style", STYLES)
def test_every_style(generator: TemplateImageGenerator, style: str) -> None:
    result = _one(generator, style=style, industry="cafe")
    assert result.metadata["style"] == style
    assert_not_flat(result.image)


def test_styles_look_different(generator: TemplateImageGenerator) -> None:
    means = {s: np.asarray(_one(generator, style=s, industry="bakery").image, dtype=np.float32).mean(axis=(0, 1)) for s in STYLES}
    for a in STYLES:
        for b in STYLES:
            if a < b:
                assert np.abs(means[a] - means[b]).max() > 2.0, f"{a} and {b} have the same colours"


def test_unknown_style_and_industry_fall_back(generator: TemplateImageGenerator) -> None:
    result = _one(generator, style="사이버펑크", industry="우주여행")
    assert result.metadata["industry"] == "general"
    assert result.metadata["style"] == "modern"  # the general industry's default
    assert result.metadata["style_requested"] == "사이버펑크"
    assert _one(generator, industry="카페").metadata["industry"] == "cafe"
    assert _one(generator, industry="Retail").metadata["industry"] == "fashion"


def test_deterministic_per_seed(generator: TemplateImageGenerator) -> None:
    a = _one(generator, seed=42, industry="pet", aspect_ratio="3:4")
    b = _one(generator, seed=42, industry="pet", aspect_ratio="3:4")
    assert a.image.tobytes() == b.image.tobytes()
    assert a.palette == b.palette
    assert {k: v for k, v in a.metadata.items() if k != "elapsed_s"} == {k: v for k, v in b.metadata.items() if k != "elapsed_s"}


def test_different_across_seeds(generator: TemplateImageGenerator) -> None:
    images = [np.asarray(_one(generator, seed=s, industry="flower").image, dtype=np.int16) for s in range(6)]
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert np.abs(images[i] - images[j]).mean() > 2.0, f"seeds {i} and {j} look the same"


def test_num_images_uses_consecutive_seeds_and_reports_progress(generator: TemplateImageGenerator) -> None:
    calls: list[tuple[float, str]] = []
    results = generator.generate("x", "4:3", 10, "bright", industry="academy", num_images=3, progress=lambda f, m: calls.append((f, m)))
    assert [r.metadata["seed"] for r in results] == [10, 11, 12]
    assert results[0].image.tobytes() != results[1].image.tobytes()
    assert results[1].image.tobytes() == _one(generator, aspect_ratio="4:3", seed=11, style="bright", industry="academy").image.tobytes()
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("photo_size", [(600, 800), (1200, 500), (300, 300)])
def test_product_photo_is_placed_unaltered(generator: TemplateImageGenerator, ratio: str, photo_size: tuple[int, int]) -> None:
    photo = product_photo(photo_size, seed=sum(photo_size))
    result = _one(generator, aspect_ratio=ratio, seed=5, industry="beauty", control_image=photo)
    assert result.image.size == SIZES[ratio]
    assert result.metadata["method"] == "t2i" and result.metadata["product_photo"] is True
    box = result.product_box
    assert box is not None
    x0, y0, x1, y1 = box
    assert 0 <= x0 < x1 <= SIZES[ratio][0] and 0 <= y0 < y1 <= SIZES[ratio][1]
    # Only scaled: same aspect ratio (to the pixel), and the pixels are exactly the scaled photo's.
    (pw, ph), (bw, bh) = photo.size, (x1 - x0, y1 - y0)
    assert abs(bw - pw * bh / ph) <= 1 or abs(bh - ph * bw / pw) <= 1, "aspect ratio changed"
    expected = photo.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS)
    assert result.image.crop(box).tobytes() == expected.tobytes()
    # Big enough to be the hero of the ad, and clear of the text area.
    assert (x1 - x0) * (y1 - y0) > 0.12 * SIZES[ratio][0] * SIZES[ratio][1]
    tx0, ty0, tx1, ty1 = result.metadata["text_area"]
    assert x1 <= tx0 or tx1 <= x0 or y1 <= ty0 or ty1 <= y0


def test_cut_out_product_keeps_its_opaque_pixels(generator: TemplateImageGenerator) -> None:
    photo = product_photo((400, 600)).convert("RGBA")
    alpha = Image.new("L", photo.size, 0)
    alpha.paste(255, (100, 100, 300, 500))
    photo.putalpha(alpha)
    result = _one(generator, seed=2, industry="beauty", control_image=photo)
    x0, y0, x1, y1 = result.product_box
    scaled = photo.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS)
    opaque = np.asarray(scaled.getchannel("A")) == 255
    got = np.asarray(result.image.crop(result.product_box))
    assert opaque.sum() > 1000
    assert (got[opaque] == np.asarray(scaled.convert("RGB"))[opaque]).all()


@pytest.mark.parametrize("ratio, num_images", [("16:9", 1), ("1:1", 0), ("1:1", 9)])
def test_bad_requests_are_refused(generator: TemplateImageGenerator, ratio: str, num_images: int) -> None:
    with pytest.raises(ValidationError):
        generator.generate("x", ratio, 1, None, num_images=num_images)


def test_fast_enough(generator: TemplateImageGenerator) -> None:
    """The offline default must not make users wait: well under a second per 1 MP background."""
    times = []
    for seed in range(5):
        started = time.perf_counter()
        _one(generator, seed=seed, industry="restaurant", aspect_ratio="4:3")
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 1.0, times


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("ratio", RATIOS)
def test_laid_out_copy_keeps_off_the_hero_shape_and_the_accents(generator: TemplateImageGenerator, ratio: str) -> None:
    """The compositor may set the copy anywhere off the hero, not only in the designed text area: no
    decorative dot may sit there, and the local copy fits without touching the hero's edge."""
    from adgen.compositor import compose
    from adgen.copywriter import CopyRequest
    from adgen.copywriter.local import LocalCopywriter

    writer = LocalCopywriter()
    briefs = [
        "카페 신메뉴 딸기라떼 출시 기념 20% 할인 이벤트",  # seed 5, 3:4: hashtags met two dots before they kept off the text side
        "꽃집 어버이날 카네이션 꽃바구니 예약 판매",
        "동네 헬스장 신규 회원 모집 3개월 등록시 1개월 무료",
        "미용실 봄맞이 염색 펌 할인",
        "수제 베이커리 소금빵 오픈 기념 1+1",
    ]
    for seed, brief in enumerate(briefs * 2):
        copy = writer.write(CopyRequest(input_text=brief, aspect_ratio=ratio, seed=seed))
        [bg] = generator.generate(copy.image_prompt, ratio, seed, copy.style, industry=copy.industry)
        hero, motif, accents = bg.metadata["hero_box"], bg.metadata["motif_box"], bg.metadata["accents"]
        assert hero[0] <= motif[0] < motif[2] <= hero[2] and hero[1] <= motif[1] < motif[3] <= hero[3]
        assert accents, "every background has a few accents"
        ad = compose(bg.image, copy.ad_copy, ratio, avoid=motif, prefer_clear=hero, accent=bg.palette.accent)
        for box in ad.boxes:
            assert not _overlap(box.box, hero), (brief, seed, box.role, box.box, hero)
            hits = [a for a in accents if _overlap(box.box, a)]
            assert not hits, (brief, seed, box.role, box.box, hits)
