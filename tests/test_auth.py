"""adgen.auth: the seed's week-3 cases, plus tokens, throttling, timing and the signing key."""

from __future__ import annotations

import statistics
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pydantic
import pytest
from sqlalchemy import Engine, text

from adgen import auth
from adgen.errors import (
    AuthenticationError,
    DuplicateLoginIdError,
    InvalidTokenError,
    TokenExpiredError,
    TokenRevokedError,
    TooManyAttemptsError,
    TooManySignupsError,
    ValidationError,
)
from adgen.settings import Settings
from db import crud
from db.engine import session_scope

PASSWORD = "Cafe-Latte-2026!"
WRONG = "아이디 또는 비밀번호가 일치하지 않습니다."
TOO_LONG = "비밀번호가 너무 깁니다. 한글은 24자 이하로 입력해 주세요."
OTHER_KEY = "another-signing-key-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    auth.login_throttle.clear()
    auth.signup_throttle.clear()
    yield
    auth.login_throttle.clear()
    auth.signup_throttle.clear()


@pytest.fixture
def user(engine: Engine, settings: Settings) -> int:
    return auth.register_user("testuser2", PASSWORD, engine=engine, settings=settings)


def login(engine: Engine, settings: Settings, login_id: str = "testuser2", login_pw: Any = PASSWORD, **kw: Any) -> auth.LoginResult:
    return auth.authenticate_user(login_id, login_pw, engine=engine, settings=settings, **kw)


def forge(settings: Settings, key: str | None = None, algorithm: str = "HS256", **changes: Any) -> str:
    """A token like ours, with some claims changed (None drops a claim), signed as asked."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": "1", "user_id": 1, "iat": now, "exp": now + timedelta(hours=1), "jti": "f" * 32}
    for name, value in changes.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value
    return jwt.encode(claims, key if key is not None else settings.signing_key(), algorithm=algorithm)


# --- register_user (the seed's week-3 list first) ------------------------------------------


def test_register_normal(engine: Engine, settings: Settings) -> None:
    user_id = auth.register_user("testuser2", PASSWORD, engine=engine, settings=settings)
    assert isinstance(user_id, int) and user_id > 0
    with session_scope(engine) as s:
        stored = crud.get_user_by_login_id(s, "testuser2")
    assert stored is not None and stored.user_id == user_id
    assert stored.login_pw.startswith("$2b$04$")  # bcrypt at the configured cost, never the password
    assert PASSWORD not in stored.login_pw


def test_register_duplicate(engine: Engine, settings: Settings, user: int) -> None:
    with pytest.raises(DuplicateLoginIdError) as exc:
        auth.register_user("testuser2", PASSWORD, engine=engine, settings=settings)
    assert exc.value.message == "이미 사용 중인 아이디입니다." and exc.value.http_status == 409


def test_register_duplicate_lost_race_is_still_a_duplicate(
    engine: Engine, settings: Settings, user: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another sign-up inserted the id between our check and our insert: the unique constraint decides.
    monkeypatch.setattr(crud, "check_duplicate_id", lambda session, login_id: False)
    with pytest.raises(DuplicateLoginIdError):
        auth.register_user("testuser2", PASSWORD, engine=engine, settings=settings)


def test_register_concurrent_same_id_one_wins(engine: Engine, settings: Settings) -> None:
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait(timeout=30)
        try:
            outcomes.append(auth.register_user("racer01", PASSWORD, engine=engine, settings=settings))
        except DuplicateLoginIdError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len([o for o in outcomes if isinstance(o, int)]) == 1
    assert len([o for o in outcomes if isinstance(o, DuplicateLoginIdError)]) == 3


@pytest.mark.parametrize(
    ("login_id", "login_pw", "code", "message"),
    [
        ("ab", "123", "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),  # the seed's case: both too short, id first
        ("ab", PASSWORD, "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
        ("a" * 21, PASSWORD, "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
        ("test user", PASSWORD, "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
        ("테스트유저", PASSWORD, "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
        ("testuser2", "123", "invalid_password", "비밀번호는 8-30자여야 합니다."),
        ("testuser2", "p" * 31, "invalid_password", "비밀번호는 8-30자여야 합니다."),
        ("testuser2", "비" * 25, "invalid_password", TOO_LONG),  # 25 characters, 75 bytes: bcrypt reads only 72
    ],
)
def test_register_invalid(engine: Engine, settings: Settings, login_id: str, login_pw: str, code: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        auth.register_user(login_id, login_pw, engine=engine, settings=settings)
    assert (exc.value.code, exc.value.message) == (code, message)
    with engine.connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM "user"')).scalar_one() == 0


def user_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text('SELECT count(*) FROM "user"')).scalar_one())


@pytest.mark.parametrize(
    ("login_id", "login_pw", "message"),
    [
        ("cafe01", "password", "너무 흔한 비밀번호입니다. 다른 비밀번호를 입력해 주세요."),
        ("cafe01", "password123", "너무 흔한 비밀번호입니다. 다른 비밀번호를 입력해 주세요."),
        ("cafe01", "Qwerty123", "너무 흔한 비밀번호입니다. 다른 비밀번호를 입력해 주세요."),
        ("cafe01", "12345678", "너무 흔한 비밀번호입니다. 다른 비밀번호를 입력해 주세요."),
        ("cafe01", "11111111", "비밀번호에 서로 다른 문자를 4개 이상 사용해 주세요."),
        ("cafe01", "aaaaaaaa", "비밀번호에 서로 다른 문자를 4개 이상 사용해 주세요."),
        ("cafe01", "        ", "비밀번호를 공백만으로 만들 수 없습니다."),
        ("cafe01", " Cafe-Latte-2026", "비밀번호의 처음과 끝에는 공백을 넣을 수 없습니다."),
        ("cafe01", "Cafe01-Latte", "비밀번호에 아이디를 넣을 수 없습니다."),  # register_user passes the id
        ("Latte2026", "Cafe-latte2026!", "비밀번호에 아이디를 넣을 수 없습니다."),
        ("testuser2", "testuser2", "비밀번호에 아이디를 넣을 수 없습니다."),
    ],
)
def test_register_refuses_weak_passwords(engine: Engine, settings: Settings, login_id: str, login_pw: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        auth.register_user(login_id, login_pw, engine=engine, settings=settings, client=OFFICE)
    assert (exc.value.code, exc.value.message, exc.value.http_status) == ("weak_password", message, 422)
    assert user_count(engine) == 0


@pytest.mark.parametrize("login_pw", ["Cafe-Latte\x852026", "Cafe-Latte\ud8002026", "Cafe\nLatte-2026"])
def test_register_refuses_c1_controls_and_lone_surrogates_in_passwords(engine: Engine, settings: Settings, login_pw: str) -> None:
    with pytest.raises(ValidationError) as exc:
        auth.register_user("cafe01", login_pw, engine=engine, settings=settings)
    assert exc.value.code == "invalid_password"
    assert user_count(engine) == 0


# --- login ids in any letter case ------------------------------------------------------------


@pytest.mark.parametrize("second", ["owner01", "OWNER01", "oWnEr01"])
def test_login_ids_are_unique_in_any_letter_case(engine: Engine, settings: Settings, second: str) -> None:
    auth.register_user("Owner01", PASSWORD, engine=engine, settings=settings)
    with pytest.raises(DuplicateLoginIdError) as exc:
        auth.register_user(second, "Other-Latte-2026!", engine=engine, settings=settings)
    assert (exc.value.code, exc.value.http_status) == ("duplicate_login_id", 409)
    assert user_count(engine) == 1


def race(call: Callable[[Any], object], args: list[Any], refused: type[Exception]) -> list[object]:
    """``call(arg)`` for every arg at once (threads released together); each result or ``refused`` error."""
    outcomes: list[object] = []
    barrier = threading.Barrier(len(args))

    def attempt(arg: Any) -> None:
        barrier.wait(timeout=30)
        try:
            outcomes.append(call(arg))
        except refused as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=attempt, args=(arg,)) for arg in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_concurrent_sign_ups_differing_in_case_one_wins(engine: Engine, settings: Settings) -> None:
    # No check-then-insert can settle this: the unique constraint on login_key does.
    outcomes = race(lambda login_id: auth.register_user(login_id, PASSWORD, engine=engine, settings=settings),
                    ["Racer01", "racer01", "RACER01", "rAcEr01"], DuplicateLoginIdError)  # fmt: skip
    assert len([o for o in outcomes if isinstance(o, int)]) == 1
    assert len([o for o in outcomes if isinstance(o, DuplicateLoginIdError)]) == 3
    assert user_count(engine) == 1


@pytest.mark.parametrize("typed", ["Owner01", "owner01", "OWNER01", "oWNER01"])
def test_login_finds_the_account_in_any_letter_case(engine: Engine, settings: Settings, typed: str) -> None:
    user_id = auth.register_user("Owner01", PASSWORD, engine=engine, settings=settings)
    assert login(engine, settings, typed)["user_id"] == user_id
    with pytest.raises(AuthenticationError):
        login(engine, settings, typed, "wrongpassword")


@pytest.mark.parametrize("typed", ["\u212aafe01", "kafe01\u0130", "kafe0l"])  # Kelvin sign, dotted I, look-alikes
def test_login_does_not_fold_look_alikes_onto_an_account(engine: Engine, settings: Settings, typed: str) -> None:
    auth.register_user("kafe01", PASSWORD, engine=engine, settings=settings)
    with pytest.raises(AuthenticationError):
        login(engine, settings, typed)


def test_failures_in_other_letter_cases_count_for_one_account(engine: Engine, settings: Settings, user: int) -> None:
    # Otherwise each of the 2^8 spellings of "testuser" would get its own allowance.
    for typed in ("testuser2", "TESTUSER2", "TestUser2", "tEsTuSeR2", "TESTuser2"):
        fail_login(engine, settings, typed, OFFICE)
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, "Testuser2", client=OFFICE)
    assert login(engine, settings, client=HOME)["user_id"] == user


# --- passwords in NFC ------------------------------------------------------------------------

HANGUL_PW = "카페라떼는사랑입니다"  # NFC, as most keyboards send it


def test_password_typed_in_nfd_logs_in(engine: Engine, settings: Settings) -> None:
    nfd = unicodedata.normalize("NFD", HANGUL_PW)
    assert nfd != HANGUL_PW
    user_id = auth.register_user("hangul01", HANGUL_PW, engine=engine, settings=settings)
    assert login(engine, settings, "hangul01", nfd)["user_id"] == user_id  # e.g. a macOS IME
    assert login(engine, settings, "hangul01", HANGUL_PW)["user_id"] == user_id


def test_sign_up_in_nfd_hashes_nfc(engine: Engine, settings: Settings) -> None:
    nfd = unicodedata.normalize("NFD", HANGUL_PW)
    user_id = auth.register_user("hangul02", nfd, engine=engine, settings=settings)
    with session_scope(engine) as s:
        stored = crud.get_user(s, user_id)
    assert stored is not None and auth.bcrypt.checkpw(HANGUL_PW.encode(), stored.login_pw.encode())
    assert login(engine, settings, "hangul02", HANGUL_PW)["user_id"] == user_id
    assert login(engine, settings, "hangul02", nfd)["user_id"] == user_id


def legacy_account(engine: Engine, login_id: str, password_as_hashed: str) -> int:
    """An account made before this version: the hash of the password exactly as typed, no policy."""
    with session_scope(engine) as s:
        user_id = crud.create_user(s, login_id=login_id, hashed_pw=auth.hash_password(password_as_hashed, rounds=4)).user_id
    assert user_id is not None
    return user_id


def test_an_older_account_hashed_in_nfd_still_logs_in_as_typed(engine: Engine, settings: Settings) -> None:
    nfd = unicodedata.normalize("NFD", HANGUL_PW)
    user_id = legacy_account(engine, "legacy01", nfd)
    assert login(engine, settings, "legacy01", nfd)["user_id"] == user_id  # NFC fails, the raw string matches
    with pytest.raises(AuthenticationError):
        login(engine, settings, "legacy01", unicodedata.normalize("NFD", "카페라떼는사랑입니까"))


def test_an_older_account_with_a_weak_password_still_logs_in(engine: Engine, settings: Settings) -> None:
    user_id = legacy_account(engine, "legacy02", "password123")  # refused at sign-up today
    assert login(engine, settings, "legacy02", "password123")["user_id"] == user_id


# --- sign-up throttling ----------------------------------------------------------------------


def signup(engine: Engine, settings: Settings, login_id: str, client: str | None) -> int:
    return auth.register_user(login_id, PASSWORD, engine=engine, settings=settings, client=client)


def test_sign_ups_from_one_client_are_limited(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(signup_max_per_client=3, signup_window_s=3600)
    for n in range(3):
        signup(engine, s, f"shop{n:02d}", OFFICE)
    with pytest.raises(TooManySignupsError) as exc:
        signup(engine, s, "shop99", OFFICE)
    assert (exc.value.code, exc.value.http_status, exc.value.message) == (
        "too_many_signups",
        429,
        "가입 요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
    )
    assert 3590 <= exc.value.retry_after_s <= 3600
    assert user_count(engine) == 3
    signup(engine, s, "shop99", HOME)  # another client is not affected
    with pytest.raises(TooManySignupsError):
        signup(engine, s, "shop98", f"::ffff:{OFFICE}")  # the same IPv4 client seen by a dual-stack socket


def test_sign_ups_group_ipv6_by_64(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(signup_max_per_client=2)
    signup(engine, s, "six01", "2001:db8:0:7::1")
    signup(engine, s, "six02", "2001:db8:0:7::2")
    with pytest.raises(TooManySignupsError):
        signup(engine, s, "six03", "2001:db8:0:7:abcd::9")  # a new address in the same /64
    signup(engine, s, "six03", "2001:db8:0:8::1")


def test_the_default_per_client_limit_is_5(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    fields = Settings.model_fields
    defaults = {name: fields[name].default for name in ("signup_max_per_client", "signup_max_global", "signup_window_s")}
    assert defaults == {"signup_max_per_client": 5, "signup_max_global": 200, "signup_window_s": 3600}
    settings = settings_factory(**defaults)  # the suite's own settings raise them (it signs many accounts up)
    for n in range(5):
        signup(engine, settings, f"many{n:02d}", OFFICE)
    with pytest.raises(TooManySignupsError):
        signup(engine, settings, "many99", OFFICE)


def test_the_global_cap_bounds_a_spray_over_many_clients(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(signup_max_per_client=5, signup_max_global=4)
    for n in range(4):
        signup(engine, s, f"spray{n:02d}", f"192.0.2.{n + 1}")  # one per address: no client near its limit
    for client in ("192.0.2.200", None):
        with pytest.raises(TooManySignupsError):
            signup(engine, s, "spray99", client)
    assert user_count(engine) == 4


def test_an_unknown_client_has_no_per_client_limit_but_counts_globally(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(signup_max_per_client=2, signup_max_global=5)
    for n in range(4):
        signup(engine, s, f"anon{n:02d}", None)  # over the per-client limit: None is not one client
    signup(engine, s, "known01", OFFICE)
    with pytest.raises(TooManySignupsError):
        signup(engine, s, "known02", HOME)  # the global cap (5) counted the unknown ones too


def test_refused_and_invalid_sign_ups_cost_no_allowance(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(signup_max_per_client=2)
    signup(engine, s, "first01", OFFICE)
    for login_id, pw in (("first01", PASSWORD), ("FIRST01", PASSWORD), ("second01", "password123"), ("ab", PASSWORD)):
        with pytest.raises((DuplicateLoginIdError, ValidationError)):
            auth.register_user(login_id, pw, engine=engine, settings=s, client=OFFICE)
    signup(engine, s, "second01", OFFICE)  # typos and taken ids did not use up the second sign-up
    with pytest.raises(TooManySignupsError):
        signup(engine, s, "third01", OFFICE)


def test_a_refused_sign_up_costs_no_bcrypt(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(bcrypt_rounds=12, signup_max_per_client=1)  # the production cost: about 0.25 s a hash
    start = time.perf_counter()
    signup(engine, s, "cost01", OFFICE)
    hashed_s = time.perf_counter() - start
    start = time.perf_counter()
    with pytest.raises(TooManySignupsError):
        signup(engine, s, "cost02", OFFICE)
    refused_s = time.perf_counter() - start
    assert hashed_s > 0.1 and refused_s < hashed_s / 4, (hashed_s, refused_s)


def test_the_sign_up_window_slides(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    s = settings_factory(signup_max_per_client=1, signup_window_s=1)
    signup(engine, s, "slide01", OFFICE)
    with pytest.raises(TooManySignupsError) as exc:
        signup(engine, s, "slide02", OFFICE)
    assert exc.value.retry_after_s == 1
    time.sleep(1.1)
    signup(engine, s, "slide02", OFFICE)


def test_concurrent_sign_ups_from_one_client_respect_the_limit(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    # Check and count are one step: eight at once cannot all pass the check before any is counted.
    s = settings_factory(signup_max_per_client=3)
    outcomes = race(lambda n: signup(engine, s, f"burst{n:02d}", OFFICE), list(range(8)), TooManySignupsError)
    assert len([o for o in outcomes if isinstance(o, int)]) == 3
    assert len([o for o in outcomes if isinstance(o, TooManySignupsError)]) == 5
    assert user_count(engine) == 3


def test_throttle_acquire_and_retry_after() -> None:
    throttle = auth.LoginThrottle()
    limits = [("a", 2), ("all", 3)]
    assert throttle.acquire(limits, window_s=10, now=100.0)
    assert throttle.acquire(limits, window_s=10, now=101.0)
    assert not throttle.acquire(limits, window_s=10, now=102.0)  # "a" is full; nothing recorded
    assert throttle.retry_after(limits, window_s=10, now=102.0) == pytest.approx(8.0)  # the event at 100 ages out at 110
    assert throttle.acquire([("b", 2), ("all", 3)], window_s=10, now=102.0)  # "all" had 2, the refusal added none
    assert not throttle.acquire([("c", 2), ("all", 3)], window_s=10, now=103.0)
    assert throttle.retry_after([("c", 2), ("all", 3)], window_s=10, now=103.0) == pytest.approx(7.0)
    assert throttle.acquire(limits, window_s=10, now=110.0)  # 100 aged out of both keys
    assert throttle.retry_after([("z", 1)], window_s=10, now=110.0) == 0.0


# --- authenticate_user ---------------------------------------------------------------------


def test_login_normal_and_decode_token_as_the_seed_does(engine: Engine, settings: Settings, user: int) -> None:
    result = login(engine, settings)
    assert result["user_id"] == user
    decoded = jwt.decode(result["session_token"], settings.signing_key(), algorithms=["HS256"])
    assert decoded["user_id"] == user and decoded["sub"] == str(user)
    assert decoded["exp"] - decoded["iat"] == 7 * 24 * 3600  # the seed's 7 days
    assert len(decoded["jti"]) == 32 and int(decoded["jti"], 16) >= 0
    assert auth.verify_token(result["session_token"], engine=engine, settings=settings) == user


def test_each_login_gets_a_fresh_token(engine: Engine, settings: Settings, user: int) -> None:
    first, second = login(engine, settings)["session_token"], login(engine, settings)["session_token"]
    jtis = {jwt.decode(t, settings.signing_key(), algorithms=["HS256"])["jti"] for t in (first, second)}
    assert len(jtis) == 2
    assert auth.verify_token(first, engine=engine, settings=settings) == auth.verify_token(second, engine=engine, settings=settings)


@pytest.mark.parametrize(
    ("login_id", "login_pw"),
    [
        ("testuser2", "wrongpassword"),  # the seed's wrong password
        ("nonexistent", PASSWORD),  # the seed's unknown user
        ("testuser2", PASSWORD + "x" * 70),  # > 72 bytes: bcrypt would raise; a failed login here
        ("testuser2", "비" * 30),  # 90 bytes
        ("nonexistent", "p" * 200),
        ("testuser2", "pass\x00word123"),
        ("testuser2", "\ud800 lone surrogate"),
        ("testuser2", ""),
        ("testuser2", None),
        (None, PASSWORD),
        ("x" * 500, PASSWORD),
    ],
)
def test_login_failures_share_one_message(engine: Engine, settings: Settings, user: int, login_id: Any, login_pw: Any) -> None:
    with pytest.raises(AuthenticationError) as exc:
        login(engine, settings, login_id, login_pw)
    assert exc.value.message == WRONG and exc.value.code == "invalid_credentials" and exc.value.http_status == 401


def test_login_with_a_malformed_stored_hash_fails_cleanly(engine: Engine, settings: Settings, user: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("""UPDATE "user" SET login_pw = 'not-a-bcrypt-hash'"""))
    with pytest.raises(AuthenticationError):
        login(engine, settings)


def test_unknown_id_and_wrong_password_take_about_the_same_time(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    # A cost where bcrypt dominates the database round trip (about 15 ms per check).
    slow = settings_factory(bcrypt_rounds=8, login_max_failures=1000)
    auth.register_user("timing01", PASSWORD, engine=engine, settings=slow)

    def median_seconds(login_id: str, runs: int = 7) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            with pytest.raises(AuthenticationError):
                login(engine, slow, login_id, "wrongpassword")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    median_seconds("timing01", runs=2)  # warm the dummy hash and the pool
    known, unknown = median_seconds("timing01"), median_seconds("nobody01")
    assert 1 / 2.5 < unknown / known < 2.5, (known, unknown)
    assert unknown > 0.003  # bcrypt really ran for the unknown id


# --- throttling ----------------------------------------------------------------------------


def test_repeated_failures_for_one_id_are_throttled(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    s = settings_factory(login_max_failures=3, login_lockout_s=300)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            login(engine, s, login_pw="wrongpassword")
    with pytest.raises(TooManyAttemptsError) as exc:
        login(engine, s)  # even the right password waits out the lock
    assert exc.value.http_status == 429 and exc.value.code == "too_many_attempts"
    other = auth.register_user("otheruser", PASSWORD, engine=engine, settings=s)
    assert login(engine, s, "otheruser")["user_id"] == other  # other ids are unaffected


def test_success_resets_the_id_counter(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    s = settings_factory(login_max_failures=3)
    for _ in range(2):
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                login(engine, s, login_pw="wrongpassword")
        assert login(engine, s)["user_id"] == user  # 2 failures, success, 2 failures, success


OFFICE, HOME, ELSEWHERE = "203.0.113.7", "198.51.100.1", "192.0.2.44"


def fail_login(engine: Engine, settings: Settings, login_id: str, client: str | None, login_pw: str = "wrongpassword") -> None:
    with pytest.raises(AuthenticationError):  # a plain failed login: not yet throttled
        login(engine, settings, login_id, login_pw, client=client)


def test_typos_on_a_made_up_id_do_not_lock_another_account_out_of_the_same_client(engine: Engine, settings: Settings, user: int) -> None:
    # The tester's report: 5 wrong passwords for a made-up id locked the real account out of the same browser.
    for _ in range(settings.login_max_failures):
        fail_login(engine, settings, "marketer77", OFFICE)
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, "marketer77", PASSWORD, client=OFFICE)  # that (id, client) pair is locked
    assert login(engine, settings, client=OFFICE)["user_id"] == user  # the real account, same client: fine


@pytest.mark.parametrize("login_id", ["testuser2", "nobody42"])
def test_one_id_from_one_client_is_locked_after_login_max_failures(engine: Engine, settings: Settings, user: int, login_id: str) -> None:
    # The same for a real and an unknown id: throttling does not tell which ids exist.
    assert settings.login_max_failures == 5
    for _ in range(5):
        fail_login(engine, settings, login_id, OFFICE)
    for pw in (PASSWORD, "wrongpassword"):
        with pytest.raises(TooManyAttemptsError) as exc:
            login(engine, settings, login_id, pw, client=OFFICE)  # even the right password waits out the lock
        assert (exc.value.code, exc.value.http_status, exc.value.message) == (
            "too_many_attempts",
            429,
            "로그인 시도가 너무 많습니다. 잠시 후 다시 시도해 주세요.",
        )


def test_another_client_is_not_locked_out_by_one_clients_failures(engine: Engine, settings: Settings, user: int) -> None:
    for _ in range(settings.login_max_failures):
        fail_login(engine, settings, "testuser2", ELSEWHERE)  # someone elsewhere guessing the owner's password
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, client=ELSEWHERE)
    assert login(engine, settings, client=HOME)["user_id"] == user  # the owner, at home, is not locked out
    fail_login(engine, settings, "testuser2", HOME)  # and HOME still has its own allowance: a failure, not a lock


def test_spraying_many_ids_from_one_client_hits_the_client_limit(engine: Engine, settings: Settings, user: int) -> None:
    assert settings.login_max_failures_per_client == 30
    for n in range(30):  # one guess per id: no (id, client) pair is near its limit, the client is
        fail_login(engine, settings, f"guess{n:03d}", OFFICE, PASSWORD)
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, client=OFFICE)  # any id, even the right password
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, "guess999", PASSWORD, client=OFFICE)
    assert login(engine, settings, client=HOME)["user_id"] == user  # the account itself is not locked


def test_the_client_limit_groups_ipv6_by_64_and_unmaps_ipv4(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    s = settings_factory(login_max_failures_per_client=3)
    for n, client in enumerate(["2001:db8:0:7::1", "2001:db8:0:7::2", "2001:db8:0:7:abcd::9"]):
        fail_login(engine, s, f"guess{n:03d}", client)  # a new address per try in one /64: still one client
    with pytest.raises(TooManyAttemptsError):
        login(engine, s, client="2001:db8:0:7::ffff")
    assert login(engine, s, client="2001:db8:0:8::1")["user_id"] == user  # the next /64 is another client
    for n in range(3):
        fail_login(engine, s, f"guess{n:03d}", OFFICE)
    with pytest.raises(TooManyAttemptsError):
        login(engine, s, client=f"::ffff:{OFFICE}")  # the same IPv4 client seen by a dual-stack socket


def test_guessing_spread_over_many_clients_hits_the_account_limit(
    engine: Engine, settings_factory: Callable[..., Settings], user: int
) -> None:
    s = settings_factory(login_max_failures=5, login_max_failures_per_account=12)
    for n in range(3):
        for _ in range(4):  # each client stays under its per-(id, client) limit of 5
            fail_login(engine, s, "testuser2", f"192.0.2.{n + 1}")
    with pytest.raises(TooManyAttemptsError):
        login(engine, s, client=HOME)  # 12 failures for the id in the window: locked from everywhere
    other = auth.register_user("otheruser", PASSWORD, engine=engine, settings=s)
    assert login(engine, s, "otheruser", client="192.0.2.1")["user_id"] == other  # other ids are unaffected


def test_success_resets_this_clients_counter_for_the_account(engine: Engine, settings: Settings, user: int) -> None:
    for _ in range(3):
        for _ in range(settings.login_max_failures - 1):
            fail_login(engine, settings, "testuser2", OFFICE)
        assert login(engine, settings, client=OFFICE)["user_id"] == user  # 4 failures, success, 4 failures, ...


def test_success_keeps_the_spray_and_account_counts(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    # A sprayer with an account of its own cannot clear its client count by logging in between guesses.
    s = settings_factory(login_max_failures_per_client=3)
    fail_login(engine, s, "guess000", OFFICE)
    fail_login(engine, s, "guess001", OFFICE)
    assert login(engine, s, client=OFFICE)["user_id"] == user
    fail_login(engine, s, "guess002", OFFICE)
    with pytest.raises(TooManyAttemptsError):
        login(engine, s, client=OFFICE)
    # Nor does one client's login clear what the others did to the account.
    s = settings_factory(login_max_failures_per_account=8)
    for _ in range(4):
        fail_login(engine, s, "testuser2", HOME)
    assert login(engine, s, client=HOME)["user_id"] == user
    for _ in range(4):
        fail_login(engine, s, "testuser2", ELSEWHERE)
    with pytest.raises(TooManyAttemptsError):
        login(engine, s, client=HOME)


def test_an_unknown_client_has_no_client_limit(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    # client=None: the caller could not tell (an untrusted proxy). One spray limit for everyone
    # unknown would lock them all out together, so there is none; the per-id limits still hold.
    s = settings_factory(login_max_failures_per_client=3)
    for n in range(6):
        fail_login(engine, s, f"guess{n:03d}", None)  # twice the client limit, no lock
    assert login(engine, s, client=None)["user_id"] == user
    assert not [key for key in auth.login_throttle._failures if key.startswith("client:")]


def test_an_unknown_client_counts_as_one_client_per_id(engine: Engine, settings: Settings, user: int) -> None:
    # Its pair key falls back to "this id among unknown clients": locked after LOGIN_MAX_FAILURES,
    # apart from the pairs of known clients, and counted in the account limit like every client.
    keys = auth._throttle_keys("testuser2", None)
    assert keys.client is None and keys.pair not in (keys.account, auth._throttle_keys("testuser2", OFFICE).pair)
    assert auth._throttle_keys("TESTUSER2", None) == keys
    for _ in range(settings.login_max_failures):
        fail_login(engine, settings, "testuser2", None)
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, client=None)
    assert login(engine, settings, client=OFFICE)["user_id"] == user  # a known client keeps its own pair
    for _ in range(settings.login_max_failures - 1):
        fail_login(engine, settings, "testuser2", OFFICE)  # and the unknown failures did not fill it


def test_lock_lifts_after_the_window(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    s = settings_factory(login_max_failures=2, login_lockout_s=1)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            login(engine, s, login_pw="wrongpassword")
    with pytest.raises(TooManyAttemptsError):
        login(engine, s)
    time.sleep(1.1)
    assert login(engine, s)["user_id"] == user


def test_throttle_counts_concurrent_failures(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    s = settings_factory(login_max_failures=10)
    errors: list[BaseException] = []

    def fail() -> None:
        try:
            login(engine, s, login_pw="wrongpassword")
        except AuthenticationError:
            pass
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=fail) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with pytest.raises(TooManyAttemptsError):
        login(engine, s)


# --- verify_token / logout -----------------------------------------------------------------


def test_wrong_signature_is_refused(engine: Engine, settings: Settings, user: int) -> None:
    with pytest.raises(InvalidTokenError) as exc:
        auth.verify_token(forge(settings, key=OTHER_KEY), engine=engine, settings=settings)
    assert exc.value.code == "invalid_token" and exc.value.http_status == 401


def test_tampered_payload_is_refused(engine: Engine, settings: Settings, user: int) -> None:
    token = login(engine, settings)["session_token"]
    header, payload, signature = token.split(".")
    other = forge(settings, key=OTHER_KEY, sub="2", user_id=2).split(".")[1]
    with pytest.raises(InvalidTokenError):
        auth.verify_token(f"{header}.{other}.{signature}", engine=engine, settings=settings)


def test_alg_none_is_refused(engine: Engine, settings: Settings, user: int) -> None:
    unsigned = forge(settings, key="", algorithm="none")
    assert unsigned.endswith(".")  # really unsigned
    with pytest.raises(InvalidTokenError):
        auth.verify_token(unsigned, engine=engine, settings=settings)


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_algorithms_are_refused_even_with_the_right_key(engine: Engine, settings: Settings, user: int, algorithm: str) -> None:
    with pytest.raises(InvalidTokenError):
        auth.verify_token(forge(settings, algorithm=algorithm), engine=engine, settings=settings)


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "user_id", "jti"])
def test_missing_claims_are_refused(engine: Engine, settings: Settings, user: int, claim: str) -> None:
    with pytest.raises(InvalidTokenError):
        auth.verify_token(forge(settings, **{claim: None}), engine=engine, settings=settings)


@pytest.mark.parametrize("changes", [{"sub": "2"}, {"user_id": "1"}, {"user_id": True, "sub": "True"}, {"jti": 5}, {"jti": "x" * 65}])
def test_inconsistent_claims_are_refused(engine: Engine, settings: Settings, user: int, changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidTokenError):
        auth.verify_token(forge(settings, **changes), engine=engine, settings=settings)


def test_a_forged_token_with_the_right_key_is_accepted(engine: Engine, settings: Settings, user: int) -> None:
    # Guards the tests above: forge() makes tokens verify_token accepts when nothing is wrong.
    assert auth.verify_token(forge(settings), engine=engine, settings=settings) == user


def test_expired_token(engine: Engine, settings: Settings, user: int) -> None:
    past = datetime.now(UTC) - timedelta(days=8)
    token = forge(settings, iat=past, exp=past + timedelta(days=7))
    with pytest.raises(TokenExpiredError) as exc:
        auth.verify_token(token, engine=engine, settings=settings)
    assert exc.value.code == "token_expired" and exc.value.message == "로그인이 만료되었습니다. 다시 로그인해 주세요."
    auth.logout(token, engine=engine, settings=settings)  # nothing to revoke: no error


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", None, 12345, "x" * 5000])
def test_garbage_tokens_are_refused(engine: Engine, settings: Settings, token: Any) -> None:
    with pytest.raises(InvalidTokenError):
        auth.verify_token(token, engine=engine, settings=settings)


def test_logout_revokes_only_that_token(engine: Engine, settings: Settings, user: int) -> None:
    phone, laptop = login(engine, settings)["session_token"], login(engine, settings)["session_token"]
    auth.logout(phone, engine=engine, settings=settings)
    auth.logout(phone, engine=engine, settings=settings)  # twice: harmless
    with pytest.raises(TokenRevokedError) as exc:
        auth.verify_token(phone, engine=engine, settings=settings)
    assert exc.value.code == "token_revoked"
    assert auth.verify_token(laptop, engine=engine, settings=settings) == user
    with engine.connect() as conn:
        expires_at = conn.execute(text("SELECT expires_at FROM revoked_token")).scalar_one()
    exp = jwt.decode(phone, settings.signing_key(), algorithms=["HS256"])["exp"]
    assert expires_at == datetime.fromtimestamp(exp, UTC).replace(tzinfo=None)


def test_logout_with_a_bad_token_is_refused(engine: Engine, settings: Settings) -> None:
    with pytest.raises(InvalidTokenError):
        auth.logout(forge(settings, key=OTHER_KEY), engine=engine, settings=settings)


def test_token_of_a_deleted_user_is_refused(engine: Engine, settings: Settings, user: int) -> None:
    token = login(engine, settings)["session_token"]
    with session_scope(engine) as s:
        crud.delete_user(s, user)
    with pytest.raises(InvalidTokenError):
        auth.verify_token(token, engine=engine, settings=settings)


# --- the signing key -----------------------------------------------------------------------


def test_generated_secret_key_persists_across_restarts(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    first = settings_factory()
    token = login(engine, first)["session_token"]
    key_file = first.data_dir / "secret_key"
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    restarted = settings_factory()  # a new process reads the same data_dir
    assert restarted.signing_key() == first.signing_key() and len(first.signing_key()) >= 32
    assert auth.verify_token(token, engine=engine, settings=restarted) == user


def test_tokens_do_not_survive_a_key_change(engine: Engine, settings_factory: Callable[..., Settings], user: int) -> None:
    token = login(engine, settings_factory())["session_token"]
    rotated = settings_factory(secret_key=OTHER_KEY)
    with pytest.raises(InvalidTokenError):
        auth.verify_token(token, engine=engine, settings=rotated)


@pytest.mark.parametrize("key", [None, "short", "a" * 40, "abababababababababababababababab12"])
def test_production_refuses_a_missing_or_weak_key(tmp_path: Path, key: str | None) -> None:
    with pytest.raises(pydantic.ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key=key, data_dir=tmp_path)  # type: ignore[call-arg]
    assert not (tmp_path / "secret_key").exists()


def test_production_uses_the_configured_key(tmp_path: Path) -> None:
    s = Settings(_env_file=None, environment="production", secret_key=OTHER_KEY, data_dir=tmp_path)  # type: ignore[call-arg]
    assert s.signing_key() == OTHER_KEY
    assert not (tmp_path / "secret_key").exists()
