import logging
import string

import numpy as np
import pytest
from PIL import Image, ImageDraw

from adgen.compositor import compose
from adgen.compositor.fonts import FALLBACK_FONT, FONTS_DIR, FontChain, covers_by_mask, load_font, sanitize
from adgen.schemas import AdCopy

BUNDLED = ["NanumSquareB.ttf", "NanumSquareR.ttf", "NanumGothic.ttf", "NanumGothicBold.ttf"]
TOFU_PROBE = "\U0010ffff"  # a noncharacter: every font draws its .notdef box for it


def _render(chain: FontChain, text: str, size: int = 48) -> np.ndarray:
    image = Image.new("L", (size * (len(text) + 2), size * 2), 0)
    chain.draw(ImageDraw.Draw(image), size // 2, int(size * 1.4), text, size, 255)
    return np.asarray(image)


@pytest.mark.parametrize("font_file", BUNDLED)
def test_hangul_syllables_render_as_glyphs_not_tofu(font_file: str) -> None:
    path = FONTS_DIR / font_file
    font = load_font(path, 48)
    tofu = font.getmask(TOFU_PROBE)
    tofu_sig = (tofu.size, bytes(tofu))
    for syllable in "가나다 한글 광고".replace(" ", ""):
        mask = font.getmask(syllable)
        assert (mask.size, bytes(mask)) != tofu_sig, f"{font_file} draws {syllable!r} as tofu"
        assert np.asarray(mask).sum() > 0, f"{font_file} draws no ink for {syllable!r}"
    # Distinct syllables give distinct glyphs (a font drawing one box for all would fail here).
    masks = {bytes(font.getmask(s)) for s in "가나다한글광고"}
    assert len(masks) == 7


def test_each_syllable_of_a_rendered_line_produces_ink() -> None:
    chain = FontChain((FONTS_DIR / "NanumSquareB.ttf", FALLBACK_FONT))
    text = "가나다 한글 광고"
    ink = _render(chain, text)
    font = chain.font(48)
    x = 48 // 2
    for char in text:
        advance = font.getlength(char)
        if char != " ":
            column = ink[:, int(x) : int(x + advance)]
            assert column.sum() > 0, f"no ink where {char!r} should be"
        x += advance
    tofu = FontChain((FONTS_DIR / "NanumSquareB.ttf",)).font(48).getmask(TOFU_PROBE)
    for char in text.replace(" ", ""):
        assert bytes(font.getmask(char)) != bytes(tofu)


@pytest.mark.parametrize("font_file", BUNDLED)
def test_no_tofu_for_latin_digits_and_common_punctuation(font_file: str) -> None:
    chain = FontChain((FONTS_DIR / font_file, FALLBACK_FONT))
    text = string.ascii_letters + string.digits + string.punctuation + "·…“”‘’「」『』～₩★♥※→%café"
    drawn, dropped = sanitize(text, chain)
    assert dropped == []
    assert drawn == text


def test_missing_glyph_falls_back_to_nanum_gothic() -> None:
    square = FONTS_DIR / "NanumSquareB.ttf"
    assert not covers_by_mask(square, "é")  # NanumSquare has no accented Latin
    assert covers_by_mask(FALLBACK_FONT, "é")
    chain = FontChain((square, FALLBACK_FONT))
    assert chain.runs("카페 café") == [("카페 caf", 0), ("é", 1)]


def test_emoji_are_dropped_from_drawn_text_only() -> None:
    chain = FontChain((FONTS_DIR / "NanumSquareB.ttf", FALLBACK_FONT))
    drawn, dropped = sanitize("딸기🍓 라떼 ❤️ 출시 👍🏻!", chain)
    assert drawn == "딸기 라떼 출시 !"
    assert "🍓" in dropped and "\ufe0f" in dropped


def test_compose_with_emoji_draws_the_rest_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    copy = AdCopy(headline="딸기라떼 출시 🍓", body="오늘만 할인 🎉🎉", cta="주문하기 👉", hashtags=["#카페"])
    with caplog.at_level(logging.INFO, logger="adgen.compositor"):
        ad = compose(Image.new("RGB", (1024, 1024), (240, 240, 240)), copy, "1:1")
    lines = {b.role: b.lines for b in ad.boxes}
    assert lines["headline"] == ["딸기라떼 출시"]
    assert lines["cta"] == ["주문하기"]
    assert "U+1F353" in caplog.text


def test_only_emoji_leaves_the_role_out() -> None:
    copy = AdCopy(headline="신메뉴", body="🎉🎉", cta="주문", hashtags=[])
    ad = compose(Image.new("RGB", (1024, 1024), (240, 240, 240)), copy, "1:1")
    assert [b.role for b in ad.boxes] == ["headline", "cta"]


def test_custom_font_path_is_used_and_a_missing_one_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adgen.errors import ConfigurationError

    image = Image.new("RGB", (1024, 1024), (30, 30, 30))
    copy = AdCopy(headline="한글 광고", body="본문", cta="바로가기", hashtags=[])
    default = compose(image, copy, "1:1")
    custom = compose(image, copy, "1:1", font_path=FONTS_DIR / "NanumGothicBold.ttf")
    assert not np.array_equal(np.asarray(default.image), np.asarray(custom.image))
    with pytest.raises(ConfigurationError):
        compose(image, copy, "1:1", font_path=tmp_path / "missing.ttf")
    not_a_font = tmp_path / "notes.ttf"
    not_a_font.write_text("not a font")
    with pytest.raises(ConfigurationError):
        compose(image, copy, "1:1", font_path=not_a_font)
