"""Input validation at the edge, with the seed's Korean messages.

Each validator returns the value unchanged or raises ``ValidationError`` naming what is wrong.
Nothing is silently "fixed": a text with surrounding spaces is accepted as typed, an empty or
whitespace-only one is refused.
"""

from __future__ import annotations

import re
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

# C0 controls except tab/newline/carriage return, plus DEL: never meaningful in ad copy.
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def quoted(value: object, limit: int = 30) -> str:
    """The refused value as the message quotes it; cut short, so a 1 MB value never travels back whole."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate_login_id(login_id: object) -> str:
    if not isinstance(login_id, str) or not LOGIN_ID_RE.fullmatch(login_id):
        raise ValidationError("ID는 3-20자의 영문/숫자만 가능합니다.", code="invalid_login_id")
    return login_id


def validate_password(login_pw: object) -> str:
    if not isinstance(login_pw, str) or not (PASSWORD_MIN <= len(login_pw) <= PASSWORD_MAX):
        raise ValidationError("비밀번호는 8-30자여야 합니다.", code="invalid_password")
    # bcrypt only reads 72 bytes; a longer (multi-byte) password would be silently truncated.
    if len(login_pw.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise ValidationError("비밀번호가 너무 깁니다. 한글은 24자 이하로 입력해 주세요.", code="invalid_password")
    if _CONTROL_RE.search(login_pw):
        raise ValidationError("비밀번호에 사용할 수 없는 문자가 있습니다.", code="invalid_password")
    return login_pw


def validate_input_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("광고 요청 내용을 입력해 주세요.", code="empty_input")
    if len(text) > INPUT_TEXT_MAX:
        raise ValidationError(
            f"요청 내용은 {INPUT_TEXT_MAX}자 이하로 입력해 주세요. (현재 {len(text)}자)", code="input_too_long"
        )
    if _CONTROL_RE.search(text):
        raise ValidationError("요청 내용에 사용할 수 없는 제어 문자가 있습니다.", code="invalid_characters")
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
    if not isinstance(style, str) or len(style) > STYLE_MAX or _CONTROL_RE.search(style):
        raise ValidationError(f"스타일은 {STYLE_MAX}자 이하의 글자로 입력해 주세요.", code="invalid_style")
    return style


def validate_tone(tone: object) -> str | None:
    if tone is None:
        return None
    if tone not in TONES:
        raise ValidationError(f"말투는 존댓말 또는 반말 중 하나여야 합니다. (입력값: {quoted(tone)})", code="invalid_tone")
    return tone  # type: ignore[return-value]
