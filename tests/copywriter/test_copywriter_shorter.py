"""'문구를 짧게' shortens the copy without dropping the offer the headline carried."""

from __future__ import annotations

import pytest

from adgen.copywriter import CopyRequest, LocalCopywriter
from adgen.copywriter.base import Turn


@pytest.mark.parametrize(
    ("request_text", "offer"),
    [("카페 신메뉴 딸기라떼 홍보, 20% 할인", "20%"), ("수분 세럼 신제품 출시 기념 1+1", "1+1"), ("헬스장 PT 30% 할인 이벤트", "30%")],
)
@pytest.mark.parametrize("seed", range(8))
def test_shorter_keeps_the_offer(request_text: str, offer: str, seed: int) -> None:
    writer = LocalCopywriter()
    first = writer.write(CopyRequest(input_text=request_text, aspect_ratio="1:1", seed=seed))
    assert offer in first.ad_copy.headline
    second = writer.write(
        CopyRequest(input_text="문구를 짧게", aspect_ratio="1:1", seed=seed, history=(Turn("user", request_text),), previous=first)
    )
    shown = second.ad_copy
    assert offer in shown.headline
    assert len(shown.headline) + len(shown.body) < len(first.ad_copy.headline) + len(first.ad_copy.body)
    assert second.image_prompt == first.image_prompt and second.style == first.style


@pytest.mark.parametrize(
    ("request_text", "fact"),
    [("동네 빵집 소금빵 매일 오후 3시 갓 구운 빵", "매일 오후 3시"), ("수제버거 가게 토요일 오전 11시 오픈", "토요일 오전 11시")],
)
@pytest.mark.parametrize("seed", range(6))
def test_shorter_keeps_a_fact_only_the_body_stated(request_text: str, fact: str, seed: int) -> None:
    writer = LocalCopywriter()
    first = writer.write(CopyRequest(input_text=request_text, aspect_ratio="1:1", seed=seed))
    before = first.ad_copy
    assert fact in before.headline + before.body
    second = writer.write(
        CopyRequest(input_text="문구를 짧게", aspect_ratio="1:1", seed=seed, history=(Turn("user", request_text),), previous=first)
    )
    after = second.ad_copy
    assert fact in after.headline + after.body, (before, after)
    assert len(after.headline) + len(after.body) < len(before.headline) + len(before.body)
    assert after.headline.rstrip("!") != after.body.rstrip("!"), after


def test_refinements_take_the_time_from_the_owner_not_from_the_last_ad() -> None:
    # "오늘도 기다릴게요" in an ad is no date; a shorter ad must not turn it into "오늘 김치찌개!".
    writer = LocalCopywriter()
    for seed in range(8):
        first = writer.write(CopyRequest(input_text="한식당 점심 특선 김치찌개 8천원", aspect_ratio="1:1", seed=seed))
        previous = first.model_copy(update={"ad_copy": first.ad_copy.model_copy(update={"body": "김치찌개 8,000원! 오늘도 기다릴게요."})})
        history = (Turn("user", "한식당 점심 특선 김치찌개 8천원"),)
        for ask in ("문구를 짧게", "문구 다시 써줘"):
            again = writer.write(CopyRequest(input_text=ask, aspect_ratio="1:1", seed=seed, history=history, previous=previous)).ad_copy
            assert "오늘 " not in f"{again.headline} {again.body}", (ask, seed, again)
