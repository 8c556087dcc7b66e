"""Time per finished ad (copy + image + layout) through create_advertisement, run on demand.

Guest mode (no database), so it measures the pipeline itself: median and p95 of N ads per image
backend, with the local copywriter.

    .venv/bin/python benchmarks/ad_bench.py --runs 20 --backends template,tiny
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adgen.services import AdGenContext, create_advertisement  # noqa: E402
from adgen.settings import Settings  # noqa: E402

REQUESTS = ["카페 신메뉴 딸기라떼 출시, 이번 주 20% 할인", "헬스장 신규 오픈 PT 30% 할인", "동네 빵집 주말 소금빵 한정 판매",
            "꽃집 어버이날 카네이션 꽃다발 예약 할인", "수분 세럼 신제품 출시 기념 1+1"]
RATIOS = ["1:1", "4:3", "3:4"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backends", default="template,tiny")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        ctx = AdGenContext.from_settings(Settings(image_backend=backend, copywriter_backend="local"), engine=None)
        create_advertisement(uuid.uuid4().hex, None, REQUESTS[0], "1:1", {}, ctx=ctx)  # load / warm up
        times = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            create_advertisement(uuid.uuid4().hex, None, REQUESTS[i % len(REQUESTS)], RATIOS[i % 3], {}, seed=i, ctx=ctx)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(json.dumps({"backend": backend, "runs": args.runs, "median_s": round(statistics.median(times), 3),
                          "p95_s": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 3),
                          "min_s": round(times[0], 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
