"""Backend choice ("auto" and explicit) and the one-generator-per-process cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adgen.errors import ConfigurationError
from adgen.imaging import clear_image_generator_cache, factory, get_image_generator, resolve_image_backend
from adgen.imaging.factory import cuda_available, sdxl_weights_available
from adgen.imaging.template import TemplateImageGenerator


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_image_generator_cache()
    yield
    clear_image_generator_cache()


def _fake_weights_folder(root: Path) -> Path:
    (root / "unet").mkdir(parents=True)
    (root / "model_index.json").write_text("{}")
    return root


def test_auto_is_template_on_a_machine_without_cuda(imaging_settings: Any) -> None:
    if cuda_available():
        pytest.skip("this machine has CUDA")
    settings = imaging_settings(image_backend="auto")
    assert resolve_image_backend(settings) == "template"
    generator = get_image_generator(settings)
    assert isinstance(generator, TemplateImageGenerator) and generator.name == "template"


def test_auto_needs_both_cuda_and_weights(imaging_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = _fake_weights_folder(tmp_path / "sdxl")
    monkeypatch.setattr(factory, "cuda_available", lambda: True)
    assert resolve_image_backend(imaging_settings(image_backend="auto", sdxl_model=str(weights))) == "sdxl"
    # A GPU server whose SDXL folder is missing does not quietly serve templates: it says so (issue 17).
    with pytest.raises(ConfigurationError, match="SDXL 모델 파일을 찾을 수 없습니다"):
        resolve_image_backend(imaging_settings(image_backend="auto", sdxl_model=str(tmp_path / "missing")))
    monkeypatch.setattr(factory, "cuda_available", lambda: False)
    assert resolve_image_backend(imaging_settings(image_backend="auto", sdxl_model=str(weights))) == "template"


def test_weights_check_never_needs_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert sdxl_weights_available(str(_fake_weights_folder(tmp_path / "local")))
    assert not sdxl_weights_available(str(tmp_path / "empty-dir-that-does-not-exist"))
    assert not sdxl_weights_available("nobody/not-in-the-cache-sdxl")
    assert not sdxl_weights_available("not a valid repo id!!")


def test_auto_falls_back_to_template_when_sdxl_fails_to_load(
    imaging_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _fake_weights_folder(tmp_path / "broken")  # looks like weights, loads as nothing
    monkeypatch.setattr(factory, "cuda_available", lambda: True)
    generator = get_image_generator(imaging_settings(image_backend="auto", sdxl_model=str(broken)))
    assert generator.name == "template"


def test_explicit_sdxl_that_fails_to_load_raises(imaging_settings: Any, tmp_path: Path) -> None:
    from adgen.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        get_image_generator(imaging_settings(image_backend="sdxl", sdxl_model=str(tmp_path / "missing")))


def test_generators_are_loaded_once(imaging_settings: Any) -> None:
    settings = imaging_settings(image_backend="tiny")
    tiny = get_image_generator(settings)
    assert tiny.name == "tiny"
    assert get_image_generator(imaging_settings(image_backend="tiny")) is tiny
    assert get_image_generator(imaging_settings(image_backend="template")) is get_image_generator(
        imaging_settings(image_backend="template")
    )
    # A different model configuration is a different generator.
    assert get_image_generator(imaging_settings(image_backend="tiny", tiny_sdxl_size=96)) is not tiny
