"""REST API v1 (JWT bearer), mounted at ``/api/v1``; OpenAPI at ``/api/v1/openapi.json``, Swagger UI at
``/api/v1/docs`` and ReDoc at ``/api/v1/redoc`` (served locally, ``adgen.web.api_docs``).

Every route derives the user from a verified token. Errors are ``{"error": {"code", "message"}}``
with the stable codes of ``docs/errors.md``; messages are Korean.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adgen import auth, services, validation
from adgen.copywriter.base import HASHTAG_RE
from adgen.errors import AdGenError, InvalidTokenError, InvalidUploadError, NotFoundError, ValidationError
from adgen.runtime import Runtime
from adgen.schemas import (
    AdCopy,
    ChatMessageItem,
    ChatSessionItem,
    GenerateRequest,
    GenerationHistoryItem,
    LoginRequest,
    SignupRequest,
    TaskStatus,
)
from adgen.web.api_docs import add_api_docs

log = logging.getLogger(__name__)

# Korean messages for schema violations, by field: the same words the UI shows.
FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "login_id": ("invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
    "login_pw": ("invalid_password", "비밀번호는 8-30자여야 합니다."),
    "input_text": ("invalid_input_text", "광고 요청 내용은 1-500자로 입력해 주세요."),
    "aspect_ratio": ("invalid_aspect_ratio", "화면 비율은 1:1, 4:3, 3:4 중 하나여야 합니다."),
    "content_type": ("invalid_content_type", "결과 종류는 image, text, both 중 하나여야 합니다."),
    "style": ("invalid_style", "스타일은 50자 이하의 글자로 입력해 주세요."),
    "tone": ("invalid_tone", "말투는 존댓말 또는 반말 중 하나여야 합니다."),
    "session_id": ("invalid_session_id", "세션 ID 형식이 올바르지 않습니다."),
    "variants": ("invalid_variants", "한 번에 만들 수 있는 시안은 1-4개입니다."),
    "limit": ("invalid_limit", "limit은 1-100 사이의 숫자여야 합니다."),
    "offset": ("invalid_offset", "offset은 0 이상의 숫자여야 합니다."),
    "history_id": ("invalid_history_id", "광고 번호는 1 이상의 정수여야 합니다."),
    # Wrong JSON types in a copy edit; a string's content is checked by services.parse_ad_copy, with a precise message.
    "headline": ("invalid_copy", f"헤드라인은 1-{services.copy_max_length('headline')}자의 글자로 입력해 주세요."),
    "body": ("invalid_copy", f"본문은 1-{services.copy_max_length('body')}자의 글자로 입력해 주세요."),
    "cta": ("invalid_copy", f"버튼 문구는 1-{services.copy_max_length('cta')}자의 글자로 입력해 주세요."),
    "details": ("invalid_copy", f"연락처 줄은 {services.copy_max_length('details')}자 이하의 글자로 입력해 주세요."),
    "hashtags": ("invalid_copy", '해시태그는 글자의 목록으로 보내 주세요. (예: ["#카페", "#딸기라떼"])'),
}
# Where FastAPI says a value came from: the first part of an error's location, not a field ("body" is also one).
_LOCATIONS = ("body", "query", "path", "header", "cookie")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class SignupResponse(BaseModel):
    user_id: int


class LoginResponse(BaseModel):
    user_id: int
    session_token: str


class TaskAccepted(BaseModel):
    task_id: str
    session_id: str


def _limits(field: str, **schema: Any) -> Any:
    """A copy field whose limits (``AdCopy``'s) are documented in the schema and checked by ``services.parse_ad_copy``,
    which names the field and the problem in Korean (pydantic's own check would answer in English)."""
    return Field(json_schema_extra={"maxLength": services.copy_max_length(field)} | schema)


class CopyEditRequest(BaseModel):
    """The owner's own words for an ad: every field as it should appear, nothing is rewritten."""

    model_config = ConfigDict(extra="forbid")

    headline: str = _limits("headline", minLength=1)
    body: str = _limits("body", minLength=1, description="Line breaks (\\n) are kept; no other field may have one.")
    cta: str = _limits("cta", minLength=1)
    hashtags: list[str] = Field(
        default_factory=list,
        json_schema_extra={
            "maxItems": services.copy_max_length("hashtags"),
            "items": {"type": "string", "pattern": HASHTAG_RE.pattern, "maxLength": services.HASHTAG_MAX_CHARS},
        },
    )
    details: str = Field(default="", json_schema_extra={"maxLength": services.copy_max_length("details")},
                         description="The contacts line (phone, @handle, address); empty for none.")  # fmt: skip


class EditedAd(BaseModel):
    """The ad re-made with the owner's words: a new history entry, on the same bare image."""

    history_id: int
    source_history_id: int
    session_id: str | None
    image_url: str | None
    bare_image_url: str | None
    ad_copy: AdCopy
    aspect_ratio: str
    content_type: str
    seed: int
    copy_backend: str
    elapsed_s: float


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _validation_response(errors: list[Any]) -> JSONResponse:
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if err.get("type") == "json_invalid":
            return _error(422, "malformed_json", "요청 본문이 올바른 JSON이 아닙니다.")
        if loc == ["body"]:
            # No body, or one that is not a JSON object (null, an array, a string): the same answer as /ads.
            return _error(422, "malformed_json", "요청 본문은 JSON 객체여야 합니다.")
        if loc and loc[-1] == "input_text" and (isinstance(err.get("input"), str) or err.get("type") == "missing"):
            # The same code the services and the UI give (empty_input, input_too_long, invalid_characters).
            try:
                validation.validate_input_text(err.get("input") if err.get("type") != "missing" else None)
            except ValidationError as exc:
                return _error(422, exc.code, exc.message)
        fields = loc[1:] if len(loc) > 1 and loc[0] in _LOCATIONS else loc
        for part in reversed(fields):
            if part in FIELD_MESSAGES:
                code, message = FIELD_MESSAGES[part]
                # Our own validators already speak Korean; prefer their precise message.
                ctx_msg = str(err.get("msg", ""))
                if ctx_msg.startswith("Value error, "):
                    message = ctx_msg.removeprefix("Value error, ")
                return _error(422, code, message)
        if err.get("type") == "extra_forbidden":
            return _error(422, "unknown_field", f"알 수 없는 필드입니다: {loc[-1] if loc else '?'}")
    return _error(422, "validation_error", "입력값이 올바르지 않습니다.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing, invalid, expired or revoked token"},
    422: {"model": ErrorResponse, "description": "Invalid input"},
}


# Room for the form fields and multipart framing around the largest photo.
BODY_OVERHEAD_BYTES = 1024 * 1024


class BodySizeLimit:
    """Refuse a request body over ``max_bytes`` before it is read: uvicorn has no limit of its own, and
    Starlette spools a whole multipart upload to disk before the handler could check its size.

    A declared ``Content-Length`` over the limit is answered at once; a chunked body is counted as it
    arrives and the request fails with the same error when it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, scope: Scope) -> AdGenError:
        if Headers(scope=scope).get("content-type", "").startswith("multipart/form-data"):
            upload_mb = (self.max_bytes - BODY_OVERHEAD_BYTES) // (1024 * 1024)
            return InvalidUploadError(f"사진 용량이 너무 큽니다. {upload_mb}MB 이하로 올려 주세요.", code="upload_too_large")
        return ValidationError("요청 본문이 너무 큽니다.", code="request_too_large")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            exc = self._too_large(scope)
            log.info("%s %s -> 422 %s (Content-Length %s)", scope.get("method"), scope.get("path"), exc.code, length)
            await _error(exc.http_status, exc.code, exc.message, {"Connection": "close"})(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large(scope)
            return message

        await self.app(scope, counted, send)


_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_user(request: Request, creds: Credentials) -> int:
    """The user of a verified bearer token (never a client-sent id)."""
    runtime: Runtime = request.app.state.runtime
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise InvalidTokenError(code="auth_required")
    return auth.verify_token(creds.credentials, engine=runtime.ctx.engine, settings=runtime.settings)


CurrentUser = Annotated[int, Depends(current_user)]


def create_api(runtime: Runtime) -> FastAPI:
    settings = runtime.settings
    ctx = runtime.ctx
    api = FastAPI(
        title="AdGen API",
        version="1.0.0",
        description="Korean ad copy + image generation for small businesses. Authenticate with "
        "`Authorization: Bearer <session_token>` from `/auth/login`.",
        openapi_url="/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc from our own files (add_api_docs), not a CDN
        redoc_url=None,
    )
    api.state.runtime = runtime
    add_api_docs(api)
    api.add_middleware(BodySizeLimit, max_bytes=int(settings.max_upload_mb * 1024 * 1024) + BODY_OVERHEAD_BYTES)

    @api.exception_handler(AdGenError)
    async def _adgen_error(request: Request, exc: AdGenError) -> JSONResponse:
        level = logging.ERROR if exc.http_status >= 500 else logging.INFO
        log.log(level, "%s %s -> %d %s %s", request.method, request.url.path, exc.http_status, exc.code, exc.context or "")
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        if exc.http_status == 429:
            # A busy account waits for its own generation (seconds); a throttled login for the lock-out window.
            retry_after = getattr(exc, "retry_after_s", None) or (10 if exc.code == "too_many_jobs" else settings.login_lockout_s)
            headers = {"Retry-After": str(retry_after)}
        return _error(exc.http_status, exc.code, exc.message, headers)

    @api.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(list(exc.errors()))

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's only 400: a body it could not parse (bad UTF-8, JSON nested too deep). Same answer as /ads.
            return _error(422, "malformed_json", "요청 본문이 올바른 JSON이 아닙니다.")
        codes = {404: ("not_found", "요청한 항목을 찾을 수 없습니다."), 405: ("method_not_allowed", "허용되지 않는 요청 방식입니다.")}
        code, message = codes.get(exc.status_code, ("http_error", "요청을 처리할 수 없습니다."))
        return _error(exc.status_code, code, message)

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s -> 500 unexpected", request.method, request.url.path, exc_info=exc)
        return _error(500, "internal_error", AdGenError.default_message)

    @api.post("/auth/signup", status_code=201, response_model=SignupResponse, tags=["auth"],
              responses={409: {"model": ErrorResponse, "description": "Login id taken"},
                         429: {"model": ErrorResponse, "description": "Too many sign-ups (this client, or all)"}, **ERROR_RESPONSES})
    def signup(body: SignupRequest, request: Request) -> SignupResponse:
        client = request.client.host if request.client else None
        user_id = auth.register_user(body.login_id, body.login_pw, engine=ctx.engine, settings=settings, client=client)
        return SignupResponse(user_id=user_id)

    @api.post("/auth/login", response_model=LoginResponse, tags=["auth"],
              responses={429: {"model": ErrorResponse, "description": "Too many failed attempts"}, **ERROR_RESPONSES})
    def login(body: LoginRequest, request: Request) -> LoginResponse:
        client = request.client.host if request.client else None
        result = auth.authenticate_user(body.login_id, body.login_pw, engine=ctx.engine, settings=settings, client=client)
        return LoginResponse(**result)

    @api.post("/auth/logout", status_code=204, tags=["auth"], responses=ERROR_RESPONSES)
    def logout(user_id: CurrentUser, creds: Credentials) -> None:
        assert creds is not None  # current_user already refused a missing token
        auth.logout(creds.credentials, engine=ctx.engine, settings=settings)

    @api.post(
        "/ads",
        status_code=202,
        response_model=TaskAccepted,
        tags=["ads"],
        responses={
            429: {"model": ErrorResponse, "description": "This account already has MAX_JOBS_PER_USER generations queued or running"},
            503: {"model": ErrorResponse, "description": "Generation queue is full"},
            **ERROR_RESPONSES,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": GenerateRequest.model_json_schema(ref_template="#/components/schemas/{model}")},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["input_text", "aspect_ratio"],
                            "properties": {
                                "input_text": {"type": "string", "minLength": 1, "maxLength": 500},
                                "aspect_ratio": {"type": "string", "enum": ["1:1", "4:3", "3:4"]},
                                "content_type": {"type": "string", "enum": ["image", "text", "both"]},
                                "style": {"type": "string", "maxLength": 50},
                                "tone": {"type": "string", "enum": ["존댓말", "반말"]},
                                "session_id": {"type": "string"},
                                "variants": {"type": "integer", "minimum": 1, "maximum": 4},
                                "image": {"type": "string", "format": "binary"},
                            },
                        }
                    },
                },
            }
        },
    )
    async def create_ad(request: Request, user_id: CurrentUser) -> TaskAccepted:
        # Only the body is read on the event loop; decoding the photo (up to MAX_UPLOAD_PIXELS) and the
        # database work run in a worker thread, so one large upload never stalls the server.
        fields, upload = await _read_ad_request(request, max_bytes=int(settings.max_upload_mb * 1024 * 1024))
        try:
            body = GenerateRequest.model_validate(fields)
        except PydanticValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        return await run_in_threadpool(_accept_ad, user_id, body, upload)

    def _accept_ad(user_id: int, body: GenerateRequest, upload: bytes | None) -> TaskAccepted:
        image = runtime.decoder.decode(upload) if upload is not None else None
        session_id = body.session_id or services.new_session_id()
        services.check_session_access(ctx, user_id, session_id)
        task_id = runtime.submit(
            user_id,
            body.input_text,
            body.aspect_ratio,
            image=image,
            session_id=session_id,
            content_type=body.content_type,
            style=body.style,
            tone=body.tone,
            variants=body.variants,
        )
        return TaskAccepted(task_id=task_id, session_id=session_id)

    @api.post("/ads/{history_id}/copy", status_code=201, response_model=EditedAd, tags=["ads"],
              responses={404: {"model": ErrorResponse, "description": "No such ad (or not yours), or its bare image is gone"},
                         **ERROR_RESPONSES})  # fmt: skip
    def edit_copy(
        history_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], body: CopyEditRequest, user_id: CurrentUser
    ) -> EditedAd:
        """Lay the owner's own words on one of their ads: the same bare image, no image generation. The result is a
        new history entry (and, in a chat session, a new turn); the ad it started from is kept as it was."""
        # A plain def: FastAPI runs it in a worker thread, so composing and storing never block the event loop.
        result = services.edit_ad_copy(ctx, user_id, history_id, services.parse_ad_copy(body.model_dump()))
        public = result.public()
        return EditedAd(source_history_id=history_id, **{k: public[k] for k in EditedAd.model_fields if k != "source_history_id"})

    @api.get("/tasks/{task_id}", response_model=TaskStatus, tags=["ads"],
             responses={404: {"model": ErrorResponse, "description": "No such task (or not yours)"}, **ERROR_RESPONSES})
    def task_status(task_id: str, user_id: CurrentUser) -> TaskStatus:
        try:
            entry = runtime.tasks[task_id]
        except KeyError:
            raise NotFoundError("작업을 찾을 수 없습니다.", code="task_not_found") from None
        if entry.get("user_id") != user_id:
            raise NotFoundError("작업을 찾을 수 없습니다.", code="task_not_found")
        return TaskStatus(**{k: v for k, v in entry.items() if k in TaskStatus.model_fields})

    @api.get("/history/generations", response_model=list[GenerationHistoryItem], tags=["history"], responses=ERROR_RESPONSES)
    def generation_history(
        user_id: CurrentUser, limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0
    ) -> list[dict[str, Any]]:
        return services.get_generation_history(ctx, user_id, limit=limit, offset=offset)

    @api.get("/history/chat/sessions", response_model=list[ChatSessionItem], tags=["history"], responses=ERROR_RESPONSES)
    def chat_sessions(user_id: CurrentUser, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, Any]]:
        return services.get_chat_sessions(ctx, user_id, limit=limit)

    @api.get("/history/chat", response_model=list[ChatMessageItem], tags=["history"],
             responses={404: {"model": ErrorResponse, "description": "No such session (or not yours)"}, **ERROR_RESPONSES})
    def chat_history(user_id: CurrentUser, session_id: Annotated[str, Query(max_length=64)]) -> list[dict[str, Any]]:
        return services.get_chat_history(ctx, user_id, session_id)

    @api.get("/images/{filename}", tags=["images"], response_class=FileResponse,
             responses={200: {"content": {"image/png": {}}}, 401: ERROR_RESPONSES[401],
                        404: {"model": ErrorResponse, "description": "Not found or not yours"}})
    def image(filename: str, user_id: CurrentUser) -> FileResponse:
        # Only "<64 hex>.png" can name a file; everything else is the same 404.
        if not filename.endswith(".png"):
            raise NotFoundError("이미지를 찾을 수 없습니다.", code="image_not_found")
        path = services.open_owned_image(ctx, user_id, filename.removesuffix(".png"))
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=31536000, immutable"})

    return api


async def _read_ad_request(request: Request, *, max_bytes: int) -> tuple[dict[str, Any], bytes | None]:
    """The ad request's fields and optional photo bytes, from JSON or multipart form data."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=1, max_fields=20)
        except AdGenError:
            raise  # the body-size limit, raised while the form was being read
        except Exception:
            raise ValidationError("요청 본문을 읽을 수 없습니다.", code="malformed_form") from None
        fields: dict[str, Any] = {}
        upload: bytes | None = None
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                if key != "image":
                    raise ValidationError(f"알 수 없는 파일 필드입니다: {key}", code="unknown_field")
                # Read one byte more than allowed: enough to refuse without holding a huge body.
                upload = await value.read(max_bytes + 1)
                if len(upload) > max_bytes:
                    raise InvalidUploadError(
                        f"사진 용량이 너무 큽니다. {max_bytes // (1024 * 1024)}MB 이하로 올려 주세요.", code="upload_too_large"
                    )
                if not upload:
                    upload = None
            elif value != "":
                fields[key] = value
        return fields, upload
    try:
        data = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        # RecursionError: arrays nested thousands deep; the parser gives up, and so do we.
        raise ValidationError("요청 본문이 올바른 JSON이 아닙니다.", code="malformed_json") from None
    if not isinstance(data, dict):
        raise ValidationError("요청 본문은 JSON 객체여야 합니다.", code="malformed_json")
    return data, None
