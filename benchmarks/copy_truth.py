"""A fact check you can run: does each ad keep the owner's facts and add none? Run on demand.

Input: a JSON-lines file, one owner sentence per line with the facts its ad must keep
(``tests/copywriter/data/review_set_*.jsonl`` are the reviewer-written sets):

    {"id": "s1-01", "text": "...", "expect": {"amounts": [12000], "percents": [20], "dates": ["12-31"],
     "times": ["15:00"], "contacts": ["010-1234-5678"], "products": ["딸기라떼"], "terms": ["카드 결제 시 제외"]},
     "tone": "존댓말"}

For every sentence and seed it writes one ad with the copywriter the settings choose (the local one
unless ``--backend openai``), and reports per ad: expected facts missing from headline + body +
details, and amounts, percents, dates, times or contacts that the sentence lacks (read by
``adgen.copywriter.facts``, the reader both copywriters use). It also measures the Korean analyser's
load time and memory, and the copy time per ad (median, p95).

    .venv/bin/python benchmarks/copy_truth.py tests/copywriter/data/review_set_1.jsonl --seeds 1,2 --ads ads.md
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adgen.copywriter import CopyRequest, facts, get_copywriter, korean  # noqa: E402
from adgen.copywriter.owner_words import normalise_numbers  # noqa: E402
from adgen.errors import AdGenError  # noqa: E402
from adgen.settings import Settings  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def expected_problems(case: dict[str, Any], copy_text: str) -> list[str]:
    """Facts ``case`` expects that ``copy_text`` does not state (compared by value, spaces ignored)."""
    expect = case.get("expect", {})
    read = facts.read(copy_text)
    flat = facts.squash(copy_text)
    have = {(f.kind, f.key) for f in read}
    out = []
    for amount in expect.get("amounts", []):
        if ("amount", int(amount)) not in have:
            out.append(f"amount {amount:,}원 missing")
    for pct in expect.get("percents", []):
        if ("percent", int(pct)) not in have:
            out.append(f"percent {pct}% missing")
    for date in expect.get("dates", []):
        month, day = (int(x) for x in date.split("-"))
        if ("date", (month, day)) not in have:
            out.append(f"date {month}월 {day}일 missing")
    for clock in expect.get("times", []):
        hour, minute = (int(x) for x in clock.split(":"))
        if ("time", (hour % 12, minute)) not in have:
            out.append(f"time {clock} missing")
    for kind in ("contacts", "products", "terms"):
        for word in expect.get(kind, []):
            # Written as the owner wrote it, or with its numbers in the ad's form ("2만원부터" -> "20,000원부터").
            if facts.squash(word) not in flat and facts.squash(normalise_numbers(word)) not in flat:
                out.append(f"{kind[:-1]} '{word}' missing")
    return out


def check(case: dict[str, Any], copy_text: str) -> dict[str, list[str]]:
    report = facts.compare(case["text"], copy_text)
    return {
        "missing": expected_problems(case, copy_text),
        "invented": [f"{f.kind} '{f.text}' invented" for f in report.invented],
        "reader_missing": [f"{f.kind} '{f.text}'" for f in report.missing],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", type=Path)
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--ratio", default="1:1")
    parser.add_argument("--backend", default="local")
    parser.add_argument("--ads", type=Path, help="also write every ad, readable, to this Markdown file (for a reviewer)")
    args = parser.parse_args()

    before = _rss_mb()
    started = time.perf_counter()
    korean.kiwi()
    load_s = time.perf_counter() - started
    rss = _rss_mb() - before
    copywriter = get_copywriter(Settings(copywriter_backend=args.backend))
    cases = [json.loads(line) for line in args.cases.read_text(encoding="utf-8").splitlines() if line.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    times: list[float] = []
    bad = 0
    refused = 0
    lines = []
    for case in cases:
        for seed in seeds:
            t0 = time.perf_counter()
            try:
                result = copywriter.write(CopyRequest(case["text"], args.ratio, seed=seed, tone=None))
            except AdGenError as exc:
                refused += 1
                row = {"id": case["id"], "seed": seed, "refused": exc.code, "message": exc.message}
                print(json.dumps(row, ensure_ascii=False))
                lines.append(f"### {case['id']} seed {seed}\n입력: {case['text']}\n\n(거절: {exc.message})\n")
                continue
            times.append(time.perf_counter() - t0)
            ad = result.ad_copy
            problems = check(case, ad.as_text())
            bad += bool(problems["missing"] or problems["invented"])
            print(json.dumps({"id": case["id"], "seed": seed, "ad": ad.model_dump(), **problems}, ensure_ascii=False))
            lines.append(
                f"### {case['id']} seed {seed}\n입력: {case['text']}\n\n- 헤드라인: {ad.headline}\n- 본문: {ad.body}\n"
                f"- 연락처 줄: {getattr(ad, 'details', '') or '(없음)'}\n- 버튼: {ad.cta}\n"
                f"- 해시태그: {' '.join(ad.hashtags) or '(없음)'}\n"
            )
    total = len(cases) * len(seeds)
    summary = {
        "ads": total,
        "with_fact_problem": bad,
        "refused": refused,
        "bad_rate": round(bad / total, 3) if total else 0,
        "kiwi_load_s": round(load_s, 2),
        "kiwi_rss_mb": round(rss, 1),
        "copy_ms_p50": round(statistics.median(times) * 1000, 1) if times else None,
        "copy_ms_p95": round(sorted(times)[int(0.95 * (len(times) - 1))] * 1000, 1) if times else None,
    }
    print(json.dumps({"summary": summary}, ensure_ascii=False))
    if args.ads:
        args.ads.write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
