"""Fast mode's weights and recipe: few-step SDXL (SDXL-Lightning, LCM/DMD2, Hyper-SD) loaded into the base pipeline.

Four CFG-free steps of the *base* SDXL give blurry, unfinished images: few-step generation needs weights distilled for
it, and the scheduler they were distilled with. Two layouts exist and both are loaded here, before the pipeline is
prepared (QKV fusion, compilation):

- ``unet``: a whole distilled UNet (``sdxl_lightning_4step_unet.safetensors``, DMD2's ``.bin``, a diffusers UNet
  folder or repo). Its state dict is loaded over the pipeline's UNet weights, so the modules the pipeline, the
  ControlNet pipeline and the accelerations hold stay the same objects.
- ``lora``: a LoRA (``sdxl_lightning_4step_lora.safetensors``, LCM-LoRA, Hyper-SD) fused into the UNet with
  diffusers' ``load_lora_weights`` + ``fuse_lora``; the LoRA layers are then unloaded, leaving plain ``nn.Linear``
  layers that QKV fusion, fp8 and ``torch.compile`` treat as any other (this needs ``peft``).

The base UNet's own weights are gone afterwards: a process in fast mode serves fast mode only.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import torch

from adgen.errors import ConfigurationError
from adgen.settings import Settings

log = logging.getLogger(__name__)

WeightsKind = Literal["unet", "lora"]
Recipe = Literal["lightning", "lcm", "tcd"]
RECIPES: Final = ("lightning", "lcm", "tcd")
EXAMPLE_WEIGHTS: Final = "ByteDance/SDXL-Lightning/sdxl_lightning_4step_unet.safetensors"


@dataclass(frozen=True)
class FewStepWeights:
    """Where fast mode's weights are, what they are, and the recipe they were distilled for."""

    source: str
    kind: WeightsKind
    recipe: Recipe
    steps: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FewStepWeights:
        """The settings' few-step weights; ``ConfigurationError`` when fast mode is on without any."""
        source = (settings.sdxl_fast_weights or "").strip()
        if not source:
            raise ConfigurationError(
                "빠른 모드(SDXL_FAST_MODE)에는 빠른 생성용 가중치가 필요합니다. SDXL_FAST_WEIGHTS를 설정하거나 빠른 모드를 꺼 주세요.",
                setting="SDXL_FAST_WEIGHTS",
                reason="SDXL_FAST_MODE=true runs a few steps without classifier-free guidance, which only weights distilled "
                "for it can do (the base model gives blurry, unfinished images). Set SDXL_FAST_WEIGHTS, e.g. "
                f"{EXAMPLE_WEIGHTS} with SDXL_FAST_WEIGHTS_KIND=unet and SDXL_FAST_SCHEDULER=lightning, or turn fast mode off.",
            )
        weights = cls(source, settings.sdxl_fast_weights_kind, settings.sdxl_fast_scheduler, settings.sdxl_fast_steps)
        distilled_for = steps_in_name(source)
        if distilled_for is not None and distilled_for != weights.steps:
            log.warning("SDXL_FAST_WEIGHTS %s looks distilled for %d steps but SDXL_FAST_STEPS is %d", source, distilled_for, weights.steps)
        return weights


def steps_in_name(source: str) -> int | None:
    """The step count a file name states (``..._4step_...``, ``...-8steps-...``), if it states one."""
    match = re.search(r"(\d+)[-_]?steps?(?![a-z])", Path(source).name.lower())
    return int(match.group(1)) if match else None


def few_step_scheduler(pipe: Any, recipe: Recipe) -> Any:
    """A new scheduler for ``recipe``, built from the pipeline's own configuration (betas, training timesteps).

    ``lightning``: Euler with trailing timesteps (SDXL-Lightning's recipe: the first step starts from pure noise);
    ``lcm``: LCMScheduler (LCM-LoRA, DMD2); ``tcd``: TCDScheduler (Hyper-SD). The last two pick their timesteps from
    their own distillation schedule (999, 759, 499, 259 for 4 steps).
    """
    from diffusers import LCMScheduler, TCDScheduler

    from adgen.imaging.acceleration import fast_mode_scheduler

    if recipe == "lightning":
        return fast_mode_scheduler(pipe)
    if recipe == "lcm":
        return LCMScheduler.from_config(pipe.scheduler.config)
    if recipe == "tcd":
        return TCDScheduler.from_config(pipe.scheduler.config)
    raise ValueError(f"`recipe` must be one of {', '.join(RECIPES)} but is {recipe!r}.")


def locate(source: str) -> str:
    """A local path for ``source``, or a hub repo id that diffusers resolves itself.

    A path that exists is used as it is; ``org/repo/path/in/repo`` is one file of a hub repo, fetched with
    ``hf_hub_download`` (from the cache when it is there; HF_HUB_OFFLINE is honoured); ``org/repo`` is returned as it is.
    """
    path = Path(source).expanduser()
    if path.exists():
        return str(path)
    parts = source.strip("/").split("/")
    if len(parts) >= 3 and not source.startswith(("/", ".", "~")):
        from huggingface_hub import hf_hub_download

        return hf_hub_download("/".join(parts[:2]), "/".join(parts[2:]))
    if len(parts) == 2 and not source.startswith(("/", ".", "~")):
        return source
    raise FileNotFoundError(f"{source!r} is neither a local file or folder nor a hub id (org/repo or org/repo/file)")


def read_state_dict(path: str) -> dict[str, torch.Tensor]:
    """Tensors of one weights file: safetensors, or a PyTorch pickle read with ``weights_only`` (DMD2 ships ``.bin``)."""
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)


def _unet_state_dict(location: str, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    if Path(location).is_file():
        return read_state_dict(location)
    from diffusers import UNet2DConditionModel

    subfolder = "unet" if (Path(location) / "unet" / "config.json").is_file() else None
    unet = UNet2DConditionModel.from_pretrained(location, subfolder=subfolder, dtype=dtype)
    if unet.config.time_cond_proj_dim is not None:
        raise ValueError(
            f"{location} is a UNet with a guidance embedding (time_cond_proj_dim={unet.config.time_cond_proj_dim}, e.g. "
            "latent-consistency/lcm-sdxl), which fast mode does not drive; use its LoRA (latent-consistency/lcm-lora-sdxl)"
        )
    return unet.state_dict()


def load_unet_weights(unet: torch.nn.Module, location: str) -> None:
    """Load a whole UNet's weights over ``unet``'s, in place; every key must match (same architecture)."""
    state = _unet_state_dict(location, next(unet.parameters()).dtype)
    missing, unexpected = unet.load_state_dict(state, strict=False)
    if missing or unexpected:
        hint = " (it looks like a LoRA: set SDXL_FAST_WEIGHTS_KIND=lora)" if any("lora" in k for k in unexpected) else ""
        raise ValueError(
            f"{location} is not an SDXL UNet{hint}: {len(missing)} weights missing (e.g. {missing[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]})"
        )


def fuse_lora_weights(pipe: Any, location: str) -> None:
    """Fuse a LoRA into the pipeline's weights and drop the LoRA layers (plain ``nn.Linear`` again)."""
    pipe.load_lora_weights(location, adapter_name="few_step")
    pipe.fuse_lora(adapter_names=["few_step"])
    pipe.unload_lora_weights()


def load_few_step_weights(pipe: Any, weights: FewStepWeights) -> None:
    """Put ``weights`` into ``pipe`` (before ``prepare_pipeline``); ``ConfigurationError`` when they cannot be loaded."""
    started = time.perf_counter()
    try:
        location = locate(weights.source)
        if weights.kind == "unet":
            load_unet_weights(pipe.unet, location)
        else:
            fuse_lora_weights(pipe, location)
    except Exception as exc:  # a bad id, no network, a file of another model or layout: all "cannot load"
        raise ConfigurationError(
            "빠른 모드용 가중치(SDXL_FAST_WEIGHTS)를 불러오지 못했습니다. 설정을 확인해 주세요.",
            weights=weights.source,
            kind=weights.kind,
            reason=f"SDXL_FAST_WEIGHTS could not be loaded as a {weights.kind}: {type(exc).__name__}: {exc}",
        ) from exc
    log.info("fast mode: %s %s loaded in %.1fs (%s, %d steps, guidance 0)", weights.kind, weights.source,
             time.perf_counter() - started, weights.recipe, weights.steps)
