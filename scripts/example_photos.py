"""Synthetic product photos for the examples (no stock photos can be downloaded here)."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def backdrop(w: int, h: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        d.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return img


def shadow(img: Image.Image, box: tuple[int, int, int, int], strength: int = 110) -> None:
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).ellipse(box, fill=strength)
    img.paste((70, 60, 55), (0, 0), mask.filter(ImageFilter.GaussianBlur(20)))


def latte() -> Image.Image:
    img = backdrop(900, 1100, (246, 238, 230), (222, 206, 192))
    shadow(img, (250, 930, 650, 1010))
    d = ImageDraw.Draw(img)
    d.polygon([(270, 300), (630, 300), (590, 960), (310, 960)], fill=(250, 250, 252))  # clear cup
    d.polygon([(284, 520), (616, 520), (590, 960), (310, 960)], fill=(236, 120, 140))  # strawberry
    d.polygon([(282, 470), (618, 470), (616, 520), (284, 520)], fill=(250, 236, 224))  # milk foam
    for x, y in ((360, 640), (470, 700), (540, 610), (400, 820), (520, 860)):
        d.ellipse([x, y, x + 46, y + 40], fill=(206, 40, 70))
    d.rectangle([250, 280, 650, 305], fill=(235, 235, 240))
    d.rectangle([520, 120, 545, 300], fill=(220, 60, 90))  # straw
    return img


def serum() -> Image.Image:
    img = backdrop(900, 1200, (244, 240, 236), (214, 204, 196))
    shadow(img, (250, 1010, 650, 1080))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([300, 380, 600, 1050], radius=60, fill=(214, 150, 120))
    d.rounded_rectangle([330, 400, 380, 1020], radius=25, fill=(236, 186, 160))
    d.rectangle([390, 250, 510, 385], fill=(60, 52, 48))
    d.rounded_rectangle([340, 600, 560, 840], radius=12, fill=(250, 244, 236))
    d.text((372, 690), "SERUM", fill=(80, 60, 50), font_size=52)
    return img


def bouquet() -> Image.Image:
    img = backdrop(1000, 1000, (250, 246, 240), (230, 222, 214))
    shadow(img, (300, 880, 700, 950))
    d = ImageDraw.Draw(img)
    d.polygon([(380, 560), (620, 560), (540, 900), (460, 900)], fill=(190, 210, 170))  # wrap
    for i, (x, y) in enumerate(((400, 360), (520, 330), (600, 430), (330, 460), (470, 470), (560, 540), (420, 250))):
        col = ((220, 40, 60), (240, 90, 110), (200, 30, 50))[i % 3]
        d.ellipse([x - 70, y - 70, x + 70, y + 70], fill=col)
        d.ellipse([x - 35, y - 35, x + 35, y + 35], fill=tuple(max(0, c - 40) for c in col))
    return img


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, make in (("latte", latte), ("serum", serum), ("bouquet", bouquet)):
        make().save(out / f"{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/examples/inputs"))
