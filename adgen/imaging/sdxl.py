"""The diffusion backend: Stable Diffusion XL, with a Canny ControlNet when a product photo is given.

One ``SdxlImageGenerator`` holds one pipeline for the life of the process (loading SDXL takes
tens of seconds and ~7 GB of GPU memory; it is never reloaded per request). The ControlNet
pipeline shares every component of the plain one and only adds the ControlNet, which is loaded
by the warm-up (SDXL_PRELOAD_CONTROLNET) or else the first time a product photo arrives.

Fast mode loads few-step weights into the pipeline (``adgen.imaging.few_step``); every image is
screened by the safety checker when one is configured (``adgen.imaging.safety``): a flagged image
is drawn again once with another seed, then the request fails with ``UnsafeImageError``.

The same class serves the ``tiny`` backend (a randomly initialised SDXL-shaped pipeline from
``adgen.imaging.tiny``) and benchmarks: ``from_pipeline`` takes any pipeline built elsewhere.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import torch
from PIL import Image

from adgen.errors import AdGenError, ConfigurationError, GpuOutOfMemoryError, ImageGenerationError, UnsafeImageError
from adgen.imaging.acceleration import AccelerationOptions, CallSignature, PipelineRunner, prepare_pipeline, vae_is_fp16_safe
from adgen.imaging.base import SIZES, GeneratedImage, MonotonicProgress, ProgressCallback, check_request
from adgen.imaging.compile_shapes import CompileShapes
from adgen.imaging.few_step import FewStepWeights, few_step_scheduler, load_few_step_weights
from adgen.imaging.palette import palette_from_image
from adgen.imaging.safety import SafetyChecker
from adgen.imaging.template import fit_size
from adgen.settings import Settings
from adgen.zerogpu import gpu

log = logging.getLogger(__name__)

# diffusers' recommendation for the SDXL canny ControlNet: at 1.0 the edges dominate and the
# background looks traced; at 0.5 the product's outline guides the composition.
CONTROLNET_CONDITIONING_SCALE: Final = 0.5
# Canny thresholds on 8-bit luminance (OpenCV's usual 1:2 ratio): product outlines and labels,
# not the texture of the table they stand on.
# Where a product photo goes in a ControlNet ad: this share of each side, with this share of the
# room left over above it (the rest, below, is where the copy goes).
PRODUCT_SHARE: Final = 0.62
PRODUCT_TOP: Final = 0.25
CANNY_LOW, CANNY_HIGH = 100, 200
# An out-of-memory retry renders each side at about 3/4 (a little over half the pixels).
OOM_RETRY_SCALE: Final = 0.75
# A flagged image is drawn again with seed + this: above every seed a request is given (< 2**31 plus the variants), so a
# redraw never repeats another variant's image, and the same seed always leads to the same redraw.
SAFETY_RESEED_OFFSET: Final = 2**32

_DTYPES: Final = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def _round_to(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def render_size(aspect_ratio: str, long_edge: int | None, multiple: int = 16) -> tuple[int, int]:
    """The size a pipeline renders at: ``SIZES`` itself, or (tiny backend) ``long_edge`` on the long side, same ratio."""
    width, height = SIZES[aspect_ratio]
    if long_edge is None:
        return width, height
    scale = long_edge / max(width, height)
    return _round_to(width * scale, multiple), _round_to(height * scale, multiple)


def canny_control_image(photo: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Canny edges of ``photo`` placed in ``size`` (black elsewhere), and where the photo sits.

    The photo gets ``PRODUCT_SHARE`` of each side, centred across and in the upper part, so the
    copy has room below it: text never goes on the product, and a photo filling the frame would
    leave the compositor nowhere to put it. Edges are taken on the scaled photo and then placed on
    black, so the border itself draws no edge (a frame the ControlNet would faithfully paint).
    """
    import cv2  # only needed with a product photo

    if photo.mode in ("RGBA", "LA", "PA", "P"):
        # Transparent areas of a cut-out become white, so its silhouette is an edge and not noise.
        rgba = photo.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        photo = flat
    width, height = size
    fw, fh = fit_size(photo.size, (round(width * PRODUCT_SHARE), round(height * PRODUCT_SHARE)))
    scaled = photo.convert("RGB").resize((fw, fh), Image.Resampling.LANCZOS)
    edges = cv2.Canny(np.asarray(scaled.convert("L")), CANNY_LOW, CANNY_HIGH)
    x, y = (width - fw) // 2, round((height - fh) * PRODUCT_TOP)
    canvas = np.zeros((height, width), dtype=np.uint8)
    canvas[y : y + fh, x : x + fw] = edges
    return Image.fromarray(np.stack([canvas] * 3, axis=-1), "RGB"), (x, y, x + fw, y + fh)


def _scale_box(box: tuple[int, int, int, int], src: tuple[int, int], dst: tuple[int, int]) -> tuple[int, int, int, int]:
    sx, sy = dst[0] / src[0], dst[1] / src[1]
    return (round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy))


def _free_cuda_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


# GPU memory SDXL needs (docs/performance.md: peak 8.3 GiB plain, 10.75 GiB with the ControlNet, fp16, 1024², H100).
SDXL_LOAD_GIB: Final = 8.3
SDXL_CONTROLNET_GIB: Final = 10.8


def _gpu_memory_report() -> str:
    """What the GPU has, for a load that did not fit (free / total of device 0)."""
    try:
        free, total = torch.cuda.mem_get_info()
    except Exception:  # no CUDA, or the driver cannot tell
        return "the GPU's free memory could not be read"
    return f"this GPU has {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB"


def _device_of(pipe: Any) -> torch.device:
    return torch.device(getattr(pipe, "device", "cpu"))


def _from_pretrained(cls: Any, source: str, dtype: torch.dtype, **kwargs: Any) -> Any:
    """``cls.from_pretrained`` preferring the fp16 weight files (half the download and disk) when loading in fp16.

    A local folder or a cache holding only the full-precision files has no "fp16" variant: then
    the full files are loaded and cast.
    """
    if dtype == torch.float16:
        try:
            return cls.from_pretrained(source, dtype=dtype, variant="fp16", use_safetensors=True, **kwargs)
        except (OSError, ValueError) as exc:
            log.info("%s: no fp16 variant (%s); loading the full-precision files", source, exc)
    return cls.from_pretrained(source, dtype=dtype, use_safetensors=True, **kwargs)


@dataclass
class _Rendered:
    """One pipeline call's images and how they were made (a safety redraw is a second call)."""

    pipe: Any
    images: list[Image.Image]
    product_box: tuple[int, int, int, int] | None
    size: tuple[int, int]
    downscaled: bool


def _vae_choice(settings: Settings) -> str | None:
    """The VAE to load in place of SDXL_MODEL's own (None: its own); logs whether it will decode in fp16, as
    ``AccelerationOptions.from_settings`` decides with the same rule."""
    vae = (settings.sdxl_vae_model or "").strip() or None
    fp16 = vae_is_fp16_safe(vae, declared=settings.sdxl_vae_fp16_safe)
    name = vae or f"{settings.sdxl_model} (its own VAE)"
    if fp16:
        why = "SDXL_VAE_FP16_SAFE=true" if settings.sdxl_vae_fp16_safe else "a known fp16-safe VAE"
        log.info("VAE %s: decoding in the model dtype, force_upcast off (%s)", name, why)
    else:
        log.info("VAE %s: decoding upcast to fp32 as its config says (not known fp16-safe; SDXL_VAE_FP16_SAFE=true declares it)", name)
    return vae


class SdxlImageGenerator:
    """SDXL text-to-image, and ControlNet (canny) with a product photo.

    Use ``from_settings`` for the real model and ``from_pipeline`` for a pipeline built elsewhere
    (the tiny random model, benchmarks).
    """

    def __init__(
        self,
        pipe: Any,
        controlnet: Any = None,
        *,
        settings: Settings,
        name: str = "sdxl",
        model: str = "in-memory",
        render_edge: int | None = None,
        controlnet_source: str | None = None,
        accelerate: bool = False,
        safety_checker: SafetyChecker | None = None,
        few_step: FewStepWeights | None = None,
    ) -> None:
        self.name = name
        self._settings = settings
        self._pipe = pipe
        self._controlnet = controlnet
        self._controlnet_source = controlnet_source
        self._controlnet_pipe: Any = None
        self._model = model
        self._safety = safety_checker
        self._few_step = few_step
        # None renders at SIZES; the tiny backend renders small (multiples of 16) and resizes.
        self._render_edge = render_edge
        self._size_multiple = 32 if render_edge is None else 16
        self._accelerate = accelerate
        self._acceleration_options = AccelerationOptions.from_settings(settings) if accelerate else None
        self._compile_shapes = CompileShapes.parse(settings.sdxl_compile_shapes)
        self._ratio_by_size = {render_size(r, render_edge, self._size_multiple): r for r in SIZES}
        # Every pipeline call runs on this runner's one thread: diffusers pipelines keep per-call state
        # (scheduler timesteps, step index) on shared objects, and CUDA graphs are recorded and replayed
        # per thread. With compilation on it also keeps compiling off the request path (see PipelineRunner),
        # for the shapes SDXL_COMPILE_SHAPES names.
        self._runner = PipelineRunner(name=f"adgen-{name}-gpu", compile_filter=self._compiles)
        # On a ZeroGPU Space the GPU exists only inside a @spaces.GPU call: the whole screened render is one such
        # call (wrapped once, here). Anywhere else ``gpu`` returns the method unchanged and imports nothing.
        self._render_screened = gpu(self._render_screened)  # type: ignore[method-assign]
        self._controlnet_guidance_end = settings.sdxl_controlnet_guidance_end
        self._fast = settings.sdxl_fast_mode
        self._steps = settings.sdxl_fast_steps if self._fast else settings.sdxl_steps
        # Few-step weights are distilled without classifier-free guidance: guidance 0, so the negative prompt is unused.
        self._guidance = 0.0 if self._fast else settings.sdxl_guidance_scale
        from diffusers import EulerDiscreteScheduler

        if self._fast:
            pipe.scheduler = few_step_scheduler(pipe, settings.sdxl_fast_scheduler)
        else:
            pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
        pipe.set_progress_bar_config(disable=True)  # progress goes to the callback, not to tqdm in the logs
        if self._acceleration_options is not None:
            prepare_pipeline(pipe, self._acceleration_options)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def from_pipeline(
        cls,
        pipe: Any,
        controlnet: Any = None,
        *,
        settings: Settings,
        name: str = "sdxl",
        render_edge: int | None = None,
        model: str = "in-memory",
        accelerate: bool = False,
        safety_checker: SafetyChecker | None = None,
    ) -> SdxlImageGenerator:
        """Wrap an already built ``StableDiffusionXLPipeline`` (and optionally a ``ControlNetModel``).

        ``accelerate=True`` applies ``prepare_pipeline`` with the settings' acceleration options,
        as ``from_settings`` does. In fast mode the pipeline is taken as it is: few-step weights are
        the caller's (``few_step.load_few_step_weights``); the tiny backend's random weights have none.
        """
        return cls(pipe, controlnet, settings=settings, name=name, model=model, render_edge=render_edge, accelerate=accelerate,
                   safety_checker=safety_checker)

    @classmethod
    def from_settings(cls, settings: Settings) -> SdxlImageGenerator:
        """Load ``settings.sdxl_model`` (hub id or local folder) onto CUDA (the CPU when there is none), once.

        With it: the VAE of SDXL_VAE_MODEL, fast mode's few-step weights (refused without them), and the safety
        checker; each failure is a ``ConfigurationError`` naming its setting.
        """
        from diffusers import AutoencoderKL, StableDiffusionXLPipeline

        # Checked before anything loads: fast mode without few-step weights is a configuration error, not a blurry image.
        few_step = FewStepWeights.from_settings(settings) if settings.sdxl_fast_mode else None
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        # Half precision is a GPU format: on the CPU it is slow or unsupported, so the CPU gets fp32.
        dtype = _DTYPES[settings.sdxl_dtype] if device.type == "cuda" else torch.float32
        if device.type == "cpu":
            log.warning("SDXL on the CPU: expect minutes per image")
        vae_source = _vae_choice(settings)
        started = time.perf_counter()
        try:
            # SDXL_MODEL first (a wrong one fails at once), without its own VAE when another one replaces it.
            pipe = _from_pretrained(StableDiffusionXLPipeline, settings.sdxl_model, dtype, **({"vae": None} if vae_source else {}))
            offload = settings.sdxl_cpu_offload and device.type == "cuda"
            if offload:
                # A 12-16 GB card: each model moves to the GPU only while it runs (accelerate's hooks); slower per image.
                pipe.enable_model_cpu_offload()
            else:
                pipe.to(device)
        except torch.OutOfMemoryError as exc:
            raise GpuOutOfMemoryError(
                "GPU 메모리가 부족해 이미지 모델을 불러오지 못했습니다. 관리자에게 문의해 주세요.",
                code="gpu_memory_too_small",
                reason=f"SDXL needs about {SDXL_LOAD_GIB} GiB of GPU memory ({SDXL_CONTROLNET_GIB} GiB with the ControlNet); "
                f"{_gpu_memory_report()}. Free the GPU, or set SDXL_CPU_OFFLOAD=true on a 12-16 GB card.",
            ) from exc
        except Exception as exc:  # missing files, a bad id, no network: all "cannot load"
            raise ConfigurationError(
                "SDXL 모델을 불러오지 못했습니다. 설정(SDXL_MODEL)을 확인해 주세요.",
                model=settings.sdxl_model,
                reason=str(exc),
            ) from exc
        if vae_source:
            try:
                pipe.register_modules(vae=_from_pretrained(AutoencoderKL, vae_source, dtype).to(device))
            except Exception as exc:
                raise ConfigurationError(
                    "VAE 모델을 불러오지 못했습니다. 설정(SDXL_VAE_MODEL)을 확인해 주세요.",
                    vae=vae_source,
                    reason=f"SDXL_VAE_MODEL could not be loaded ({exc}); set it to a reachable VAE, or empty to use SDXL_MODEL's own",
                ) from exc
        log.info("SDXL %s (VAE %s) loaded on %s (%s) in %.1fs", settings.sdxl_model, vae_source or "its own", device, dtype,
                 time.perf_counter() - started)
        if few_step is not None:
            load_few_step_weights(pipe, few_step)
        safety = None
        if settings.sdxl_safety_checker:
            safety = SafetyChecker.from_pretrained(settings.sdxl_safety_checker_model, device=device, dtype=dtype)
        else:
            log.warning("SDXL_SAFETY_CHECKER=false: generated images are shown and stored unscreened")
        if settings.sdxl_cpu_offload and device.type == "cpu":
            log.info("SDXL on the CPU: SDXL_CPU_OFFLOAD ignored")
        elif settings.sdxl_cpu_offload and settings.sdxl_compile:
            # Offload hooks move weights in and out around every call: compiled graphs and CUDA graphs would be rebuilt.
            log.info("SDXL_CPU_OFFLOAD: SDXL_COMPILE ignored")
            settings = settings.model_copy(update={"sdxl_compile": False})
        if device.type == "cpu" and settings.sdxl_compile:
            # Inductor on the CPU compiles C++ for many minutes to win little on a model that takes minutes per image.
            log.info("SDXL on the CPU: SDXL_COMPILE ignored")
            settings = settings.model_copy(update={"sdxl_compile": False})
        return cls(
            pipe,
            settings=settings,
            name="sdxl",
            model=settings.sdxl_model,
            controlnet_source=settings.sdxl_controlnet_model,
            accelerate=True,
            safety_checker=safety,
            few_step=few_step,
        )

    def _controlnet_pipeline(self) -> Any:
        """The ControlNet pipeline, sharing the plain pipeline's components; built on first use."""
        if self._controlnet_pipe is not None:
            return self._controlnet_pipe
        from diffusers import ControlNetModel, StableDiffusionXLControlNetPipeline

        controlnet = self._controlnet
        if controlnet is None:
            if self._controlnet_source is None:
                raise ImageGenerationError(backend=self.name, reason="no ControlNet configured")
            device, dtype = _device_of(self._pipe), self._pipe.unet.dtype
            started = time.perf_counter()
            try:
                controlnet = _from_pretrained(ControlNetModel, self._controlnet_source, dtype).to(device)
            except Exception as exc:
                raise ImageGenerationError(
                    "상품 사진용 모델을 불러오지 못했습니다. 잠시 후 다시 시도해 주세요.",
                    backend=self.name,
                    controlnet=self._controlnet_source,
                    reason=str(exc),
                ) from exc
            log.info("ControlNet %s loaded in %.1fs", self._controlnet_source, time.perf_counter() - started)
        components = dict(self._pipe.components)
        cn_pipe = StableDiffusionXLControlNetPipeline(**components, controlnet=controlnet)
        cn_pipe.set_progress_bar_config(disable=True)
        if self._acceleration_options is not None:
            # Idempotent for the shared UNet/VAE (already fused, compiled wrappers reused); adds the ControlNet.
            prepare_pipeline(cn_pipe, self._acceleration_options)
        self._controlnet = controlnet
        self._controlnet_pipe = cn_pipe
        return cn_pipe

    def _compiles(self, signature: CallSignature) -> bool:
        """SDXL_COMPILE_SHAPES for the runner: a size of no ratio (an out-of-memory retry) compiles only with `all`."""
        ratio = self._ratio_by_size.get((signature.width, signature.height))
        return self._compile_shapes.allows(ratio, signature.batch, photo=signature.controlnet)

    # --- generation -----------------------------------------------------------------------------

    def generate(
        self,
        prompt: str,
        aspect_ratio: str,
        seed: int,
        style: str | None,
        control_image: Image.Image | None = None,
        *,
        negative_prompt: str = "",
        industry: str | None = None,
        num_images: int = 1,
        progress: ProgressCallback | None = None,
    ) -> list[GeneratedImage]:
        """``num_images`` images in one batched pipeline call (seeds ``seed, seed + 1, ...``).

        Raises ``GpuOutOfMemoryError`` when even a smaller retry does not fit, ``UnsafeImageError``
        when the safety checker flags an image and its one redraw, and ``ImageGenerationError`` for
        any other pipeline failure.
        """
        target = check_request(aspect_ratio, num_images)
        report = MonotonicProgress(progress)
        method = "controlnet" if control_image is not None else "t2i"
        size = render_size(aspect_ratio, self._render_edge, self._size_multiple)
        started = time.perf_counter()
        context = {"backend": self.name, "model": self._model, "aspect_ratio": aspect_ratio, "seed": seed, "num_images": num_images}
        seeds = [seed + i for i in range(num_images)]

        def on_gpu_thread() -> tuple[list[tuple[Image.Image, _Rendered, int]], bool]:
            return self._render_screened(prompt, negative_prompt, size, seeds, control_image, report, context)

        pieces, redrawn = self._runner.run(on_gpu_thread)

        elapsed = round(time.perf_counter() - started, 3)
        results = []
        for i, (rendered, made, render_seed) in enumerate(pieces):
            # The tiny model (and an out-of-memory retry) render smaller; the contract is SIZES exactly.
            image = rendered.convert("RGB")
            if image.size != target:
                image = image.resize(target, Image.Resampling.LANCZOS)
            metadata: dict[str, Any] = {
                "seed": seed + i,
                "style": style,
                "industry": industry,
                "method": method,
                "model": self._model,
                "steps": self._steps,
                "guidance_scale": self._guidance,
                "scheduler": type(made.pipe.scheduler).__name__,
                "fast_mode": self._fast,
                "backend": self.name,
                "width": target[0],
                "height": target[1],
                "render_size": list(made.size),
                "downscaled": made.downscaled,
                "elapsed_s": elapsed,  # the whole batched call: variants are made together
                "prompt": prompt,
                "negative_prompt": negative_prompt,
                # At guidance 0 (fast mode) there is no unconditional pass for the negative prompt to steer.
                "negative_prompt_used": bool(negative_prompt) and self._guidance > 1.0,
                "product_photo": control_image is not None,
                "safety_checked": self._safety is not None,
            }
            if self._fast:
                metadata["fast_weights"] = self._few_step.source if self._few_step is not None else None
            if render_seed != seed + i:
                metadata["render_seed"] = render_seed  # redrawn after the safety checker flagged seed + i
            if redrawn:
                metadata["safety_redraws"] = redrawn
            if control_image is not None:
                metadata["controlnet_conditioning_scale"] = CONTROLNET_CONDITIONING_SCALE
                metadata["control_guidance_end"] = self._controlnet_guidance_end
            box = _scale_box(made.product_box, made.size, target) if made.product_box is not None else None
            results.append(GeneratedImage(image=image, metadata=metadata, palette=palette_from_image(image), product_box=box))
        report(1.0, "이미지 완성")
        return results

    def _render_screened(
        self,
        prompt: str,
        negative_prompt: str,
        size: tuple[int, int],
        seeds: list[int],
        control_image: Image.Image | None,
        report: MonotonicProgress,
        context: dict[str, Any],
    ) -> tuple[list[tuple[Image.Image, _Rendered, int]], int]:
        """The images for ``seeds`` (image, how it was made, the seed it was drawn with), each passed by the safety
        checker, and how many were redrawn. A flagged image is drawn once more with seed + ``SAFETY_RESEED_OFFSET``
        (the others are kept); flagged again, the request fails: no image of it leaves this method."""
        first = self._generate_here(prompt, negative_prompt, size, seeds, control_image, report, context)
        pieces = [(image, first, s) for image, s in zip(first.images, seeds, strict=True)]
        if self._safety is None:
            return pieces, 0
        flagged = [i for i, bad in enumerate(self._safety.flags(first.images)) if bad]
        if not flagged:
            return pieces, 0
        redraw_seeds = [seeds[i] + SAFETY_RESEED_OFFSET for i in flagged]
        log.warning("safety checker flagged %d of %d images (seeds %s); drawing them again with seeds %s",
                    len(flagged), len(seeds), [seeds[i] for i in flagged], redraw_seeds)
        report(0.0, "안전 기준에 맞지 않는 이미지를 다시 그리는 중")
        second = self._generate_here(prompt, negative_prompt, first.size, redraw_seeds, control_image, report, context)
        still = [s for s, bad in zip(redraw_seeds, self._safety.flags(second.images), strict=True) if bad]
        if still:
            raise UnsafeImageError(**context, flagged_seeds=[seeds[i] for i in flagged], redraw_seeds=redraw_seeds,
                                   flagged_again=still, checker=self._safety.source)
        for i, image, s in zip(flagged, second.images, redraw_seeds, strict=True):
            pieces[i] = (image, second, s)
        return pieces, len(flagged)

    def _generate_here(
        self,
        prompt: str,
        negative_prompt: str,
        size: tuple[int, int],
        seeds: list[int],
        control_image: Image.Image | None,
        report: MonotonicProgress,
        context: dict[str, Any],
    ) -> _Rendered:
        """One pipeline call on the runner's thread, and one smaller retry after running out of memory."""
        pipe = self._controlnet_pipeline() if control_image is not None else self._pipe
        images = None
        product_box = None
        downscaled = False
        # First at the requested size; after an out-of-memory error once more, smaller.
        for downscaled, attempt_size in ((False, size), (True, self._shrunk(size))):
            if downscaled:
                report(0.0, "메모리가 부족해 해상도를 낮춰 다시 그리는 중")
            try:
                images, product_box = self._run(pipe, prompt, negative_prompt, attempt_size, seeds, control_image, report)
            except torch.OutOfMemoryError:
                log.warning("CUDA out of memory at %sx%s x%d%s", *attempt_size, len(seeds), "" if downscaled else "; retrying smaller")
            except AdGenError:
                raise
            except Exception as exc:
                raise ImageGenerationError(**context, size=attempt_size, reason=f"{type(exc).__name__}: {exc}") from exc
            else:
                size = attempt_size
                break
            # Outside the except block: the exception's frames (holding activations) are gone now.
            _free_cuda_memory()
        if images is None:
            raise GpuOutOfMemoryError(**context, size=size)
        return _Rendered(pipe, images, product_box, size, downscaled)

    def _shrunk(self, size: tuple[int, int]) -> tuple[int, int]:
        return _round_to(size[0] * OOM_RETRY_SCALE, self._size_multiple), _round_to(size[1] * OOM_RETRY_SCALE, self._size_multiple)

    def _run(
        self,
        pipe: Any,
        prompt: str,
        negative_prompt: str,
        size: tuple[int, int],
        seeds: list[int],
        control_image: Image.Image | None,
        report: MonotonicProgress,
    ) -> tuple[list[Image.Image], tuple[int, int, int, int] | None]:
        width, height = size
        steps = self._steps

        def on_step_end(_pipe: Any, step: int, _timestep: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
            report((step + 1) / steps, f"이미지 생성 중 ({step + 1}/{steps}단계)")
            return callback_kwargs

        kwargs: dict[str, Any] = {}
        product_box = None
        if control_image is not None:
            kwargs["image"], product_box = canny_control_image(control_image, size)
            kwargs["controlnet_conditioning_scale"] = CONTROLNET_CONDITIONING_SCALE
            kwargs["control_guidance_end"] = self._controlnet_guidance_end
        # One CPU generator per image: image i is the same whether made alone with its seed or in a
        # batch, and CPU generators give the same noise on every GPU model.
        generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
        # With force_upcast, diffusers casts the VAE to fp32 for decoding and back to fp16 after it;
        # a failure in between (out of memory while decoding) leaves it fp32, and every later call
        # then fails on fp16 latents. Put it back as it was whenever the call does not finish.
        vae = getattr(pipe, "vae", None)
        vae_dtype = getattr(vae, "dtype", None)
        try:
            with torch.inference_mode():
                output = self._runner.call(
                    pipe,
                    prompt=prompt,
                    negative_prompt=negative_prompt or None,
                    width=width,
                    height=height,
                    num_inference_steps=steps,
                    guidance_scale=self._guidance,
                    num_images_per_prompt=len(seeds),
                    generator=generators,
                    callback_on_step_end=on_step_end,
                    output_type="pil",
                    **kwargs,
                )
        except BaseException:
            if vae is not None and vae_dtype is not None and vae.dtype != vae_dtype:
                vae.to(dtype=vae_dtype)
            raise
        return list(output.images), product_box

    def warmup(self) -> dict[str, float]:
        """Run the pipeline briefly at the sizes requests will use, so the first user does not pay for
        CUDA start-up (and, with compilation on, for compiling: every aspect ratio is a new graph).

        With compilation on, the single-image shapes SDXL_COMPILE_SHAPES names are compiled (other shapes
        compile on first use, if named). With SDXL_PRELOAD_CONTROLNET the product-photo ControlNet is
        loaded and run too, and the safety checker runs once.

        Runs on the generator's GPU thread, one shape at a time: a request arriving meanwhile goes
        before the next shape (and, with compilation on, runs eagerly until its shape is warm).
        Returns seconds per warmed-up shape.
        """
        compiled = self._acceleration_options is not None and self._acceleration_options.compile
        guidance, steps = (self._guidance,), min(2, self._steps)
        ratios = (self._compile_shapes.ratios(photo=False) or ["1:1"]) if compiled else ["1:1"]
        timings = self._runner.warm(self._pipe, self._sizes(ratios), guidance_scales=guidance, steps=steps, prompt="warm-up")
        if self._settings.sdxl_preload_controlnet and (self._controlnet is not None or self._controlnet_source is not None):
            timings.update(self._warm_controlnet(compiled, guidance, steps))
        if self._safety is not None:
            safety = self._safety
            self._in_background(lambda: safety.flags([Image.new("RGB", (64, 64), "white")]))
        return timings

    def _in_background(self, fn: Any) -> Any:
        """``fn()`` on the GPU thread behind any queued request (directly when already there), waiting for it."""
        if self._runner.on_worker:
            return fn()
        return self._runner.submit(fn, background=True).result()

    def _warm_controlnet(self, compiled: bool, guidance: tuple[float, ...], steps: int) -> dict[str, float]:
        """Load the ControlNet (on the GPU thread, behind any request) and run it at the photo shapes to compile."""
        try:
            cn_pipe = self._in_background(self._controlnet_pipeline)
        except AdGenError as exc:
            # The plain pipeline serves on; a photo request tries the load again and reports it.
            log.error("ControlNet preload failed [%s]: %s %s", exc.code, exc.message, exc.context)
            return {}
        ratios = (self._compile_shapes.ratios(photo=True) or ["1:1"]) if compiled else ["1:1"]
        return self._runner.warm(cn_pipe, self._sizes(ratios), guidance_scales=guidance, steps=steps, prompt="warm-up",
                                 controlnet_conditioning_scale=CONTROLNET_CONDITIONING_SCALE,
                                 control_guidance_end=self._controlnet_guidance_end)

    def _sizes(self, ratios: list[str]) -> list[tuple[int, int]]:
        return [render_size(r, self._render_edge, self._size_multiple) for r in ratios]

    def close(self) -> None:
        """Stop the GPU thread (after the call it is running)."""
        self._runner.close()
