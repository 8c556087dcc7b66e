"""Input validators: the seed's rules as tables, plus properties that must hold for any input."""

from __future__ import annotations

import unicodedata

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
    [
        "ab", "a" * 21, "", "user_01", "user 01", "사용자", "abc\x00", "' OR 1=1 --", "../etc", None, 123, "ｕｓｅｒ",
        "user\x85", "\x9buser01", "user\ud800", "\udfffuser",  # C1 controls, lone surrogates
    ],
)  # fmt: skip
def test_login_id_refused(login_id: object) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_login_id(login_id)
    assert err.value.message == "ID는 3-20자의 영문/숫자만 가능합니다."
    assert err.value.code == "invalid_login_id"


STRONG = "Cafe-Latte-2026!"


@pytest.mark.parametrize(
    "pw",
    [STRONG, "abcdefghij" * 3, "비밀번호는여덟자", "pass word!", "🙂🍓☕🎉🙂🍓☕🎉", "My cafe 3 shots", "aabbccdd", "ＰＡＳＳＷＯＲＤ1"],
)
def test_password_ok(pw: str) -> None:
    assert validation.validate_password(pw) == pw
    assert validation.validate_password(pw, login_id="owner01") == pw


@pytest.mark.parametrize(
    ("pw", "message"),
    [
        ("short", "비밀번호는 8-30자여야 합니다."),
        ("", "비밀번호는 8-30자여야 합니다."),
        ("p" * 31, "비밀번호는 8-30자여야 합니다."),
        (None, "비밀번호는 8-30자여야 합니다."),
        (["Cafe-Latte-2026!"], "비밀번호는 8-30자여야 합니다."),
        ("가" * 25, "비밀번호가 너무 깁니다. 한글은 24자 이하로 입력해 주세요."),
        ("pass\x00word", "비밀번호에 사용할 수 없는 문자가 있습니다."),
        ("Cafe\tLatte-2026", "비밀번호에 사용할 수 없는 문자가 있습니다."),  # a password is one line
        ("Cafe-Latte-2026\n", "비밀번호에 사용할 수 없는 문자가 있습니다."),
        ("Cafe\rLatte-2026", "비밀번호에 사용할 수 없는 문자가 있습니다."),
        ("Cafe-Latte\x7f2026", "비밀번호에 사용할 수 없는 문자가 있습니다."),
        ("Cafe-Latte\x852026", "비밀번호에 사용할 수 없는 문자가 있습니다."),  # C1: NEL
        ("\x80Cafe-Latte-2026", "비밀번호에 사용할 수 없는 문자가 있습니다."),  # C1: first
        ("Cafe-Latte-2026\x9f", "비밀번호에 사용할 수 없는 문자가 있습니다."),  # C1: last
        ("Cafe-Latte\ud8002026", "비밀번호에 사용할 수 없는 문자가 있습니다."),  # lone high surrogate
        ("\udfffCafe-Latte-2026", "비밀번호에 사용할 수 없는 문자가 있습니다."),  # lone low surrogate
    ],
)
def test_password_refused(pw: object, message: str) -> None:
    for validate in (validation.validate_password, validation.validate_password_format):
        with pytest.raises(ValidationError) as err:
            validate(pw)
        assert (err.value.code, err.value.message) == ("invalid_password", message)


WEAK = "weak_password"
COMMON = "너무 흔한 비밀번호입니다. 다른 비밀번호를 입력해 주세요."
HAS_ID = "비밀번호에 아이디를 넣을 수 없습니다."
FEW = "비밀번호에 서로 다른 문자를 4개 이상 사용해 주세요."
BLANK = "비밀번호를 공백만으로 만들 수 없습니다."
EDGE = "비밀번호의 처음과 끝에는 공백을 넣을 수 없습니다."


@pytest.mark.parametrize(
    ("pw", "login_id", "message"),
    [
        ("password", None, COMMON),
        ("password123", None, COMMON),
        ("qwerty123", None, COMMON),
        ("12345678", None, COMMON),
        ("PassWord123", None, COMMON),  # the list is compared case-insensitively
        ("QWERTY123", None, COMMON),
        ("1q2w3e4r", None, COMMON),
        ("iloveyou", None, COMMON),
        ("11111111", None, FEW),  # also common; the distinct-character rule comes first
        ("aaaaaaaa", None, FEW),
        ("abababab", None, FEW),
        ("abcabcabc", None, FEW),
        ("가나다가나다가나", None, FEW),
        ("        ", None, BLANK),
        ("\u3000" * 8, None, BLANK),  # ideographic spaces (Korean IME)
        (" \u00a0 \u3000 \u2003 \u2009", None, BLANK),
        (" Cafe-Latte-2026", None, EDGE),
        ("Cafe-Latte-2026 ", None, EDGE),
        ("\u3000Cafe-Latte-2026", None, EDGE),
        ("Cafe-Latte-2026\u00a0", None, EDGE),
        ("owner01!", "owner01", HAS_ID),  # contains the id
        ("Owner012", "owner012", HAS_ID),  # equals it
        ("owner012", "owner01", HAS_ID),
        ("Owner01-Latte", "owner01", HAS_ID),  # case-insensitively
        ("my-OWNER01-pw", "Owner01", HAS_ID),
        ("xx-cafe01-xx", "CAFE01", HAS_ID),
    ],
)
def test_weak_password_refused(pw: str, login_id: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_password(pw, login_id=login_id)
    assert (err.value.code, err.value.message) == (WEAK, message)
    if len(pw) >= 8:
        assert validation.validate_password_format(pw) == pw  # the policy, not the format, refuses it


def test_password_without_login_id_skips_only_the_id_rule() -> None:
    assert validation.validate_password("owner01!x") == "owner01!x"
    with pytest.raises(ValidationError):
        validation.validate_password("owner01!x", login_id="owner01")
    assert validation.validate_password("owner01!x", login_id="owner02") == "owner01!x"


def test_common_password_list_is_shipped_lower_cased() -> None:
    text = validation.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert 900 <= len(entries) <= 1100 and len(set(entries)) == len(entries)
    assert all(e == e.lower() == e.strip() and validation.PASSWORD_MIN <= len(e) <= validation.PASSWORD_MAX for e in entries)
    assert validation.common_passwords() == frozenset(entries)
    assert {"password", "password123", "qwerty123", "12345678", "11111111"} <= validation.common_passwords()


def test_nfd_password_is_measured_in_nfc() -> None:
    # 12 Hangul syllables typed in NFD are 34 code points (jamo), within 30 once composed.
    nfc = "한정판딸기빵맛집할인행사"
    nfd = unicodedata.normalize("NFD", nfc)
    assert len(nfc) == 12 and len(nfd) > validation.PASSWORD_MAX
    assert validation.validate_password(nfd) == nfd  # returned as typed; auth hashes the NFC form
    assert validation.normalize_password(nfd) == nfc
    # And the distinct-character rule counts composed characters: 8 syllables, 1 distinct.
    with pytest.raises(ValidationError) as err:
        validation.validate_password(unicodedata.normalize("NFD", "가" * 8))
    assert err.value.code == WEAK


@pytest.mark.parametrize(
    ("login_id", "key"),
    [("Owner01", "owner01"), ("OWNER01", "owner01"), ("owner01", "owner01"), ("abc123XYZ", "abc123xyz"), ("\u212aafe01", "\u212aafe01")],
)
def test_login_key_folds_ascii_letters_only(login_id: str, key: str) -> None:
    # The Kelvin sign lower-cases to "k" in Python: it must not reach the account "kafe01".
    assert validation.login_key(login_id) == key


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


CONTROL = "요청 내용에 사용할 수 없는 제어 문자가 있습니다."
BROKEN = "요청 내용에 깨진 문자가 있습니다. 다시 입력해 주세요."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("카페\x80홍보", CONTROL),  # C1, first
        ("카페 \x85 홍보", CONTROL),  # NEL
        ("카페\x9b31m홍보", CONTROL),  # CSI: a one-character ANSI escape
        ("카페 홍보\x9f", CONTROL),  # C1, last
        ("카페 홍보\x7f", CONTROL),
        ("\ud800", BROKEN),  # the review's case: passed, ran the generation, broke at the database write
        ("카페 \ud83d 홍보", BROKEN),  # half an emoji
        ("카페 홍보 \udfff", BROKEN),
        ("\ude00카페", BROKEN),
    ],
)
def test_input_text_refuses_c1_controls_and_lone_surrogates(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_input_text(text)
    assert (err.value.code, err.value.message) == ("invalid_characters", message)


@pytest.mark.parametrize("text", ["카페 \u00a0홍보", "카페 홍보 🍓", "카페\u00a0\u00ff\u0100", "\U0001f600 joined pair"])
def test_input_text_keeps_characters_next_to_the_refused_ranges(text: str) -> None:
    assert validation.validate_input_text(text) == text


@pytest.mark.parametrize("style", ["모던\x00", "모던\x85", "\x9b모던", "모던\ud800", "\udfff", "s" * 51, 7])
def test_style_refused(style: object) -> None:
    with pytest.raises(ValidationError) as err:
        validation.validate_style(style)
    assert err.value.code == "invalid_style"


@pytest.mark.parametrize("style", [None, "모던 미니멀", "밝고 따뜻한 🍓", "s" * 50])
def test_style_ok(style: str | None) -> None:
    assert validation.validate_style(style) == style


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


# Any code point, surrogates included (st.text() leaves them out), with the edges of the refused ranges boosted.
ANY_CHAR = st.one_of(st.characters(exclude_categories=()), st.sampled_from("\x00\x1f\x7f\x80\x9f\xa0\ud800\udbff\udc00\udfff\t\n "))


def _no_bad_characters(text: str) -> bool:
    return not any(ord(c) < 0x20 and c not in "\t\n\r" or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in text)


@settings(max_examples=300, deadline=None)
@given(st.text(ANY_CHAR, max_size=600))
def test_input_text_validator_accepts_exactly_the_documented_set(text: str) -> None:
    ok = bool(text.strip()) and len(text) <= 500 and _no_bad_characters(text)
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
@given(st.text(ANY_CHAR, max_size=40))
def test_password_validator_never_crashes_and_bounds_bytes(pw: str) -> None:
    try:
        validation.validate_password(pw)
    except ValidationError:
        return
    stored = unicodedata.normalize("NFC", pw)  # what sign-up hashes
    assert 8 <= len(stored) <= 30 and len(stored.encode()) <= 72
    assert _no_bad_characters(pw) and "\t" not in pw and "\n" not in pw and "\r" not in pw
    assert stored == stored.strip() and len(set(stored)) >= 4 and stored.lower() not in validation.common_passwords()


@settings(max_examples=200, deadline=None)
@given(st.text(ANY_CHAR, max_size=600), st.sampled_from(["1:1", "4:3", "3:4", "16:9", ""]))
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


@pytest.mark.parametrize("pw", ["Cafe-Latte\x852026", "Cafe-Latte\ud8002026", "Cafe\tLatte-2026", "p" * 31])
def test_signup_schema_refuses_what_validate_password_format_refuses(pw: str) -> None:
    with pytest.raises(ValidationError):
        validation.validate_password_format(pw)
    with pytest.raises(ValueError, match="login_pw"):  # pydantic itself refuses a lone surrogate first
        SignupRequest(login_id="user01", login_pw=pw)


def test_signup_schema_leaves_the_policy_to_register_user() -> None:
    # The API reports any schema error on login_pw as invalid_password; weak_password must come
    # from register_user, which applies the policy with its own code.
    assert SignupRequest(login_id="user01", login_pw="password123").login_pw == "password123"
