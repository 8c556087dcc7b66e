"""Hugging Face ZeroGPU: a GPU lent to the Space only while a ``@spaces.GPU`` function runs.

On a ZeroGPU Space the main process has no GPU; each call of a function wrapped by ``spaces.GPU``
is run where a GPU is attached for that call. ``gpu(fn)`` wraps ``fn`` there and returns it
unchanged everywhere else (a laptop, a GPU server, a dedicated-GPU Space).

How a ZeroGPU Space is recognised: the ``SPACES_ZERO_GPU`` environment variable, which Spaces sets on
ZeroGPU hardware, read the way the ``spaces`` package reads it itself (``1``, ``t`` or ``true``, any
case), and the ``spaces`` package importing. The variable is checked first, so nothing imports
``spaces`` off ZeroGPU. ``spaces`` is preinstalled on Spaces and is deliberately not in
requirements.txt: nothing needs it anywhere else.

The ``spaces`` package patches CUDA initialisation when it is imported on ZeroGPU, so it must be
imported before torch touches CUDA: ``adgen.settings`` calls ``on_zero_gpu()`` while the settings are
loaded, before any model code runs.

ZeroGPU also refuses ``torch.compile`` in the main process: ``Settings`` turns ``SDXL_COMPILE`` off there.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, TypeVar

ENV_VAR = "SPACES_ZERO_GPU"

F = TypeVar("F", bound=Callable[..., Any])


def zero_gpu_requested() -> bool:
    """Whether the environment says this is a ZeroGPU Space (``SPACES_ZERO_GPU``)."""
    return os.environ.get(ENV_VAR, "").strip().lower() in ("1", "t", "true")


def _spaces() -> Any | None:
    """The ``spaces`` module on a ZeroGPU Space, else None (never imported elsewhere)."""
    if not zero_gpu_requested():
        return None
    try:
        return importlib.import_module("spaces")
    except ImportError:  # SPACES_ZERO_GPU set by hand on a machine without the package: plain functions
        return None


def on_zero_gpu() -> bool:
    """True on a ZeroGPU Space: ``SPACES_ZERO_GPU`` is true and the ``spaces`` package imports."""
    return _spaces() is not None


def gpu(fn: F, *, duration: int | Callable[..., int] | None = None) -> F:
    """``spaces.GPU(fn)`` on ZeroGPU (a GPU is attached for each call), ``fn`` itself everywhere else.

    Args:
        fn: the function that runs on the GPU. Wrap it once (at start-up), not per call.
        duration: seconds one call may hold the GPU (ZeroGPU's default: 60), or a function of ``fn``'s arguments
            that returns them; shorter durations queue sooner. Ignored off ZeroGPU.
    """
    spaces = _spaces()
    if spaces is None:
        return fn
    if duration is None:
        return spaces.GPU(fn)  # type: ignore[no-any-return]
    return spaces.GPU(fn, duration=duration)  # type: ignore[no-any-return]
