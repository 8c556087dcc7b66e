"""Choosing and keeping the image backend: one generator per process, loaded once and kept resident."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adgen.errors import AdGenError, ConfigurationError
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


@dataclass(frozen=True)
class BackendDecision:
    """Which image backend serves, why (logged at start-up), and whether its weights must be downloaded first."""

    backend: str
    reason: str
    download: bool = False


def hub_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def is_hub_id(model: str) -> bool:
    """``org/name`` as the hub spells it (not a path on this machine)."""
    if Path(model).expanduser().exists() or model.startswith(("/", ".", "~")):
        return False
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(model)
    except HFValidationError:
        return False
    return "/" in model


def decide_image_backend(settings: Settings) -> BackendDecision:
    """The backend ``settings.image_backend`` means on this machine, by one rule:

    - ``template`` / ``tiny`` / ``sdxl`` set explicitly: that one (sdxl weights not on disk: downloaded, unless
      HF_HUB_OFFLINE, which fails loudly);
    - ``auto`` without CUDA: the template renderer (SDXL on a CPU takes minutes per image);
    - ``auto`` with CUDA and the weights on disk (a folder, or the HF cache): SDXL;
    - ``auto`` with CUDA, weights not on disk, a hub id and the hub reachable (HF_HUB_OFFLINE unset): SDXL,
      downloaded in the background after the server is up (the UI says "모델을 내려받는 중");
    - otherwise (offline, or a folder that does not exist): ``ConfigurationError``: a GPU server silently serving
      templates is a misconfiguration, not a fallback.
    """
    if settings.image_backend in ("template", "tiny"):
        return BackendDecision(settings.image_backend, f"IMAGE_BACKEND={settings.image_backend}")
    model = settings.sdxl_model
    if settings.image_backend == "auto" and not cuda_available():
        return BackendDecision("template", "IMAGE_BACKEND=auto and no CUDA device: the template renderer")
    how = "IMAGE_BACKEND=sdxl" if settings.image_backend == "sdxl" else "IMAGE_BACKEND=auto with a CUDA device"
    if sdxl_weights_available(model):
        return BackendDecision("sdxl", f"{how}; SDXL weights for {model} are on disk")
    if is_hub_id(model) and not hub_offline():
        return BackendDecision("sdxl", f"{how}; SDXL weights for {model} are not cached: downloading them (~7 GB)", download=True)
    if is_hub_id(model):
        detail = f"{model} is not in the Hugging Face cache and HF_HUB_OFFLINE is set"
    else:
        detail = f"SDXL_MODEL {model} is not a diffusers folder (model_index.json and unet/ missing)"
    raise ConfigurationError(
        "SDXL 모델 파일을 찾을 수 없습니다. SDXL_MODEL을 확인하거나, SDXL 없이 쓰려면 IMAGE_BACKEND=template으로 설정해 주세요.",
        reason=f"{how}; {detail}. Set IMAGE_BACKEND=template to serve without SDXL, or make the weights reachable.",
    )


def resolve_image_backend(settings: Settings) -> str:
    """The backend name ``decide_image_backend`` picks."""
    return decide_image_backend(settings).backend


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


def get_image_generator(settings: Settings, *, background: bool = False) -> ImageGenerator:
    """The process's image generator for ``settings`` (built on the first call, then the same object).

    The decision (``decide_image_backend``) is logged with its reason. With ``background`` (the server), SDXL is
    downloaded if needed and loaded in a background thread (``BackgroundLoadedGenerator``): the server binds its
    port first, requests wait for the model with its progress shown, and a load failure is every request's error.
    Without it (the CLI, tests), the model loads here; with "auto", a failure to load SDXL is logged and the
    template renderer serves instead; an explicitly configured backend that fails to load raises.
    """
    decision = decide_image_backend(settings)
    backend = decision.backend
    key = _cache_key(settings, backend)
    with _load_lock:
        generator = _generators.get(key)
        if generator is not None:
            return generator
        log.info("image backend decision: %s (%s)", backend, decision.reason)
        if backend == "sdxl" and (background or decision.download):
            generator = _in_background(settings, decision)
            _generators[key] = generator
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


def _in_background(settings: Settings, decision: BackendDecision) -> ImageGenerator:
    from adgen.imaging.background_load import BackgroundLoadedGenerator, hub_download

    download = None
    if decision.download:
        variant = "fp16" if settings.sdxl_dtype == "float16" and cuda_available() else None

        def download(report: Callable[[float], None]) -> None:
            hub_download(settings.sdxl_model, variant=variant, report=report)

    return BackgroundLoadedGenerator("sdxl", lambda: _build(settings, "sdxl"), download=download)  # type: ignore[return-value]


def clear_image_generator_cache() -> None:
    """Forget the loaded generators (tests; a settings reload). GPU memory is freed once nothing else holds them."""
    with _load_lock:
        _generators.clear()
