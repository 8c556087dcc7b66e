"""Fault injection: what breaks outside the process, and what the product does about it.

(a) database connections killed (``pg_terminate_backend`` from a separate connection) between
requests and in the middle of a generation's writes; (b) the copy API timing out or answering
garbage; (c) the image backend out of GPU memory; (d) the image folder unwritable or the disk full;
(e) start-up while the database is late, hung or gone. After each: every task is ``completed`` or
``failed`` with its code, no turn is half written, no file lacks its ``image_matching`` row, and a
failed generation leaves no rows behind.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from adgen.errors import DatabaseError
from adgen.runtime import Runtime
from db import crud
from db.admin import CONNECT_TIMEOUT_S
from db.engine import dispose_engines, init_db, session_scope
from tests.api.conftest import signup_login
from tests.conftest import make_settings
from tests.fakes.fake_openai import FAKE_API_KEY, FakeOpenAI, ScriptedResponse, completion_response
from tests.faults.conftest import Killer
from tests.live_server import free_port
from tests.security.invariants import HANGUL, half_written, misnamed_files, orphan_files, snapshot

ROOT = Path(__file__).resolve().parents[2]
AD = {"input_text": "동네 빵집 신메뉴 소금빵 홍보", "aspect_ratio": "1:1"}


def poll(
    client: httpx.Client, task_id: str, headers: dict[str, str], *, tolerate_db_errors: bool = False, timeout: float = 90
) -> dict[str, Any]:
    """The task once it is finished. With ``tolerate_db_errors``, a poll answered 503 database_error
    (its own connection was killed under it) is simply repeated."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/tasks/{task_id}", headers=headers)
        if tolerate_db_errors and r.status_code == 503:
            assert r.json()["error"]["code"] == "database_error", r.text
        else:
            assert r.status_code == 200, r.text
            if r.json()["status"] in ("completed", "failed"):
                return r.json()
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


def assert_consistent(engine: Engine, images_dir: Path) -> None:
    assert half_written(engine) == []
    assert orphan_files(engine, images_dir) == set()
    assert misnamed_files(images_dir) == []  # temp files included: every write finished or was removed


def row_counts(engine: Engine) -> dict[str, int]:
    tables = ("generation_history", "chat_history", "image_matching")
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


# --- (a) database connections killed -------------------------------------------------------


def test_requests_succeed_after_every_connection_was_killed(api: httpx.Client, runtime: Runtime, engine: Engine, killer: Killer) -> None:
    user = signup_login(api, "kill01")
    h = user["headers"]
    first = api.post("/ads", json=AD | {"content_type": "text"}, headers=h).json()
    assert poll(api, first["task_id"], h)["status"] == "completed"
    for round_ in range(3):
        assert killer.kill_app_connections() >= 1, "the pool held no connection to kill"
        # pool_pre_ping: each dead pooled connection costs a failed ping, never a failed request.
        assert api.post("/auth/login", json={"login_id": "kill01", "login_pw": "Cafe-Latte-2026!"}).status_code == 200
        assert api.get("/history/generations", headers=h).status_code == 200
        assert killer.kill_app_connections() >= 1
        r = api.post("/ads", json=AD | {"session_id": first["session_id"]}, headers=h)
        assert r.status_code == 202, r.text
        assert poll(api, r.json()["task_id"], h)["status"] == "completed", round_
        assert killer.kill_app_connections() >= 1
        assert len(api.get("/history/chat", params={"session_id": first["session_id"]}, headers=h).json()) == 2 * (round_ + 2)
    assert_consistent(engine, runtime.settings.images_dir)


def _kill_own_connection_on(monkeypatch: pytest.MonkeyPatch, killer: Killer, name: str, times: int) -> dict[str, int]:
    """Make ``crud.<name>`` have its own database connection terminated under it, the first ``times`` calls."""
    real = getattr(crud, name)
    calls = {"n": 0, "killed": 0}

    def dying(session: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            pid = session.connection().connection.driver_connection.get_backend_pid()
            killer.kill(pid)
            calls["killed"] += 1
        return real(session, *args, **kwargs)

    monkeypatch.setattr(crud, name, dying)
    return calls


@pytest.mark.parametrize("where", ["save_chat_message", "save_generation_history", "save_image_matching", "next_message_id"])
def test_connection_killed_in_the_middle_of_a_generation(
    api: httpx.Client, runtime: Runtime, engine: Engine, killer: Killer, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The turn's transaction dies half way; it is rolled back whole and written again: nothing lost, nothing twice."""
    h = signup_login(api, "kill02")["headers"]
    calls = _kill_own_connection_on(monkeypatch, killer, where, times=1)
    r = api.post("/ads", json=AD, headers=h)
    task = poll(api, r.json()["task_id"], h)
    assert calls["killed"] == 1
    assert task["status"] == "completed", task
    counts = row_counts(engine)
    assert counts["generation_history"] == 1 and counts["chat_history"] == 2 and counts["image_matching"] == 2, counts
    assert_consistent(engine, runtime.settings.images_dir)
    img = api.get(task["result"]["image_url"].removeprefix("/api/v1"), headers=h)
    assert img.status_code == 200 and img.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("variants", [1, 2])
def test_commit_acknowledgement_lost_does_not_store_the_turn_twice(
    api: httpx.Client, runtime: Runtime, engine: Engine, monkeypatch: pytest.MonkeyPatch, variants: int
) -> None:
    """PostgreSQL committed the turn, but the connection died before the client heard so: the retry finds the
    task's rows (`generation_history.task_id`) and does not write them again."""
    import db.engine

    real_scope, real_save = db.engine.session_scope, crud.save_chat_message
    lost = {"n": 0, "turn_in_scope": False}

    def save_chat_message(*args: Any, **kwargs: Any) -> Any:
        lost["turn_in_scope"] = True
        return real_save(*args, **kwargs)

    @contextmanager
    def ack_lost_once(eng: Engine) -> Iterator[Any]:
        lost["turn_in_scope"] = False
        with real_scope(eng) as session:
            yield session
        # The transaction that wrote the turn committed above; the client now sees what a connection dropped
        # during COMMIT raises.
        if lost["turn_in_scope"] and lost["n"] == 0:
            lost["n"] += 1
            raise DatabaseError(reason="server closed the connection unexpectedly (after COMMIT)")

    monkeypatch.setattr(db.engine, "session_scope", ack_lost_once)
    monkeypatch.setattr(crud, "save_chat_message", save_chat_message)
    h = signup_login(api, "ack01")["headers"]
    r = api.post("/ads", json=AD | {"variants": variants}, headers=h)
    task = poll(api, r.json()["task_id"], h)
    assert lost["n"] == 1
    assert task["status"] == "completed", task
    counts = row_counts(engine)
    assert counts["generation_history"] == variants and counts["chat_history"] == 2, counts
    assert_consistent(engine, runtime.settings.images_dir)
    # The ids the task reports are the rows stored by the first attempt.
    history = api.get("/history/generations", headers=h).json()
    assert task["result"]["history_id"] in {g["id"] for g in history}
    assert sorted(v["history_id"] for v in task["result"]["variants"]) == sorted(g["id"] for g in history)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(DISTINCT task_id) FROM generation_history")).scalar_one() == 1


def test_connection_killed_on_every_attempt_fails_cleanly(
    api: httpx.Client, runtime: Runtime, engine: Engine, killer: Killer, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = signup_login(api, "kill03")["headers"]
    monkeypatch.setattr("adgen.services.time.sleep", lambda s: None)  # the backoff between attempts
    calls = _kill_own_connection_on(monkeypatch, killer, "save_chat_message", times=1000)
    r = api.post("/ads", json=AD, headers=h)
    task = poll(api, r.json()["task_id"], h)
    assert task["status"] == "failed" and task["error_code"] == "database_error", task
    assert HANGUL.search(task["error"])
    assert calls["killed"] >= 2  # retried before giving up
    counts = row_counts(engine)
    assert counts["generation_history"] == 0 and counts["chat_history"] == 0, counts
    assert_consistent(engine, runtime.settings.images_dir)
    monkeypatch.undo()
    # The service is fine once the database is: the same request now completes.
    r = api.post("/ads", json=AD, headers=h)
    assert poll(api, r.json()["task_id"], h)["status"] == "completed"


@contextmanager
def killing(killer: Killer, interval_s: float) -> Iterator[list[int]]:
    """Kill the app's connections every ``interval_s`` in a background thread."""
    stop = threading.Event()
    kills: list[int] = []

    def loop() -> None:
        while not stop.wait(interval_s):
            kills.append(killer.kill_app_connections())

    thread = threading.Thread(target=loop, name="connection-killer", daemon=True)
    thread.start()
    try:
        yield kills
    finally:
        stop.set()
        thread.join(timeout=10)


def test_connections_killed_over_and_over_during_generations(
    api: httpx.Client, runtime: Runtime, engine: Engine, killer: Killer
) -> None:
    users = [signup_login(api, f"chaos{i:02d}") for i in range(3)]
    with killing(killer, interval_s=0.15) as kills:
        accepted = []
        for i in range(6):
            user = users[i % 3]
            body = AD | {"input_text": f"가게 홍보 {i}", "variants": 1 + i % 2}
            for _ in range(20):  # the request itself may meet a connection killed under it: a clear 503, then retry
                r = api.post("/ads", json=body, headers=user["headers"])
                if r.status_code != 503:
                    break
                assert r.json()["error"]["code"] == "database_error", r.text
            assert r.status_code == 202, r.text
            accepted.append((user, r.json()["task_id"]))
        tasks = [poll(api, task_id, user["headers"], tolerate_db_errors=True) for user, task_id in accepted]
        runtime.wait_idle()
    assert sum(kills) >= 3, kills
    for task in tasks:
        assert task["status"] == "completed" or task["error_code"] == "database_error", task
    completed = [t for t in tasks if t["status"] == "completed"]
    counts = row_counts(engine)
    assert counts["generation_history"] == sum(len(t["result"]["variants"]) for t in completed), counts
    assert counts["chat_history"] == 2 * len(completed), counts
    assert_consistent(engine, runtime.settings.images_dir)
    # And with the killer gone, everything answers at once.
    for user in users:
        assert api.get("/history/generations", headers=user["headers"]).status_code == 200


# --- (b) the copy API times out or answers garbage -----------------------------------------

COPY_FAULTS: dict[str, ScriptedResponse] = {
    "timeout": ScriptedResponse(200, completion_response('{"headline": "늦은 답"}'), delay=5.0),
    "garbage-bytes": ScriptedResponse(200, b"\x00\xff\xfe garbage \x89PNG"),
    "html-error-page": ScriptedResponse(502, "<html><body>Bad Gateway</body></html>"),
    "not-json-content": ScriptedResponse(200, completion_response("광고 문구입니다! 최고의 카페")),
    "truncated-json-content": ScriptedResponse(200, completion_response('{"headline": "신메뉴", "body": "딸기')),
    "wrong-shape": ScriptedResponse(200, completion_response('["headline", "body"]')),
    "empty-choices": ScriptedResponse(200, {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}),
    "null-content": ScriptedResponse(200, completion_response(None)),
    "http-500": ScriptedResponse(500, {"error": {"message": "boom", "type": "server_error"}}),
    "rate-limited": ScriptedResponse(429, {"error": {"message": "slow down", "type": "rate_limit_exceeded"}}, headers={"retry-after": "0"}),
}


@pytest.mark.parametrize("fault", list(COPY_FAULTS))
def test_copy_api_failure_still_gives_an_ad(start_api: Callable[..., tuple[str, Runtime]], engine: Engine, fault: str) -> None:
    with FakeOpenAI() as fake:
        fake.default = COPY_FAULTS[fault]
        base, rt = start_api(
            copywriter_backend="openai",
            openai_api_key=FAKE_API_KEY,
            openai_base_url=fake.base_url,
            openai_timeout_s=0.5,
            openai_max_retries=1,
        )
        with httpx.Client(base_url=base, timeout=60) as client:
            h = signup_login(client, "copy01")["headers"]
            started = time.monotonic()
            r = client.post("/ads", json=AD, headers=h)
            task = poll(client, r.json()["task_id"], h)
            elapsed = time.monotonic() - started
        assert fake.requests, "the copy API was never called"
    assert task["status"] == "completed", task
    assert task["result"]["copy_fallback_used"] is True
    assert task["result"]["ad_copy"]["headline"]
    assert elapsed < 30, elapsed  # bounded: timeouts and retries do not stack up
    counts = row_counts(engine)
    assert counts["generation_history"] == 1 and counts["chat_history"] == 2, counts
    assert_consistent(engine, rt.settings.images_dir)


# --- (c) the image backend runs out of GPU memory -------------------------------------------


class OutOfMemoryPipe:
    """The real diffusers pipeline, whose first ``failures`` calls raise CUDA out-of-memory."""

    def __init__(self, pipe: Any, failures: int) -> None:
        self._pipe, self.failures, self.calls = pipe, failures, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        import torch

        self.calls += 1
        if self.calls <= self.failures:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (injected)")
        return self._pipe(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipe, name)


@pytest.mark.slow
def test_gpu_out_of_memory_fails_the_task_and_stores_nothing(
    start_api: Callable[..., tuple[str, Runtime]], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, rt = start_api(image_backend="tiny", sdxl_steps=2)
    generator = rt.ctx.image_generator
    assert generator.name == "tiny"
    with httpx.Client(base_url=base, timeout=60) as client:
        h = signup_login(client, "oom01")["headers"]
        before = snapshot(engine, rt.settings.data_dir)

        oom = OutOfMemoryPipe(generator._pipe, failures=1000)
        monkeypatch.setattr(generator, "_pipe", oom)
        task = poll(client, client.post("/ads", json=AD, headers=h).json()["task_id"], h)
        assert task["status"] == "failed" and task["error_code"] == "gpu_out_of_memory", task
        assert HANGUL.search(task["error"]) and oom.calls == 2  # the smaller retry ran out of memory too
        after = snapshot(engine, rt.settings.data_dir)
        assert after.rows == before.rows
        assert not rt.settings.images_dir.exists() or not any(rt.settings.images_dir.rglob("*"))

        # Out of memory once: the backend retries smaller and the ad still comes (at the promised size).
        once = OutOfMemoryPipe(oom._pipe, failures=1)
        monkeypatch.setattr(generator, "_pipe", once)
        task = poll(client, client.post("/ads", json=AD, headers=h).json()["task_id"], h)
        assert task["status"] == "completed", task
        assert once.calls == 2
        monkeypatch.undo()
        # And the resident model is still usable afterwards.
        task = poll(client, client.post("/ads", json=AD | {"aspect_ratio": "3:4"}, headers=h).json()["task_id"], h)
        assert task["status"] == "completed", task
    assert_consistent(engine, rt.settings.images_dir)


# --- (d) the image folder cannot be written ---------------------------------------------------


def _writable(folder: Path) -> bool:
    probe = folder / "probe"
    try:
        probe.write_text("x")
    except OSError:
        return False
    probe.unlink()
    return True


@contextmanager
def blocked_images_dir(kind: str, images_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The image folder made unwritable in one of three ways, for the duration of the block."""
    images_dir.parent.mkdir(parents=True, exist_ok=True)
    if kind == "file-instead-of-folder":
        images_dir.write_text("not a folder")
        yield
    elif kind == "read-only-folder":
        images_dir.mkdir()
        images_dir.chmod(0o555)
        immutable = False
        if _writable(images_dir):  # root ignores permission bits; the immutable flag stops root too
            immutable = subprocess.run(["chattr", "+i", str(images_dir)], capture_output=True).returncode == 0
        try:
            if _writable(images_dir):
                pytest.skip("neither permission bits nor chattr +i stop writes here")
            yield
        finally:
            if immutable:
                subprocess.run(["chattr", "-i", str(images_dir)], check=True)
            images_dir.chmod(0o755)
    elif kind == "disk-full":
        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device (injected)")

        monkeypatch.setattr(os, "fsync", full)  # only image writes fsync in this process
        yield
        monkeypatch.undo()
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["file-instead-of-folder", "read-only-folder", "disk-full"])
def test_unwritable_image_folder_fails_with_storage_error(
    api: httpx.Client, runtime: Runtime, engine: Engine, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    h = signup_login(api, "disk01")["headers"]
    images_dir = runtime.settings.images_dir
    before = snapshot(engine, runtime.settings.data_dir)
    with blocked_images_dir(kind, images_dir, monkeypatch):
        task = poll(api, api.post("/ads", json=AD, headers=h).json()["task_id"], h)
    assert task["status"] == "failed" and task["error_code"] == "storage_error", task
    assert HANGUL.search(task["error"])
    assert snapshot(engine, runtime.settings.data_dir).rows == before.rows  # no row in any table
    if images_dir.is_dir():
        assert list(images_dir.rglob("*.png")) == [] and list(images_dir.rglob(".tmp-*")) == []


def test_disk_full_after_the_first_image(
    api: httpx.Client, runtime: Runtime, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bare image is stored, the one with the copy is not: the turn is not written, no file lacks its
    row and no temp file is left (the stored bare image stays, recorded, for a later sweep)."""
    h = signup_login(api, "disk02")["headers"]
    real_fsync = os.fsync
    calls = {"n": 0}

    def full_on_second(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device (injected)")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_on_second)
    task = poll(api, api.post("/ads", json=AD, headers=h).json()["task_id"], h)
    assert task["status"] == "failed" and task["error_code"] == "storage_error", task
    counts = row_counts(engine)
    assert counts["generation_history"] == 0 and counts["chat_history"] == 0, counts
    assert_consistent(engine, runtime.settings.images_dir)


# --- (e) start-up while the database is late, hung or gone ------------------------------------


class LateProxy:
    """A TCP port on loopback that starts listening ``delay_s`` after ``start()``, then forwards
    every connection to ``target``: a database server that comes up late."""

    def __init__(self, target: tuple[str, int], delay_s: float) -> None:
        self.target, self.delay_s, self.port = target, delay_s, free_port()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> LateProxy:
        self._spawn(self._serve)
        return self

    def stop(self) -> None:
        self._stop.set()
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def _serve(self) -> None:
        if self._stop.wait(self.delay_s):
            return
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)
        self._sockets.append(listener)
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.1)
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    (b if src is a else a).sendall(data)
        except OSError:
            return
        finally:
            a.close()
            b.close()


def test_init_db_waits_for_a_database_that_comes_up_late(database_url: str, tmp_path: Path) -> None:
    url = make_url(database_url)
    if not url.host or url.query.get("host"):
        pytest.skip("the test database is not on TCP")
    proxy = LateProxy((url.host, url.port or 5432), delay_s=2.0).start()
    late_url = url.set(port=proxy.port).render_as_string(hide_password=False)
    settings = make_settings(late_url, tmp_path / "data", db_connect_retries=20, db_connect_retry_delay_s=0.25)
    try:
        started = time.monotonic()
        engine = init_db(settings)
        elapsed = time.monotonic() - started
        with session_scope(engine) as s:
            assert crud.get_user_by_login_id(s, "nobody") is None
    finally:
        dispose_engines(late_url)
        proxy.stop()
    assert 2.0 <= elapsed < 2.0 + 5.0, elapsed  # it did wait, and it came up within a few retries


def test_init_db_gives_up_on_a_database_that_never_answers(tmp_path: Path) -> None:
    nothing = f"postgresql+psycopg2://postgres:s3cret-pw@127.0.0.1:{free_port()}/adgen"
    settings = make_settings(nothing, tmp_path / "data", db_connect_retries=3, db_connect_retry_delay_s=0.2)
    started = time.monotonic()
    with pytest.raises(DatabaseError) as err:
        init_db(settings)
    elapsed = time.monotonic() - started
    dispose_engines(nothing)
    assert err.value.code == "database_error"
    assert err.value.message == "데이터베이스에 연결할 수 없습니다. 데이터베이스 서버 상태를 확인해 주세요."
    assert err.value.context["attempts"] == 4
    assert "s3cret-pw" not in str(err.value.context["url"])
    assert 3 * 0.2 <= elapsed < 5.0, elapsed


def test_init_db_gives_up_on_a_database_that_hangs(tmp_path: Path) -> None:
    """A server that accepts TCP and never speaks: the connect timeout bounds each attempt."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as hung:  # listening, never accepting
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{hung.getsockname()[1]}/adgen"
        settings = make_settings(url, tmp_path / "data", db_connect_retries=0, db_connect_retry_delay_s=0.1)
        started = time.monotonic()
        with pytest.raises(DatabaseError):
            init_db(settings)
        elapsed = time.monotonic() - started
        dispose_engines(url)
    assert elapsed < CONNECT_TIMEOUT_S + 5.0, elapsed


def test_app_exits_with_a_clear_message_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR")}
    env |= {
        "DATABASE_URL": f"postgresql+psycopg2://postgres:s3cret-pw@127.0.0.1:{free_port()}/adgen",
        "DB_CONNECT_RETRIES": "1",
        "DB_CONNECT_RETRY_DELAY_S": "0.1",
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_DIR": str(tmp_path / "logs"),
        "GRADIO_SERVER_PORT": str(free_port()),
        "COPYWRITER_BACKEND": "local",
        "IMAGE_BACKEND": "template",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode != 0, proc
    assert "AdGen could not start" in proc.stderr and "database_error" in proc.stderr, proc.stderr[-2000:]
    assert "데이터베이스에 연결할 수 없습니다" in proc.stderr
    assert "Traceback" not in proc.stderr and "s3cret-pw" not in proc.stderr + proc.stdout
    assert elapsed < 60
