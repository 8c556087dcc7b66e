"""Serving with uvicorn: a deadline for request headers, and access logs without Gradio session hashes.

uvicorn has no header timeout: a client that opens connections and sends a header byte every few seconds
(slowloris) holds each connection forever, and its keep-alive timer is reset by every byte. ``HeaderTimeoutH11``
gives each request ``REQUEST_HEADER_TIMEOUT_S`` from the moment the connection (or the previous response) is
ready for it until its headers are complete; past that the connection is closed. Bodies have their own
timeout in ``HttpGuard``.

A Gradio session hash is the key to that browser's queue stream (``/gradio_api/queue/data?session_hash=``,
``/gradio_api/heartbeat/<hash>``): uvicorn's access log would write it on every request, so the access logger
gets a filter that masks it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Final

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

SESSION_HASH_RE: Final = re.compile(r"(session_hash=)[^&\s\"]+|(/heartbeat/)[^/?\s\"]+")


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers (class attribute ``header_timeout_s``)."""

    header_timeout_s: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm_header_deadline()  # the request's headers are in; the body has its own timeout

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._header_timed_out)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_timed_out(self) -> None:
        self._header_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return
        if self.conn.our_state in (h11.IDLE,) and not self.transport.is_closing():
            self.logger.info("closing a connection that sent no complete request headers within %.0f s", self.header_timeout_s)
        self.transport.close()


def protocol_with_header_timeout(seconds: float) -> type[HeaderTimeoutH11]:
    return type("HeaderTimeoutH11", (HeaderTimeoutH11,), {"header_timeout_s": seconds})


class MaskSessionHashes(logging.Filter):
    """Masks Gradio session hashes in a record's arguments (uvicorn's access log passes the path as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_session_hashes(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = mask_session_hashes(record.msg)
        return True


def mask_session_hashes(text: str) -> str:
    return SESSION_HASH_RE.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


def install_log_filters() -> None:
    """The session-hash mask on uvicorn's access logger (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskSessionHashes) for f in access.filters):
        access.addFilter(MaskSessionHashes())


def uvicorn_options(header_timeout_s: float) -> dict[str, Any]:
    """What ``uvicorn.run``/``uvicorn.Config`` need besides app, host and port."""
    install_log_filters()
    return {
        "http": protocol_with_header_timeout(header_timeout_s),
        # Trusted proxies are applied by the app itself (TRUSTED_PROXIES, adgen.web.guard.guard_app), not by
        # uvicorn's FORWARDED_ALLOW_IPS default (which trusts 127.0.0.1).
        "proxy_headers": False,
    }
