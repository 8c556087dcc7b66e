"""Pydantic schemas shared by the services, the REST API and the UI (the seed's schemas.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from adgen import validation

AspectRatio = Literal["1:1", "4:3", "3:4"]
ContentType = Literal["image", "text", "both"]
Tone = Literal["존댓말", "반말"]
TaskState = Literal["pending", "processing", "completed", "failed"]


def _as_utc(value: datetime) -> datetime:
    # The database holds naive UTC; a timestamp without an offset is not an RFC 3339 date-time,
    # and a client would read it as its own local time.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def _check(fn, value):  # type: ignore[no-untyped-def]
    """Run a validator from adgen.validation and surface its Korean message to pydantic."""
    try:
        return fn(value)
    except validation.ValidationError as exc:
        raise ValueError(exc.message) from None


class GenerateRequest(BaseModel):
    """One ad request. The user comes from the verified token, never from the body."""

    model_config = ConfigDict(extra="forbid")

    input_text: str = Field(min_length=1, max_length=500)
    aspect_ratio: AspectRatio
    content_type: ContentType = "both"
    style: str | None = Field(default=None, max_length=validation.STYLE_MAX)
    tone: Tone | None = None
    session_id: str | None = Field(default=None, pattern=validation.SESSION_ID_RE.pattern)
    variants: int = Field(default=1, ge=1, le=4)

    @field_validator("input_text")
    @classmethod
    def _input_text(cls, v: str) -> str:
        return _check(validation.validate_input_text, v)

    @field_validator("style")
    @classmethod
    def _style(cls, v: str | None) -> str | None:
        return _check(validation.validate_style, v)


class TaskStatus(BaseModel):
    status: TaskState
    progress: int = Field(ge=0, le=100)
    message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    error_code: str | None = None


class SignupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=3, max_length=20, pattern=r"^[a-zA-Z0-9]+$")
    login_pw: str = Field(min_length=8, max_length=30)

    @field_validator("login_pw")
    @classmethod
    def _login_pw(cls, v: str) -> str:
        # Length, bytes and characters only (code invalid_password, as the API reports any schema
        # error on this field). The policy (weak_password: common, contains the id, ...) has its own
        # code, so register_user applies it, where the error keeps that code.
        return _check(validation.validate_password_format, v)


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Bounded so a 1 MB "password" never reaches bcrypt; content is checked by authenticate_user.
    login_id: str = Field(max_length=100)
    login_pw: str = Field(max_length=200)


class AdCopy(BaseModel):
    """The words of an ad, as laid out on the image."""

    headline: str = Field(min_length=1, max_length=40)
    body: str = Field(min_length=1, max_length=200)
    cta: str = Field(min_length=1, max_length=20)
    hashtags: list[str] = Field(default_factory=list, max_length=8)
    # The shop's contacts as the owner wrote them (phone, @handle, Kakao channel, address, URL),
    # drawn as a small line of their own; empty when the owner gave none.
    details: str = Field(default="", max_length=160)

    def as_text(self) -> str:
        tags = " ".join(self.hashtags)
        return "\n".join(part for part in (self.headline, self.body, self.details, self.cta, tags) if part)


class CopyResult(BaseModel):
    """What a copywriter returns: the copy plus what the image generator needs."""

    ad_copy: AdCopy
    image_prompt: str
    negative_prompt: str = ""
    industry: str
    style: str
    tone: Tone
    backend: str
    fallback_used: bool = False
    # What the owner should know about this answer ("이 광고에는 가격이 없어요", "새 광고로 만들었어요").
    notice: str | None = None


class GenerationHistoryItem(BaseModel):
    id: int
    output_url: str | None
    bare_image_url: str | None = None
    created_at: UtcDatetime
    style: str | None
    aspect_ratio: str
    input_text: str
    content_type: str | None = None
    industry: str | None = None
    seed: int | None = None
    generation_method: str | None = None


class ChatSessionItem(BaseModel):
    session_id: str
    first_message: str
    created_at: UtcDatetime
    last_activity: UtcDatetime | None = None


class ChatMessageItem(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    gen_image_url: str | None
    created_at: UtcDatetime
