import json
from tests.api.conftest import signup_login
from tests.api.test_api import wait_task, png

def test_probe(api, runtime):
    h = signup_login(api, "probe01")["headers"]
    def show(label, r):
        print(label, r.status_code, r.text[:300])
    import httpx
    _post, _get = api.post, api.get
    def wrap(fn):
        def inner(*a, **kw):
            try:
                return fn(*a, **kw)
            except httpx.HTTPError as e:
                class R: status_code = "EXC"; text = repr(e)
                return R()
        return inner
    api.post = wrap(_post); api.get = wrap(_get)
    show("deep signup", api.post("/auth/signup", content=b"[" * 100000 + b"]" * 100000, headers={"content-type": "application/json"}))
    show("after", api.post("/auth/login", json={"login_id": "abc", "login_pw": "x"}))
    show("login surrogate", api.post("/auth/login", content=b'{"login_id": "\\ud800abc", "login_pw": "password123"}', headers={"content-type": "application/json"}))
    show("after", api.post("/auth/login", json={"login_id": "abc", "login_pw": "x"}))
    show("login pw surrogate", api.post("/auth/login", content=b'{"login_id": "abcd", "login_pw": "\\ud800password123"}', headers={"content-type": "application/json"}))
    show("signup surrogate", api.post("/auth/signup", content=b'{"login_id": "abcd", "login_pw": "\\ud800password123"}', headers={"content-type": "application/json"}))
    show("deep login 500", api.post("/auth/login", content=b"[" * 500 + b"]" * 500, headers={"content-type": "application/json"}))
    show("deep ads 3000", api.post("/ads", content=b'{"style": ' + b"[" * 3000 + b"]" * 3000 + b'}', headers=h | {"content-type": "application/json"}))
    show("after", api.post("/auth/login", json={"login_id": "abc", "login_pw": "x"}))
    show("ads style surrogate", api.post("/ads", content=b'{"input_text": "abc", "aspect_ratio": "1:1", "style": "\\udfff"}', headers=h | {"content-type": "application/json"}))
    show("ads session_id huge", api.post("/ads", json={"input_text": "abc", "aspect_ratio": "1:1", "session_id": "a" * 100000}, headers=h))
    show("ads tone", api.post("/ads", json={"input_text": "abc", "aspect_ratio": "1:1", "tone": "x" * 100000}, headers=h))
    runtime.wait_idle()
    for k, v in list(runtime.tasks._mem.items()):
        print("task", v.get("status"), v.get("error_code"), v.get("error"))
    deep = b'{"input_text": ' + b"[" * 100000 + b"]" * 100000 + b', "aspect_ratio": "1:1"}'
    show("deep ads", api.post("/ads", content=deep, headers=h | {"content-type": "application/json"}))
    show("deep signup", api.post("/auth/signup", content=b"[" * 100000 + b"]" * 100000, headers={"content-type": "application/json"}))
    show("badutf8 signup", api.post("/auth/signup", content=b'{"login_id": "\xff\xfe", "login_pw": "x"}', headers={"content-type": "application/json"}))
    show("text/plain signup", api.post("/auth/signup", content=b'{"login_id": "abcd", "login_pw": "password123"}', headers={"content-type": "text/plain"}))
    show("no ctype signup", api.post("/auth/signup", content=b'{"login_id": "abce", "login_pw": "password123"}'))
    show("empty signup", api.post("/auth/signup", content=b'', headers={"content-type": "application/json"}))
    show("array signup", api.post("/auth/signup", content=b'[]', headers={"content-type": "application/json"}))
    show("null login", api.post("/auth/login", content=b'null', headers={"content-type": "application/json"}))
    show("login nul", api.post("/auth/login", json={"login_id": "ab\x00c", "login_pw": "password123"}))
    show("login surrogate", api.post("/auth/login", content=b'{"login_id": "\\ud800abc", "login_pw": "password123"}', headers={"content-type": "application/json"}))
    show("login 1MB", api.post("/auth/login", json={"login_id": "abc", "login_pw": "x" * 1_000_000}))
    show("signup wrong type", api.post("/auth/signup", json={"login_id": 12345, "login_pw": "password123"}))
    show("ads int text", api.post("/ads", json={"input_text": 123, "aspect_ratio": "1:1"}, headers=h))
    show("ads 1MB", api.post("/ads", json={"input_text": "가" * 1_000_000, "aspect_ratio": "1:1"}, headers=h))
    show("ads ratio 1MB", api.post("/ads", json={"input_text": "카페", "aspect_ratio": "1" * 1_000_000}, headers=h))
    show("ads variants str", api.post("/ads", json={"input_text": "카페", "aspect_ratio": "1:1", "variants": "2", "content_type": "text"}, headers=h))
    show("ads variants true", api.post("/ads", json={"input_text": "카페", "aspect_ratio": "1:1", "variants": True, "content_type": "text"}, headers=h))
    show("ads nul", api.post("/ads", json={"input_text": "카\x00페", "aspect_ratio": "1:1"}, headers=h))
    show("ads style nul", api.post("/ads", json={"input_text": "카페", "aspect_ratio": "1:1", "style": "a\x00"}, headers=h))
    show("multipart surrogate?", api.post("/ads", data={"input_text": "카페", "aspect_ratio": "1:1", "variants": "abc"}, files={"image": ("a.png", png(), "image/png")}, headers=h))
    show("multipart bad utf8", api.post("/ads", content=b'--XX\r\nContent-Disposition: form-data; name="input_text"\r\n\r\n\xff\xfe\r\n--XX\r\nContent-Disposition: form-data; name="aspect_ratio"\r\n\r\n1:1\r\n--XX--\r\n', headers=h | {"content-type": "multipart/form-data; boundary=XX"}))
    show("multipart broken", api.post("/ads", content=b'--XX\r\nContent-Disp', headers=h | {"content-type": "multipart/form-data; boundary=XX"}))
    show("multipart no boundary", api.post("/ads", content=b'abc', headers=h | {"content-type": "multipart/form-data"}))
    show("urlencoded", api.post("/ads", content=b'input_text=abc&aspect_ratio=1:1', headers=h | {"content-type": "application/x-www-form-urlencoded"}))
    show("history chat sqli", api.get("/history/chat", params={"session_id": "' OR 1=1 --"}, headers=h))
    show("history chat long", api.get("/history/chat", params={"session_id": "a" * 65}, headers=h))
    show("history chat nul", api.get("/history/chat", params={"session_id": "abcdefgh\x00"}, headers=h))
    show("history chat missing", api.get("/history/chat", headers=h))
    show("limit huge", api.get("/history/generations", params={"limit": "9" * 30}, headers=h))
    show("offset max", api.get("/history/generations", params={"offset": 1_000_000}, headers=h))
    show("task long", api.get("/tasks/" + "a" * 5000, headers=h))
    show("image nul", api.get("/images/" + "a" * 64 + "%00.png", headers=h))
    show("put ads", api.put("/ads", headers=h))
    show("wrong method", api.get("/auth/login"))
    show("HEAD image", api.head("/images/" + "a" * 64 + ".png", headers=h))
    runtime.wait_idle()
