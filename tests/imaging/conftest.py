"""Fixtures of the imaging tests: offline settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

from adgen.settings import Settings


@pytest.fixture
def imaging_settings(tmp_path) -> Callable[..., Settings]:  # type: ignore[no-untyped-def]
    """Settings that read nothing from the environment; few steps so the tiny model stays fast."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": tmp_path, "log_dir": tmp_path / "logs", "sdxl_steps": 3, "tiny_sdxl_size": 64,
                                  # inductor on a 2-core CPU takes minutes; tests that compile ask for it
                                  "sdxl_compile": False} | overrides
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Toy-sized tensors gain nothing from threads, and on a shared 2-core machine extra threads only thrash.

    Modules of the tiny SDXL use it with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
