"""WCAG 2.x contrast: relative luminance of sRGB colours and of whole pixel regions.

The compositor decides text colour and scrim strength from the luminance of the pixels that will
lie behind the text, and measures the result the same way, so both live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

RGB = tuple[int, int, int]

# WCAG 2.x "AA" for normal-size text; the compositor holds every box to it, headline included.
MIN_CONTRAST: Final = 4.5

# sRGB -> linear light for every 8-bit value: regions are looked up instead of recomputed per pixel.
_LINEAR_LUT: Final = np.array(
    [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (i / 255 for i in range(256))],
    dtype=np.float32,
)
_WEIGHTS: Final = (0.2126, 0.7152, 0.0722)


def srgb_to_linear(rgb: Sequence[int]) -> tuple[float, float, float]:
    """Linear-light values (0-1) of an 8-bit sRGB colour."""
    return float(_LINEAR_LUT[int(rgb[0])]), float(_LINEAR_LUT[int(rgb[1])]), float(_LINEAR_LUT[int(rgb[2])])


def relative_luminance(rgb: Sequence[int]) -> float:
    """WCAG relative luminance (0 = black, 1 = white) of an 8-bit sRGB colour."""
    r, g, b = (int(c) for c in rgb[:3])
    return float(_WEIGHTS[0] * _LINEAR_LUT[r] + _WEIGHTS[1] * _LINEAR_LUT[g] + _WEIGHTS[2] * _LINEAR_LUT[b])


def contrast_from_luminance(l1: float, l2: float) -> float:
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def wcag_contrast(c1: Sequence[int], c2: Sequence[int]) -> float:
    """WCAG 2.x contrast ratio of two sRGB colours, from 1.0 (same) to 21.0 (black on white)."""
    return contrast_from_luminance(relative_luminance(c1), relative_luminance(c2))


def luminance_map(pixels: np.ndarray) -> np.ndarray:
    """Relative luminance of every pixel of an ``H x W x 3`` uint8 array, as float32 ``H x W``."""
    lin = _LINEAR_LUT[pixels[..., :3]]
    return lin[..., 0] * _WEIGHTS[0] + lin[..., 1] * _WEIGHTS[1] + lin[..., 2] * _WEIGHTS[2]


def luminance_of_float(pixels: np.ndarray) -> np.ndarray:
    """Relative luminance of float sRGB pixels (0-255, not rounded): used while trying scrim strengths."""
    c = np.clip(pixels, 0, 255) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin[..., 0] * _WEIGHTS[0] + lin[..., 1] * _WEIGHTS[1] + lin[..., 2] * _WEIGHTS[2]


def worst_case_contrast(text_luminance: float, background: np.ndarray, percentile: float) -> float:
    """Contrast of text against the background luminances nearest to it.

    The worst pixel of a noisy region is an outlier a reader never sees alone, so "worst" is the
    ``percentile`` at both ends (e.g. 1 -> the 1st and 99th percentile luminance).
    """
    if background.size == 0:
        return float("inf")
    lo, hi = np.percentile(background, [percentile, 100.0 - percentile])
    return min(contrast_from_luminance(text_luminance, float(lo)), contrast_from_luminance(text_luminance, float(hi)))
