"""Colours: the ``Palette`` a backend hands to the compositor, and the colour maths behind it.

Palettes are designed in OKLCH (lightness, chroma, hue) rather than RGB/HSL: equal steps in
OKLCH look equal, so one lightness/chroma recipe per style gives a coherent result for every
industry hue, and gradients interpolated in OKLab do not go muddy or grey in the middle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from PIL import Image

RGB = tuple[int, int, int]

# WCAG AA for normal text; the compositor draws headlines large, but body text is small.
MIN_TEXT_CONTRAST: Final = 4.5
NEAR_BLACK: Final[RGB] = (26, 26, 30)
NEAR_WHITE: Final[RGB] = (250, 250, 248)


@dataclass(frozen=True)
class Palette:
    """Colours a compositor can use on an image.

    ``background``: dominant background colours, the one under the calm (text) area first.
    ``text``: a text colour readable on ``background[0]`` (contrast >= 4.5).
    ``accent``: for a call-to-action button or highlights; ``on_accent`` is readable on it.
    ``dark``: the background is dark, so light text and light shadows suit it.
    """

    background: tuple[RGB, ...]
    text: RGB
    accent: RGB
    on_accent: RGB
    dark: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form (hex strings) for metadata and logs."""
        return {
            "background": [to_hex(c) for c in self.background],
            "text": to_hex(self.text),
            "accent": to_hex(self.accent),
            "on_accent": to_hex(self.on_accent),
            "dark": self.dark,
        }


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# --- OKLab / OKLCH (Björn Ottosson's matrices) -----------------------------------------------

_LMS_TO_LINEAR_RGB: Final = np.array(
    [
        [4.0767416621, -3.3077115913, 0.2309699292],
        [-1.2684380046, 2.6097574011, -0.3413193965],
        [-0.0041960863, -0.7034186147, 1.7076147010],
    ]
)
_OKLAB_TO_LMS: Final = np.array(
    [
        [1.0, 0.3963377774, 0.2158037573],
        [1.0, -0.1055613458, -0.0638541728],
        [1.0, -0.0894841775, -1.2914855480],
    ]
)
_LINEAR_RGB_TO_LMS: Final = np.array(
    [
        [0.4122214708, 0.5363329310, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_LMS_TO_OKLAB: Final = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)


def oklab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """(..., 3) OKLab -> (..., 3) sRGB in 0..1 (clipped)."""
    lms = np.asarray(lab, dtype=np.float64) @ _OKLAB_TO_LMS.T
    return _linear_to_srgb((lms**3) @ _LMS_TO_LINEAR_RGB.T)


def srgb_to_oklab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB in 0..1 -> (..., 3) OKLab."""
    lms = _srgb_to_linear(np.asarray(rgb, dtype=np.float64)) @ _LINEAR_RGB_TO_LMS.T
    return np.cbrt(lms) @ _LMS_TO_OKLAB.T


def _oklch_to_linear(lightness: float, chroma: float, hue: float) -> np.ndarray:
    h = np.deg2rad(hue)
    lms = np.array([lightness, chroma * np.cos(h), chroma * np.sin(h)]) @ _OKLAB_TO_LMS.T
    return (lms**3) @ _LMS_TO_LINEAR_RGB.T


def oklch(lightness: float, chroma: float, hue: float) -> RGB:
    """An sRGB colour for OKLCH values; chroma is reduced until the colour fits in sRGB.

    Reducing chroma (instead of clipping channels) keeps the hue and lightness the recipe asked
    for, so a "vivid" recipe on a hue that sRGB cannot show saturated still looks right.
    """
    lightness = float(np.clip(lightness, 0.0, 1.0))
    lo, hi = 0.0, max(0.0, chroma)
    if np.all((_oklch_to_linear(lightness, hi, hue) >= -1e-4) & (_oklch_to_linear(lightness, hi, hue) <= 1 + 1e-4)):
        lo = hi
    else:
        for _ in range(24):
            mid = (lo + hi) / 2
            lin = _oklch_to_linear(lightness, mid, hue)
            if np.all((lin >= -1e-4) & (lin <= 1 + 1e-4)):
                lo = mid
            else:
                hi = mid
    srgb = _linear_to_srgb(_oklch_to_linear(lightness, lo, hue))
    return tuple(int(round(float(v) * 255)) for v in srgb)  # type: ignore[return-value]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` blended towards ``b`` by ``t`` in OKLab (perceptually even)."""
    la, lb = srgb_to_oklab(np.array(a) / 255), srgb_to_oklab(np.array(b) / 255)
    return tuple(int(round(float(v) * 255)) for v in oklab_to_srgb(la + (lb - la) * t))  # type: ignore[return-value]


# --- contrast (WCAG 2) -----------------------------------------------------------------------


def relative_luminance(rgb: RGB) -> float:
    r, g, b = _srgb_to_linear(np.array(rgb, dtype=np.float64) / 255)
    return float(0.2126 * r + 0.7152 * g + 0.0722 * b)


def contrast_ratio(a: RGB, b: RGB) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(background: RGB, preferred: RGB | None = None) -> RGB:
    """``preferred`` when it is readable on ``background``, else near-black or near-white."""
    if preferred is not None and contrast_ratio(preferred, background) >= MIN_TEXT_CONTRAST:
        return preferred
    return max((NEAR_BLACK, NEAR_WHITE), key=lambda c: contrast_ratio(c, background))


def is_dark(rgb: RGB) -> bool:
    # 0.18 is where white text starts to beat black text in contrast (the crossover is at ~0.179).
    return relative_luminance(rgb) < 0.18


# --- palettes of images the backend did not design (SDXL) ----------------------------------


def palette_from_image(image: Image.Image, k: int = 5) -> Palette:
    """Dominant colours of ``image`` by k-means on a thumbnail, with a readable text colour.

    SDXL does not tell us its colours, so the compositor gets them measured instead; the most
    common colour comes first and the text colour is chosen to read on it.
    """
    import cv2  # only SDXL paths need it; the template backend knows its colours

    thumb = np.asarray(image.convert("RGB").resize((48, 48), Image.Resampling.BILINEAR), dtype=np.float32).reshape(-1, 3)
    k = max(1, min(k, len(np.unique(thumb, axis=0))))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    # Fixed initial labels (not KMEANS_PP) keep the palette deterministic for a given image.
    labels = (np.arange(len(thumb)) % k).astype(np.int32).reshape(-1, 1)
    _, labels, centers = cv2.kmeans(thumb, k, labels, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    counts = np.bincount(labels.ravel(), minlength=k)
    order = np.argsort(-counts)
    colours: list[RGB] = [tuple(int(round(float(v))) for v in centers[i]) for i in order if counts[i] > 0]  # type: ignore[misc]
    main = colours[0]
    lab = srgb_to_oklab(np.array(colours) / 255)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    accent = colours[int(np.argmax(chroma))]
    if contrast_ratio(accent, main) < 1.5:  # accent would vanish on the background: use the text colour's family
        accent = oklch(0.55 if not is_dark(main) else 0.8, 0.15, 25.0)
    return Palette(background=tuple(colours), text=readable_on(main), accent=accent, on_accent=readable_on(accent), dark=is_dark(main))
