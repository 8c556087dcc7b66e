"""Render sample backgrounds (every ratio, several industries and styles, product photos) to look at,
and time the template renderer and the tiny random SDXL.

    .venv/bin/python scripts/imaging_examples.py [OUT_DIR] [--runs N]     (default /tmp/imaging_examples, 20 runs)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from adgen.imaging.template import INDUSTRIES, STYLES, TemplateImageGenerator  # noqa: E402
from adgen.settings import Settings  # noqa: E402

CASES = [  # (industry, style or None for the industry's default, ratio, seed, with product photo)
    ("cafe", None, "1:1", 11, False),
    ("fitness", None, "4:3", 12, False),
    ("beauty", "premium", "3:4", 13, True),
    ("bakery", None, "3:4", 14, False),
    ("flower", "natural", "1:1", 15, True),
    ("academy", "bright", "4:3", 16, True),
    ("restaurant", None, "1:1", 17, False),
    ("pet", None, "3:4", 18, False),
    ("realestate", "minimal", "4:3", 19, False),
    ("fashion", "vivid", "1:1", 20, True),
]


def bottle_photo() -> Image.Image:
    """A synthetic studio shot of a cosmetics bottle (the one the README examples use)."""
    from example_photos import serum

    return serum()


def contact_sheet(out: Path, generator: TemplateImageGenerator) -> None:
    """Every industry in its default style (one ratio each, rotating) and every style for two industries."""
    thumbs = []
    ratios = ["1:1", "3:4", "4:3"]
    items = [(ind, None, ratios[i % 3]) for i, ind in enumerate(INDUSTRIES)]
    items += [(ind, style, "1:1") for ind in ("cafe", "fitness") for style in STYLES]
    for industry, style, ratio in items:
        [result] = generator.generate("x", ratio, 3, style, industry=industry)
        thumb = result.image.copy()
        thumb.thumbnail((240, 240))
        ImageDraw.Draw(thumb).text((4, 4), f"{industry}/{result.metadata['style']}", fill=(0, 0, 0))
        thumbs.append(thumb)
    cols = 7
    sheet = Image.new("RGB", (cols * 250, -(-len(thumbs) // cols) * 250), (128, 128, 128))
    for i, thumb in enumerate(thumbs):
        sheet.paste(thumb, ((i % cols) * 250 + 5, (i // cols) * 250 + 5))
    sheet.save(out / "contact_sheet.png")


def median_seconds(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 20
    out = Path(args[0] if args and not args[0].isdigit() else "/tmp/imaging_examples")
    out.mkdir(parents=True, exist_ok=True)
    generator = TemplateImageGenerator()
    photo = bottle_photo()
    photo.save(out / "product_photo.png")
    for industry, style, ratio, seed, with_photo in CASES:
        [result] = generator.generate("광고", ratio, seed, style, photo if with_photo else None, industry=industry)
        name = f"{industry}_{result.metadata['style']}_{ratio.replace(':', 'x')}{'_photo' if with_photo else ''}.png"
        result.image.save(out / name)
        print(f"{name:40s} layout={result.metadata['layout']:12s} product_box={result.product_box} palette={result.palette.to_dict()}")
    contact_sheet(out, generator)

    seeds = iter(range(10**6))
    template_s = median_seconds(lambda: generator.generate("x", "4:3", next(seeds), None, industry="cafe"), runs)
    print(f"template: median {template_s * 1000:.0f} ms per 1 MP image ({runs} runs)")

    import torch

    from adgen.imaging.tiny import build_tiny_generator

    torch.set_num_threads(1)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    tiny = build_tiny_generator(settings)
    tiny.generate("x", "1:1", 0, None)  # first call pays one-off set-up
    tiny_s = median_seconds(lambda: tiny.generate("카페 신메뉴", "1:1", next(seeds), None), runs)
    print(f"tiny SDXL: median {tiny_s * 1000:.0f} ms per image ({settings.sdxl_steps} steps, {settings.tiny_sdxl_size} px, 1 thread)")


if __name__ == "__main__":
    main()
