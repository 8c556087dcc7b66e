"""Stopping and restarting the server with REST generations in flight: every task ends with an answer.

Real HTTP, the real runtime queue and the real services; "the GPU is busy" is the runtime's own GPU lock held
by the test, which keeps a job in its `processing` state for as long as the test needs.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from typing import Any

import httpx
import pytest

import adgen.runtime as runtime_module
from adgen.api import create_api
from adgen.runtime import Runtime, TaskStore
from tests.api.conftest import signup_login
from tests.api.test_api import error_code, wait_task
from tests.live_server import serve

RESTARTING = "server_restarting"


def post_ad(api: httpx.Client, headers: dict[str, str], text: str) -> httpx.Response:
    return api.post("/ads", json={"input_text": text, "aspect_ratio": "1:1"}, headers=headers)


def task(api: httpx.Client, task_id: str, headers: dict[str, str]) -> dict[str, Any]:
    r = api.get(f"/tasks/{task_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def wait_until(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def assert_restarting(body: dict[str, Any]) -> None:
    assert body["status"] == "failed" and body["error_code"] == RESTARTING, body
    assert "다시 시작" in body["error"] and body["result"] is None


def test_shutdown_lets_the_running_job_finish_and_fails_the_queued_ones(api: httpx.Client, runtime: Runtime) -> None:
    h = signup_login(api, "restart01")["headers"]
    runtime.ctx.gpu_lock.acquire()
    try:
        ids = [post_ad(api, h, f"카페 홍보 {i}").json()["task_id"] for i in range(3)]
        wait_until(lambda: task(api, ids[0], h)["status"] == "processing")  # waiting for the GPU
        failed: list[str] = []
        stopper = threading.Thread(target=lambda: failed.extend(runtime.shutdown(grace_s=60)))
        stopper.start()
        # The queued tasks fail at once, not after the grace period (shutdown has begun by then) ...
        wait_until(lambda: all(task(api, queued, h)["status"] == "failed" for queued in ids[1:]))
        for queued in ids[1:]:
            assert_restarting(task(api, queued, h))
        # ... and from then on a new request gets a clear 503 and nothing is queued.
        r = post_ad(api, h, "늦은 요청")
        assert r.status_code == 503 and error_code(r) == RESTARTING and "다시 시작" in r.json()["error"]["message"]
        assert task(api, ids[0], h)["status"] == "processing" and stopper.is_alive()
    finally:
        runtime.ctx.gpu_lock.release()
    stopper.join(60)
    assert not stopper.is_alive() and failed == ids[1:]
    done = task(api, ids[0], h)
    assert done["status"] == "completed" and done["result"]["image_url"], done

    # What a restarted process answers: the same, read back from DATA_DIR/tasks.
    fresh = TaskStore(runtime.settings.data_dir / "tasks")
    assert fresh[ids[0]]["status"] == "completed"
    assert [fresh[i]["error_code"] for i in ids[1:]] == [RESTARTING, RESTARTING]
    # Only the finished job left an ad; the failed ones left nothing.
    history = api.get("/history/generations", headers=h).json()
    assert [g["id"] for g in history] == [done["result"]["history_id"]]


def test_a_job_outliving_the_grace_period_is_failed_then_still_records_its_result(api: httpx.Client, runtime: Runtime) -> None:
    h = signup_login(api, "restart02")["headers"]
    runtime.ctx.gpu_lock.acquire()
    try:
        task_id = post_ad(api, h, "빵집 신메뉴").json()["task_id"]
        wait_until(lambda: task(api, task_id, h)["status"] == "processing")
        started = time.monotonic()
        assert runtime.shutdown(grace_s=0.3) == [task_id]
        assert 0.3 <= time.monotonic() - started < 10
        assert_restarting(task(api, task_id, h))
        assert TaskStore(runtime.settings.data_dir / "tasks")[task_id]["error_code"] == RESTARTING
    finally:
        runtime.ctx.gpu_lock.release()
    # The process lived on (a slow stop): the job finished after all, and says so.
    wait_until(lambda: task(api, task_id, h)["status"] == "completed")
    assert len(api.get("/history/generations", headers=h).json()) == 1


def test_a_restart_fails_the_tasks_the_last_process_died_in(
    api: httpx.Client, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = signup_login(api, "restart03")["headers"]
    finished_id = post_ad(api, h, "꽃집 할인").json()["task_id"]
    finished = wait_task(api, finished_id, h)
    runtime.ctx.gpu_lock.acquire()
    try:
        running = post_ad(api, h, "꽃집 배송 안내").json()["task_id"]
        queued = post_ad(api, h, "꽃집 영업시간").json()["task_id"]
        wait_until(lambda: task(api, running, h)["status"] == "processing")
        # The process is killed here (no shutdown); a new one starts on the same DATA_DIR and database.
        monkeypatch.setattr(runtime_module, "configure_logging", lambda *a, **k: None)
        restarted = Runtime.create(runtime.settings)
        with serve(create_api(restarted)) as base, httpx.Client(base_url=base, timeout=30) as api2:
            assert_restarting(task(api2, running, h))
            assert_restarting(task(api2, queued, h))
            again = task(api2, finished_id, h)
            assert again["status"] == "completed" and again["result"] == finished["result"]
            # The tokens of the old process still work, and the new one takes work at once.
            assert wait_task(api2, post_ad(api2, h, "꽃집 재오픈").json()["task_id"], h)["status"] == "completed"
        restarted.shutdown(grace_s=0)
    finally:
        runtime.ctx.gpu_lock.release()
        runtime.shutdown(grace_s=30)  # the "killed" process's worker: let it end before the database goes


def test_task_files_follow_each_change_of_status_not_each_progress_update(tmp_path: Any) -> None:
    from adgen.errors import ServerRestartingError
    from adgen.services import _update_task, init_task

    store = TaskStore(tmp_path)
    on_disk = lambda task_id: json.loads((tmp_path / f"{task_id}.json").read_text(encoding="utf-8"))  # noqa: E731
    ids = [uuid.uuid4().hex for _ in range(4)]
    for task_id in ids:
        init_task(store, task_id, 7)
    assert on_disk(ids[0]) == {"status": "pending", "progress": 0, "message": "대기 중이에요", "user_id": 7}
    _update_task(store, ids[1], status="processing", progress=10, message="문구")
    _update_task(store, ids[1], status="processing", progress=60, message="이미지")
    assert store[ids[1]]["progress"] == 60 and on_disk(ids[1])["progress"] == 10  # progress stays in memory
    _update_task(store, ids[2], status="completed", progress=100, result={"history_id": 1})
    assert on_disk(ids[2])["status"] == "completed" and on_disk(ids[2])["result"] == {"history_id": 1}
    (tmp_path / f"{ids[3]}.json").write_text("{not json", encoding="utf-8")

    # A new process on the same folder: the two tasks that never finished become failures, the rest stay.
    fresh = TaskStore(tmp_path)
    assert fresh.fail_unfinished(ServerRestartingError()) == 2
    for task_id in ids[:2]:
        entry = fresh[task_id]
        assert entry["status"] == "failed" and entry["error_code"] == RESTARTING and entry["user_id"] == 7
    assert fresh[ids[2]]["status"] == "completed"
    assert (tmp_path / f"{ids[3]}.json").read_text(encoding="utf-8") == "{not json"  # unreadable: left alone
    assert fresh.fail_unfinished(ServerRestartingError()) == 0
    assert not list(tmp_path.glob(".tmp-*"))


def test_old_finished_task_files_are_swept_unfinished_and_recent_ones_stay(runtime: Runtime) -> None:
    from adgen.services import _update_task, init_task

    store = runtime.tasks
    folder = runtime.settings.data_dir / "tasks"
    days = runtime.settings.task_retention_days
    old = time.time() - days * 86_400 - 60
    ids = {name: uuid.uuid4().hex for name in ("old_done", "old_failed", "old_running", "recent_done")}
    for name, task_id in ids.items():
        init_task(store, task_id, 1)
        if name != "old_running":
            _update_task(store, task_id, status="failed" if name == "old_failed" else "completed", progress=100)
        if name.startswith("old"):
            os.utime(folder / f"{task_id}.json", (old, old))
    stray = folder / ".tmp-crashed"
    stray.write_text("{")
    os.utime(stray, (old, old))
    fresh_tmp = folder / ".tmp-being-written"
    fresh_tmp.write_text("{")

    assert runtime.sweep_tasks(force=True) == 2
    assert ids["old_done"] not in store and ids["old_failed"] not in store
    assert store[ids["old_running"]]["status"] == "pending" and store[ids["recent_done"]]["status"] == "completed"
    assert not stray.exists() and fresh_tmp.exists()
    assert runtime.sweep_tasks() == 0  # at most hourly unless forced
