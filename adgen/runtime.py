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
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from adgen.errors import AdGenError, QueueFullError
from adgen.logging_setup import configure_logging
from adgen.services import AdGenContext, create_advertisement, init_task
from adgen.settings import Settings

log = logging.getLogger(__name__)


class TaskStore(MutableMapping[str, dict[str, Any]]):
    """``task_storage`` for polling clients: in memory, finished tasks mirrored to disk.

    A finished task is written to ``DATA_DIR/tasks/<id>.json`` so it is still found after it left
    memory (memory keeps the most recent ``max_in_memory`` tasks) or after a restart.
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
            self._mem[task_id] = value
            if len(self._mem) > self._max:
                # Drop the oldest finished task from memory; it is on disk.
                for key, entry in self._mem.items():
                    if entry.get("status") in ("completed", "failed"):
                        del self._mem[key]
                        break
        if value.get("status") in ("completed", "failed"):
            path = self._path(task_id)
            if path is not None:
                fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(value, fh, ensure_ascii=False, default=str)
                os.replace(tmp, path)

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
    on_done: Callable[[Any], None] | None = None


@dataclass
class Runtime:
    settings: Settings
    ctx: AdGenContext
    tasks: TaskStore
    _queue: queue.Queue[GenerationJob] = field(init=False)
    _workers: list[threading.Thread] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
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
        """Queue a generation for the REST API; returns the task id at once (FIFO order)."""
        task_id = uuid.uuid4().hex
        init_task(self.tasks, task_id, user_id)
        job = GenerationJob(task_id, user_id, input_text, aspect_ratio, {"image": image, **kwargs})
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            del self.tasks[task_id]
            raise QueueFullError() from None
        return task_id

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                create_advertisement(
                    job.task_id, job.user_id, job.input_text, job.aspect_ratio, self.tasks, ctx=self.ctx, **job.kwargs
                )
            except AdGenError:
                pass  # recorded in the task by the service
            except Exception:  # never let a worker die
                log.exception("worker: unexpected failure in task %s", job.task_id)
            finally:
                self._queue.task_done()

    def wait_idle(self) -> None:
        self._queue.join()

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        from db.engine import init_db

        configure_logging(settings.log_dir, settings.log_level)
        engine = init_db(settings)
        ctx = AdGenContext.from_settings(settings, engine)
        return cls(settings=settings, ctx=ctx, tasks=TaskStore(settings.data_dir / "tasks"))
