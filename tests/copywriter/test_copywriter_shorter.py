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
