"""Run by ``test_hub_loading.py`` in a fresh interpreter whose environment points HF_HOME / HF_HUB_CACHE at a prepared
hub cache and sets HF_HUB_OFFLINE=1 (huggingface_hub and diffusers read those once, at import): loads the production
defaults with ``SdxlImageGenerator.from_settings`` and prints one JSON object of what it saw."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
from imaging_helpers import product_photo


def _sum(tensor: torch.Tensor) -> float:
    return round(float(tensor.detach().float().sum()), 4)


def main(data_dir: str) -> dict[str, Any]:
    from diffusers import ControlNetModel, StableDiffusionXLPipeline
    from huggingface_hub import constants

    from adgen.imaging.sdxl import SdxlImageGenerator, _from_pretrained
    from adgen.settings import Settings

    torch.set_num_threads(1)
    out: dict[str, Any] = {"offline": constants.HF_HUB_OFFLINE, "hub_cache": constants.HF_HUB_CACHE}
    base = {"data_dir": Path(data_dir), "log_dir": Path(data_dir) / "logs", "sdxl_steps": 1}
    settings = Settings(_env_file=None, **base)  # type: ignore[call-arg]
    out["settings"] = {k: getattr(settings, k) for k in ("sdxl_model", "sdxl_controlnet_model", "sdxl_vae_model", "sdxl_safety_checker",
                                                         "sdxl_safety_checker_model", "sdxl_fast_weights")}

    started = time.perf_counter()
    generator = SdxlImageGenerator.from_settings(settings)
    out["load_s"] = round(time.perf_counter() - started, 2)
    pipe = generator._pipe
    out["unet_conv_in_sum"] = _sum(pipe.unet.conv_in.weight)
    out["vae_conv_in_sum"] = _sum(pipe.vae.encoder.conv_in.weight)
    out["vae_force_upcast"] = pipe.vae.config.force_upcast
    out["safety_checker"] = generator._safety.source if generator._safety is not None else None
    [t2i] = generator.generate("카페 신메뉴 홍보", "1:1", 3, "warm")
    [photo] = generator.generate("상품 광고", "1:1", 3, None, product_photo((300, 400)))
    out["images"] = [{"size": list(r.image.size), **{k: r.metadata[k] for k in ("method", "render_size", "model", "safety_checked")}}
                     for r in (t2i, photo)]
    out["controlnet_conv_in_sum"] = _sum(generator._controlnet.conv_in.weight)
    generator.close()

    # Half precision (what CUDA loads): the ".fp16" variant files of the same cached repos.
    half = _from_pretrained(StableDiffusionXLPipeline, settings.sdxl_model, torch.float16, vae=None)
    out["fp16_unet"] = {"dtype": str(half.unet.dtype), "conv_in_sum": _sum(half.unet.conv_in.weight)}
    half_cn = _from_pretrained(ControlNetModel, settings.sdxl_controlnet_model, torch.float16)
    out["fp16_controlnet"] = {"dtype": str(half_cn.dtype), "conv_in_sum": _sum(half_cn.conv_in.weight)}

    # Fast mode with the default few-step weights: the SDXL-Lightning UNet file, from the same cache.
    fast = SdxlImageGenerator.from_settings(Settings(_env_file=None, sdxl_fast_mode=True, **base))  # type: ignore[call-arg]
    out["fast_unet_conv_in_sum"] = _sum(fast._pipe.unet.conv_in.weight)
    out["fast_scheduler"] = [type(fast._pipe.scheduler).__name__, fast._pipe.scheduler.config.timestep_spacing]
    [quick] = fast.generate("카페 신메뉴 홍보", "4:3", 3, None)
    out["fast_image"] = {"size": list(quick.image.size), **{k: quick.metadata[k] for k in ("steps", "guidance_scale", "fast_weights")}}
    fast.close()

    # Offline really is offline: a repo that is not cached fails at once, without network retries.
    started = time.perf_counter()
    try:
        StableDiffusionXLPipeline.from_pretrained("nobody/not-cached-sdxl")
        out["missing_repo"] = "loaded?!"
    except Exception as exc:  # noqa: BLE001 - reported
        out["missing_repo"] = type(exc).__name__
    out["missing_repo_s"] = round(time.perf_counter() - started, 2)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), ensure_ascii=False))
