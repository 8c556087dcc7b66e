"""Choosing and keeping the image backend: one generator per process, loaded once and kept resident."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from adgen.errors import AdGenError
from adgen.imaging.base import ImageGenerator
from adgen.settings import Settings

log = logging.getLogger(__name__)

_generators: dict[tuple[Any, ...], ImageGenerator] = {}
# Held while a backend loads: two first requests must not load SDXL twice (7 GB of GPU memory each).
_load_lock = threading.Lock()


def cuda_available() -> bool:
    import torch  # deferred: the template backend never needs torch

    return bool(torch.cuda.is_available())


def sdxl_weights_available(model: str) -> bool:
    """Whether ``model`` loads without the network: a local diffusers folder, or a hub id in the HF cache.

    Only looks at the disk (``try_to_load_from_cache`` never downloads), so "auto" is decided
    the same with or without HF_HUB_OFFLINE.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return (path / "model_index.json").is_file() and (path / "unet").is_dir()
    from huggingface_hub import try_to_load_from_cache

    try:
        index = try_to_load_from_cache(model, "model_index.json")
        unet = [try_to_load_from_cache(model, f"unet/diffusion_pytorch_model{v}.safetensors") for v in (".fp16", "")]
    except Exception:  # an invalid repo id (HFValidationError) simply is not available
        return False
    return isinstance(index, str) and any(isinstance(u, str) for u in unet)


def resolve_image_backend(settings: Settings) -> str:
    """The backend ``settings.image_backend`` means here: "auto" is sdxl with CUDA and local weights, else template."""
    if settings.image_backend != "auto":
        return settings.image_backend
    if cuda_available() and sdxl_weights_available(settings.sdxl_model):
        return "sdxl"
    return "template"


def _cache_key(settings: Settings, backend: str) -> tuple[Any, ...]:
    if backend == "template":
        return ("template",)
    fields = settings.model_dump(include={name for name in type(settings).model_fields if name.startswith(("sdxl_", "tiny_"))})
    return (backend, *sorted((k, str(v)) for k, v in fields.items()))


def _build(settings: Settings, backend: str) -> ImageGenerator:
    if backend == "template":
        from adgen.imaging.template import TemplateImageGenerator

        return TemplateImageGenerator()
    if backend == "tiny":
        from adgen.imaging.tiny import build_tiny_generator

        return build_tiny_generator(settings)
    from adgen.imaging.sdxl import SdxlImageGenerator

    return SdxlImageGenerator.from_settings(settings)


def get_image_generator(settings: Settings) -> ImageGenerator:
    """The process's image generator for ``settings`` (built on the first call, then the same object).

    With "auto", a failure to load SDXL is logged and the template renderer serves instead, so the
    app still starts; an explicitly configured backend that fails to load raises.
    """
    backend = resolve_image_backend(settings)
    key = _cache_key(settings, backend)
    with _load_lock:
        generator = _generators.get(key)
        if generator is not None:
            return generator
        try:
            generator = _build(settings, backend)
        except AdGenError:
            if settings.image_backend != "auto":
                raise
            log.exception("image backend %s failed to load; using the template renderer", backend)
            generator = _build(settings, "template")
        log.info("image backend: %s (setting %s)", generator.name, settings.image_backend)
        _generators[key] = generator
        return generator


def clear_image_generator_cache() -> None:
    """Forget the loaded generators (tests; a settings reload). GPU memory is freed once nothing else holds them."""
    with _load_lock:
        _generators.clear()
