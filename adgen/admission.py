"""Who may add a generation to the queue: per-account, per-guest and all-guests caps on queued + running jobs.

One shared queue serves everyone (SDXL takes seconds to minutes per job), so without caps one account
(20 requests x 4 variants) or a handful of guest tabs fill it and everyone else is told "busy". A request
takes a *ticket* before it is queued and gives it back when its generation has ended; a ticket holds one
slot under each of its keys:

- ``user:<id>``: one account, UI and REST together (``max_jobs_per_user``);
- ``guest-browser:<id>``: one guest browser (its signed cookie, ``max_jobs_per_guest``);
- ``guest-address:<ip>``: one guest address, when the address is known (``max_jobs_per_guest``, doubled: a
  shared office address holds several people);
- ``guests``: all guests together (``max_guest_jobs``), so guests never hold the whole queue.

A ticket that is never given back (its browser left while the request was still waiting in Gradio's queue,
so the generation never ran) expires after ``ttl_s``; the queue itself is bounded, so a leak is bounded too.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from adgen.errors import TooManyJobsError
from adgen.settings import Settings

TICKET_TTL_S: Final = 30 * 60  # longer than any generation plus its wait in a full queue


@dataclass(frozen=True)
class Ticket:
    id: str
    keys: tuple[str, ...]
    expires: float


@dataclass
class JobCaps:
    """Caps on jobs queued or running, per key. Thread-safe; in this process (one web replica)."""

    settings: Settings
    ttl_s: float = TICKET_TTL_S
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _tickets: dict[str, Ticket] = field(default_factory=dict, init=False)
    # Per session (a Gradio session hash): tickets taken by a pre-check, in order, for the generation that follows.
    _pending: dict[str, deque[str]] = field(default_factory=dict, init=False)

    def limits(self, *, user_id: int | None, browser: str | None, address: str | None) -> list[tuple[str, int]]:
        """The ``(key, cap)`` pairs one request counts against."""
        s = self.settings
        if user_id is not None:
            return [(f"user:{user_id}", s.max_jobs_per_user)]
        limits = [("guests", s.max_guest_jobs)]
        if browser:
            limits.append((f"guest-browser:{browser}", s.max_jobs_per_guest))
        if address:
            limits.append((f"guest-address:{address}", 2 * s.max_jobs_per_guest))
        return limits

    def take(self, limits: list[tuple[str, int]]) -> Ticket:
        """A ticket under every key, or ``TooManyJobsError`` when any key is at its cap (nothing taken then)."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            for key, cap in limits:
                if self._count(key) >= cap:
                    raise TooManyJobsError(key=key.split(":", 1)[0], cap=cap)
            ticket = Ticket(uuid.uuid4().hex, tuple(key for key, _ in limits), now + self.ttl_s)
            self._tickets[ticket.id] = ticket
            return ticket

    def give_back(self, ticket: Ticket | str | None) -> None:
        if ticket is None:
            return
        with self._lock:
            self._tickets.pop(ticket if isinstance(ticket, str) else ticket.id, None)

    @contextmanager
    def held(self, limits: list[tuple[str, int]]) -> Iterator[Ticket]:
        ticket = self.take(limits)
        try:
            yield ticket
        finally:
            self.give_back(ticket)

    # --- a check now, the generation later (the UI's pre-check, then its queued event) ------------------

    def reserve(self, session: str, limits: list[tuple[str, int]]) -> Ticket:
        """Take a ticket for a generation that ``session`` is about to queue (see ``claim``)."""
        ticket = self.take(limits)
        with self._lock:
            self._pending.setdefault(session, deque()).append(ticket.id)
        return ticket

    def claim(self, session: str) -> str | None:
        """The oldest ticket ``session`` reserved and still holds (its generation now runs), or None."""
        with self._lock:
            pending = self._pending.get(session)
            while pending:
                ticket_id = pending.popleft()
                if ticket_id in self._tickets:
                    if not pending:
                        del self._pending[session]
                    return ticket_id
            self._pending.pop(session, None)
            return None

    def has_pending(self, session: str) -> bool:
        """Whether ``session`` holds a reserved ticket not yet claimed (its generation may be queued)."""
        with self._lock:
            self._expire(time.monotonic())
            return any(t in self._tickets for t in self._pending.get(session, ()))

    def held_count(self, key: str) -> int:
        with self._lock:
            self._expire(time.monotonic())
            return self._count(key)

    def _count(self, key: str) -> int:
        return sum(1 for t in self._tickets.values() if key in t.keys)

    def _expire(self, now: float) -> None:
        for ticket_id in [t.id for t in self._tickets.values() if t.expires <= now]:
            del self._tickets[ticket_id]
        for session in [s for s, q in self._pending.items() if not any(t in self._tickets for t in q)]:
            del self._pending[session]
