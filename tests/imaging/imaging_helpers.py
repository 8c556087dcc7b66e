"""Helpers of the imaging tests: a synthetic product photo, image checks, a forward-call counter."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw


def product_photo(size: tuple[int, int] = (600, 800), seed: int = 0) -> Image.Image:
    """A drawn bottle on a light backdrop, with fine random texture so any resampling change shows."""
    rng = np.random.default_rng(seed)
    w, h = size
    base = np.full((h, w, 3), 236, dtype=np.int16) + rng.integers(-12, 13, size=(h, w, 3))
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([w * 0.33, h * 0.32, w * 0.67, h * 0.9], radius=w // 12, fill=(200, 90, 70))
    d.rectangle([w * 0.43, h * 0.18, w * 0.57, h * 0.32], fill=(40, 36, 34))
    d.rectangle([w * 0.38, h * 0.5, w * 0.62, h * 0.7], fill=(250, 244, 236))
    return img


def assert_not_flat(image: Image.Image, min_std: float = 4.0) -> None:
    """Not one colour: a real picture varies, a failed render (all black, NaN -> 0) does not."""
    pixels = np.asarray(image, dtype=np.float32)
    assert pixels.std() > min_std, f"image is (nearly) one colour: std {pixels.std():.2f}"
    assert len(np.unique(pixels.reshape(-1, 3)[::97], axis=0)) > 20


class CallCounter:
    """Counts forward calls of one module (e.g. the UNet's mid block, which runs only on full UNet passes)."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.calls = 0
        self._handle = module.register_forward_hook(self._count)

    def _count(self, *_: Any) -> None:
        self.calls += 1

    def remove(self) -> None:
        self._handle.remove()
