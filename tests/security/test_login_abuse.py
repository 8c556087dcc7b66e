"""Login abuse over real HTTP: throttling per id and per client, one answer for every failure, the
same time for an unknown id as for a wrong password, and a fresh token per login.

Different clients are real TCP peers: loopback answers on all of 127.0.0.0/8, so a client bound to
127.0.0.2 is, to the server, another address than one bound to 127.0.0.3.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import Engine, text

from adgen.api import create_api
from adgen.runtime import Runtime, TaskStore
from adgen.services import AdGenContext
from adgen.settings import Settings
from tests.live_server import serve
from tests.security.invariants import assert_refused

PASSWORD = "Cafe-Latte-2026!"
WRONG = "아이디 또는 비밀번호가 일치하지 않습니다."

Serve = Callable[..., Any]


@pytest.fixture
def server(settings_factory: Callable[..., Settings], engine: Engine) -> Iterator[Callable[..., Any]]:
    """``server(**settings)`` starts the API with those settings; returns (base URL, settings)."""
    stack: list[Any] = []

    def start(**overrides: Any) -> tuple[str, Settings]:
        s = settings_factory(copywriter_backend="local", image_backend="template", **overrides)
        runtime = Runtime(settings=s, ctx=AdGenContext.from_settings(s, engine), tasks=TaskStore(s.data_dir / "tasks"))
        cm = serve(create_api(runtime))
        base = cm.__enter__()
        stack.append(cm)
        return base, s

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@contextmanager
def client_from(base: str, address: str = "127.0.0.1") -> Iterator[httpx.Client]:
    """A client whose connections come from ``address`` (any 127.x.y.z)."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=base, transport=transport, timeout=30) as client:
        yield client


def signup(client: httpx.Client, login_id: str) -> int:
    r = client.post("/auth/signup", json={"login_id": login_id, "login_pw": PASSWORD})
    assert r.status_code == 201, r.text
    return int(r.json()["user_id"])


def login(client: httpx.Client, login_id: str, login_pw: str = PASSWORD, **headers: str) -> httpx.Response:
    return client.post("/auth/login", json={"login_id": login_id, "login_pw": login_pw}, headers=headers)


def assert_throttled(r: httpx.Response, lockout_s: int) -> None:
    assert_refused(r, 429, "too_many_attempts")
    assert r.headers["retry-after"] == str(lockout_s)


# --- throttling --------------------------------------------------------------------------------


def test_one_id_is_throttled_whatever_the_client(server: Serve) -> None:
    # The account-wide limit (default 100: one client adds at most LOGIN_MAX_FAILURES) set low to see it work.
    base, s = server(login_max_failures=5, login_max_failures_per_account=5, login_lockout_s=300)
    with client_from(base) as local:
        signup(local, "shop01")
        signup(local, "shop02")
    for i in range(5):  # five clients, one wrong guess each: no client is over its limit, the id is
        with client_from(base, f"127.0.0.{10 + i}") as c:
            assert_refused(login(c, "shop01", "wrongpass1"), 401, "invalid_credentials")
    with client_from(base, "127.0.0.20") as fresh:
        assert_throttled(login(fresh, "shop01"), s.login_lockout_s)  # even with the right password
        assert_throttled(login(fresh, "shop01", "wrongpass1"), s.login_lockout_s)
        assert login(fresh, "shop02").status_code == 200  # other ids are not affected


def test_one_client_trying_many_ids_is_throttled(server: Serve) -> None:
    # The client-wide limit (default 30, so one office's typos do not lock it out) set low to see it work.
    base, s = server(login_max_failures=5, login_max_failures_per_client=5, login_lockout_s=300)
    with client_from(base) as local:
        signup(local, "real01")
    with client_from(base, "127.0.0.2") as sprayer:
        for i in range(5):  # one guess per id: no id is over its limit, the client is
            assert_refused(login(sprayer, f"guess{i:02d}", "password1"), 401, "invalid_credentials")
        assert_throttled(login(sprayer, "real01"), s.login_lockout_s)
        assert_throttled(login(sprayer, "guess99", "password1"), s.login_lockout_s)
    with client_from(base, "127.0.0.3") as other:
        assert login(other, "real01").status_code == 200  # the account itself is not locked


def test_forged_forwarded_for_does_not_reset_the_client_count(server: Serve) -> None:
    """X-Forwarded-For is only believed from a trusted proxy (uvicorn: 127.0.0.1); from anyone else
    a new value per request must not make a new client."""
    base, s = server(login_max_failures=5, login_max_failures_per_client=5, login_lockout_s=300)
    with client_from(base) as local:
        signup(local, "real02")
    with client_from(base, "127.0.0.4") as sprayer:
        for i in range(5):
            r = login(sprayer, f"spray{i:02d}", "password1", **{"X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"198.51.100.{i}"})
            assert_refused(r, 401, "invalid_credentials")
        assert_throttled(login(sprayer, "real02", **{"X-Forwarded-For": "192.0.2.77"}), s.login_lockout_s)


def test_lock_is_per_window_and_lifts(server: Serve) -> None:
    base, s = server(login_max_failures=3, login_lockout_s=2)
    with client_from(base) as local:
        signup(local, "slow01")
        for _ in range(3):
            assert_refused(login(local, "slow01", "wrongpass1"), 401, "invalid_credentials")
        assert_throttled(login(local, "slow01"), 2)
        time.sleep(2.2)
        assert login(local, "slow01").status_code == 200


# --- one answer, one time ----------------------------------------------------------------------

# Every way a login can fail with a well-formed body: all must be the same answer.
FAILURES: list[tuple[str, str]] = [
    ("nobody99", "wrongpass1"),  # unknown id
    ("same01", "wrongpass1"),  # wrong password
    ("SAME01", "wrongpass1"),  # the id with other letter case (the right password logs in: ids ignore case)
    ("same01 ", PASSWORD),  # the id with a trailing space
    ("same01", PASSWORD + " "),  # the password with a trailing space
    ("same01", "가" * 30),  # over 72 bytes: never a stored password
    ("same01", "password\x00123"),  # NUL
    ("same01\x00", PASSWORD),  # NUL in the id (PostgreSQL cannot even hold it)
    ("' OR '1'='1' --", "' OR '1'='1' --"),
    ("x" * 100, PASSWORD),  # longer than the login_id column
    ("", PASSWORD),
    ("same01", ""),
]


def test_every_failure_is_the_same_answer(server: Serve) -> None:
    base, _ = server(login_max_failures=1000)
    with client_from(base) as c:
        signup(c, "same01")
        answers = []
        for login_id, login_pw in FAILURES:
            r = login(c, login_id, login_pw)
            assert_refused(r, 401, "invalid_credentials")
            headers = {k: v for k, v in r.headers.items() if k.lower() not in ("date", "content-length")}
            answers.append((r.status_code, r.content, headers))
        assert r.json()["error"]["message"] == WRONG
        assert all(a == answers[0] for a in answers), [a for a in answers if a != answers[0]]


def test_unknown_id_and_wrong_password_take_about_the_same_time(server: Serve) -> None:
    """Cost 8 (about 40 ms a hash here) rather than the tests' usual 4: at cost 4 a hash is as short
    as the HTTP round trip, and an unknown id that skipped bcrypt would still land inside 0.5-2x."""
    base, _ = server(login_max_failures=1000, bcrypt_rounds=8)
    with client_from(base) as c:
        signup(c, "timed01")
        unknown: list[float] = []
        wrong: list[float] = []
        for i in range(12):  # interleaved, so a noisy moment hurts both series alike
            for login_id, times in ((f"nobody{i:02d}", unknown), ("timed01", wrong)):
                started = time.perf_counter()
                r = login(c, login_id, "wrongpass1")
                elapsed = time.perf_counter() - started
                assert r.status_code == 401
                if i >= 2:  # the first calls pay for warm-up (the dummy hash, connections)
                    times.append(elapsed)
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 <= ratio <= 2.0, (ratio, unknown, wrong)


# --- tokens ------------------------------------------------------------------------------------


def test_each_login_rotates_the_token_and_logout_revokes_only_one(server: Serve, engine: Engine) -> None:
    base, s = server()
    with client_from(base) as c:
        user_id = signup(c, "rotate01")
        first, second = (login(c, "rotate01").json() for _ in range(2))
        assert first["user_id"] == second["user_id"] == user_id
        assert first["session_token"] != second["session_token"]
        claims = [jwt.decode(t["session_token"], s.signing_key(), algorithms=["HS256"]) for t in (first, second)]
        assert claims[0]["jti"] != claims[1]["jti"]
        a = {"Authorization": f"Bearer {first['session_token']}"}
        b = {"Authorization": f"Bearer {second['session_token']}"}

        assert c.post("/auth/logout", headers=a).status_code == 204
        assert_refused(c.get("/history/generations", headers=a), 401, "token_revoked")
        assert_refused(c.post("/auth/logout", headers=a), 401, "token_revoked")  # a second logout changes nothing
        assert c.get("/history/generations", headers=b).status_code == 200  # the other device stays logged in
        with engine.connect() as conn:
            revoked = conn.execute(text("SELECT jti, user_id FROM revoked_token")).all()
        assert [tuple(r) for r in revoked] == [(claims[0]["jti"], user_id)]

        third = login(c, "rotate01").json()["session_token"]
        assert third not in (first["session_token"], second["session_token"])
        assert c.get("/history/generations", headers={"Authorization": f"Bearer {third}"}).status_code == 200
        assert c.post("/auth/logout", headers=b).status_code == 204
        assert c.get("/history/generations", headers={"Authorization": f"Bearer {third}"}).status_code == 200
