"""Loading the image model after the server is up: download (with progress), load, warm, in one background thread.

SDXL takes ~7 GB of downloads on a fresh server or Space and tens of seconds to load; a server that loads before
it binds its port looks dead to its host (Spaces restarts it) and to its users. ``BackgroundLoadedGenerator``
stands in for the real generator from the start: the server binds at once, ``/healthz`` answers, and a request
that arrives before the model is ready waits for it, its progress saying "모델을 내려받는 중 (42%)" or "모델을
준비하는 중". A load that fails is kept and raised to every request (and logged once), never retried in a loop.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from adgen.errors import AdGenError, ConfigurationError
from adgen.imaging.base import GeneratedImage, ImageGenerator, ProgressCallback

log = logging.getLogger(__name__)

WATCH_INTERVAL_S: Final = 1.0
# Files diffusers' from_pretrained reads for an SDXL pipeline (configs, tokenizers, weights of one precision).
_CONFIG_PATTERNS: Final = ("*.json", "*.txt", "tokenizer*/*")


@dataclass
class LoadState:
    phase: str  # "downloading" | "loading" | "ready" | "failed"
    fraction: float | None = None  # download progress, when known
    error: AdGenError | None = None

    def message(self) -> str:
        if self.phase == "downloading":
            percent = f" ({self.fraction * 100:.0f}%)" if self.fraction is not None else ""
            return f"모델을 내려받는 중{percent}"
        return "모델을 준비하는 중"


class BackgroundLoadedGenerator:
    """An ``ImageGenerator`` whose real generator is built by ``build`` in a background thread (after ``download``)."""

    def __init__(
        self,
        name: str,
        build: Callable[[], ImageGenerator],
        *,
        download: Callable[[Callable[[float], None]], None] | None = None,
        warm: bool = False,
    ) -> None:
        self.name = name
        self._build = build
        self._download = download
        self._warm = warm
        self._state = LoadState("downloading" if download is not None else "loading")
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._generator: ImageGenerator | None = None
        self._thread = threading.Thread(target=self._load, name=f"adgen-load-{name}", daemon=True)
        self._thread.start()

    @property
    def state(self) -> LoadState:
        with self._lock:
            return LoadState(self._state.phase, self._state.fraction, self._state.error)

    def wait(self, timeout: float | None = None, progress: ProgressCallback | None = None) -> ImageGenerator:
        """The real generator once loaded (re-raising a load failure), reporting the load's progress meanwhile."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready.wait(WATCH_INTERVAL_S):
            if progress is not None:
                progress(0.0, self.state.message())
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} is still loading")
        state = self.state
        if state.error is not None:
            raise state.error
        assert self._generator is not None
        return self._generator

    def generate(self, *args: Any, progress: ProgressCallback | None = None, **kwargs: Any) -> list[GeneratedImage]:
        if not self._ready.is_set() and progress is not None:
            progress(0.0, self.state.message())
        return self.wait(progress=progress).generate(*args, progress=progress, **kwargs)

    def warmup(self) -> Any:
        generator = self.wait()
        warmup = getattr(generator, "warmup", None)
        return warmup() if warmup is not None else None

    def __getattr__(self, name: str) -> Any:
        # Anything else (close, settings, model...) is the real generator's, once it is there.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.wait(), name)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._state, key, value)

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            if self._download is not None:
                self._download(lambda fraction: self._set(fraction=fraction))
                log.info("%s weights downloaded in %.0f s", self.name, time.perf_counter() - started)
            self._set(phase="loading", fraction=None)
            generator = self._build()
            with self._lock:
                self._generator = generator
                self._state = LoadState("ready")
            log.info("%s ready %.1f s after start-up", self.name, time.perf_counter() - started)
        except AdGenError as exc:
            log.error("%s could not be loaded [%s]: %s %s", self.name, exc.code, exc.message, exc.context or "")
            self._set(phase="failed", error=exc)
        except Exception as exc:  # never let the loader die silently
            log.exception("%s could not be loaded", self.name)
            failure = ConfigurationError("이미지 모델을 불러오지 못했습니다. 관리자에게 문의해 주세요.", reason=str(exc))
            self._set(phase="failed", error=failure)
        finally:
            self._ready.set()


def hub_download(repo_id: str, *, variant: str | None, report: Callable[[float], None]) -> None:
    """Download what ``from_pretrained`` of an SDXL pipeline reads from ``repo_id`` into the HF cache, reporting the
    fraction of bytes on disk about once a second (the cache's blobs, partial files included)."""
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.constants import HF_HUB_CACHE

    info = HfApi().model_info(repo_id, files_metadata=True)
    names = {s.rfilename: s.size or 0 for s in info.siblings or []}
    patterns = weight_patterns(list(names), variant)
    total = sum(size for name, size in names.items() if any(fnmatch.fnmatch(name, p) for p in patterns))
    blobs = Path(HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "blobs"
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(WATCH_INTERVAL_S):
            done = sum(f.stat().st_size for f in blobs.glob("*") if f.is_file()) if blobs.is_dir() else 0
            report(min(0.99, done / total) if total else 0.0)

    watcher = threading.Thread(target=watch, name="adgen-download-progress", daemon=True)
    watcher.start()
    try:
        snapshot_download(repo_id, allow_patterns=patterns)
    finally:
        stop.set()
        watcher.join()
    report(1.0)


def weight_patterns(files: list[str], variant: str | None) -> list[str]:
    """Allow-patterns for one precision: the ``variant`` weight files when the repo has them, else the plain ones."""
    has_variant = variant is not None and any(f.endswith(f".{variant}.safetensors") for f in files)
    weights = [f"*.{variant}.safetensors"] if has_variant else ["*.safetensors"]
    chosen = [f for f in files if any(fnmatch.fnmatch(f, p) for p in weights)]
    if not has_variant:  # full precision: not the half-precision copies a repo may also hold
        chosen = [f for f in chosen if ".fp16." not in f]
    return [*_CONFIG_PATTERNS, *chosen]
