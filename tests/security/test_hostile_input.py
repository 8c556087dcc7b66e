"""Hostile input, through the REST API (real HTTP) and through the services.

Every refused input gets its HTTP status, a stable code and a short Korean message, and leaves
every table row and every file exactly as it was (``assert_unchanged`` compares all of them); no
job is queued. Every accepted hostile input (SQL, emoji, RTL, markup) is stored verbatim and
touches nothing else. Counts of the cases are in docs/reliability.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import struct
import time
import unicodedata
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from PIL import Image
from sqlalchemy import Engine, text

from adgen import auth
from adgen.errors import AdGenError, NotFoundError, ValidationError
from adgen.runtime import Runtime
from adgen.services import AdGenContext, create_advertisement
from adgen.settings import Settings
from db import crud
from db.engine import session_scope
from tests.api.conftest import signup_login
from tests.api.test_api import wait_task
from tests.security.conftest import UPLOAD_LIMIT_MB, Victim, multipart, png_bytes, raw_request
from tests.security.invariants import (
    HANGUL,
    MAX_MESSAGE_CHARS,
    assert_refused,
    assert_unchanged,
    half_written,
    misnamed_files,
    orphan_files,
    snapshot,
)

MB = 1024 * 1024
GOOD = {"input_text": "카페 신메뉴 딸기라떼 홍보", "aspect_ratio": "1:1"}
JSON = {"content-type": "application/json"}

# --- tables ----------------------------------------------------------------------------------

# (id, text, code from the services, code from the REST API when it differs)
REFUSED_TEXTS: list[tuple[str, str, str, str | None]] = [
    ("empty", "", "empty_input", None),
    ("spaces", "     ", "empty_input", None),
    ("tabs-newlines", "\t\r\n \n", "empty_input", None),
    ("ideographic-space", "\u3000\u3000", "empty_input", None),
    ("501-chars", "가" * 501, "input_too_long", None),
    ("1MiB-ascii", "a" * MB, "input_too_long", None),
    # 3 MB of UTF-8 on the wire: over the body limit, refused before the JSON is parsed.
    ("1M-hangul", "가" * 1_000_000, "input_too_long", "request_too_large"),
    ("nul-inside", "카페\x00홍보", "invalid_characters", None),
    ("nul-only", "\x00", "invalid_characters", None),
    ("ansi-escape", "카페 \x1b[31m홍보\x1b[0m", "invalid_characters", None),
    ("del", "카페 홍보\x7f", "invalid_characters", None),
    ("backspace", "카페\x08\x08 홍보", "invalid_characters", None),
    ("vt-ff", "\x0b카페\x0c홍보", "invalid_characters", None),
]

# Stored exactly as typed: no trimming, no normalisation, no escaping.
SQL_INJECTIONS = [
    "'; DROP TABLE \"user\"; --",
    "카페' OR '1'='1",
    "1); DELETE FROM generation_history; --",
    "\\'; TRUNCATE chat_history CASCADE; --",
    "$$ || (SELECT login_pw FROM \"user\" LIMIT 1) || $$",
    "카페 홍보' UNION SELECT NULL, version() --",
    "카페\"; UPDATE \"user\" SET login_pw = 'x'; --",
]
ACCEPTED_TEXTS: list[tuple[str, str]] = [
    *[(f"sql-{i}", s) for i, s in enumerate(SQL_INJECTIONS)],
    ("emoji", "☕ 카페 신메뉴 🍓🍰 출시! 👨\u200d👩\u200d👧 가족 세트"),
    ("rtl", "مقهى جديد — קפה חדש \u202e카페 홍보\u202c"),
    ("combining", "카페 cafe\u0301 신메뉴 홍보"),
    ("nfd-hangul", unicodedata.normalize("NFD", "카페 신메뉴 홍보")),
    # The longest text accepted (spaces inside count): stored as sent, the ad made from its words.
    ("500-chars", "카페" + " " * (500 - len("카페신메뉴 홍보")) + "신메뉴 홍보"),
    ("surrounding-spaces", "  카페 신메뉴 홍보  "),
    ("tabs-newlines-inside", "카페 신메뉴\n\t딸기라떼 홍보\r\n"),
    ("markup", "<script>alert('xss')</script><img src=x onerror=alert(1)> 카페"),
    ("format-strings", "{{7*7}} ${7*7} %(x)s %s %n {0} 카페 홍보"),
]

BAD_RATIOS: list[tuple[str, Any]] = [
    ("16:9", "16:9"),
    ("trailing-space", "1:1 "),
    ("leading-space", " 1:1"),
    ("slash", "1/1"),
    ("fullwidth", "１:１"),
    ("empty", ""),
    ("nul", "1:1\x00"),
    ("sql", "4:3'; DROP TABLE \"user\"; --"),
    ("100k", "1" * 100_000),
    ("null", None),
    ("int", 1),
    ("float", 1.0),
    ("list", ["1:1"]),
    ("object", {"$ne": None}),
]
BAD_CONTENT_TYPES: list[tuple[str, Any]] = [
    ("video", "video"),
    ("upper", "IMAGE"),
    ("trailing-space", "both "),
    ("empty", ""),
    ("nul", "text\x00"),
    ("null", None),
    ("int", 0),
]

# (id, raw body, code)
MALFORMED_AD_BODIES: list[tuple[str, bytes, str]] = [
    ("truncated", b'{"input_text": "\xec\xb9\xb4\xed\x8e\x98", "aspect_ratio": "1:1"', "malformed_json"),
    ("empty", b"", "malformed_json"),
    ("null", b"null", "malformed_json"),
    ("array", b"[]", "malformed_json"),
    ("array-of-request", b'[{"input_text": "x", "aspect_ratio": "1:1"}]', "malformed_json"),
    ("string", b'"input_text"', "malformed_json"),
    ("number", b"123", "malformed_json"),
    ("trailing-comma", b'{"input_text": "x", "aspect_ratio": "1:1",}', "malformed_json"),
    ("single-quotes", b"{'input_text': 'x', 'aspect_ratio': '1:1'}", "malformed_json"),
    ("bad-utf8", b'{"input_text": "\xff\xfe\xfd", "aspect_ratio": "1:1"}', "malformed_json"),
    ("nested-100k", b"[" * 100_000 + b"]" * 100_000, "malformed_json"),
    ("nested-in-field", b'{"input_text": ' + b"[" * 5_000 + b"]" * 5_000 + b', "aspect_ratio": "1:1"}', "malformed_json"),
    ("nested-500-wrong-type", b'{"input_text": "x", "aspect_ratio": "1:1", "style": ' + b"[" * 500 + b"]" * 500 + b"}", "invalid_style"),
    ("nan", b'{"input_text": NaN, "aspect_ratio": "1:1"}', "invalid_input_text"),
    ("text-int", b'{"input_text": 123, "aspect_ratio": "1:1"}', "invalid_input_text"),
    ("text-list", b'{"input_text": ["x"], "aspect_ratio": "1:1"}', "invalid_input_text"),
    ("text-operator", b'{"input_text": {"$gt": ""}, "aspect_ratio": "1:1"}', "invalid_input_text"),
    ("text-surrogate", b'{"input_text": "\\ud800 x", "aspect_ratio": "1:1"}', "invalid_characters"),  # refused, not run
    ("duplicate-key-last-wins", b'{"input_text": "x", "input_text": "", "aspect_ratio": "1:1"}', "empty_input"),
    ("session-int", b'{"input_text": "x", "aspect_ratio": "1:1", "session_id": 12345678}', "invalid_session_id"),
    ("variants-word", b'{"input_text": "x", "aspect_ratio": "1:1", "variants": "many"}', "invalid_variants"),
    ("variants-zero", b'{"input_text": "x", "aspect_ratio": "1:1", "variants": 0}', "invalid_variants"),
    ("variants-99", b'{"input_text": "x", "aspect_ratio": "1:1", "variants": 99}', "invalid_variants"),
    ("variants-float", b'{"input_text": "x", "aspect_ratio": "1:1", "variants": 2.5}', "invalid_variants"),
    ("huge-body", b'{"input_text": "' + b"a" * (3 * MB) + b'", "aspect_ratio": "1:1"}', "request_too_large"),
]
MALFORMED_AUTH_BODIES: list[tuple[str, bytes]] = [
    ("truncated", b'{"login_id": "abc", "login_pw": "password1'),
    ("empty", b""),
    ("null", b"null"),
    ("array", b'["abc", "Cafe-Latte-2026!"]'),
    ("bad-utf8", b'{"login_id": "\xff\xfe", "login_pw": "Cafe-Latte-2026!"}'),
    ("nested-100k", b"[" * 100_000 + b"]" * 100_000),
]


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims width x height pixels."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _encoded(fmt: str, size: tuple[int, int] = (64, 64)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buf, format=fmt)
    return buf.getvalue()


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(_encoded("JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


# (id, file bytes, code): each named photo.png and sent as image/png
BAD_UPLOADS: list[tuple[str, bytes, str]] = [
    ("text", "이건 사진이 아닙니다".encode(), "unsupported_upload"),
    ("html", b"<html><script>alert(1)</script></html>", "unsupported_upload"),
    ("pdf", b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF", "unsupported_upload"),
    ("zip", b"PK\x03\x04" + b"\x00" * 200, "unsupported_upload"),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="9e9" height="9e9"/>', "unsupported_upload"),
    ("elf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "unsupported_upload"),
    ("gif", _encoded("GIF"), "unsupported_upload"),
    ("bmp", _encoded("BMP"), "unsupported_upload"),
    ("tiff", _encoded("TIFF"), "unsupported_upload"),
    ("png-signature-junk", b"\x89PNG\r\n\x1a\n" + b"junk" * 50, "unsupported_upload"),
    ("png-truncated", png_bytes((400, 400))[:120], "unsupported_upload"),
    ("png-claims-100000x100000", _png_claiming(100_000, 100_000), "upload_dimensions"),
    ("png-claims-7000x7000", _png_claiming(7_000, 7_000), "upload_dimensions"),
    ("png-claims-1x20000", _png_claiming(1, 20_000), "upload_dimensions"),
    ("png-8x8", png_bytes((8, 8)), "upload_dimensions"),
    ("jpeg-claims-60000x60000", _jpeg_claiming(60_000, 60_000), "upload_dimensions"),
    # Over MAX_UPLOAD_MB but inside the body limit: refused by the handler after reading limit + 1 bytes.
    ("png-limit-plus-1", png_bytes() + b"\x00" * (int(UPLOAD_LIMIT_MB * MB) + 1 - len(png_bytes())), "upload_too_large"),
    # Over the whole-body limit: refused from Content-Length, before a byte of it is read.
    ("png-3MB", png_bytes() + b"\x00" * (3 * MB), "upload_too_large"),
]

UPLOAD_FILENAMES = [
    "../../x.png",
    "../../../../../../tmp/x.png",
    "..\\..\\x.png",
    "/tmp/x.png",
    "C:\\Windows\\x.png",
    "%2e%2e%2f%2e%2e%2fx.png",
    "%252e%252e%252fx.png",
    "....//....//x.png",
    "x.png\x00.sh",
    "x.png;.php",
    ".htaccess",
    "사진/../../x.png",
    "a" * 1000 + ".png",
]

VICTIM_LOGIN = {"login_id": "victim01", "login_pw": "Cafe-Latte-2026!"}


def _photo(data: bytes | None = None) -> dict[str, tuple[str, bytes, str]]:
    return {"image": ("photo.png", png_bytes() if data is None else data, "image/png")}


# Each: a client-sent user id, or another user's session / task / image. (id, request, status, code)
# A status of 200 means the request is served, for the caller's own data only (checked to be empty).
CROSS_USER: list[tuple[str, Callable[[httpx.Client, Victim, dict[str, str]], httpx.Response], int, str]] = [
    ("json-user_id", lambda api, v, h: api.post("/ads", json=GOOD | {"user_id": v.user_id}, headers=h), 422, "unknown_field"),
    ("form-user_id", lambda api, v, h: api.post("/ads", data=GOOD | {"user_id": str(v.user_id)}, files=_photo(), headers=h),
     422, "unknown_field"),
    ("login-user_id", lambda api, v, h: api.post("/auth/login", json=VICTIM_LOGIN | {"user_id": v.user_id}), 422, "unknown_field"),
    ("json-session", lambda api, v, h: api.post("/ads", json=GOOD | {"session_id": v.session_id}, headers=h), 404, "session_not_found"),
    ("form-session", lambda api, v, h: api.post("/ads", data=GOOD | {"session_id": v.session_id}, files=_photo(), headers=h),
     404, "session_not_found"),
    ("chat-history", lambda api, v, h: api.get("/history/chat", params={"session_id": v.session_id}, headers=h), 404, "session_not_found"),
    ("task", lambda api, v, h: api.get(f"/tasks/{v.task_id}", headers=h), 404, "task_not_found"),
    ("task-upper", lambda api, v, h: api.get(f"/tasks/{v.task_id.upper()}", headers=h), 404, "task_not_found"),
    ("task-urn", lambda api, v, h: api.get(f"/tasks/urn:uuid:{uuid.UUID(v.task_id)}", headers=h), 404, "task_not_found"),
    ("input-image", lambda api, v, h: api.get(f"/images/{v.input_hash}.png", headers=h), 404, "image_not_found"),
    ("final-image", lambda api, v, h: api.get(f"/images/{v.final_hash}.png", headers=h), 404, "image_not_found"),
    ("history-query-user_id", lambda api, v, h: api.get("/history/generations", params={"user_id": v.user_id}, headers=h), 200, ""),
    ("sessions-header-user", lambda api, v, h: api.get("/history/chat/sessions", headers=h | {"X-User-Id": str(v.user_id)}), 200, ""),
]

# Raw request targets; {h} is the victim's final image hash, {key} the absolute path of the signing key.
TRAVERSALS = [
    "/images/../../secret_key",
    "/images/..%2f..%2fsecret_key",
    "/images/%2e%2e%2f%2e%2e%2fsecret_key",
    "/images/%252e%252e%252fsecret_key",
    "/images/..%5c..%5csecret_key",
    "/images/....//....//secret_key",
    "/images/..;/..;/secret_key",
    "/images/{key}",
    "/images/{key_encoded}",
    "/images/{h}.png%00.txt",
    "/images/{h}.png/..%2f{h}.png",
    "/images/..%2f{hh}%2f{h}.png",
    "/images/{hh}%2f{h}.png",
    "/images/{hh}/{h}.png",
    "/images/{h}.PNG",
    "/images/%20{h}.png",
    "/images/{h}.png.png",
    "/images/{h}",
    "/images/%00",
    "/tasks/..%2f..%2fsecret_key",
    "/tasks/..%2ftasks%2f{task}.json",
]


# --- helpers -----------------------------------------------------------------------------


def _state(engine: Engine, runtime: Runtime) -> Any:
    return snapshot(engine, runtime.settings.data_dir), len(runtime.tasks)


def _assert_nothing_happened(before: Any, engine: Engine, runtime: Runtime) -> None:
    runtime.wait_idle()
    snap, n_tasks = before
    assert len(runtime.tasks) == n_tasks, "a job was queued"
    assert_unchanged(snap, engine, runtime.settings.data_dir)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(uid: int, /, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": str(uid), "user_id": uid, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    for name, value in changes.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value
    return claims


def _signed(header: dict[str, Any], claims: dict[str, Any], key: str) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _token(kind: str, api: httpx.Client, engine: Engine, settings: Settings, victim: Victim, attacker: dict[str, Any]) -> dict[str, str]:
    """The Authorization header of one kind of bad token (setting up revoked / deleted users first)."""
    key = settings.signing_key()
    v = victim.user_id
    bearer = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    if kind == "missing":
        return {}
    if kind == "empty-bearer":
        return {"Authorization": "Bearer"}
    if kind == "basic":
        return {"Authorization": "Basic dmljdGltMDE6cGFzc3dvcmQxMjM="}
    if kind == "garbage":
        return bearer("not.a.token")
    if kind == "over-4096":
        return bearer(jwt.encode(_claims(v, pad="x" * 5000), key, algorithm="HS256"))
    if kind == "payload-swapped":
        head, _, sig = attacker["headers"]["Authorization"].removeprefix("Bearer ").split(".")
        return bearer(f"{head}.{_b64(json.dumps(_claims(v)).encode())}.{sig}")
    if kind == "wrong-key":
        return bearer(jwt.encode(_claims(v), "a-different-key-that-is-long-enough-1234567890", algorithm="HS256"))
    if kind == "empty-key-kid-traversal":
        return bearer(_signed({"alg": "HS256", "typ": "JWT", "kid": "../../../../dev/null"}, _claims(v), ""))
    if kind == "alg-none":
        return bearer(jwt.encode(_claims(v), None, algorithm="none"))
    if kind == "alg-None-signed":
        return bearer(_signed({"alg": "None", "typ": "JWT"}, _claims(v), key))
    if kind == "hs512-right-key":
        return bearer(jwt.encode(_claims(v), key, algorithm="HS512"))
    if kind == "rs256-header-hmac-signed":
        return bearer(_signed({"alg": "RS256", "typ": "JWT"}, _claims(v), key))
    if kind == "expired":
        now = int(time.time())
        return bearer(jwt.encode(_claims(v, iat=now - 700, exp=now - 10), key, algorithm="HS256"))
    if kind == "issued-in-future":
        now = int(time.time())
        return bearer(jwt.encode(_claims(v, iat=now + 3600, exp=now + 7200), key, algorithm="HS256"))
    if kind == "user_id-string":
        return bearer(jwt.encode(_claims(v, user_id=str(v)), key, algorithm="HS256"))
    if kind == "sub-mismatch":
        return bearer(jwt.encode(_claims(v, sub=str(attacker["user_id"])), key, algorithm="HS256"))
    if kind == "no-jti":
        return bearer(jwt.encode(_claims(v, jti=None), key, algorithm="HS256"))
    if kind == "revoked":
        headers = signup_login(api, "leaver01")["headers"]
        assert api.post("/auth/logout", headers=headers).status_code == 204
        return headers
    if kind == "deleted-user":
        ghost = signup_login(api, "ghost01")
        with session_scope(engine) as s:
            assert crud.delete_user(s, ghost["user_id"])
        return ghost["headers"]
    if kind == "unknown-user-right-key":
        return bearer(jwt.encode(_claims(987654), key, algorithm="HS256"))
    raise AssertionError(kind)


TOKENS: list[tuple[str, str]] = [
    ("missing", "auth_required"),
    ("empty-bearer", "auth_required"),
    ("basic", "auth_required"),
    ("garbage", "invalid_token"),
    ("over-4096", "invalid_token"),
    ("payload-swapped", "invalid_token"),
    ("wrong-key", "invalid_token"),
    ("empty-key-kid-traversal", "invalid_token"),
    ("alg-none", "invalid_token"),
    ("alg-None-signed", "invalid_token"),
    ("hs512-right-key", "invalid_token"),
    ("rs256-header-hmac-signed", "invalid_token"),
    ("expired", "token_expired"),
    ("issued-in-future", "invalid_token"),
    ("user_id-string", "invalid_token"),
    ("sub-mismatch", "invalid_token"),
    ("no-jti", "invalid_token"),
    ("revoked", "token_revoked"),
    ("deleted-user", "invalid_token"),
    ("unknown-user-right-key", "invalid_token"),
]


# --- REST: texts, choices, malformed bodies ---------------------------------------------------


@pytest.mark.parametrize(("text_", "code", "rest_code"), [c[1:] for c in REFUSED_TEXTS], ids=[c[0] for c in REFUSED_TEXTS])
@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_rest_refuses_bad_texts(
    api: httpx.Client, runtime: Runtime, engine: Engine, text_: str, code: str, rest_code: str | None, encoding: str
) -> None:
    h = signup_login(api, "texter01")["headers"]
    before = _state(engine, runtime)
    if encoding == "json":
        r = api.post("/ads", json={"input_text": text_, "aspect_ratio": "1:1"}, headers=h)
    else:
        body, ctype = multipart([("input_text", text_.encode(), None), ("aspect_ratio", b"1:1", None)])
        r = api.post("/ads", content=body, headers=h | ctype)
    expected = rest_code or code
    if encoding == "multipart" and expected == "request_too_large":
        expected = "upload_too_large"  # a multipart body that large is, to the client, a photo too large
    assert_refused(r, 422, expected)
    _assert_nothing_happened(before, engine, runtime)


@pytest.mark.parametrize(("value"), [c[1] for c in BAD_RATIOS], ids=[c[0] for c in BAD_RATIOS])
def test_rest_refuses_bad_aspect_ratios(api: httpx.Client, runtime: Runtime, engine: Engine, value: Any) -> None:
    h = signup_login(api, "ratio01")["headers"]
    before = _state(engine, runtime)
    r = api.post("/ads", json={"input_text": "카페 홍보", "aspect_ratio": value}, headers=h)
    assert_refused(r, 422, "invalid_aspect_ratio")
    _assert_nothing_happened(before, engine, runtime)


@pytest.mark.parametrize(("value"), [c[1] for c in BAD_CONTENT_TYPES], ids=[c[0] for c in BAD_CONTENT_TYPES])
def test_rest_refuses_bad_content_types(api: httpx.Client, runtime: Runtime, engine: Engine, value: Any) -> None:
    h = signup_login(api, "ctype01")["headers"]
    before = _state(engine, runtime)
    r = api.post("/ads", json=GOOD | {"content_type": value}, headers=h)
    assert_refused(r, 422, "invalid_content_type")
    _assert_nothing_happened(before, engine, runtime)


@pytest.mark.parametrize(("body", "code"), [c[1:] for c in MALFORMED_AD_BODIES], ids=[c[0] for c in MALFORMED_AD_BODIES])
def test_rest_refuses_malformed_ad_bodies(api: httpx.Client, runtime: Runtime, engine: Engine, body: bytes, code: str) -> None:
    h = signup_login(api, "json01")["headers"]
    before = _state(engine, runtime)
    r = api.post("/ads", content=body, headers=h | JSON)
    assert_refused(r, 422, code)
    _assert_nothing_happened(before, engine, runtime)
    # The server is still answering on the same kind of connection (an unhandled error would close it).
    assert api.get("/history/generations", headers=h).status_code == 200


@pytest.mark.parametrize("path", ["/auth/signup", "/auth/login"])
@pytest.mark.parametrize("body", [c[1] for c in MALFORMED_AUTH_BODIES], ids=[c[0] for c in MALFORMED_AUTH_BODIES])
def test_rest_refuses_malformed_auth_bodies(api: httpx.Client, runtime: Runtime, engine: Engine, path: str, body: bytes) -> None:
    signup_login(api, "json02")
    before = _state(engine, runtime)
    r = api.post(path, content=body, headers=JSON)
    assert_refused(r, 422, "malformed_json")
    _assert_nothing_happened(before, engine, runtime)


# (id, path, body, status, code)
HOSTILE_ACCOUNTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("signup-sql-id", "/auth/signup", {"login_id": "admin'--", "login_pw": "Cafe-Latte-2026!"}, 422, "invalid_login_id"),
    ("signup-nul-id", "/auth/signup", {"login_id": "admin\x00x", "login_pw": "Cafe-Latte-2026!"}, 422, "invalid_login_id"),
    ("signup-hangul-id", "/auth/signup", {"login_id": "사장님", "login_pw": "Cafe-Latte-2026!"}, 422, "invalid_login_id"),
    ("signup-1MB-id", "/auth/signup", {"login_id": "a" * MB, "login_pw": "Cafe-Latte-2026!"}, 422, "invalid_login_id"),
    ("signup-nul-pw", "/auth/signup", {"login_id": "newuser1", "login_pw": "pass\x00word123"}, 422, "invalid_password"),
    ("signup-emoji-pw-73-bytes", "/auth/signup", {"login_id": "newuser1", "login_pw": "🔒" * 18 + "a"}, 422, "invalid_password"),
    ("signup-id-int", "/auth/signup", {"login_id": 12345, "login_pw": "Cafe-Latte-2026!"}, 422, "invalid_login_id"),
    ("signup-pw-list", "/auth/signup", {"login_id": "newuser1", "login_pw": ["Cafe-Latte-2026!"]}, 422, "invalid_password"),
    ("login-sql-id", "/auth/login", {"login_id": "' OR '1'='1' --", "login_pw": "' OR '1'='1' --"}, 401, "invalid_credentials"),
    ("login-nul-id", "/auth/login", {"login_id": "owner01\x00", "login_pw": "Cafe-Latte-2026!"}, 401, "invalid_credentials"),
    ("login-nul-pw", "/auth/login", {"login_id": "owner01", "login_pw": "Cafe-Latte-2026!\x00"}, 401, "invalid_credentials"),
    ("login-1MB-pw", "/auth/login", {"login_id": "owner01", "login_pw": "x" * MB}, 422, "invalid_password"),
    ("login-like-wildcard", "/auth/login", {"login_id": "owner%", "login_pw": "Cafe-Latte-2026!"}, 401, "invalid_credentials"),
    ("login-case-changed-wrong-pw", "/auth/login", {"login_id": "OWNER01", "login_pw": "Cafe-Latte-2027!"}, 401, "invalid_credentials"),
]


@pytest.mark.parametrize(("path", "body", "status", "code"), [c[1:] for c in HOSTILE_ACCOUNTS], ids=[c[0] for c in HOSTILE_ACCOUNTS])
def test_rest_refuses_hostile_accounts(
    api: httpx.Client, runtime: Runtime, engine: Engine, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    signup_login(api, "owner01")
    before = _state(engine, runtime)
    r = api.post(path, json=body)
    assert_refused(r, status, code)
    _assert_nothing_happened(before, engine, runtime)


@pytest.mark.parametrize(("case", "text_"), ACCEPTED_TEXTS, ids=[c[0] for c in ACCEPTED_TEXTS])
def test_rest_stores_hostile_text_verbatim(api: httpx.Client, runtime: Runtime, engine: Engine, case: str, text_: str) -> None:
    bystander = signup_login(api, "bystander1")
    flowers = {"input_text": "꽃집 오픈 이벤트", "aspect_ratio": "4:3", "content_type": "text"}
    r = api.post("/ads", json=flowers, headers=bystander["headers"])
    assert wait_task(api, r.json()["task_id"], bystander["headers"])["status"] == "completed"
    user = signup_login(api, "writer01")
    before = snapshot(engine, runtime.settings.data_dir)

    r = api.post("/ads", json={"input_text": text_, "aspect_ratio": "1:1", "style": text_[:50]}, headers=user["headers"])
    assert r.status_code == 202, r.text
    task = wait_task(api, r.json()["task_id"], user["headers"])
    assert task["status"] == "completed", task
    _assert_stored_verbatim(engine, before, user["user_id"], text_, runtime.settings.data_dir)
    chat = api.get("/history/chat", params={"session_id": r.json()["session_id"]}, headers=user["headers"]).json()
    assert chat[0]["content"] == text_
    assert api.get("/history/generations", headers=user["headers"]).json()[0]["input_text"] == text_


def test_rest_refuses_text_no_ad_can_hold_clearly(api: httpx.Client, runtime: Runtime, engine: Engine) -> None:
    """500 characters with nowhere to break: no headline can be cut from it without dropping words, so the
    task fails with a Korean message and a stable code, and nothing is half-written."""
    user = signup_login(api, "writer03")
    before = snapshot(engine, runtime.settings.data_dir)
    r = api.post("/ads", json={"input_text": "가" * 500, "aspect_ratio": "1:1"}, headers=user["headers"])
    assert r.status_code == 202, r.text
    task = wait_task(api, r.json()["task_id"], user["headers"])
    assert task["status"] == "failed" and task["error_code"] == "copy_too_long", task
    assert not half_written(engine) and not orphan_files(engine, runtime.settings.data_dir / "images")
    assert "500자" in task["message"] and "나누어" in task["message"]
    after = snapshot(engine, runtime.settings.data_dir)
    assert after.rows == before.rows
    assert {p for p in set(after.files) ^ set(before.files) if not p.startswith("tasks/")} == set()  # the task's own record aside


def _assert_stored_verbatim(engine: Engine, before: Any, user_id: int, text_: str, data_dir: Path) -> None:
    """One new generation, two chat messages, its images: the text exactly as sent, every older row untouched."""
    after = snapshot(engine, data_dir)
    for table in ("user", "revoked_token"):
        assert after.rows[table] == before.rows[table], table
    for table, added in (("generation_history", 1), ("chat_history", 2)):
        assert after.rows[table][: len(before.rows[table])] == before.rows[table], f"older rows of {table} changed"
        assert len(after.rows[table]) == len(before.rows[table]) + added, table
    assert set(before.rows["image_matching"]) <= set(after.rows["image_matching"])
    assert set(before.files.items()) <= set(after.files.items())
    with engine.connect() as conn:
        row = conn.execute(text("SELECT input_text, session_id FROM generation_history WHERE user_id = :u"), {"u": user_id}).one()
        messages = conn.execute(
            text("SELECT role, content FROM chat_history WHERE session_id = :s ORDER BY message_id"), {"s": row.session_id}
        ).all()
        tables = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}
    assert row.input_text == text_
    assert [m.role for m in messages] == ["user", "assistant"] and messages[0].content == text_
    assert {"user", "generation_history", "chat_history", "image_matching", "image_ownership", "revoked_token"} <= tables
    assert not half_written(engine) and not orphan_files(engine, data_dir / "images")


# --- REST: tokens, other users, paths ---------------------------------------------------------


@pytest.mark.parametrize(("kind", "code"), TOKENS, ids=[t[0] for t in TOKENS])
def test_rest_refuses_bad_tokens(
    api: httpx.Client, runtime: Runtime, engine: Engine, victim: Victim, attacker: dict[str, Any], kind: str, code: str
) -> None:
    headers = _token(kind, api, engine, runtime.settings, victim, attacker)
    before = _state(engine, runtime)
    for method, path, kwargs in (
        ("POST", "/ads", {"json": GOOD}),
        ("POST", "/ads", {"data": GOOD, "files": _photo()}),
        ("POST", "/auth/logout", {}),
        ("GET", f"/images/{victim.final_hash}.png", {}),
        ("GET", f"/tasks/{victim.task_id}", {}),
        ("GET", "/history/chat", {"params": {"session_id": victim.session_id}}),
        ("GET", "/history/generations", {}),
    ):
        r = api.request(method, path, headers=headers, **kwargs)
        assert_refused(r, 401, code)
        assert r.headers.get("www-authenticate") == "Bearer"
    _assert_nothing_happened(before, engine, runtime)


@pytest.mark.parametrize(("request_", "status", "code"), [c[1:] for c in CROSS_USER], ids=[c[0] for c in CROSS_USER])
def test_rest_never_acts_for_another_user(
    api: httpx.Client, runtime: Runtime, engine: Engine, victim: Victim, attacker: dict[str, Any],
    request_: Callable[..., httpx.Response], status: int, code: str,
) -> None:
    before = _state(engine, runtime)
    r = request_(api, victim, attacker["headers"])
    if status == 200:
        assert r.status_code == 200 and r.json() == [], r.text  # the caller's own (empty) history, not the victim's
    else:
        assert_refused(r, status, code)
    _assert_nothing_happened(before, engine, runtime)
    assert victim.session_id not in r.text and victim.final_hash not in r.text


@pytest.mark.parametrize("target", TRAVERSALS)
def test_rest_paths_never_reach_the_file_system(
    api: httpx.Client, runtime: Runtime, engine: Engine, victim: Victim, attacker: dict[str, Any], target: str
) -> None:
    secret = runtime.settings.data_dir / "secret_key"
    key_text, key_path = secret.read_text(), str(secret.resolve())
    h = victim.final_hash
    target = target.format(h=h, hh=h[:2], task=victim.task_id, key=key_path, key_encoded=quote(key_path, safe=""))
    before = _state(engine, runtime)
    for headers in (victim.headers, attacker["headers"]):  # neither the owner nor anyone else
        r = raw_request(api, "GET", target, headers)
        assert_refused(r, 404, {"not_found", "image_not_found", "task_not_found"})
        assert key_text not in r.text and b"\x89PNG" not in r.content
    _assert_nothing_happened(before, engine, runtime)


# --- REST: uploads ---------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "code"), [c[1:] for c in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS])
def test_rest_refuses_bad_uploads(api: httpx.Client, runtime: Runtime, engine: Engine, data: bytes, code: str) -> None:
    h = signup_login(api, "upload01")["headers"]
    before = _state(engine, runtime)
    r = api.post("/ads", data={"input_text": "향초 할인", "aspect_ratio": "1:1"}, files=_photo(data), headers=h)
    assert_refused(r, 422, code)
    _assert_nothing_happened(before, engine, runtime)


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        ([("image", png_bytes(), "a.png"), ("image", png_bytes(), "b.png")], "malformed_form"),
        ([("input_text", png_bytes(), "a.png")], "unknown_field"),
        ([("photo", png_bytes(), "a.png")], "unknown_field"),
        ([("field", b"x", None)] * 30, "malformed_form"),
    ],
    ids=["two-files", "file-as-input_text", "unknown-file-field", "30-fields"],
)
def test_rest_refuses_malformed_forms(
    api: httpx.Client, runtime: Runtime, engine: Engine, parts: list[tuple[str, bytes, str | None]], code: str
) -> None:
    h = signup_login(api, "form01")["headers"]
    before = _state(engine, runtime)
    body, ctype = multipart([("input_text", "향초 할인".encode(), None), ("aspect_ratio", b"1:1", None), *parts])
    r = api.post("/ads", content=body, headers=h | ctype)
    assert_refused(r, 422, code)
    _assert_nothing_happened(before, engine, runtime)


@pytest.mark.parametrize("filename", UPLOAD_FILENAMES)
def test_upload_file_name_is_never_used(api: httpx.Client, runtime: Runtime, engine: Engine, filename: str) -> None:
    """Whatever the client calls its file, it is stored as images/<hh>/<sha256>.png and nowhere else."""
    user = signup_login(api, "upload02")
    photo = png_bytes((120, 90), (10, 200, 90))
    body, ctype = multipart([("input_text", "수제 향초".encode(), None), ("aspect_ratio", b"3:4", None), ("image", photo, filename)])
    r = api.post("/ads", content=body, headers=user["headers"] | ctype)
    assert r.status_code == 202, r.text
    assert wait_task(api, r.json()["task_id"], user["headers"])["status"] == "completed"
    images = runtime.settings.images_dir
    assert misnamed_files(images) == [] and orphan_files(engine, images) == set()
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT file_hash, file_directory FROM image_matching WHERE file_type = 'input'")).one()
    assert Path(stored.file_directory) == images / stored.file_hash[:2]
    # The stored input is the decoded photo re-encoded as PNG, named by its own hash.
    assert (images / stored.file_hash[:2] / f"{stored.file_hash}.png").is_file()
    root = runtime.settings.data_dir
    as_path = filename.split("\x00")[0]
    for base in (images, root, Path.cwd()):
        for candidate in (base / as_path, base / Path(as_path).name, base / as_path.replace("\\", "/")):
            assert not _exists(candidate), candidate
    expected_tops = ("images", "tasks", "logs", "secret_key")
    unexpected = [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] not in expected_tops]
    assert unexpected == []


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system cannot have been written either
        return False


# --- services ----------------------------------------------------------------------------------


@pytest.fixture
def ctx(settings: Settings, engine: Engine) -> AdGenContext:
    return AdGenContext.from_settings(settings.model_copy(update={"copywriter_backend": "local", "image_backend": "template"}), engine)


@pytest.fixture
def owner(settings: Settings, engine: Engine) -> int:
    return auth.register_user("owner02", "Cafe-Latte-2026!", engine=engine, settings=settings)


def _service(ctx: AdGenContext, user_id: int | None, input_text: Any = "카페 홍보", ratio: Any = "1:1", **kw: Any) -> dict[str, Any]:
    tasks: dict[str, dict[str, Any]] = {}
    task_id = uuid.uuid4().hex  # one per task, as the runtime and the UI make them: a task is stored once
    create_advertisement(task_id, user_id, input_text, ratio, tasks, ctx=ctx, **kw)
    return tasks[task_id]


def _service_refuses(ctx: AdGenContext, engine: Engine, user_id: int | None, exc_type: type[AdGenError], code: str, **kw: Any) -> None:
    before = snapshot(engine, ctx.settings.data_dir)
    tasks: dict[str, dict[str, Any]] = {}
    args = {"input_text": "카페 홍보", "ratio": "1:1"} | kw
    with pytest.raises(exc_type) as err:
        create_advertisement("t-hostile", user_id, args.pop("input_text"), args.pop("ratio"), tasks, ctx=ctx, **args)
    assert err.value.code == code
    assert HANGUL.search(err.value.message) and len(err.value.message) <= MAX_MESSAGE_CHARS, err.value.message[:400]
    assert tasks["t-hostile"]["status"] == "failed" and tasks["t-hostile"]["error_code"] == code
    assert tasks["t-hostile"]["error"] == err.value.message
    assert_unchanged(before, engine, ctx.settings.data_dir)


@pytest.mark.parametrize(("text_", "code"), [(c[1], c[2]) for c in REFUSED_TEXTS], ids=[c[0] for c in REFUSED_TEXTS])
def test_services_refuse_bad_texts(ctx: AdGenContext, engine: Engine, owner: int, text_: str, code: str) -> None:
    _service_refuses(ctx, engine, owner, ValidationError, code, input_text=text_)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        *[({"ratio": v}, "invalid_aspect_ratio") for _, v in BAD_RATIOS],
        *[({"content_type": v}, "invalid_content_type") for _, v in BAD_CONTENT_TYPES],
        ({"input_text": None}, "empty_input"),
        ({"input_text": 123}, "empty_input"),
        ({"input_text": b"bytes"}, "empty_input"),
        ({"style": "s" * 51}, "invalid_style"),
        ({"style": "모던\x00"}, "invalid_style"),
        ({"style": 7}, "invalid_style"),
        ({"tone": "존대말"}, "invalid_tone"),
        ({"tone": "formal"}, "invalid_tone"),
        ({"tone": ""}, "invalid_tone"),
        ({"variants": 0}, "invalid_variants"),
        ({"variants": 5}, "invalid_variants"),
        ({"variants": "2"}, "invalid_variants"),
        ({"variants": 2.0}, "invalid_variants"),
        ({"variants": True}, "invalid_variants"),
        ({"variants": None}, "invalid_variants"),
        ({"session_id": "../../etc/passwd"}, "invalid_session_id"),
        ({"session_id": "short"}, "invalid_session_id"),
        ({"session_id": "a" * 65}, "invalid_session_id"),
        ({"session_id": "' OR '1'='1"}, "invalid_session_id"),
        ({"session_id": "abcdefgh\x00"}, "invalid_session_id"),
        ({"session_id": "세션아이디입니다"}, "invalid_session_id"),
        ({"session_id": "%2e%2e%2f%2e%2e%2fxx"}, "invalid_session_id"),
    ],
    ids=[
        *[f"ratio-{i}" for i, _ in BAD_RATIOS],
        *[f"content_type-{i}" for i, _ in BAD_CONTENT_TYPES],
        "text-none", "text-int", "text-bytes", "style-51", "style-nul", "style-int", "tone-typo", "tone-english", "tone-empty",
        "variants-0", "variants-5", "variants-str", "variants-float", "variants-bool", "variants-none",
        "session-traversal", "session-short", "session-65", "session-sql", "session-nul", "session-hangul", "session-encoded",
    ],
)
def test_services_refuse_bad_arguments(ctx: AdGenContext, engine: Engine, owner: int, kwargs: dict[str, Any], code: str) -> None:
    _service_refuses(ctx, engine, owner, ValidationError, code, **kwargs)


def test_services_refuse_another_users_session_and_guest_continuation(
    ctx: AdGenContext, engine: Engine, owner: int, settings: Settings
) -> None:
    first = _service(ctx, owner)
    session_id = first["result"]["session_id"]
    intruder = auth.register_user("intruder2", "Cafe-Latte-2026!", engine=engine, settings=settings)
    _service_refuses(ctx, engine, intruder, NotFoundError, "session_not_found", session_id=session_id)
    _service_refuses(ctx, engine, None, ValidationError, "login_required", session_id=session_id)


@pytest.mark.parametrize(("case", "text_"), ACCEPTED_TEXTS, ids=[c[0] for c in ACCEPTED_TEXTS])
def test_services_store_hostile_text_verbatim(ctx: AdGenContext, engine: Engine, settings: Settings, case: str, text_: str) -> None:
    bystander = auth.register_user("bystander2", "Cafe-Latte-2026!", engine=engine, settings=settings)
    assert _service(ctx, bystander, "꽃집 오픈 이벤트", "3:4", content_type="text")["status"] == "completed"
    user = auth.register_user("writer02", "Cafe-Latte-2026!", engine=engine, settings=settings)
    before = snapshot(engine, settings.data_dir)
    task = _service(ctx, user, text_, "4:3", style=text_[:50])
    assert task["status"] == "completed", task
    _assert_stored_verbatim(engine, before, user, text_, settings.data_dir)
