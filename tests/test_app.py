"""app.py wiring: the UI at "/", the REST API at "/api/v1" and /healthz, on uvicorn and on Gradio's own server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import app as app_module
from adgen.compositor.fonts import FONTS_DIR
from adgen.runtime import Runtime, TaskStore
from adgen.services import AdGenContext
from adgen.ui import FONT_FACES, WEB_FONT_FILES
from tests.live_server import free_port, serve

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runtime(settings, engine) -> Runtime:  # type: ignore[no-untyped-def]
    s = settings.model_copy(update={"copywriter_backend": "local", "image_backend": "template"})
    return Runtime(settings=s, ctx=AdGenContext.from_settings(s, engine), tasks=TaskStore(s.data_dir / "tasks"))


def check_server(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        health = client.get("/healthz").json()
        assert health == {"status": "ok", "copy_backend": "local", "image_backend": "template", "image_backend_state": "ready"}
        doc = client.get("/api/v1/openapi.json").json()
        assert "/ads" in doc["paths"] and doc["info"]["title"] == "AdGen API"
        page = client.get("/")
        assert page.status_code == 200 and "AdGen" in page.text
        r = client.post("/api/v1/auth/signup", json={"login_id": "wire01", "login_pw": "Cafe-Latte-2026!"})
        assert r.status_code == 201
        r = client.get("/api/v1/history/generations")
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth_required"
        check_fonts(client)


def check_fonts(client: httpx.Client) -> None:
    """The UI's web font is served (what its CSS asks for), and nothing else under /fonts."""
    css_urls = set(re.findall(r'url\("([^"]+)"\)', FONT_FACES))
    assert css_urls == {f"fonts/{name}" for name in WEB_FONT_FILES}
    for url in css_urls:
        r = client.get("/" + url)
        assert r.status_code == 200 and r.headers["content-type"] == "font/ttf"
        assert r.content == (FONTS_DIR / url.removeprefix("fonts/")).read_bytes()
        assert "max-age" in r.headers["cache-control"]
    for other in ("NanumGothic.ttf", "LICENSE-nanum.txt", "..%2Fsettings.py", "%2Fetc%2Fpasswd"):
        assert client.get(f"/fonts/{other}").status_code == 404, other


def test_create_app_serves_ui_api_and_health(runtime: Runtime) -> None:
    fastapi_app, _ = app_module.create_app(runtime)
    with serve(fastapi_app) as base:
        check_server(base)


def test_gradio_server_path_used_by_share_mounts_the_api(runtime: Runtime) -> None:
    fastapi_app, demo = app_module.create_app(runtime)
    # The --share path without the tunnel (no internet here): Gradio's own server with /api/v1 on it.
    url = app_module.launch_on_gradio_server(fastapi_app, demo, runtime.settings, host="127.0.0.1", port=free_port(), share=False)
    try:
        check_server(url.rstrip("/"))
        # ... behind the same HTTP guard: its headers, its upload policy, no deep links.
        page = httpx.get(url, timeout=30)
        assert "frame-ancestors" in page.headers["content-security-policy"] and "adgen_browser=" in page.headers["set-cookie"]
        base = url.rstrip("/")
        no_cookie = httpx.post(f"{base}/gradio_api/upload", files={"files": ("a.png", b"x", "image/png")}, timeout=30)
        assert no_cookie.status_code == 403
        assert httpx.get(f"{base}/gradio_api/deep_link", params={"session_hash": "x"}, timeout=30).status_code == 404
    finally:
        demo.close()


def main_with(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """``app.main`` in this process with ``env`` (and a data and log folder under ``tmp_path``); its exit code."""
    for name, value in (env | {"DATA_DIR": str(tmp_path / "data"), "LOG_DIR": str(tmp_path / "logs")}).items():
        monkeypatch.setenv(name, value)
    # Keep the process-wide log handlers off pytest's captured (later closed) stderr.
    monkeypatch.setattr("adgen.runtime.configure_logging", lambda *a, **k: None)
    app_module.get_settings.cache_clear()
    try:
        return app_module.main(["--port", str(free_port())])
    finally:
        app_module.get_settings.cache_clear()


def test_app_exits_clearly_when_the_database_is_unreachable(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    unreachable = {"DATABASE_URL": f"postgresql+psycopg2://nobody@127.0.0.1:{free_port()}/none", "DB_CONNECT_RETRIES": "1",
                   "DB_CONNECT_RETRY_DELAY_S": "0.1"}  # fmt: skip
    assert main_with(unreachable, tmp_path, monkeypatch) == 2
    assert "AdGen could not start" in capsys.readouterr().err


def app_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment `python app.py` runs with: this test's database and folders, offline backends."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "GRADIO_", "SDXL_", "OPENAI_"))} | {
        "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data"), "LOG_DIR": str(tmp_path / "logs"),
        "COPYWRITER_BACKEND": "local", "IMAGE_BACKEND": "template", "BCRYPT_ROUNDS": "4", "ENVIRONMENT": "development",
    }  # fmt: skip


@contextmanager
def running_app_py(env: dict[str, str], *, start_timeout_s: float = 120) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """`python app.py` as `make run` starts it, in its own process, once /healthz answers; killed if the test fails."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + start_timeout_s
            while True:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "app.py did not come up"
                time.sleep(0.2)
            yield proc, client
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, as a host stops a container: a clean exit."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


def test_python_app_py_recovers_cut_off_tasks_serves_and_stops_cleanly(settings, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`python app.py` as `make run` starts it, in its own process, stopped with SIGTERM as a host stops it.

    `engine`: the rows the process writes are wiped after the test like every other test's.
    """
    data = tmp_path / "data"
    cut_off = uuid.uuid4().hex  # a task the previous process died in
    (data / "tasks").mkdir(parents=True)
    (data / "tasks" / f"{cut_off}.json").write_text(json.dumps({"status": "processing", "progress": 40, "user_id": 1}))
    with running_app_py(app_env(settings.database_url, tmp_path)) as (proc, client):
        deadline = time.monotonic() + 60
        entry = json.loads((data / "tasks" / f"{cut_off}.json").read_text())
        assert entry["status"] == "failed" and entry["error_code"] == "server_restarting"
        client.post("/api/v1/auth/signup", json={"login_id": "proc01", "login_pw": "Cafe-Latte-2026!"}).raise_for_status()
        token = client.post("/api/v1/auth/login", json={"login_id": "proc01", "login_pw": "Cafe-Latte-2026!"}).json()["session_token"]
        h = {"Authorization": f"Bearer {token}"}
        ad = {"input_text": "카페 신메뉴 홍보", "aspect_ratio": "1:1"}
        task_id = client.post("/api/v1/ads", json=ad, headers=h).json()["task_id"]
        while (body := client.get(f"/api/v1/tasks/{task_id}", headers=h).json())["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert body["status"] == "completed", body
        assert client.get(body["result"]["image_url"], headers=h).headers["content-type"] == "image/png"
        stop(proc)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg2"])
def test_python_app_py_starts_with_each_database_url_form(scheme: str, settings, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """DATABASE_URL as providers write it (postgres:// from Heroku, Render, Supabase; postgresql://) works like the
    explicit psycopg2 form: the app starts, answers /healthz and writes to the database."""
    url = scheme + settings.database_url.removeprefix("postgresql+psycopg2")
    with running_app_py(app_env(url, tmp_path)) as (proc, client):
        assert client.get("/healthz").json()["status"] == "ok"
        r = client.post("/api/v1/auth/signup", json={"login_id": "form01", "login_pw": "Cafe-Latte-2026!"})
        assert r.status_code == 201, r.text
        stop(proc)


def test_app_refuses_an_unsupported_database_url_by_its_scheme(tmp_path, monkeypatch, capsys, caplog) -> None:  # type: ignore[no-untyped-def]
    assert main_with({"DATABASE_URL": "mysql://shop:Secret-Pw-42@127.0.0.1:3306/adgen"}, tmp_path, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "AdGen could not start" in err and "mysql://" in err and "(configuration_error)" in err
    assert "Secret-Pw-42" not in err + caplog.text
