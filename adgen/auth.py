"""Accounts: sign-up, login (bcrypt + HS256 session tokens), token verification, logout.

The seed's ``register_user`` / ``authenticate_user`` with the seed's Korean messages, hardened:
one message and about the same time for an unknown id and a wrong password, throttling of
repeated failures and of sign-ups, a password policy at sign-up, login ids unique and found in any
letter case, passwords compared in NFC, token ids (``jti``) so a logout can revoke one token, and a
user check so the tokens of a deleted account stop working.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple, TypedDict

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
    TooManySignupsError,
)
from adgen.settings import Settings
from adgen.validation import BCRYPT_MAX_BYTES, login_key, normalize_password, validate_login_id, validate_password
from db import crud
from db.engine import session_scope
from db.models import LOGIN_ID_LENGTH

logger = logging.getLogger(__name__)

TOKEN_ALGORITHM: Final = "HS256"
REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "user_id", "jti")
MAX_TOKEN_LENGTH: Final = 4096
LOGIN_ID_COLUMN_LENGTH: Final = LOGIN_ID_LENGTH  # "user".login_id VARCHAR(50): longer ids cannot exist
_THROTTLE_MAX_KEYS: Final = 10_000


class LoginResult(TypedDict):
    user_id: int
    session_token: str


# --- throttling --------------------------------------------------------------------------


class LoginThrottle:
    """Events per key in a sliding window, in this process, thread-safe: failed logins
    (``login_throttle``) and sign-ups (``signup_throttle``).

    A key is locked while it has at least its limit of events younger than ``window_s``; the
    lock lifts as they age out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._prune_above = _THROTTLE_MAX_KEYS

    def is_locked(self, limits: Iterable[tuple[str, int]], *, window_s: float, now: float) -> bool:
        """Whether any ``(key, max_failures)`` has reached its limit."""
        with self._lock:
            return any(self._count(key, window_s, now) >= max_failures for key, max_failures in limits)

    def record_failure(self, keys: Iterable[str], *, window_s: float, now: float) -> None:
        with self._lock:
            self._record(keys, window_s, now)

    def acquire(self, limits: Iterable[tuple[str, int]], *, window_s: float, now: float) -> bool:
        """Record one event for every key unless a ``(key, max_events)`` has reached its limit: one
        step, so concurrent callers cannot all pass the check before any of them is counted."""
        limits = list(limits)
        with self._lock:
            if any(self._count(key, window_s, now) >= max_events for key, max_events in limits):
                return False
            self._record((key for key, _ in limits), window_s, now)
            return True

    def retry_after(self, limits: Iterable[tuple[str, int]], *, window_s: float, now: float) -> float:
        """Seconds until every ``(key, max_events)`` is below its limit again (0 when none is locked)."""
        with self._lock:
            waits = [0.0]
            for key, max_events in limits:
                count = self._count(key, window_s, now)
                if count >= max_events:  # the oldest events must age out until one slot is free
                    waits.append(self._failures[key][count - max_events] + window_s - now)
            return max(waits)

    def _record(self, keys: Iterable[str], window_s: float, now: float) -> None:
        for key in keys:
            times = self._failures.setdefault(key, deque())
            self._age_out(times, window_s, now)
            times.append(now)
        if len(self._failures) > self._prune_above:  # bound memory under a spray of ids
            for key in list(self._failures):
                self._age_out(self._failures[key], window_s, now)
                if not self._failures[key]:
                    del self._failures[key]
            # Amortised: when most keys are still live, do not rescan them all on every failure.
            self._prune_above = max(_THROTTLE_MAX_KEYS, 2 * len(self._failures))

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._prune_above = _THROTTLE_MAX_KEYS

    def _count(self, key: str, window_s: float, now: float) -> int:
        times = self._failures.get(key)  # a look-up adds no key: successful logins cost no memory
        if times is None:
            return 0
        self._age_out(times, window_s, now)
        return len(times)

    @staticmethod
    def _age_out(times: deque[float], window_s: float, now: float) -> None:
        while times and now - times[0] >= window_s:
            times.popleft()


login_throttle = LoginThrottle()
# Sign-ups: each costs a bcrypt hash (about 0.25 s of CPU at cost 12) and a row.
signup_throttle = LoginThrottle()
_SIGNUP_GLOBAL_KEY: Final = "all"


class _ThrottleKeys(NamedTuple):
    pair: str  # this login id from this client
    client: str | None  # this client, any login id (None: the caller does not know the client)
    account: str  # this login id, any client


# Three counters per failed login (OWASP authentication cheat sheet: throttle, do not let
# throttling become a denial of service):
#
# - (login id, client), LOGIN_MAX_FAILURES (5): the lock a user with typos meets. Per pair, so
#   typos on one id lock neither another account out of that browser nor that account out of
#   another client (an office or a proxy shares one address).
# - client, LOGIN_MAX_FAILURES_PER_CLIENT (30): password spraying / credential stuffing, one
#   guess for each of many ids. Much higher than the pair limit so that a shared address is only
#   locked by what no group of people typing does. IPv6 counts per /64 (one host usually holds a
#   whole /64; a new address per try must not be a new client).
# - login id, LOGIN_MAX_FAILURES_PER_ACCOUNT (100): kept, because without it guessing spread over
#   many addresses is unbounded (1000 addresses x 5 per window per address). Set well above the
#   pair limit: one client can add at most LOGIN_MAX_FAILURES to it, so locking the owner out
#   takes LOGIN_MAX_FAILURES_PER_ACCOUNT / LOGIN_MAX_FAILURES (20) distinct clients (/64s), a
#   deliberate distributed attack, never one browser's typos.
#
# Every key comes from the submitted id, never from the account, so an unknown id is counted and
# locked exactly as an existing one: throttling tells nothing about which ids exist. The id is
# case-folded as login folds it (login_key), so "Owner01", "OWNER01", ... are one account's count,
# not 2^7 separate allowances. A success clears only its pair: clearing the client count would let
# a sprayer with an account of its own reset it between guesses, and clearing the account count
# would erase what other clients did.
#
# An unknown client (``client=None``: the caller could not tell, e.g. behind a proxy it does not
# trust) has no client key, so no per-client (spray) limit: one limit for everyone who is unknown
# would lock them all out together. Its pair key is then the id among unknown clients, "pair:0::id"
# (never the account key itself, which would count each failure twice): unknown clients are
# treated as one client, as a shared office address is, with LOGIN_MAX_FAILURES for an id; known
# clients keep their own pairs, and the account limit counts everyone.
def _throttle_keys(login_id: object, client: str | None) -> _ThrottleKeys:
    shown = login_key(login_id) if isinstance(login_id, str) else repr(login_id)
    shown = shown[: LOGIN_ID_COLUMN_LENGTH + 1]
    where = _client_bucket(client) if client else ""
    return _ThrottleKeys(
        pair=f"pair:{len(where)}:{where}:{shown}",  # length-prefixed: no client/id split is ambiguous
        client=f"client:{where}" if where else None,
        account=f"id:{shown}",
    )


def _client_bucket(client: str) -> str:
    """The client as throttling counts it: an IPv4 address (also when IPv4-mapped), an IPv6 /64,
    or the host string as given when it is not an IP address."""
    try:
        ip = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(((int(ip) >> 64) << 64, 64)))
    return str(ip)


def _throttle_limits(keys: _ThrottleKeys, settings: Settings, *, known_device: bool = False) -> list[tuple[str, int]]:
    if known_device:
        # A browser this id has logged in from before (OWASP's "device cookie"): only its own typos count. Whatever
        # others do to the id or to a shared address, its owner is not locked out on a device it already used.
        return [(keys.pair, settings.login_max_failures)]
    limits = [(keys.pair, settings.login_max_failures), (keys.account, settings.login_max_failures_per_account)]
    if keys.client is not None:
        limits.append((keys.client, settings.login_max_failures_per_client))
    return limits


# --- passwords ---------------------------------------------------------------------------


def hash_password(login_pw: str, *, rounds: int) -> str:
    return bcrypt.hashpw(login_pw.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


@functools.lru_cache(maxsize=8)
def _dummy_hash(rounds: int) -> bytes:
    # A hash of a random secret: compared against when the id does not exist, so an unknown id
    # costs the same bcrypt work as a wrong password and timing does not reveal which ids exist.
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds))


def _password_candidates(login_pw: object) -> list[object]:
    """What to check against the stored hash: the NFC form (what sign-up hashes) first, then the
    password as typed when that differs. Accounts made before sign-up normalised hold the hash of
    what their owner typed (NFD Hangul from a macOS IME, say); they keep logging in by typing it the
    same way. The second check costs a second bcrypt only for non-NFC input and whatever the
    account, so timing still tells nothing about which ids exist."""
    if not isinstance(login_pw, str):
        return [login_pw]
    nfc = normalize_password(login_pw)
    return [nfc] if nfc == login_pw else [nfc, login_pw]


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


_LOGIN_ID_CONSTRAINTS: Final = ("user_login_id_key", "user_login_key_key")


def register_user(login_id: str, login_pw: str, *, engine: Engine, settings: Settings, client: str | None = None) -> int:
    """Create an account and return its user id.

    Raises ValidationError (Korean message of the seed) for a bad id or password, ``weak_password``
    for one the policy refuses (validation.validate_password), DuplicateLoginIdError when the id is
    taken in any letter case (also when another sign-up takes it concurrently), and
    TooManySignupsError when ``client`` (the remote address; None: unknown, no per-client limit)
    created ``signup_max_per_client`` accounts, or all clients ``signup_max_global``, within
    ``signup_window_s``. The password is hashed in NFC.
    """
    validate_login_id(login_id)
    validate_password(login_pw, login_id=login_id)
    # Cheap check first, so a taken id does not cost a bcrypt hash; the unique constraints
    # below settle the race between two sign-ups for the same id.
    with session_scope(engine) as session:
        if crud.check_duplicate_id(session, login_id):
            raise DuplicateLoginIdError()
    _count_signup(client, settings)  # before the hash: a refused sign-up costs no bcrypt
    hashed = hash_password(normalize_password(login_pw), rounds=settings.bcrypt_rounds)  # outside any transaction: slow on purpose
    try:
        with session_scope(engine) as session:
            user_id = crud.create_user(session, login_id=login_id, hashed_pw=hashed).user_id
    except IntegrityError as exc:
        if _constraint_name(exc) in _LOGIN_ID_CONSTRAINTS:
            raise DuplicateLoginIdError() from exc
        raise
    assert user_id is not None  # assigned by the INSERT ... RETURNING
    return user_id


def _count_signup(client: str | None, settings: Settings) -> None:
    """Count a sign-up against its client's and the global limit, or raise TooManySignupsError.

    Counted when it is about to be hashed (valid input, free id), so typos and taken ids cost no
    allowance; a sign-up that then loses a race for its id still counts (its hash was spent)."""
    limits = [(_SIGNUP_GLOBAL_KEY, settings.signup_max_global)]
    if client:
        limits.append((f"client:{_client_bucket(client)}", settings.signup_max_per_client))
    window, now = float(settings.signup_window_s), time.monotonic()
    if not signup_throttle.acquire(limits, window_s=window, now=now):
        wait = signup_throttle.retry_after(limits, window_s=window, now=now)
        logger.warning("sign-up refused: too many sign-ups (client %s)", client or "unknown")
        raise TooManySignupsError(retry_after_s=max(1, math.ceil(wait)), client=client)


def authenticate_user(
    login_id: str,
    login_pw: str,
    *,
    engine: Engine,
    settings: Settings,
    client: str | None = None,
    device: str | None = None,
    known_device: bool = False,
) -> LoginResult:
    """Check the password and issue a fresh session token.

    Every failure raises AuthenticationError with one message ("아이디 또는 비밀번호가 일치하지
    않습니다."). TooManyAttemptsError, before any password check, while within ``login_lockout_s``
    there were ``login_max_failures`` failures for this login id from this ``client`` (the remote
    address), ``login_max_failures_per_client`` from this client for any id, or
    ``login_max_failures_per_account`` for this id from any client (see ``_throttle_keys``).
    The id is found in any letter case (``crud.get_user_for_login``); the password policy of
    sign-up is never applied here, so older accounts with weak passwords still log in.

    ``device`` (the UI's signed browser id) makes the pair key "this id in this browser" instead of "this id
    from this address"; with ``known_device`` (the browser has logged in as this id before) only that pair's
    limit applies, so neither a spray from a shared address nor a distributed attack on the id locks its owner
    out of a browser they already used.
    """
    keys = _throttle_keys(login_id, client)
    if device:
        keys = keys._replace(pair=f"pair:device:{device}:{keys.account}")
    window = float(settings.login_lockout_s)
    limits = _throttle_limits(keys, settings, known_device=known_device and device is not None)
    if login_throttle.is_locked(limits, window_s=window, now=time.monotonic()):
        raise TooManyAttemptsError()

    user = None
    if _could_be_stored(login_id):
        with session_scope(engine) as session:
            user = crud.get_user_for_login(session, login_id)
    stored_hash = user.login_pw if user else None
    matched = any(_password_matches(pw, stored_hash, rounds=settings.bcrypt_rounds) for pw in _password_candidates(login_pw))
    if user is None or user.user_id is None or not matched:
        counted = [key for key, _ in limits] if known_device and device else [key for key in keys if key is not None]
        login_throttle.record_failure(counted, window_s=window, now=time.monotonic())
        raise AuthenticationError()

    login_throttle.reset(keys.pair)  # this client's count for this id only (see _throttle_keys)
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
