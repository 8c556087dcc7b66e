"""The reviewer-written sets, once measured, are regression cases (``data/review_set_*.jsonl``).

Each line is an owner's sentence with the facts its ad must keep, written by a reviewer who had not
seen the code (see ``benchmarks/copy_truth.py`` for the format). For every sentence, seed and ratio
the offline ad states every expected fact (numbers may be in the ad's form: 2만원 -> 20,000원),
invents no amount, percent, date, time or contact, and is in 반말 only when the owner asked for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adgen.copywriter import CopyRequest, get_copywriter
from adgen.settings import Settings
from benchmarks.copy_truth import check

DATA = Path(__file__).parent / "data"
CASES: list[dict[str, Any]] = [
    json.loads(line)
    for path in sorted(DATA.glob("review_set_*.jsonl"))
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def copywriter():  # type: ignore[no-untyped-def]
    return get_copywriter(Settings(copywriter_backend="local"))


def test_the_sets_are_there() -> None:
    assert len(CASES) >= 64 and len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_reviewed_sentences_ad_keeps_its_facts(copywriter, case: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    for seed in (1, 2):
        for ratio in ("1:1", "3:4"):
            result = copywriter.write(CopyRequest(case["text"], ratio, seed=seed))
            problems = check(case, result.ad_copy.as_text())
            assert problems["missing"] == [] and problems["invented"] == [], (seed, ratio, result.ad_copy, problems)
            assert result.tone == case.get("tone", "존댓말"), (seed, ratio, result.ad_copy)
