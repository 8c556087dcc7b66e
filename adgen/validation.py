"""Input validation at the edge, with the seed's Korean messages.

Each validator returns the value unchanged or raises ``ValidationError`` naming what is wrong.
Nothing is silently "fixed": a text with surrounding spaces is accepted as typed, an empty or
whitespace-only one is refused.

Every text validator refuses control characters (C0 except tab/newline/carriage return, DEL, C1
U+0080-U+009F) and lone surrogates: a surrogate code point in a Python ``str`` is always half of a
pair that was never joined (broken text, ``"\\ud800"`` in JSON), it cannot be encoded as UTF-8, and
PostgreSQL could never store it, so it must be refused here and not at the database write.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from pathlib import Path
from typing import Final

from adgen.errors import ValidationError

ASPECT_RATIOS: Final = ("1:1", "4:3", "3:4")
CONTENT_TYPES: Final = ("image", "text", "both")
TONES: Final = ("존댓말", "반말")
INPUT_TEXT_MAX: Final = 500
LOGIN_ID_RE: Final = re.compile(r"^[A-Za-z0-9]{3,20}$")
PASSWORD_MIN: Final = 8
PASSWORD_MAX: Final = 30
BCRYPT_MAX_BYTES: Final = 72
SESSION_ID_RE: Final = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STYLE_MAX: Final = 50

PASSWORD_MIN_DISTINCT: Final = 4
COMMON_PASSWORDS_FILE: Final = Path(__file__).resolve().parents[1] / "assets" / "common-passwords.txt"

# C0 controls except tab/newline/carriage return, DEL and the C1 controls: never meaningful in ad copy.
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Any surrogate code point in a str is a lone half (a joined pair is one code point above U+FFFF).
_SURROGATE_RE: Final = re.compile(r"[\ud800-\udfff]")
# A password is one line: no control character at all (a pasted tab or newline is invisible, and
# some clients drop it), besides the lone surrogates no one could type.
_PASSWORD_FORBIDDEN_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ASCII_FOLD: Final = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def quoted(value: object, limit: int = 30) -> str:
    """The refused value as the message quotes it; cut short, so a 1 MB value never travels back whole."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate_login_id(login_id: object) -> str:
    # ASCII letters and digits only: controls, C1 and lone surrogates never match.
    if not isinstance(login_id, str) or not LOGIN_ID_RE.fullmatch(login_id):
        raise ValidationError("ID는 3-20자의 영문/숫자만 가능합니다.", code="invalid_login_id")
    return login_id


def login_key(login_id: str) -> str:
    """The login id as uniqueness and login compare it: ASCII letters lower-cased, nothing else changed.

    Sign-up ids are ASCII (``LOGIN_ID_RE``); folding only ASCII keeps a typed non-ASCII look-alike
    (the Kelvin sign lower-cases to "k") from reaching an account, and matches the SQL
    ``translate(login_id, 'A..Z', 'a..z')`` that db.engine uses to fill keys of older accounts.
    """
    return login_id.translate(_ASCII_FOLD)


def normalize_password(login_pw: str) -> str:
    """NFC: the same password typed on any keyboard (macOS IMEs may send NFD Hangul) is the same bytes for bcrypt."""
    return unicodedata.normalize("NFC", login_pw)


def validate_password_format(login_pw: object) -> str:
    """Length (8-30 characters, 72 UTF-8 bytes) and characters of a password: code ``invalid_password``.

    The rules apply to the NFC form, which is what sign-up hashes. Returns the value as given.
    """
    if not isinstance(login_pw, str):
        raise ValidationError("비밀번호는 8-30자여야 합니다.", code="invalid_password")
    # Before normalising: NFC leaves lone surrogates in place, but nothing should ever reach it that
    # could not be encoded.
    if _PASSWORD_FORBIDDEN_RE.search(login_pw):
        raise ValidationError("비밀번호에 사용할 수 없는 문자가 있습니다.", code="invalid_password")
    stored = normalize_password(login_pw)
    if not PASSWORD_MIN <= len(stored) <= PASSWORD_MAX:
        raise ValidationError("비밀번호는 8-30자여야 합니다.", code="invalid_password")
    # bcrypt only reads 72 bytes; a longer (multi-byte) password would be silently truncated.
    if len(stored.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise ValidationError("비밀번호가 너무 깁니다. 한글은 24자 이하로 입력해 주세요.", code="invalid_password")
    return login_pw


def validate_password(login_pw: object, *, login_id: str | None = None) -> str:
    """A sign-up password: ``validate_password_format``, then the policy (code ``weak_password``).

    The policy refuses a password that is whitespace only, that starts or ends with whitespace
    (clients and password managers trim it, and the owner is locked out by an invisible character),
    that has fewer than 4 distinct characters, that contains ``login_id`` (case-insensitively), or
    that is in the common-password list (case-insensitively). Login never applies it: accounts made
    before it keep working. Returns the value as given.
    """
    checked = validate_password_format(login_pw)
    stored = normalize_password(checked)
    if not stored.strip():
        raise ValidationError("비밀번호를 공백만으로 만들 수 없습니다.", code="weak_password")
    if stored != stored.strip():
        raise ValidationError("비밀번호의 처음과 끝에는 공백을 넣을 수 없습니다.", code="weak_password")
    if len(set(stored)) < PASSWORD_MIN_DISTINCT:
        raise ValidationError(
            f"비밀번호에 서로 다른 문자를 {PASSWORD_MIN_DISTINCT}개 이상 사용해 주세요.", code="weak_password"
        )
    if isinstance(login_id, str) and login_id and login_id.casefold() in stored.casefold():
        raise ValidationError("비밀번호에 아이디를 넣을 수 없습니다.", code="weak_password")
    if stored.lower() in common_passwords():
        raise ValidationError("너무 흔한 비밀번호입니다. 다른 비밀번호를 입력해 주세요.", code="weak_password")
    return checked


@functools.cache
def common_passwords() -> frozenset[str]:
    """The lower-cased list in assets/common-passwords.txt (read once; '#' lines are comments)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def validate_input_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("광고 요청 내용을 입력해 주세요.", code="empty_input")
    if len(text) > INPUT_TEXT_MAX:
        raise ValidationError(
            f"요청 내용은 {INPUT_TEXT_MAX}자 이하로 입력해 주세요. (현재 {len(text)}자)", code="input_too_long"
        )
    if _CONTROL_RE.search(text):
        raise ValidationError("요청 내용에 사용할 수 없는 제어 문자가 있습니다.", code="invalid_characters")
    if _SURROGATE_RE.search(text):
        raise ValidationError("요청 내용에 깨진 문자가 있습니다. 다시 입력해 주세요.", code="invalid_characters")
    return text


def validate_aspect_ratio(ratio: object) -> str:
    if ratio not in ASPECT_RATIOS:
        raise ValidationError(
            f"화면 비율은 1:1, 4:3, 3:4 중 하나여야 합니다. (입력값: {quoted(ratio)})", code="invalid_aspect_ratio"
        )
    return ratio  # type: ignore[return-value]


def validate_content_type(content_type: object) -> str:
    if content_type not in CONTENT_TYPES:
        raise ValidationError(
            f"결과 종류는 image, text, both 중 하나여야 합니다. (입력값: {quoted(content_type)})",
            code="invalid_content_type",
        )
    return content_type  # type: ignore[return-value]


def validate_session_id(session_id: object) -> str:
    if not isinstance(session_id, str) or not SESSION_ID_RE.fullmatch(session_id):
        raise ValidationError("세션 ID 형식이 올바르지 않습니다.", code="invalid_session_id")
    return session_id


def validate_style(style: object) -> str | None:
    if style is None:
        return None
    if not isinstance(style, str) or len(style) > STYLE_MAX or _CONTROL_RE.search(style) or _SURROGATE_RE.search(style):
        raise ValidationError(f"스타일은 {STYLE_MAX}자 이하의 글자로 입력해 주세요.", code="invalid_style")
    return style


def validate_tone(tone: object) -> str | None:
    if tone is None:
        return None
    if tone not in TONES:
        raise ValidationError(f"말투는 존댓말 또는 반말 중 하나여야 합니다. (입력값: {quoted(tone)})", code="invalid_tone")
    return tone  # type: ignore[return-value]
