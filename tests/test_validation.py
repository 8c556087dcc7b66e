"""Input validators: the seed's rules as tables, plus properties that must hold for any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adgen import validation
from adgen.errors import ValidationError
from adgen.schemas import GenerateRequest, SignupRequest


@pytest.mark.parametrize("login_id", ["abc", "user01", "A1b2C3", "a" * 20, "12345"])
def test_login_id_ok(login_id: str) -> None:
    assert validation.validate_login_id(login_id) == login_id


@pytest.mark.parametrize(
    "login_id",
    ["ab", "a" * 21, "", "user_01", "user 01", "사용자", "abc\x00", "' OR 1=1 --", "../etc", None, 123, "ｕｓｅｒ"],
)
def test_login_id_refused(login_id: object) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_login_id(login_id)
    assert err.value.message == "ID는 3-20자의 영문/숫자만 가능합니다."
    assert err.value.code == "invalid_login_id"


@pytest.mark.parametrize("pw", ["password", "p" * 30, "비밀번호는여덟자", "pass word!", "🙂🙂🙂🙂🙂🙂🙂🙂"])
def test_password_ok(pw: str) -> None:
    assert validation.validate_password(pw) == pw


@pytest.mark.parametrize("pw", ["short", "", "p" * 31, "가" * 25, "pass\x00word", None])
def test_password_refused(pw: object) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_password(pw)
    assert err.value.code == "invalid_password"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_input"),
        ("   \n\t ", "empty_input"),
        ("가" * 501, "input_too_long"),
        ("x" * 1_000_000, "input_too_long"),
        ("카페\x00홍보", "invalid_characters"),
        ("카페\x1b[31m홍보", "invalid_characters"),
        (None, "empty_input"),
    ],
)
def test_input_text_refused(text: object, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_input_text(text)
    assert err.value.code == code


@pytest.mark.parametrize(
    "text",
    [
        "카페 신메뉴 홍보", "가" * 500, "🍓 딸기라떼 출시 🎉", "مرحبا بكم في المقهى",
        "'; DROP TABLE \"user\"; --", "  공백 포함  ", "줄\n바꿈",
    ],
)
def test_input_text_kept_verbatim(text: str) -> None:
    assert validation.validate_input_text(text) == text


@pytest.mark.parametrize("ratio", ["1:1", "4:3", "3:4"])
def test_aspect_ratio_ok(ratio: str) -> None:
    assert validation.validate_aspect_ratio(ratio) == ratio


@pytest.mark.parametrize("ratio", ["16:9", "1:1 ", "1/1", "", None, 1, "4:3; DROP"])
def test_aspect_ratio_refused(ratio: object) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_aspect_ratio(ratio)
    assert err.value.code == "invalid_aspect_ratio"


@pytest.mark.parametrize("ct", ["video", "", "BOTH", None])
def test_content_type_refused(ct: object) -> None:
    with pytest.raises(ValidationError):
        validation.validate_content_type(ct)


@pytest.mark.parametrize("sid", ["abc", "a" * 65, "../../x", "id with space", "세션아이디입니다요"])
def test_session_id_refused(sid: str) -> None:
    with pytest.raises(ValidationError):
        validation.validate_session_id(sid)


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_input_text_validator_accepts_exactly_the_documented_set(text: str) -> None:
    ok = bool(text.strip()) and len(text) <= 500 and not validation._CONTROL_RE.search(text)
    try:
        assert validation.validate_input_text(text) == text
        assert ok
    except ValidationError:
        assert not ok


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_login_id_validator_matches_seed_rule(login_id: str) -> None:
    ok = 3 <= len(login_id) <= 20 and login_id.isascii() and login_id.isalnum()
    try:
        validation.validate_login_id(login_id)
        assert ok
    except ValidationError:
        assert not ok


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_password_validator_never_crashes_and_bounds_bytes(pw: str) -> None:
    try:
        validation.validate_password(pw)
    except ValidationError:
        return
    assert 8 <= len(pw) <= 30 and len(pw.encode()) <= 72


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600), st.sampled_from(["1:1", "4:3", "3:4", "16:9", ""]))
def test_schema_and_validator_agree(text: str, ratio: str) -> None:
    """The REST schema refuses exactly what the service validators refuse."""
    service_ok = True
    try:
        validation.validate_input_text(text)
        validation.validate_aspect_ratio(ratio)
    except ValidationError:
        service_ok = False
    try:
        GenerateRequest(input_text=text, aspect_ratio=ratio)  # type: ignore[arg-type]
        schema_ok = True
    except ValueError:
        schema_ok = False
    assert schema_ok == service_ok


def test_signup_schema_refuses_long_multibyte_password() -> None:
    with pytest.raises(ValueError):
        SignupRequest(login_id="user01", login_pw="가" * 25)
