"""REST API v1 over real HTTP: every endpoint, success and each error status, and isolation."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import jwt
import pytest
from PIL import Image

from adgen.runtime import Runtime
from tests.api.conftest import signup_login


def wait_task(api: httpx.Client, task_id: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen: list[int] = []
    while time.monotonic() < deadline:
        r = api.get(f"/tasks/{task_id}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        seen.append(body["progress"])
        if body["status"] in ("completed", "failed"):
            body["_seen"] = seen
            return body
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


def png(color: tuple[int, int, int] = (200, 50, 50), size: tuple[int, int] = (120, 160)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def error_code(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]["code"]


# --- auth ------------------------------------------------------------------------------------


def test_signup_login_logout(api: httpx.Client) -> None:
    r = api.post("/auth/signup", json={"login_id": "cafe01", "login_pw": "Cafe-Latte-2026!"})
    assert r.status_code == 201 and isinstance(r.json()["user_id"], int)
    assert error_code(api.post("/auth/signup", json={"login_id": "cafe01", "login_pw": "Cafe-Latte-2026!"})) == "duplicate_login_id"
    r = api.post("/auth/login", json={"login_id": "cafe01", "login_pw": "Cafe-Latte-2026!"})
    assert r.status_code == 200
    token = r.json()["session_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/history/generations", headers=headers).status_code == 200
    assert api.post("/auth/logout", headers=headers).status_code == 204
    r = api.get("/history/generations", headers=headers)
    assert r.status_code == 401 and error_code(r) == "token_revoked"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"login_id": "ab", "login_pw": "Cafe-Latte-2026!"}, 422, "invalid_login_id"),
        ({"login_id": "user_01", "login_pw": "Cafe-Latte-2026!"}, 422, "invalid_login_id"),
        ({"login_id": "user01", "login_pw": "short"}, 422, "invalid_password"),
        ({"login_id": "user01", "login_pw": "가" * 25}, 422, "invalid_password"),
        ({"login_id": "user01"}, 422, "invalid_password"),
        ({"login_id": "user01", "login_pw": "Cafe-Latte-2026!", "user_id": 1}, 422, "unknown_field"),
    ],
)
def test_signup_validation(api: httpx.Client, body: dict[str, Any], status: int, code: str) -> None:
    r = api.post("/auth/signup", json=body)
    assert r.status_code == status and error_code(r) == code


def test_signup_malformed_json(api: httpx.Client) -> None:
    r = api.post("/auth/signup", content=b'{"login_id": "abc",', headers={"content-type": "application/json"})
    assert r.status_code == 422 and error_code(r) == "malformed_json"


def test_login_failure_is_one_message(api: httpx.Client) -> None:
    signup_login(api, "shop01")
    wrong = api.post("/auth/login", json={"login_id": "shop01", "login_pw": "wrongpass1"})
    unknown = api.post("/auth/login", json={"login_id": "nobody99", "login_pw": "wrongpass1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["message"] == "아이디 또는 비밀번호가 일치하지 않습니다."


def test_login_throttled_after_repeated_failures(api: httpx.Client, runtime: Runtime) -> None:
    signup_login(api, "shop02")
    for _ in range(runtime.settings.login_max_failures):
        assert api.post("/auth/login", json={"login_id": "shop02", "login_pw": "wrongpass1"}).status_code == 401
    r = api.post("/auth/login", json={"login_id": "shop02", "login_pw": "Cafe-Latte-2026!"})
    assert r.status_code == 429 and error_code(r) == "too_many_attempts" and "retry-after" in r.headers


def test_login_typos_on_another_id_do_not_lock_a_real_account(api: httpx.Client, runtime: Runtime) -> None:
    # The tester's report over REST: one client, 5 wrong passwords for a made-up id, then the real account.
    r = api.post("/auth/signup", json={"login_id": "shop01", "login_pw": "Cafe-Latte-2026!"})
    assert r.status_code == 201, r.text
    for _ in range(runtime.settings.login_max_failures):
        assert api.post("/auth/login", json={"login_id": "marketer77", "login_pw": "wrongpass1"}).status_code == 401
    r = api.post("/auth/login", json={"login_id": "marketer77", "login_pw": "wrongpass1"})
    assert r.status_code == 429 and error_code(r) == "too_many_attempts"
    assert r.headers["retry-after"] == str(runtime.settings.login_lockout_s)
    r = api.post("/auth/login", json={"login_id": "shop01", "login_pw": "Cafe-Latte-2026!"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("kind", ["missing", "garbage", "wrong_key", "alg_none", "expired", "not_bearer"])
def test_bad_tokens_are_refused(api: httpx.Client, runtime: Runtime, kind: str) -> None:
    user = signup_login(api, "tok01")
    now = int(time.time())
    claims = {"sub": str(user["user_id"]), "user_id": user["user_id"], "iat": now, "exp": now + 600, "jti": "x" * 32}
    headers = {
        "missing": {},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "wrong_key": {"Authorization": "Bearer " + jwt.encode(claims, "another-key-" * 4, algorithm="HS256")},
        "alg_none": {"Authorization": "Bearer " + jwt.encode(claims, None, algorithm="none")},
        "expired": {
            "Authorization": "Bearer "
            + jwt.encode(claims | {"exp": now - 10, "iat": now - 700}, runtime.settings.signing_key(), algorithm="HS256")
        },
        "not_bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    }[kind]
    for path in ("/history/generations", "/history/chat/sessions", "/tasks/" + "0" * 32, "/images/" + "0" * 64 + ".png"):
        r = api.get(path, headers=headers)
        assert r.status_code == 401, (path, r.text)
        assert error_code(r) in {"auth_required", "invalid_token", "token_expired"}


# --- ads, tasks, history, images ------------------------------------------------------------


def test_generate_poll_history_image(api: httpx.Client) -> None:
    user = signup_login(api, "maker01")
    h = user["headers"]
    r = api.post("/ads", json={"input_text": "카페 신메뉴 홍보", "aspect_ratio": "4:3"}, headers=h)
    assert r.status_code == 202, r.text
    accepted = r.json()
    task = wait_task(api, accepted["task_id"], h)
    assert task["status"] == "completed" and task["progress"] == 100, task
    result = task["result"]
    assert result["session_id"] == accepted["session_id"]
    assert set(result["ad_copy"]) == {"headline", "body", "details", "cta", "hashtags"}
    img = api.get(result["image_url"].removeprefix("/api/v1"), headers=h)
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(img.content)).size == (1152, 864)

    gens = api.get("/history/generations", params={"limit": 5}, headers=h).json()
    assert gens[0]["id"] == result["history_id"] and gens[0]["output_url"] == result["image_url"]
    sessions = api.get("/history/chat/sessions", headers=h).json()
    assert sessions[0]["session_id"] == accepted["session_id"] and sessions[0]["first_message"] == "카페 신메뉴 홍보"
    chat = api.get("/history/chat", params={"session_id": accepted["session_id"]}, headers=h).json()
    assert [m["role"] for m in chat] == ["user", "assistant"] and chat[1]["gen_image_url"] == result["image_url"]

    # continue the session through the API
    r = api.post("/ads", json={"input_text": "문구를 짧게", "aspect_ratio": "4:3", "session_id": accepted["session_id"]}, headers=h)
    task2 = wait_task(api, r.json()["task_id"], h)
    assert task2["result"]["reused_image"] is True
    assert len(api.get("/history/chat", params={"session_id": accepted["session_id"]}, headers=h).json()) == 4


def test_multipart_with_product_photo(api: httpx.Client) -> None:
    h = signup_login(api, "photo01")["headers"]
    r = api.post(
        "/ads",
        data={"input_text": "수제 향초 할인 이벤트", "aspect_ratio": "3:4", "content_type": "both"},
        files={"image": ("candle.png", png(), "image/png")},
        headers=h,
    )
    assert r.status_code == 202, r.text
    task = wait_task(api, r.json()["task_id"], h)
    assert task["status"] == "completed", task


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"image": ("x.png", b"not an image, just text", "image/png")}, "unsupported_upload"),
        ({"image": ("big.png", png() + b"\0" * (11 * 1024 * 1024), "image/png")}, "upload_too_large"),
        ({"other": ("x.png", png(), "image/png")}, "unknown_field"),
    ],
)
def test_bad_uploads(api: httpx.Client, files: dict[str, Any], code: str) -> None:
    h = signup_login(api, "upl01")["headers"]
    r = api.post("/ads", data={"input_text": "카페 홍보", "aspect_ratio": "1:1"}, files=files, headers=h)
    assert r.status_code == 422 and error_code(r) == code
    assert api.get("/history/generations", headers=h).json() == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"input_text": "", "aspect_ratio": "1:1"}, "empty_input"),
        ({"input_text": "   ", "aspect_ratio": "1:1"}, "empty_input"),
        ({"input_text": "가" * 501, "aspect_ratio": "1:1"}, "input_too_long"),
        ({"input_text": "카페", "aspect_ratio": "16:9"}, "invalid_aspect_ratio"),
        ({"input_text": "카페", "aspect_ratio": "1:1", "content_type": "video"}, "invalid_content_type"),
        ({"input_text": "카페", "aspect_ratio": "1:1", "variants": 5}, "invalid_variants"),
        ({"input_text": "카페", "aspect_ratio": "1:1", "session_id": "../../x"}, "invalid_session_id"),
        ({"input_text": "카페", "aspect_ratio": "1:1", "user_id": 1}, "unknown_field"),
        ({"aspect_ratio": "1:1"}, "empty_input"),
    ],
)
def test_ad_request_validation(api: httpx.Client, body: dict[str, Any], code: str) -> None:
    h = signup_login(api, "val01")["headers"]
    r = api.post("/ads", json=body, headers=h)
    assert r.status_code == 422 and error_code(r) == code, r.text


def test_ads_requires_auth(api: httpx.Client) -> None:
    r = api.post("/ads", json={"input_text": "카페", "aspect_ratio": "1:1"})
    assert r.status_code == 401 and error_code(r) == "auth_required"


def test_queue_full_is_busy(api: httpx.Client, runtime: Runtime) -> None:
    h = signup_login(api, "busy01")["headers"]
    runtime.ctx.gpu_lock.acquire()  # the GPU is taken: jobs pile up in the bounded queue
    try:
        codes = [api.post("/ads", json={"input_text": f"카페 홍보 {i}", "aspect_ratio": "1:1"}, headers=h).status_code
                 for i in range(runtime.settings.queue_max_size + 3)]
    finally:
        runtime.ctx.gpu_lock.release()
    assert 503 in codes and codes[0] == 202
    runtime.wait_idle()
    # Once the queue drains, requests are accepted again.
    r = api.post("/ads", json={"input_text": "카페 홍보", "aspect_ratio": "1:1"}, headers=h)
    assert r.status_code == 202, r.text
    runtime.wait_idle()


def test_one_account_cannot_fill_the_queue(api: httpx.Client, runtime: Runtime) -> None:
    """M5 of issue 14: MAX_JOBS_PER_USER queued or running per account; another account is still served."""
    runtime.caps.settings = runtime.settings.model_copy(update={"max_jobs_per_user": 2})
    greedy = signup_login(api, "greedy01")["headers"]
    other = signup_login(api, "patient1")["headers"]
    runtime.ctx.gpu_lock.acquire()  # the GPU is taken: nothing finishes meanwhile
    try:
        replies = [api.post("/ads", json={"input_text": f"카페 홍보 {i}", "aspect_ratio": "1:1"}, headers=greedy) for i in range(4)]
        assert [r.status_code for r in replies] == [202, 202, 429, 429]
        assert replies[2].json()["error"]["code"] == "too_many_jobs" and replies[2].headers["retry-after"] == "10"
        assert api.post("/ads", json={"input_text": "꽃집 홍보", "aspect_ratio": "1:1"}, headers=other).status_code == 202
    finally:
        runtime.ctx.gpu_lock.release()
    runtime.wait_idle()
    # Its jobs done, the account may submit again.
    assert api.post("/ads", json={"input_text": "카페 홍보", "aspect_ratio": "1:1"}, headers=greedy).status_code == 202
    runtime.wait_idle()


def test_pagination_and_limits(api: httpx.Client) -> None:
    h = signup_login(api, "page01")["headers"]
    ids = []
    for i in range(3):
        r = api.post("/ads", json={"input_text": f"빵집 {i}", "aspect_ratio": "1:1", "content_type": "text"}, headers=h)
        ids.append(wait_task(api, r.json()["task_id"], h)["result"]["history_id"])
    page1 = api.get("/history/generations", params={"limit": 2}, headers=h).json()
    page2 = api.get("/history/generations", params={"limit": 2, "offset": 2}, headers=h).json()
    assert [g["id"] for g in page1 + page2] == ids[::-1]
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}):
        r = api.get("/history/generations", params=params, headers=h)
        assert r.status_code == 422, params


# --- isolation: one user never sees another's things -----------------------------------------


def test_users_are_isolated(api: httpx.Client) -> None:
    alice = signup_login(api, "alice01")
    bob = signup_login(api, "bob01")
    r = api.post("/ads", json={"input_text": "꽃집 오픈", "aspect_ratio": "1:1"}, headers=alice["headers"])
    accepted = r.json()
    result = wait_task(api, accepted["task_id"], alice["headers"])["result"]
    b = bob["headers"]
    r = api.get(f"/tasks/{accepted['task_id']}", headers=b)
    assert r.status_code == 404 and error_code(r) == "task_not_found"
    assert api.get("/history/generations", headers=b).json() == []
    assert api.get("/history/chat/sessions", headers=b).json() == []
    r = api.get("/history/chat", params={"session_id": accepted["session_id"]}, headers=b)
    assert r.status_code == 404
    for url in (result["image_url"], result["bare_image_url"]):
        r = api.get(url.removeprefix("/api/v1"), headers=b)
        assert r.status_code == 404 and error_code(r) == "image_not_found"
    r = api.post("/ads", json={"input_text": "문구를 짧게", "aspect_ratio": "1:1", "session_id": accepted["session_id"]}, headers=b)
    assert r.status_code == 404 and error_code(r) == "session_not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/images/../../etc/passwd",
        "/images/..%2F..%2Fetc%2Fpasswd",
        "/images/%2Fetc%2Fpasswd",
        "/images/" + "a" * 64,
        "/images/" + "A" * 64 + ".png",
        "/images/" + "a" * 63 + ".png",
        "/images/" + "0" * 64 + ".png",
        "/tasks/../../etc/passwd",
        "/tasks/not-a-uuid",
    ],
)
def test_paths_never_reach_the_file_system(api: httpx.Client, path: str) -> None:
    h = signup_login(api, "trav01")["headers"]
    r = api.get(path, headers=h)
    assert r.status_code == 404, (path, r.status_code, r.text)
    assert "root:" not in r.text


def test_openapi_document(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    for path in ("/auth/signup", "/auth/login", "/ads", "/tasks/{task_id}", "/history/generations",
                 "/history/chat/sessions", "/history/chat", "/images/{filename}"):
        assert path in doc["paths"], path
    assert "multipart/form-data" in doc["paths"]["/ads"]["post"]["requestBody"]["content"]
