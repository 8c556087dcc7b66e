"""The image safety check: every SDXL image is screened before anyone sees or stores it.

diffusers' ``StableDiffusionSafetyChecker`` (CompVis/stable-diffusion-safety-checker: CLIP ViT-L/14 image embeddings
compared with 17 concept and 3 "special care" embeddings, each with its own threshold) and its CLIP image processor.
The SDXL pipelines have no checker of their own, and in fast mode (no classifier-free guidance) the negative prompt's
"nsfw" does nothing: this is the one screen.

What happens to a flagged image (redrawn once with another seed, then ``unsafe_image``) is decided in
``adgen.imaging.sdxl``; this module only tells which images are flagged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import torch
from PIL import Image

from adgen.errors import ConfigurationError

log = logging.getLogger(__name__)


class SafetyChecker:
    """Flags images with a ``StableDiffusionSafetyChecker`` (any size: the processor resizes and crops to CLIP's input)."""

    def __init__(self, model: Any, processor: Any, *, source: str = "in-memory") -> None:
        self.model = model.eval()
        self.processor = processor
        self.source = source

    @classmethod
    def from_pretrained(cls, source: str, *, device: torch.device, dtype: torch.dtype) -> SafetyChecker:
        """Checker and image processor from one hub id or folder; ``ConfigurationError`` when they cannot be loaded."""
        from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
        from transformers import CLIPImageProcessor

        started = time.perf_counter()
        try:
            model = StableDiffusionSafetyChecker.from_pretrained(source, dtype=dtype).to(device)
            processor = CLIPImageProcessor.from_pretrained(source)
        except Exception as exc:  # missing files, a bad id, no network: all "cannot load"
            raise ConfigurationError(
                "이미지 안전 검사 모델을 불러오지 못했습니다. 설정(SDXL_SAFETY_CHECKER_MODEL)을 확인해 주세요.",
                model=source,
                reason=f"the safety checker could not be loaded ({type(exc).__name__}: {exc}); set SDXL_SAFETY_CHECKER_MODEL "
                "to a reachable checker, or SDXL_SAFETY_CHECKER=false to serve without the check",
            ) from exc
        log.info("safety checker %s loaded on %s (%s) in %.1fs", source, device, dtype, time.perf_counter() - started)
        return cls(model, processor, source=source)

    def flags(self, images: list[Image.Image]) -> list[bool]:
        """Whether each image is flagged (True: it must not be shown)."""
        if not images:
            return []
        param = next(self.model.parameters())
        pixels = self.processor([im.convert("RGB") for im in images], return_tensors="pt").pixel_values
        arrays = [np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0 for im in images]
        with torch.inference_mode():
            # The checker also blacks out flagged arrays (its pipeline use); these are copies, only the flags matter.
            _, flagged = self.model(images=arrays, clip_input=pixels.to(param.device, param.dtype))
        return [bool(f) for f in flagged]
