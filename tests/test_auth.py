"""adgen.auth: the seed's week-3 cases, plus tokens, throttling, timing and the signing key."""

from __future__ import annotations

import statistics
import threading
import time
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
    ValidationError,
)
from adgen.settings import Settings
from db import crud
from db.engine import session_scope

WRONG = "아이디 또는 비밀번호가 일치하지 않습니다."
TOO_LONG = "비밀번호가 너무 깁니다. 한글은 24자 이하로 입력해 주세요."
OTHER_KEY = "another-signing-key-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    auth.login_throttle.clear()
    yield
    auth.login_throttle.clear()


@pytest.fixture
def user(engine: Engine, settings: Settings) -> int:
    return auth.register_user("testuser2", "password123", engine=engine, settings=settings)


def login(engine: Engine, settings: Settings, login_id: str = "testuser2", login_pw: Any = "password123", **kw: Any) -> auth.LoginResult:
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
    user_id = auth.register_user("testuser2", "password123", engine=engine, settings=settings)
    assert isinstance(user_id, int) and user_id > 0
    with session_scope(engine) as s:
        stored = crud.get_user_by_login_id(s, "testuser2")
    assert stored is not None and stored.user_id == user_id
    assert stored.login_pw.startswith("$2b$04$")  # bcrypt at the configured cost, never the password
    assert "password123" not in stored.login_pw


def test_register_duplicate(engine: Engine, settings: Settings, user: int) -> None:
    with pytest.raises(DuplicateLoginIdError) as exc:
        auth.register_user("testuser2", "password123", engine=engine, settings=settings)
    assert exc.value.message == "이미 사용 중인 아이디입니다." and exc.value.http_status == 409


def test_register_duplicate_lost_race_is_still_a_duplicate(
    engine: Engine, settings: Settings, user: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another sign-up inserted the id between our check and our insert: the unique constraint decides.
    monkeypatch.setattr(crud, "check_duplicate_id", lambda session, login_id: False)
    with pytest.raises(DuplicateLoginIdError):
        auth.register_user("testuser2", "password123", engine=engine, settings=settings)


def test_register_concurrent_same_id_one_wins(engine: Engine, settings: Settings) -> None:
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait(timeout=30)
        try:
            outcomes.append(auth.register_user("racer01", "password123", engine=engine, settings=settings))
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
        ("ab", "password123", "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
        ("a" * 21, "password123", "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
        ("test user", "password123", "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
        ("테스트유저", "password123", "invalid_login_id", "ID는 3-20자의 영문/숫자만 가능합니다."),
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
        ("nonexistent", "password123"),  # the seed's unknown user
        ("TESTUSER2", "password123"),
        ("testuser2", "password123" + "x" * 70),  # > 72 bytes: bcrypt would raise; a failed login here
        ("testuser2", "비" * 30),  # 90 bytes
        ("nonexistent", "p" * 200),
        ("testuser2", "pass\x00word123"),
        ("testuser2", "\ud800 lone surrogate"),
        ("testuser2", ""),
        ("testuser2", None),
        (None, "password123"),
        ("x" * 500, "password123"),
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
    auth.register_user("timing01", "password123", engine=engine, settings=slow)

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
    other = auth.register_user("otheruser", "password123", engine=engine, settings=s)
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
        login(engine, settings, "marketer77", "password123", client=OFFICE)  # that (id, client) pair is locked
    assert login(engine, settings, client=OFFICE)["user_id"] == user  # the real account, same client: fine


@pytest.mark.parametrize("login_id", ["testuser2", "nobody42"])
def test_one_id_from_one_client_is_locked_after_login_max_failures(engine: Engine, settings: Settings, user: int, login_id: str) -> None:
    # The same for a real and an unknown id: throttling does not tell which ids exist.
    assert settings.login_max_failures == 5
    for _ in range(5):
        fail_login(engine, settings, login_id, OFFICE)
    for pw in ("password123", "wrongpassword"):
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
        fail_login(engine, settings, f"guess{n:03d}", OFFICE, "password123")
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, client=OFFICE)  # any id, even the right password
    with pytest.raises(TooManyAttemptsError):
        login(engine, settings, "guess999", "password123", client=OFFICE)
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
    other = auth.register_user("otheruser", "password123", engine=engine, settings=s)
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
