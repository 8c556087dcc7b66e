"""A fake OpenAI-compatible HTTP server on loopback, for driving the real ``openai`` client.

Nothing in the client is mocked: it speaks HTTP to a ``ThreadingHTTPServer`` on 127.0.0.1 (a
free port), which answers ``POST /v1/chat/completions`` from a queue of scripted responses and
records every request it receives.

    from tests.fakes.fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:
        fake.reply_json({"headline": "...", "body": "...", "cta": "...", "hashtags": ["#카페"]})
        fake.error(429)                       # status + an OpenAI-style error body
        fake.reply("not json", delay=3.0)     # answers after 3 s (for client timeouts)
        fake.enqueue(200, b"raw bytes")       # anything at all
        client = OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)
        ...
        fake.requests[0].messages             # what the client sent
        fake.requests[0].headers["authorization"]

Scripted responses are used in order, one per request. When the queue is empty the server
answers with ``fake.default`` if set (``fake.default = completion_response("...")``), otherwise
with a 500 whose message says that nothing was scripted, so a test that sends more requests
than it expected fails loudly instead of hanging. A pytest fixture is a few lines:

    @pytest.fixture
    def fake_openai():
        with FakeOpenAI() as server:
            yield server
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
# A key for clients of the fake; distinctive, so a leak into a log is found by substring search.
FAKE_API_KEY = "sk-fake-DO-NOT-LOG-4f9a1c2e"


@dataclass(frozen=True)
class ScriptedResponse:
    """One answer: ``body`` as JSON (dict/list), text (str) or raw bytes, after ``delay`` seconds."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or the raw text when it was not JSON
    received_at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    def text(self) -> str:
        """Every message content joined, for "does the prompt mention X" assertions."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


def completion_response(content: str | None, *, model: str = "fake-model", finish_reason: str = "stop") -> dict[str, Any]:
    """A minimal, valid ``chat.completion`` body whose first choice says ``content``."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason, "logprobs": None}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "invalid_api_key", 429: "rate_limit_exceeded"}
    return {
        "error": {
            "message": message or f"fake error {status}",
            "type": kinds.get(status, "server_error"),
            "param": None,
            "code": kinds.get(status),
        }
    }


class FakeOpenAI:
    """A scripted OpenAI-compatible endpoint on 127.0.0.1; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._queue: deque[ScriptedResponse] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.default: ScriptedResponse | dict[str, Any] | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

        self._server = ThreadingHTTPServer((self._host, 0), Handler)
        # Handler threads may be sleeping in a scripted delay; they must not keep pytest alive.
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` to ``OpenAI(...)`` (or as ``OPENAI_BASE_URL``)."""
        return f"http://{self._host}:{self.port}/v1"

    # --- scripting ------------------------------------------------------------------------

    def enqueue(self, status: int = 200, body: Any = None, *, delay: float = 0.0, headers: Mapping[str, str] | None = None) -> None:
        with self._lock:
            self._queue.append(ScriptedResponse(status=status, body=body, delay=delay, headers=dict(headers or {})))

    def reply(self, content: str | None, *, delay: float = 0.0) -> None:
        """A 200 chat completion whose message content is ``content`` (any text, JSON or not)."""
        self.enqueue(200, completion_response(content), delay=delay)

    def reply_json(self, obj: Any, *, delay: float = 0.0) -> None:
        """A 200 chat completion whose message content is ``obj`` encoded as JSON."""
        self.reply(json.dumps(obj, ensure_ascii=False), delay=delay)

    def error(self, status: int, message: str | None = None, *, delay: float = 0.0, headers: Mapping[str, str] | None = None) -> None:
        self.enqueue(status, error_body(status, message), delay=delay, headers=headers)

    @property
    def pending(self) -> int:
        """Scripted responses not yet used."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()

    # --- serving --------------------------------------------------------------------------

    def _next(self) -> ScriptedResponse:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        default = self.default
        if isinstance(default, ScriptedResponse):
            return default
        if isinstance(default, dict):
            return ScriptedResponse(200, default)
        return ScriptedResponse(500, error_body(500, "FakeOpenAI: no scripted response left for this request"))

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    method=handler.command,
                    path=path,
                    headers={k.lower(): v for k, v in handler.headers.items()},
                    body=body,
                    received_at=time.monotonic(),
                )
            )
        if handler.command != "POST" or path not in CHAT_PATHS:
            scripted = ScriptedResponse(404, error_body(404, f"FakeOpenAI serves POST {CHAT_PATHS[0]} only, not {handler.command} {path}"))
        else:
            scripted = self._next()
        if scripted.delay and self._stopping.wait(scripted.delay):
            return
        payload = scripted.body
        if isinstance(payload, bytes):
            data, ctype = payload, "application/octet-stream"
        elif isinstance(payload, str):
            data, ctype = payload.encode(), "text/plain; charset=utf-8"
        else:
            data, ctype = json.dumps(payload, ensure_ascii=False).encode(), "application/json"
        try:
            handler.send_response(scripted.status)
            handler.send_header("Content-Type", ctype)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in scripted.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer
