"""Accounts: sign-up, login (bcrypt + HS256 session tokens), token verification, logout.

The seed's ``register_user`` / ``authenticate_user`` with the seed's Korean messages, hardened:
one message and about the same time for an unknown id and a wrong password, throttling of
repeated failures, token ids (``jti``) so a logout can revoke one token, and a user check so the
tokens of a deleted account stop working.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypedDict

import bcrypt
import jwt
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from adgen.errors import (
    AuthenticationError,
    DuplicateLoginIdError,
    InvalidTokenError,
    TokenExpiredError,
    TokenRevokedError,
    TooManyAttemptsError,
)
from adgen.settings import Settings
from adgen.validation import BCRYPT_MAX_BYTES, validate_login_id, validate_password
from db import crud
from db.engine import session_scope

logger = logging.getLogger(__name__)

TOKEN_ALGORITHM: Final = "HS256"
REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "user_id", "jti")
MAX_TOKEN_LENGTH: Final = 4096
LOGIN_ID_COLUMN_LENGTH: Final = 50  # "user".login_id VARCHAR(50): longer ids cannot exist
_THROTTLE_MAX_KEYS: Final = 10_000


class LoginResult(TypedDict):
    user_id: int
    session_token: str


# --- throttling --------------------------------------------------------------------------


class LoginThrottle:
    """Failed logins per key in a sliding window, in this process, thread-safe.

    A key (a login id, or a client such as an IP address) is locked while it has
    ``max_failures`` failures younger than ``window_s``; the lock lifts as they age out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def is_locked(self, keys: Iterable[str], *, max_failures: int, window_s: float, now: float) -> bool:
        with self._lock:
            return any(len(self._recent(key, window_s, now)) >= max_failures for key in keys)

    def record_failure(self, keys: Iterable[str], *, window_s: float, now: float) -> None:
        with self._lock:
            for key in keys:
                self._recent(key, window_s, now).append(now)
            if len(self._failures) > _THROTTLE_MAX_KEYS:  # bound memory under a spray of ids
                for key in list(self._failures):
                    if not self._recent(key, window_s, now):
                        del self._failures[key]

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()

    def _recent(self, key: str, window_s: float, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= window_s:
            times.popleft()
        return times


login_throttle = LoginThrottle()


def _throttle_keys(login_id: object, client: str | None) -> list[str]:
    shown = login_id if isinstance(login_id, str) else repr(login_id)
    keys = [f"id:{shown[:LOGIN_ID_COLUMN_LENGTH + 1]}"]
    if client:
        keys.append(f"client:{client}")
    return keys


# --- passwords ---------------------------------------------------------------------------


def hash_password(login_pw: str, *, rounds: int) -> str:
    return bcrypt.hashpw(login_pw.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


@functools.lru_cache(maxsize=8)
def _dummy_hash(rounds: int) -> bytes:
    # A hash of a random secret: compared against when the id does not exist, so an unknown id
    # costs the same bcrypt work as a wrong password and timing does not reveal which ids exist.
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds))


def _password_matches(login_pw: object, stored_hash: str | None, *, rounds: int) -> bool:
    """bcrypt check that never raises: odd input is a failed login, with the usual bcrypt cost."""
    usable = isinstance(login_pw, str)
    try:
        pw_bytes = login_pw.encode("utf-8") if isinstance(login_pw, str) else b""
    except UnicodeEncodeError:  # lone surrogates cannot be a password anyone registered
        pw_bytes, usable = b"", False
    if len(pw_bytes) > BCRYPT_MAX_BYTES:
        # bcrypt 5 refuses > 72 bytes; sign-up never stored such a password. Still spend the time.
        pw_bytes, usable = pw_bytes[:BCRYPT_MAX_BYTES], False
    candidate = stored_hash.encode("utf-8") if stored_hash is not None else _dummy_hash(rounds)
    try:
        matched = bcrypt.checkpw(pw_bytes, candidate)
    except ValueError:
        logger.warning("stored password hash is malformed; refusing the login")
        return False
    return matched and usable and stored_hash is not None


def _could_be_stored(login_id: object) -> bool:
    """Whether a "user".login_id could hold this value. PostgreSQL text never holds NUL (psycopg2
    refuses to send it) nor lone surrogates: such an id is unknown, not a server error."""
    if not isinstance(login_id, str) or len(login_id) > LOGIN_ID_COLUMN_LENGTH or "\x00" in login_id:
        return False
    try:
        login_id.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- accounts ----------------------------------------------------------------------------


def register_user(login_id: str, login_pw: str, *, engine: Engine, settings: Settings) -> int:
    """Create an account and return its user id.

    Raises ValidationError (Korean message of the seed) for a bad id or password and
    DuplicateLoginIdError when the id is taken, also when another sign-up takes it concurrently.
    """
    validate_login_id(login_id)
    validate_password(login_pw)
    # Cheap check first, so a taken id does not cost a bcrypt hash; the unique constraint
    # below settles the race between two sign-ups for the same id.
    with session_scope(engine) as session:
        if crud.check_duplicate_id(session, login_id):
            raise DuplicateLoginIdError()
    hashed = hash_password(login_pw, rounds=settings.bcrypt_rounds)  # outside any transaction: slow on purpose
    try:
        with session_scope(engine) as session:
            user_id = crud.create_user(session, login_id=login_id, hashed_pw=hashed).user_id
    except IntegrityError as exc:
        if _constraint_name(exc) == "user_login_id_key":
            raise DuplicateLoginIdError() from exc
        raise
    assert user_id is not None  # assigned by the INSERT ... RETURNING
    return user_id


def authenticate_user(
    login_id: str, login_pw: str, *, engine: Engine, settings: Settings, client: str | None = None
) -> LoginResult:
    """Check the password and issue a fresh session token.

    Every failure raises AuthenticationError with one message ("아이디 또는 비밀번호가 일치하지
    않습니다."); after ``login_max_failures`` failures within ``login_lockout_s`` for the same
    login id or the same ``client`` (e.g. the remote address), TooManyAttemptsError.
    """
    keys = _throttle_keys(login_id, client)
    window = float(settings.login_lockout_s)
    if login_throttle.is_locked(keys, max_failures=settings.login_max_failures, window_s=window, now=time.monotonic()):
        raise TooManyAttemptsError()

    user = None
    if _could_be_stored(login_id):
        with session_scope(engine) as session:
            user = crud.get_user_by_login_id(session, login_id)
    matched = _password_matches(login_pw, user.login_pw if user else None, rounds=settings.bcrypt_rounds)
    if user is None or user.user_id is None or not matched:
        login_throttle.record_failure(keys, window_s=window, now=time.monotonic())
        raise AuthenticationError()

    login_throttle.reset(keys[0])
    return {"user_id": user.user_id, "session_token": issue_token(user.user_id, settings=settings)}


# --- tokens ------------------------------------------------------------------------------


def issue_token(user_id: int, *, settings: Settings) -> str:
    """An HS256 token for ``user_id``; every call gets a new ``jti`` (each login rotates the token)."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "user_id": user_id,
        "iat": now,
        "exp": now + timedelta(days=settings.token_lifetime_days),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.signing_key(), algorithm=TOKEN_ALGORITHM)


def decode_token(token: object, *, settings: Settings) -> dict[str, Any]:
    """Signature, algorithm, required claims and expiry; no database. Raises InvalidTokenError/TokenExpiredError."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError()
    try:
        # Only HS256 is accepted: `alg: none` and any other algorithm are refused by PyJWT here.
        claims: dict[str, Any] = jwt.decode(
            token, settings.signing_key(), algorithms=[TOKEN_ALGORITHM], options={"require": list(REQUIRED_CLAIMS)}
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpiredError() from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidTokenError() from exc
    user_id, jti = claims["user_id"], claims["jti"]
    if type(user_id) is not int or claims["sub"] != str(user_id) or not isinstance(jti, str) or not 0 < len(jti) <= 64:
        raise InvalidTokenError()
    return claims


def verify_token(token: str, *, engine: Engine, settings: Settings) -> int:
    """The user id of a valid, unrevoked token whose user still exists."""
    claims = decode_token(token, settings=settings)
    with session_scope(engine) as session:
        if crud.is_token_revoked(session, claims["jti"]):
            raise TokenRevokedError()
        if crud.get_user(session, claims["user_id"]) is None:
            raise InvalidTokenError()  # the account was deleted
    return int(claims["user_id"])


def logout(token: str, *, engine: Engine, settings: Settings) -> None:
    """Revoke this token. An expired token is already unusable: nothing to do. Idempotent."""
    try:
        claims = decode_token(token, settings=settings)
    except TokenExpiredError:
        return
    expires_at = datetime.fromtimestamp(claims["exp"], UTC).replace(tzinfo=None)  # naive UTC, as stored
    with session_scope(engine) as session:
        crud.revoke_token(session, jti=claims["jti"], user_id=claims["user_id"], expires_at=expires_at)
        # Keep the table small: a revocation is useless once its token has expired.
        crud.purge_expired_tokens(session, now=datetime.now(UTC).replace(tzinfo=None))


def _constraint_name(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)
