import pytest

from adgen.compositor.linebreak import CLOSING_PUNCTUATION, wrap


def width(text: str) -> float:
    """Monospace: every character 10 px (spaces too)."""
    return 10.0 * len(text)


def test_breaks_between_words_not_inside_them() -> None:
    lines = wrap("상큼한 생딸기와 부드러운 우유의 만남", 120, width)
    assert len(lines) == 2
    assert " ".join(lines) == "상큼한 생딸기와 부드러운 우유의 만남"
    for line in lines:
        assert width(line) <= 120


def test_lines_are_balanced() -> None:
    # Greedy filling would leave "만남" alone on a second line.
    lines = wrap("상큼한 생딸기와 부드러운 만남", 150, width)
    assert lines == ["상큼한 생딸기와", "부드러운 만남"]


def test_a_word_wider_than_the_line_is_cut_between_syllables() -> None:
    lines = wrap("가나다라마바사아자차", 40, width)
    assert lines == ["가나다라", "마바사아", "자차"]


@pytest.mark.parametrize(
    "text",
    ["지금바로주문하세요!", "초특가할인(오늘만)입니다.", "가나다라마바사, 아자차카타파하."],
)
def test_no_line_starts_with_closing_punctuation(text: str) -> None:
    for max_width in range(30, 120, 10):
        lines = wrap(text, max_width, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for line in lines[1:]:
            assert line[0] not in CLOSING_PUNCTUATION, (max_width, lines)


def test_punctuation_separated_by_a_space_stays_with_its_word() -> None:
    lines = wrap("이번 주 20% 할인 !", 60, width)
    assert all(not line.startswith("!") for line in lines)
    assert lines[-1].endswith("할인 !")


def test_explicit_line_breaks_are_kept_and_separator_used() -> None:
    assert wrap("첫 줄\n둘째 줄", 1000, width) == ["첫 줄", "둘째 줄"]
    assert wrap("#카페 #라떼", 1000, width, separator="   ") == ["#카페   #라떼"]


CONTACTS = "☎ 010-1234-5678 · @cafe_mori · 성수동 2가 123"


def test_a_contact_line_breaks_between_its_items() -> None:
    # By words, "·" would start the second line: "☎ 010-1234-5678" / "· @cafe_mori ·" / ...
    assert wrap(CONTACTS, 200, width)[1].startswith("·")
    assert wrap(CONTACTS, 200, width, phrases=True) == ["☎ 010-1234-5678 ·", "@cafe_mori ·", "성수동 2가 123"]
    assert wrap(CONTACTS, 300, width, phrases=True) == ["☎ 010-1234-5678 ·", "@cafe_mori · 성수동 2가 123"]
    assert wrap(CONTACTS, 1000, width, phrases=True) == [CONTACTS]


@pytest.mark.parametrize(
    ("text", "widest"),
    # widest: the longest run that must stay on one line, a symbol and a separator glued on ("☎ 010-1234-5678 ·").
    [
        (CONTACTS, 17),
        ("영업시간 10:00-22:00 | 매주 월요일 휴무 | 주차 가능", 13),
        ("☎ 02-123-4567, 서울 성동구 성수이로 123, 2층 / 카카오톡 채널 카페모리", 14),
        ("인스타 @cafe_mori ㆍ 네이버 예약 ㆍ ☏ 010-1234-5678", 15),
    ],
)
def test_contact_lines_never_cut_a_token_nor_start_with_a_separator(text: str, widest: int) -> None:
    for max_width in range(10 * widest, 10 * len(text) + 20, 10):
        lines = wrap(text, max_width, width, phrases=True)
        assert " ".join(lines) == text, (max_width, lines)  # breaks only where the owner put a space
        for line in lines:
            assert width(line) <= max_width
            assert line[0] not in "·|/ㆍ", (max_width, lines)
            assert not line.endswith(("☎", "☏")), (max_width, lines)


def test_a_phrase_wider_than_the_line_breaks_between_its_words() -> None:
    lines = wrap("서울 성동구 성수이로 123 · 매주 월요일 휴무", 120, width, phrases=True)
    assert lines == ["서울 성동구", "성수이로 123 ·", "매주 월요일 휴무"]
