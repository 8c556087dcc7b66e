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

The UI's tickets are taken when Gradio queues the event and given back when Gradio has processed it, however
it ended (``adgen.ui._guard_queue``); one whose event was dropped unprocessed (its browser left while waiting)
expires after ``ttl_s``.
"""

from __future__ import annotations

import threading
import time
import uuid
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
    # Queued Gradio events (by event id) and the ticket each holds.
    _events: dict[str, str] = field(default_factory=dict, init=False)

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

    def check(self, limits: list[tuple[str, int]]) -> None:
        """``TooManyJobsError`` when a ticket under ``limits`` would be refused now (nothing is taken)."""
        self.give_back(self.take(limits))

    # --- tickets of queued events (the UI: taken when Gradio queues the event, given back when it has run) ---

    def bind(self, event_id: str, ticket: Ticket) -> None:
        with self._lock:
            self._events[event_id] = ticket.id

    def release_event(self, event_id: str) -> None:
        with self._lock:
            ticket_id = self._events.pop(event_id, None)
            if ticket_id is not None:
                self._tickets.pop(ticket_id, None)

    def held_count(self, key: str) -> int:
        with self._lock:
            self._expire(time.monotonic())
            return self._count(key)

    def _count(self, key: str) -> int:
        return sum(1 for t in self._tickets.values() if key in t.keys)

    def _expire(self, now: float) -> None:
        for ticket_id in [t.id for t in self._tickets.values() if t.expires <= now]:
            del self._tickets[ticket_id]
        for event_id in [e for e, t in self._events.items() if t not in self._tickets]:
            del self._events[event_id]
