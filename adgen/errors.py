"""Domain exceptions with stable codes.

Every error the product can show carries a machine-readable ``code`` (stable, documented in
``docs/errors.md``), a Korean ``message`` for people, and the HTTP status the REST layer uses.
Only ``app.py`` and ``adgen.api`` translate these into ``gr.Error`` / HTTP responses.
"""

from __future__ import annotations


class AdGenError(Exception):
    code: str = "internal_error"
    http_status: int = 500
    default_message: str = "알 수 없는 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."

    def __init__(self, message: str | None = None, *, code: str | None = None, **context: object):
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        # Extra context goes to the logs, never to the user.
        self.context = context
        super().__init__(self.message)

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class ValidationError(AdGenError):
    code = "validation_error"
    http_status = 422
    default_message = "입력값이 올바르지 않습니다."


class DuplicateLoginIdError(AdGenError):
    code = "duplicate_login_id"
    http_status = 409
    default_message = "이미 사용 중인 아이디입니다."


class AuthenticationError(AdGenError):
    code = "invalid_credentials"
    http_status = 401
    default_message = "아이디 또는 비밀번호가 일치하지 않습니다."


class TooManyAttemptsError(AdGenError):
    code = "too_many_attempts"
    http_status = 429
    default_message = "로그인 시도가 너무 많습니다. 잠시 후 다시 시도해 주세요."


class TooManySignupsError(AdGenError):
    """Sign-ups over ``signup_max_per_client`` (one client) or ``signup_max_global`` (all clients) in ``signup_window_s``."""

    code = "too_many_signups"
    http_status = 429
    default_message = "가입 요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."

    def __init__(self, message: str | None = None, *, retry_after_s: int, **context: object):
        super().__init__(message, **context)
        # Seconds until the window lets the next sign-up through (for a Retry-After header).
        self.retry_after_s = retry_after_s


class InvalidTokenError(AdGenError):
    code = "invalid_token"
    http_status = 401
    default_message = "로그인이 필요합니다. 다시 로그인해 주세요."


class TokenExpiredError(InvalidTokenError):
    code = "token_expired"
    default_message = "로그인이 만료되었습니다. 다시 로그인해 주세요."


class TokenRevokedError(InvalidTokenError):
    code = "token_revoked"
    default_message = "로그아웃된 세션입니다. 다시 로그인해 주세요."


class NotFoundError(AdGenError):
    code = "not_found"
    http_status = 404
    default_message = "요청한 항목을 찾을 수 없습니다."


class InvalidUploadError(AdGenError):
    code = "invalid_upload"
    http_status = 422
    default_message = "업로드한 이미지를 사용할 수 없습니다. PNG, JPEG 또는 WEBP 파일(10MB 이하)을 올려 주세요."


class QueueFullError(AdGenError):
    code = "busy"
    http_status = 503
    default_message = "지금은 요청이 많습니다. 잠시 후 다시 시도해 주세요."


class TooManyJobsError(AdGenError):
    """A requester already has as many generations queued or running as it may (settings ``max_jobs_per_*``)."""

    code = "too_many_jobs"
    http_status = 429
    default_message = "이미 만들고 있는 광고가 있어요. 그 광고가 끝난 뒤에 다시 요청해 주세요."


class ServerRestartingError(AdGenError):
    """The server is stopping (or stopped while the task was queued or running): nothing of the task was kept."""

    code = "server_restarting"
    http_status = 503
    default_message = "서버가 다시 시작되는 중이라 요청을 처리하지 못했습니다. 잠시 후 다시 요청해 주세요."


class GpuOutOfMemoryError(AdGenError):
    code = "gpu_out_of_memory"
    http_status = 503
    default_message = "이미지 생성 중 GPU 메모리가 부족합니다. 잠시 후 다시 시도해 주세요."


class ImageGenerationError(AdGenError):
    code = "image_generation_failed"
    http_status = 500
    default_message = "이미지 생성에 실패했습니다. 잠시 후 다시 시도해 주세요."


class CopyApiError(AdGenError):
    code = "copy_api_error"
    http_status = 502
    default_message = "광고 문구 생성 서비스에 문제가 있습니다. 잠시 후 다시 시도해 주세요."


class DatabaseError(AdGenError):
    code = "database_error"
    http_status = 503
    default_message = "데이터 저장 중 문제가 발생했습니다. 잠시 후 다시 시도해 주세요."


class StorageError(AdGenError):
    code = "storage_error"
    http_status = 500
    default_message = "이미지 파일 저장에 실패했습니다. 잠시 후 다시 시도해 주세요."


class ConfigurationError(AdGenError):
    code = "configuration_error"
    http_status = 500
    default_message = "서버 설정이 올바르지 않습니다."


class UnsafeImageError(AdGenError):
    """The image safety checker flagged a generated image, and again after one redraw with another seed: nothing is
    shown or stored."""

    code = "unsafe_image"
    http_status = 422
    default_message = "만들어진 이미지가 안전 기준을 통과하지 못해 보여 드릴 수 없습니다. 요청 내용을 바꿔 다시 시도해 주세요."
