from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adgen.api import create_api
from adgen.runtime import Runtime, TaskStore
from adgen.services import AdGenContext
from tests.live_server import serve


@pytest.fixture
def runtime(settings, engine) -> Runtime:  # type: ignore[no-untyped-def]
    # One account submits many jobs in the queue tests; the per-account cap has its own test (test_api.py).
    s = settings.model_copy(update={"copywriter_backend": "local", "image_backend": "template", "max_jobs_per_user": 1000})
    return Runtime(settings=s, ctx=AdGenContext.from_settings(s, engine), tasks=TaskStore(s.data_dir / "tasks"))


@pytest.fixture
def api(runtime: Runtime) -> Iterator[httpx.Client]:
    with serve(create_api(runtime)) as base, httpx.Client(base_url=f"{base}", timeout=30) as client:
        yield client


def signup_login(api: httpx.Client, login_id: str, pw: str = "Cafe-Latte-2026!") -> dict[str, Any]:
    r = api.post("/auth/signup", json={"login_id": login_id, "login_pw": pw})
    assert r.status_code == 201, r.text
    r = api.post("/auth/login", json={"login_id": login_id, "login_pw": pw})
    assert r.status_code == 200, r.text
    body = r.json()
    return {"user_id": body["user_id"], "headers": {"Authorization": f"Bearer {body['session_token']}"}}
