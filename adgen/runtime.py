"""The process-wide runtime: settings, logging, database, model backends, the task queue.

Built once by ``app.py`` (or a test) and handed to the UI and the REST API, so both share one
engine, one resident image model and one GPU queue.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from adgen.admission import JobCaps, Ticket
from adgen.errors import AdGenError, QueueFullError, ServerRestartingError
from adgen.logging_setup import configure_logging
from adgen.services import AdGenContext, create_advertisement, fail_task, failure_fields, init_task
from adgen.settings import Settings
from adgen.uploads import PhotoDecoder

log = logging.getLogger(__name__)


SWEEP_INTERVAL_S = 3600.0
UNFINISHED: tuple[str, ...] = ("pending", "processing")
FINISHED: tuple[str, ...] = ("completed", "failed")


class TaskStore(MutableMapping[str, dict[str, Any]]):
    """``task_storage`` for polling clients: in memory, mirrored to disk at every change of status.

    Each task is written to ``DATA_DIR/tasks/<id>.json`` when its status changes (pending, processing,
    completed or failed; progress updates stay in memory), so a finished task is still found after it
    left memory (memory keeps the most recent ``max_in_memory`` tasks) or after a restart, and a task
    the process died in is found too: ``fail_unfinished`` (at start-up) turns it into a failed one.
    """

    def __init__(self, directory: Path, max_in_memory: int = 1000) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._mem: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._max = max_in_memory

    def _path(self, task_id: str) -> Path | None:
        # Task ids are uuid4 hex; anything else can never name a file.
        try:
            return self._dir / f"{uuid.UUID(hex=task_id).hex}.json"
        except (ValueError, AttributeError, TypeError):
            return None

    def __getitem__(self, task_id: str) -> dict[str, Any]:
        with self._lock:
            if task_id in self._mem:
                return self._mem[task_id]
        path = self._path(task_id)
        if path is not None and path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        raise KeyError(task_id)

    def __setitem__(self, task_id: str, value: dict[str, Any]) -> None:
        with self._lock:
            before = self._mem.get(task_id)
            self._mem[task_id] = value
            if len(self._mem) > self._max:
                # Drop the oldest finished task from memory; it is on disk.
                for key, entry in self._mem.items():
                    if entry.get("status") in FINISHED:
                        del self._mem[key]
                        break
            if before is None or before.get("status") != value.get("status"):
                self._write(task_id, value)

    def _write(self, task_id: str, value: dict[str, Any]) -> None:
        path = self._path(task_id)
        if path is None:
            return
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, ensure_ascii=False, default=str)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def sweep(self, max_age_s: float) -> int:
        """Delete the files of finished tasks not written for ``max_age_s`` seconds, and stray temp files.

        Unfinished tasks are never deleted. Returns how many task files went.
        """
        cutoff = time.time() - max_age_s
        removed = 0
        for path in self._dir.iterdir():
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
                if path.name.startswith(".tmp-"):  # a write cut off by a crash
                    path.unlink(missing_ok=True)
                    continue
                if path.suffix != ".json":
                    continue
                if json.loads(path.read_text(encoding="utf-8")).get("status") not in FINISHED:
                    continue
            except (OSError, ValueError):
                continue
            with self._lock:
                self._mem.pop(path.stem, None)
            path.unlink(missing_ok=True)
            removed += 1
        return removed

    def fail_unfinished(self, error: AdGenError) -> int:
        """Mark every task on disk that never finished (the process stopped under it) as failed with ``error``.

        For start-up, before any task of this process exists. Returns how many there were.
        """
        failed = 0
        for path in sorted(self._dir.glob("*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.warning("task file %s is unreadable; left as it is", path.name)
                continue
            if entry.get("status") in UNFINISHED:
                self._write(path.stem, {**entry, **failure_fields(error)})
                failed += 1
        return failed

    def __delitem__(self, task_id: str) -> None:
        with self._lock:
            self._mem.pop(task_id, None)
        path = self._path(task_id)
        if path is not None:
            path.unlink(missing_ok=True)

    def __contains__(self, task_id: object) -> bool:
        if not isinstance(task_id, str):
            return False
        try:
            self[task_id]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._mem))

    def __len__(self) -> int:
        with self._lock:
            return len(self._mem)


@dataclass
class GenerationJob:
    task_id: str
    user_id: int | None
    input_text: str
    aspect_ratio: str
    kwargs: dict[str, Any]
    ticket: Ticket | None = None  # the submitter's slot under the job caps, given back when the job has ended


@dataclass
class Runtime:
    settings: Settings
    ctx: AdGenContext
    tasks: TaskStore
    _queue: queue.Queue[GenerationJob] = field(init=False)
    _workers: list[threading.Thread] = field(default_factory=list, init=False)
    # Submitted REST tasks whose job has not returned yet (queued or running), and whether new ones are refused.
    _unfinished: set[str] = field(default_factory=set, init=False)
    # Generations run outside the queue (the UI's, on Gradio's own queue) that have not returned yet.
    _direct: set[str] = field(default_factory=set, init=False)
    _state: threading.Condition = field(default_factory=threading.Condition, init=False)
    _closing: bool = field(default=False, init=False)
    _next_sweep: float = field(default=0.0, init=False)
    # Per-account and per-guest caps on queued + running generations, shared by the UI and REST.
    caps: JobCaps = field(init=False)
    # Uploaded photos are decoded here (UI and REST), a few at a time, off the event loop.
    decoder: PhotoDecoder = field(init=False)

    def __post_init__(self) -> None:
        self.caps = JobCaps(self.settings)
        self.decoder = PhotoDecoder(
            max_bytes=int(self.settings.max_upload_mb * 1024 * 1024),
            max_pixels=self.settings.max_upload_pixels,
            concurrency=self.settings.decode_concurrency,
        )
        self._queue = queue.Queue(maxsize=self.settings.queue_max_size)
        for i in range(self.settings.gpu_concurrency):
            t = threading.Thread(target=self._work, name=f"adgen-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.ctx.engine

    def submit(
        self,
        user_id: int | None,
        input_text: str,
        aspect_ratio: str,
        *,
        image: Image.Image | None = None,
        **kwargs: Any,
    ) -> str:
        """Queue a generation for the REST API; returns the task id at once (FIFO order).

        Raises ``TooManyJobsError`` when the user already has ``max_jobs_per_user`` generations queued or running.
        """
        task_id = uuid.uuid4().hex
        ticket = self.caps.take(self.caps.limits(user_id=user_id, browser=None, address=None))
        job = GenerationJob(task_id, user_id, input_text, aspect_ratio, {"image": image, **kwargs}, ticket=ticket)
        try:
            with self._state:
                if self._closing:
                    raise ServerRestartingError()
                init_task(self.tasks, task_id, user_id)
                try:
                    self._queue.put_nowait(job)
                except queue.Full:
                    del self.tasks[task_id]
                    raise QueueFullError() from None
                self._unfinished.add(task_id)
        except BaseException:
            self.caps.give_back(ticket)
            raise
        return task_id

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if self._closing:  # taken from the queue as shutdown began: never started
                    fail_task(self.tasks, job.task_id, ServerRestartingError())
                else:
                    create_advertisement(
                        job.task_id, job.user_id, job.input_text, job.aspect_ratio, self.tasks, ctx=self.ctx, **job.kwargs
                    )
            except AdGenError:
                pass  # recorded in the task by the service
            except Exception:  # never let a worker die
                log.exception("worker: unexpected failure in task %s", job.task_id)
            finally:
                self.caps.give_back(job.ticket)
                with self._state:
                    self._unfinished.discard(job.task_id)
                    self._state.notify_all()
                self._queue.task_done()
            self.sweep_tasks()

    def sweep_tasks(self, *, force: bool = False) -> int:
        """Forget finished tasks older than ``TASK_RETENTION_DAYS`` (at most hourly unless ``force``)."""
        now = time.monotonic()
        with self._state:
            if not force and now < self._next_sweep:
                return 0
            self._next_sweep = now + SWEEP_INTERVAL_S
        try:
            removed = self.tasks.sweep(self.settings.task_retention_days * 86_400)
        except OSError:
            log.exception("sweeping %s failed", self.settings.data_dir / "tasks")
            return 0
        if removed:
            log.info("removed %d task files older than %g days", removed, self.settings.task_retention_days)
        return removed

    @contextmanager
    def running(self, task_id: str) -> Iterator[None]:
        """Around a generation that runs outside the REST queue (the UI's): ``shutdown`` waits for it too,
        so its ad is stored before the database stops, and a new one is refused (``ServerRestartingError``)
        once shutdown has begun."""
        with self._state:
            if self._closing:
                raise ServerRestartingError()
            self._direct.add(task_id)
        try:
            yield
        finally:
            with self._state:
                self._direct.discard(task_id)
                self._state.notify_all()

    def wait_idle(self) -> None:
        self._queue.join()

    def shutdown(self, grace_s: float | None = None) -> list[str]:
        """Stop taking generations, give the running ones (REST and UI) ``grace_s`` to finish, fail what is left.

        New submissions get ``ServerRestartingError`` (503 ``server_restarting``) from here on. Jobs still queued
        are failed at once, running ones after the grace period (``settings.shutdown_grace_s`` by default), so a
        client polling across a restart gets a definite answer instead of a task that never ends. A job that
        finishes after its task was failed (the process outlived the grace period) still records its result.
        Returns the ids of the failed tasks.
        """
        grace_s = self.settings.shutdown_grace_s if grace_s is None else grace_s
        error = ServerRestartingError()
        deadline = time.monotonic() + grace_s
        with self._state:
            self._closing = True
            queued = []
            while True:
                try:
                    queued.append(self._queue.get_nowait().task_id)
                except queue.Empty:
                    break
                self._queue.task_done()
            self._unfinished.difference_update(queued)
            for task_id in queued:  # never started: failed now, not after the grace period
                fail_task(self.tasks, task_id, error)
            while (self._unfinished or self._direct) and (left := deadline - time.monotonic()) > 0:
                self._state.wait(left)
            running = set(self._unfinished)  # still running after the grace period
            for task_id in sorted(running):
                fail_task(self.tasks, task_id, error)
            cut = len(self._direct)
        failed = [*queued, *sorted(running)]
        if failed:
            log.warning("shutdown: %d queued and %d running generations failed as %s", len(queued), len(running), error.code)
        if cut:
            log.warning("shutdown: %d UI generations still running after %.0f s; their ads may not be stored", cut, grace_s)
        return failed

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        from db.engine import init_db

        configure_logging(settings.log_dir, settings.log_level)
        engine = init_db(settings)
        # The image model downloads/loads in the background: the server binds its port first.
        ctx = AdGenContext.from_settings(settings, engine, background_image_load=True)
        tasks = TaskStore(settings.data_dir / "tasks")
        interrupted = tasks.fail_unfinished(ServerRestartingError())
        if interrupted:
            log.warning("%d generation tasks were cut off by the last stop; marked failed (server_restarting)", interrupted)
        runtime = cls(settings=settings, ctx=ctx, tasks=tasks)
        runtime.sweep_tasks(force=True)
        return runtime
