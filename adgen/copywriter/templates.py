"""Framing words: the only words of an offline ad that are not the owner's.

A frame invites (CTA, a closing line); it never states a fact. No line here holds a number, a
product, an event, a price claim ("할인", "한정", "쿠폰", "합리적인 가격", "최고") or a promise of
quality ("정성껏", "신선한"); ``tests/copywriter/test_copywriter_local.py`` checks every line with
the fact reader and a list of claim words. Each line comes in both tones: (존댓말, 반말).
"""

from __future__ import annotations

from typing import Final

Line = tuple[str, str]

# Closing lines by what the owner's words show (``analysis.Reading.cues``), most specific first.
CLOSINGS: Final[dict[str, tuple[Line, ...]]] = {
    "medical": (
        ("궁금한 점은 편하게 문의해 주세요.", "궁금한 건 편하게 물어봐 줘."),
        ("상담은 편하게 문의해 주세요.", "상담은 편하게 물어봐 줘."),
    ),
    "online": (("지금 주문해 보세요!", "지금 주문해 봐!"), ("편하게 둘러보세요!", "편하게 둘러봐!")),
    "booking": (("예약하고 찾아 주세요!", "예약하고 와 줘!"), ("미리 예약해 주세요!", "미리 예약해 줘!")),
    "inquiry": (("편하게 문의해 주세요!", "편하게 물어봐 줘!"), ("궁금한 점은 물어봐 주세요!", "궁금한 건 물어봐 줘!")),
    "recruit": (("지금 함께해요!", "지금 함께하자!"), ("편하게 상담해 보세요!", "편하게 상담해 봐!")),
    "deadline": (("놓치지 마세요!", "놓치지 마!"), ("이 기회 놓치지 마세요!", "이 기회 놓치지 마!")),
    "food": (("맛보러 오세요!", "맛보러 와!"), ("들러서 맛보세요!", "들러서 맛봐!")),
    "visit": (
        ("편하게 들러 주세요!", "편하게 들러 줘!"),
        ("기다리고 있을게요!", "기다리고 있을게!"),
        ("많은 관심 부탁드려요!", "많이 관심 가져 줘!"),
    ),
}

# Calls to action by the way the owner wants to be reached, most specific first. Tone-neutral nouns.
CTAS: Final[dict[str, tuple[str, ...]]] = {
    "phone_booking": ("전화 예약", "전화로 예약하기"),
    "phone": ("전화 문의", "전화 문의하기"),
    "kakao": ("카카오톡 문의", "카톡 문의하기"),
    "dm": ("DM 문의", "DM 보내기"),
    "online": ("지금 주문하기", "주문하러 가기"),
    "booking": ("예약하기", "지금 예약하기"),
    "inquiry": ("문의하기", "상담 문의"),
    "recruit": ("등록 문의", "상담 신청하기"),
    "visit": ("방문하기", "지금 방문하기"),
}

# The only headline not made of the owner's words: a sentence with no phrase to show (all contacts).
CONTACT_HEADLINE: Final[Line] = ("연락 주세요!", "연락 줘!")


def line(pair: Line, tone: str) -> str:
    return pair[1] if tone == "반말" else pair[0]
