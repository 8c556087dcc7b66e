"""adgen.zerogpu: ``gpu(fn)`` is ``spaces.GPU(fn)`` on a ZeroGPU Space and ``fn`` everywhere else; the settings turn
SDXL_COMPILE off there.

``spaces`` is not installed here (it is preinstalled only on Spaces): the ZeroGPU cases put a stand-in module under that
name in ``sys.modules``, with the environment variable Spaces sets.
"""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from adgen import zerogpu
from adgen.settings import Settings


class FakeSpaces(types.ModuleType):
    """Stands in for the ``spaces`` package: ``GPU(fn)`` returns a wrapper that records each call."""

    def __init__(self) -> None:
        super().__init__("spaces")
        self.wrapped: list[Callable[..., Any]] = []
        self.options: list[dict[str, Any]] = []
        self.calls = 0

    def GPU(self, fn: Callable[..., Any], **options: Any) -> Callable[..., Any]:  # the package spells it so
        self.wrapped.append(fn)
        self.options.append(options)

        def on_gpu(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return fn(*args, **kwargs)

        return on_gpu


def render(prompt: str, *, steps: int = 30) -> str:
    return f"{prompt}/{steps}"


@pytest.fixture
def fake_spaces(monkeypatch: pytest.MonkeyPatch) -> FakeSpaces:
    fake = FakeSpaces()
    monkeypatch.setitem(sys.modules, "spaces", fake)
    return fake


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(zerogpu.ENV_VAR, raising=False)
    monkeypatch.delenv("SDXL_COMPILE", raising=False)


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_off_spaces_gpu_returns_the_function_itself_and_imports_nothing() -> None:
    assert "spaces" not in sys.modules
    with pytest.raises(ImportError):  # the normal case: the package is not installed
        __import__("spaces")
    assert zerogpu.gpu(render) is render
    assert zerogpu.on_zero_gpu() is False
    assert settings().sdxl_compile is True


def test_a_space_with_the_package_but_no_zero_gpu_keeps_plain_functions(fake_spaces: FakeSpaces) -> None:
    """A dedicated-GPU Space has `spaces` installed too: without SPACES_ZERO_GPU nothing is wrapped or compiled off."""
    assert zerogpu.gpu(render) is render
    assert fake_spaces.wrapped == [] and zerogpu.on_zero_gpu() is False
    assert settings().sdxl_compile is True


@pytest.mark.parametrize("value", ["true", "True", "1", "t"])
def test_on_zero_gpu_the_function_runs_through_spaces_gpu(value: str, fake_spaces: FakeSpaces, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(zerogpu.ENV_VAR, value)
    assert zerogpu.on_zero_gpu() is True
    wrapped = zerogpu.gpu(render)
    assert wrapped is not render and fake_spaces.wrapped == [render]
    assert wrapped("카페", steps=4) == "카페/4" and fake_spaces.calls == 1
    assert fake_spaces.options == [{}]  # ZeroGPU's own default duration


def test_a_duration_is_passed_on_only_on_zero_gpu(fake_spaces: FakeSpaces, monkeypatch: pytest.MonkeyPatch) -> None:
    assert zerogpu.gpu(render, duration=120) is render
    monkeypatch.setenv(zerogpu.ENV_VAR, "true")
    zerogpu.gpu(render, duration=120)
    assert fake_spaces.options == [{"duration": 120}]


@pytest.mark.parametrize("value", ["false", "0", "", "no"])
def test_zero_gpu_off_values(value: str, fake_spaces: FakeSpaces, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(zerogpu.ENV_VAR, value)
    assert zerogpu.on_zero_gpu() is False and zerogpu.gpu(render) is render


def test_zero_gpu_set_without_the_package_keeps_plain_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(zerogpu.ENV_VAR, "true")
    assert zerogpu.on_zero_gpu() is False and zerogpu.gpu(render) is render
    assert settings().sdxl_compile is True


def test_settings_turn_compile_off_on_zero_gpu_and_say_why(
    fake_spaces: FakeSpaces, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(zerogpu.ENV_VAR, "true")
    monkeypatch.setenv("SDXL_COMPILE", "true")  # even when asked for explicitly
    with caplog.at_level(logging.WARNING, logger="adgen.settings"):
        s = settings()
    assert s.sdxl_compile is False and s.sdxl_warmup is False  # the warm-up would run outside a GPU call
    assert "SDXL_COMPILE and SDXL_WARMUP are off" in caplog.text and zerogpu.ENV_VAR in caplog.text
    assert s.sdxl_cuda_graphs is True  # nothing else changes: compile off already skips the graphs and compiled VAE


def test_settings_keep_compile_off_quietly_when_it_is_off(
    fake_spaces: FakeSpaces, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(zerogpu.ENV_VAR, "true")
    monkeypatch.setenv("SDXL_COMPILE", "false")
    monkeypatch.setenv("SDXL_WARMUP", "false")
    with caplog.at_level(logging.WARNING, logger="adgen.settings"):
        assert settings().sdxl_compile is False
    assert caplog.text == ""


def test_the_sdxl_render_is_one_zero_gpu_call(fake_spaces: FakeSpaces, monkeypatch: pytest.MonkeyPatch,
                                              settings_factory: Callable[..., Settings]) -> None:  # fmt: skip
    """The real generator (tiny random SDXL, real diffusers classes): each request's render goes through spaces.GPU."""
    from adgen.imaging.tiny import build_tiny_generator

    monkeypatch.setenv(zerogpu.ENV_VAR, "true")
    generator = build_tiny_generator(settings_factory(image_backend="tiny"))
    try:
        [image] = generator.generate("a cafe", "1:1", 5, "warm")
    finally:
        generator.close()
    assert image.image.size == (1024, 1024)
    assert fake_spaces.calls == 1 and [fn.__name__ for fn in fake_spaces.wrapped] == ["_render_screened"]
