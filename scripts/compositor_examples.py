"""Compose sample ads onto synthetic backgrounds for every ratio, to look at, and time compose().

    .venv/bin/python scripts/compositor_examples.py [OUT_DIR]     (default /tmp/compositor_examples)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from PIL import ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "compositor")]

from backgrounds import BACKGROUNDS, SIZES, photo_like  # noqa: E402

from adgen.compositor import compose  # noqa: E402
from adgen.schemas import AdCopy  # noqa: E402

COPY = AdCopy(
    headline="딸기라떼 출시!",
    body="상큼한 생딸기와 부드러운 우유의 만남, 이번 주 20% 할인",
    cta="지금 주문하기",
    hashtags=["#카페", "#딸기라떼", "#신메뉴"],
)
LONG = AdCopy(
    headline="우리 동네 단골 빵집이 드디어 새 단장을 마치고 다시 문을 엽니다",
    body="매일 아침 직접 구운 천연발효 식빵과 크루아상, 제철 과일 타르트를 준비했어요. "
    "오픈 기념으로 모든 빵 10% 할인에 아메리카노 한 잔을 무료로 드립니다!",
    cta="매장 위치 확인하고 방문하기",
    hashtags=["#동네빵집", "#천연발효", "#리뉴얼오픈", "#빵스타그램"],
)


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for ratio, size in SIZES.items():
        stem = ratio.replace(":", "x")
        for name, make in BACKGROUNDS.items():
            compose(make(size), COPY, ratio).image.save(out_dir / f"{stem}_{name}.png")
        compose(photo_like(size), LONG, ratio).image.save(out_dir / f"{stem}_long.png")
        w, h = size
        product = (int(w * 0.5), int(h * 0.34), int(w * 0.74), int(h * 0.82))
        image = compose(photo_like(size), COPY, ratio, avoid=product, accent=(214, 51, 108)).image
        ImageDraw.Draw(image).rectangle(product, outline=(0, 255, 0), width=3)  # where the product is
        image.save(out_dir / f"{stem}_avoid.png")

    background = photo_like(SIZES["1:1"])
    times = []
    for _ in range(15):
        start = time.perf_counter()
        compose(background, COPY, "1:1")
        times.append(time.perf_counter() - start)
    print(f"compose() at 1024x1024: median {statistics.median(times) * 1000:.1f} ms over {len(times)} runs")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/compositor_examples"))
