"""Synthetic backgrounds the compositor is tested and demonstrated on (seeded, so deterministic).

Each one stands for a kind of image the compositor meets: flat template colours, a smooth
gradient, pure noise (the worst case for contrast), a random-weight SDXL look (colour blotches
with grain) and a photo-like scene with highlights, bokeh and a product.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZES: dict[str, tuple[int, int]] = {"1:1": (1024, 1024), "4:3": (1152, 864), "3:4": (864, 1152)}


def flat(size: tuple[int, int], colour: tuple[int, int, int] = (246, 240, 232)) -> Image.Image:
    return Image.new("RGB", size, colour)


def gradient(size: tuple[int, int]) -> Image.Image:
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    x = np.linspace(0, 1, w)[None, :, None]
    arr = np.array([255, 204, 214]) * (1 - y) + np.array([196, 64, 96]) * y + 25 * (x - 0.5)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def sdxl_like(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """What a random-weight SDXL tends to give: colourful blotches with fine grain."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).resize(size, Image.Resampling.BICUBIC)
    grain = rng.normal(0, 18, (size[1], size[0], 3))
    return Image.fromarray(np.clip(np.asarray(small) + grain, 0, 255).astype(np.uint8))


def photo_like(size: tuple[int, int], seed: int = 2) -> Image.Image:
    """A cafe-table 'photo': warm light, a bright window, bokeh, a pink drink and grain."""
    w, h = size
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    x = np.linspace(0, 1, w)[None, :, None]
    arr = np.array([238, 222, 200]) * (1 - y) + np.array([120, 80, 60]) * y
    arr = arr + 40 * np.exp(-((x - 0.8) ** 2 + (y - 0.15) ** 2) / 0.03)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h * 0.6), rng.uniform(10, 70)
        colour = tuple(int(c) for c in rng.integers(150, 256, 3))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(12))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, int(h * 0.68), w, h), fill=(150, 98, 70))
    gx, gw = int(w * 0.52), int(w * 0.2)
    draw.rounded_rectangle((gx, int(h * 0.36), gx + gw, int(h * 0.8)), radius=20, fill=(244, 236, 236))
    draw.rounded_rectangle((gx + 8, int(h * 0.5), gx + gw - 8, int(h * 0.79)), radius=16, fill=(236, 120, 150))
    draw.ellipse((gx + gw * 0.3, int(h * 0.31), gx + gw * 0.7, int(h * 0.4)), fill=(210, 30, 60))
    grain = rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(np.asarray(img) + grain, 0, 255).astype(np.uint8))


BACKGROUNDS: dict[str, Callable[[tuple[int, int]], Image.Image]] = {
    "white": lambda size: flat(size, (255, 255, 255)),
    "black": lambda size: flat(size, (0, 0, 0)),
    "mid-grey": lambda size: flat(size, (128, 128, 128)),
    "cream": flat,
    "gradient": gradient,
    "noise": noise,
    "sdxl": sdxl_like,
    "photo": photo_like,
}
