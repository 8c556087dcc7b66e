"""Speed options for the SDXL pipelines (plain and ControlNet), applied once after loading.

`prepare_pipeline(pipe, options)` turns a freshly loaded `StableDiffusionXLPipeline` or
`StableDiffusionXLControlNetPipeline` into the configured fast one, in place, and can be called again with
other options (it moves the pipeline from its current state to the new one, reusing compiled code where it can).
Every option except `deepcache_interval` and `fp8` keeps the math of the plain pipeline; the images differ only by
floating-point rounding. DeepCache-style reuse and fp8 matmuls are approximations and are off by default.

Options that need CUDA (dtype casts, CUDA graphs, cuDNN tuning, the attention kernel choice) are skipped on
the CPU with a log line, so the same code runs in the CPU tests.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import functools
import itertools
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

log = logging.getLogger(__name__)

DTYPES: dict[str, torch.dtype] = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
AttentionBackend = Literal["auto", "cudnn", "flash", "efficient", "math"]
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")  # torch.compile's modes

# Inductor settings from PyTorch's "diffusion-fast" work (SDXL on A100/H100). conv_1x1_as_mm lowers 1x1
# convolutions to matmuls; epilogue_fusion=False keeps pointwise ops out of autotuned matmul templates (it was
# faster for diffusion UNets); the coordinate-descent flag only matters when coordinate_descent_tuning is on,
# which the max-autotune modes switch on (it costs compile time, paid once thanks to the on-disk cache).
DIFFUSION_INDUCTOR_OPTIONS: dict[str, Any] = {
    "conv_1x1_as_mm": True,
    "epilogue_fusion": False,
    "coordinate_descent_check_all_directions": True,
}
# One compiled graph per (batch, size, CFG on/off, ControlNet residuals or not, ControlNet itself); diffusers decorates
# the UNet and ControlNet forwards with one wrapper, whose code object holds all their graphs: far more
# than dynamo's default of 8 before it silently falls back to eager.
RECOMPILE_LIMIT = 128
_DEFAULT_SDP_ORDER: list[int] | None = None  # PyTorch's SDPA kernel order, remembered before we change it
# Images the running `call_pipeline` makes (the runner's thread), for DeepCache's variants interval.
_IMAGES_IN_CALL: contextvars.ContextVar[int | None] = contextvars.ContextVar("adgen_images_in_call", default=None)


@dataclass
class AccelerationOptions:
    """What `prepare_pipeline` does. Defaults are the project's choice for one H100-class GPU.

    dtype: weights/activations dtype on CUDA (the CPU keeps the pipeline's dtype).
    channels_last: UNet/ControlNet/VAE convolutions in NHWC (faster tensor-core convolutions).
    fuse_qkv: one matmul for q, k, v in self-attention (k, v in cross-attention).
    compile / compile_mode / compile_dynamic / compile_fullgraph / compile_backend: `torch.compile` of the UNet and
        ControlNet (`compile_mode` is an inductor mode name; its options are used as a base).
    compile_vae: also compile the VAE decoder (never with CUDA graphs: one call per image, large kernels).
    vae_slicing: decode a batch one image at a time (same math; bounds the memory of 4 variants at 1024 px, and
        a compiled decoder then serves every batch size with one graph).
    cuda_graphs: add CUDA graphs (inductor cudagraph trees) to whatever `compile_mode` says; CUDA only.
    vae_fp16: decode in half precision (`force_upcast` off). Only correct with an fp16-safe VAE such as
        madebyollin/sdxl-vae-fp16-fix; the original SDXL VAE overflows to NaN (black images) in fp16. False keeps what
        the VAE's own config says (the stock SDXL VAE: upcast to fp32).
    deepcache_interval: 0 (or 1) = exact; N >= 2 runs the full UNet every N-th step and only its outermost blocks in
        between, reusing the cached deep features (approximate, see `DeepCache`).
    variants_deepcache_interval: the same for calls that make two or more images at once (variants); 0 = whatever
        `deepcache_interval` says. One CFG image already fills an H100, so 4 exact variants cost 4 images; with
        reuse every 2nd step they cost 2.2 (docs/performance.md), while single images stay exact.
    fp8: the linear layers of the UNet's and ControlNet's transformer blocks (most of their FLOPs) as fp8 GEMMs
        (`Fp8Linear`; approximate, like DeepCache; needs an Ada/Hopper GPU, ignored with a warning on older ones).
    attention_backend: SDPA kernel preferred on CUDA ("auto" keeps PyTorch's order; "cudnn" is often faster on H100).
    cudnn_benchmark: let cuDNN pick convolution algorithms by timing them (first call per shape is slower).
    cache_dir: where inductor/Triton/autotune caches live on disk, so a second process starts warm.
    """

    dtype: str = "float16"
    channels_last: bool = True
    fuse_qkv: bool = True
    compile: bool = False
    compile_mode: str = "default"
    compile_dynamic: bool = False
    compile_fullgraph: bool = False
    compile_backend: str = "inductor"
    compile_vae: bool = False
    vae_slicing: bool = True
    cuda_graphs: bool = False
    vae_fp16: bool = True
    deepcache_interval: int = 0
    variants_deepcache_interval: int = 0
    fp8: bool = False
    attention_backend: AttentionBackend = "auto"
    cudnn_benchmark: bool = True
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"`dtype` must be one of {sorted(DTYPES)} but is {self.dtype!r}.")
        for name in ("deepcache_interval", "variants_deepcache_interval"):
            if getattr(self, name) < 0:
                raise ValueError(f"`{name}` must be >= 0 (0 and 1 = off) but is {getattr(self, name)}.")
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(f"`compile_mode` must be one of {', '.join(COMPILE_MODES)} but is {self.compile_mode!r}.")
        if self.attention_backend not in ("auto", "cudnn", "flash", "efficient", "math"):
            raise ValueError(f"`attention_backend` must be auto, cudnn, flash, efficient or math but is {self.attention_backend!r}.")
        if self.cache_dir is not None:
            self.cache_dir = Path(self.cache_dir)

    @classmethod
    def from_settings(cls, settings: Any) -> AccelerationOptions:
        """Options from `adgen.settings.Settings` (the `sdxl_*` fields; caches under DATA_DIR/inductor)."""
        dtype = settings.sdxl_dtype
        return cls(
            dtype=dtype,
            channels_last=settings.sdxl_channels_last,
            fuse_qkv=settings.sdxl_fuse_qkv,
            compile=settings.sdxl_compile,
            compile_mode=settings.sdxl_compile_mode,
            compile_vae=getattr(settings, "sdxl_compile_vae", False),
            cuda_graphs=getattr(settings, "sdxl_cuda_graphs", False),
            # Half-precision decoding only with a VAE known or declared fp16-safe: the stock SDXL VAE overflows in fp16.
            vae_fp16=vae_is_fp16_safe(settings.sdxl_vae_model, declared=getattr(settings, "sdxl_vae_fp16_safe", False)),
            deepcache_interval=settings.sdxl_deepcache_interval,
            # Few-step (distilled) fast mode has no steps to spare: its variants stay exact.
            variants_deepcache_interval=0 if settings.sdxl_fast_mode else getattr(settings, "sdxl_variants_deepcache_interval", 0),
            fp8=getattr(settings, "sdxl_fp8", False),
            attention_backend=getattr(settings, "sdxl_attention_backend", "auto"),
            cache_dir=Path(settings.data_dir) / "inductor",
        )

    def compile_key(self, on_cuda: bool) -> tuple[Any, ...]:
        """What a compiled wrapper depends on (wrappers are reused across `prepare_pipeline` calls with this key)."""
        return (
            self.compile_backend,
            self.fp8,
            self.compile_dynamic,
            self.compile_fullgraph,
            tuple(sorted(inductor_options(self, on_cuda=on_cuda).items())),
        )

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["cache_dir"] = str(self.cache_dir) if self.cache_dir else None
        return out


# VAEs that decode correctly in fp16 (no overflow to NaN): their `force_upcast` may be switched off.
FP16_SAFE_VAES = ("madebyollin/sdxl-vae-fp16-fix",)


def vae_is_fp16_safe(vae_model: str | None, *, declared: bool = False) -> bool:
    """Whether the VAE in use may decode in fp16: one known fp16-safe (`FP16_SAFE_VAES`), or one the operator declared
    safe (`SDXL_VAE_FP16_SAFE`; it then applies to whichever VAE is used, SDXL_MODEL's own included)."""
    return declared or (vae_model or "").strip().rstrip("/") in FP16_SAFE_VAES


# --------------------------------------------------------------------------------------------------------------
# global (process-wide) settings


def configure_compile_caches(cache_dir: Path | None) -> None:
    """Persistent compile caches (FX graph, AOTAutograd, autotune results, Triton kernels) under `cache_dir`.

    Must run before the first compilation of the process: inductor reads the directory when it first compiles.
    """
    import torch._dynamo.config as dynamo_config
    import torch._inductor.config as inductor_config

    if cache_dir is not None:
        cache_dir = Path(cache_dir).resolve()
        cache_dir.mkdir(parents=True, exist_ok=True)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(cache_dir)
        os.environ.setdefault("TRITON_CACHE_DIR", str(cache_dir / "triton"))
    inductor_config.fx_graph_cache = True
    inductor_config.autotune_local_cache = True
    try:
        import torch._functorch.config as functorch_config

        functorch_config.enable_autograd_cache = True
    except (ImportError, AttributeError):  # older torch: FX graph cache alone still saves most of the time
        pass
    for name in ("recompile_limit", "cache_size_limit"):
        if getattr(dynamo_config, name, RECOMPILE_LIMIT) < RECOMPILE_LIMIT:
            setattr(dynamo_config, name, RECOMPILE_LIMIT)


def set_attention_backend(name: AttentionBackend) -> bool:
    """Put one SDPA kernel first in PyTorch's priority order (process-wide). Returns whether it was applied.

    Other kernels stay as fallbacks for shapes the preferred one does not support. Compiled graphs keep the
    kernel chosen when they were traced, so set this before compiling.
    """
    from torch.nn.attention import SDPBackend

    getter = getattr(torch._C, "_get_sdp_priority_order", None)
    setter = getattr(torch._C, "_set_sdp_priority_order", None)
    if getter is None or setter is None:
        if name != "auto":
            log.info("this torch cannot reorder SDPA kernels; attention_backend=%s ignored", name)
        return False
    global _DEFAULT_SDP_ORDER
    if _DEFAULT_SDP_ORDER is None:
        _DEFAULT_SDP_ORDER = [int(b) for b in getter()]
    if name == "auto":
        setter(list(_DEFAULT_SDP_ORDER))
        return False
    wanted = int({"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
                  "efficient": SDPBackend.EFFICIENT_ATTENTION, "math": SDPBackend.MATH}[name])
    setter([wanted] + [b for b in _DEFAULT_SDP_ORDER if b != wanted])
    return True


def inductor_options(options: AccelerationOptions, *, on_cuda: bool, cuda_graphs: bool | None = None) -> dict[str, Any]:
    """The inductor option dict for `torch.compile(options=...)`: the mode's options plus the diffusion ones."""
    from torch._inductor import list_mode_options

    mode = options.compile_mode or "default"
    opts: dict[str, Any] = dict(list_mode_options(mode))
    opts.update(DIFFUSION_INDUCTOR_OPTIONS)
    use_graphs = options.cuda_graphs if cuda_graphs is None else cuda_graphs
    if use_graphs and on_cuda:
        opts["triton.cudagraphs"] = True
    elif cuda_graphs is False:
        opts.pop("triton.cudagraphs", None)
    if not on_cuda:
        # CUDA graphs do not exist on the CPU; CPU max-autotune (C++ GEMM templates) costs minutes for nothing here.
        for key in ("triton.cudagraphs", "max_autotune", "coordinate_descent_tuning"):
            opts.pop(key, None)
    return opts


# --------------------------------------------------------------------------------------------------------------
# per-module transformations (each one idempotent, each one undoable)


def _unwrap(module: Any) -> Any:
    return getattr(module, "_orig_mod", module)


_EAGER = threading.local()  # set by `eager_modules`: compiled wrappers call their eager twin instead


def _eager_forced() -> bool:
    return getattr(_EAGER, "depth", 0) > 0


class _CompiledOrEager:
    """A compiled callable with its eager twin: `eager_modules` makes every such wrapper use the eager one."""

    def __init__(self, compiled: Callable[..., Any], eager: Callable[..., Any]) -> None:
        self.compiled, self.eager = compiled, eager

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return (self.eager if _eager_forced() else self.compiled)(*args, **kwargs)


class _SkipUnscaledControlNet:
    """A ControlNet's `forward` that is not run at all when its conditioning scale is 0.

    diffusers still calls the ControlNet after `control_guidance_end` (with the scale multiplied by 0) and adds its
    zeroed residuals to the UNet's skips: the same image as not calling it, at the ControlNet's full cost. Returning
    no residuals instead sends the UNet down its plain path (x + 0 * r == x for finite r: exact), so a shortened
    guidance window saves the ControlNet's share of those steps.
    """

    def __init__(self, forward: Callable[..., Any]) -> None:
        self.forward = forward
        self.skipped = 0
        self.run = 0

    def __call__(self, *args: Any, conditioning_scale: Any = 1.0, return_dict: bool = True, **kwargs: Any) -> Any:
        # guess_mode: the pipeline pads the residuals with zeros itself, so it needs them (rarely used: run it).
        if (not return_dict and not kwargs.get("guess_mode") and not isinstance(conditioning_scale, (list, tuple))
                and float(conditioning_scale) == 0.0):
            self.skipped += 1
            return None, None
        self.run += 1
        return self.forward(*args, conditioning_scale=conditioning_scale, return_dict=return_dict, **kwargs)


def _install_controlnet_forward(controlnet: nn.Module, compiled: Callable[..., Any] | None) -> _SkipUnscaledControlNet:
    """The ControlNet's forward: zero-scale steps skipped; compiled (with an eager twin) or eager."""
    eager = type(controlnet).forward.__get__(controlnet)
    forward = _SkipUnscaledControlNet(_CompiledOrEager(compiled, eager) if compiled is not None else eager)
    controlnet.__dict__["forward"] = forward
    return forward


def _remove_controlnet_forward(controlnet: nn.Module) -> None:
    if isinstance(controlnet.__dict__.get("forward"), _SkipUnscaledControlNet):
        del controlnet.__dict__["forward"]


def _attention_modules(model: nn.Module) -> list[nn.Module]:
    from diffusers.models.attention_processor import Attention

    return [m for m in model.modules() if isinstance(m, Attention)]


def is_qkv_fused(model: nn.Module) -> bool:
    return any(getattr(m, "fused_projections", False) for m in _attention_modules(model))


def fuse_qkv(model: nn.Module) -> None:
    """Fuse q/k/v (self-attention) and k/v (cross-attention) projections of every attention layer (exact math).

    Works for the UNet, the ControlNet and the VAE alike (diffusers only offers it for some model classes).
    The unfused weights stay, so `unfuse_qkv` can return to the original layers.
    """
    from diffusers.models.attention_processor import FusedAttnProcessor2_0

    for attn in _attention_modules(model):
        if getattr(attn, "fused_projections", False):
            continue
        processor = attn.get_processor()
        if "Added" in type(processor).__name__:
            raise ValueError(f"QKV fusion does not support attention processor {type(processor).__name__}.")
        attn.fuse_projections(fuse=True)
        attn.__dict__["_adgen_unfused_processor"] = processor
        attn.set_processor(FusedAttnProcessor2_0())


def unfuse_qkv(model: nn.Module) -> None:
    """Undo `fuse_qkv`: original processors back, fused weights freed."""
    from diffusers.models.attention_processor import AttnProcessor2_0

    for attn in _attention_modules(model):
        if not getattr(attn, "fused_projections", False):
            continue
        attn.set_processor(attn.__dict__.pop("_adgen_unfused_processor", None) or AttnProcessor2_0())
        for name in ("to_qkv", "to_kv", "to_added_qkv"):
            if name in attn._modules:
                del attn._modules[name]
        attn.fused_projections = False


# fp8 (e4m3) matmuls for the transformer blocks' linear layers

FP8_DTYPE = torch.float8_e4m3fn
FP8_MAX = float(torch.finfo(FP8_DTYPE).max)  # 448
# Linear layers fed with the text embeddings (77 tokens): cheap, and the text conditioning is where the
# rounding of fp8 would matter most. They stay in half precision.
_TEXT_FED = ("attn2.to_k", "attn2.to_v", "attn2.to_kv")


def _fp8_scale(amax: torch.Tensor) -> torch.Tensor:
    return (amax.float() / FP8_MAX).clamp(min=1e-12)


def _to_fp8(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return (x.float() / scale).clamp(-FP8_MAX, FP8_MAX).to(FP8_DTYPE)


class Fp8Linear(nn.Module):
    """`nn.Linear` computed in fp8: e4m3 weights with one scale per tensor, the input quantised on every call with
    its own per-tensor scale (dynamic, as torchao's float8 inference), multiplied by `torch._scaled_mm` - fp8
    tensor cores (twice the fp16 rate) on H100/Ada GPUs, PyTorch's reference kernel on a CPU.

    An approximation: e4m3 keeps 3 mantissa bits, so images change beyond fp16 rounding. The weight is kept as
    uint8 bits (a `module.to(torch.float16)` cast must not turn it into half precision) and the original layer off
    the module tree, on the CPU, so `dequantize_fp8` puts back exactly what was there.
    """

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach()
        scale = _fp8_scale(weight.abs().amax())
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_bits", _to_fp8(weight, scale).contiguous().view(torch.uint8))
        self.register_buffer("weight_scale", scale.reshape(()))
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone(), requires_grad=False)
        self.__dict__["original"] = linear.to("cpu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, self.in_features)
        x_scale = _fp8_scale(x2.abs().amax())
        out = torch._scaled_mm(
            _to_fp8(x2, x_scale).contiguous(),  # cuBLASLt's fp8 GEMM: row-major input, column-major weight
            self.weight_bits.view(FP8_DTYPE).t(),
            scale_a=x_scale,
            scale_b=self.weight_scale.float(),
            out_dtype=x.dtype,
            use_fast_accum=True,
        )
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, fp8=e4m3"


def fp8_layers(model: nn.Module) -> list[Fp8Linear]:
    return [m for m in model.modules() if isinstance(m, Fp8Linear)]


def _fp8_candidates(model: nn.Module) -> list[tuple[nn.Module, str, nn.Linear]]:
    """(parent, name, layer) of every linear layer inside the transformer blocks that an fp8 GEMM can take.

    The layers the attention actually runs (the fused projection when QKV is fused), fed with image tokens, with
    both dimensions multiples of 16 (cuBLASLt's fp8 requirement; every SDXL layer meets it).
    """
    fused = {id(m) for m in _attention_modules(model) if getattr(m, "fused_projections", False)}
    out = []
    for parent_name, parent in model.named_modules():
        if ".attentions." not in f".{parent_name}.":
            continue
        for name, child in parent._modules.items():
            if type(child) is not nn.Linear:
                continue
            full = f"{parent_name}.{name}"
            if full.endswith(_TEXT_FED) or child.in_features % 16 or child.out_features % 16:
                continue
            if id(parent) in fused and name in ("to_q", "to_k", "to_v") and "to_qkv" in parent._modules:
                continue  # unused while the fused projection runs
            out.append((parent, name, child))
    return out


def quantize_fp8(model: nn.Module) -> int:
    """Swap the transformer blocks' linear layers for `Fp8Linear`; returns how many were swapped."""
    candidates = _fp8_candidates(model)
    with torch.no_grad():
        for parent, name, linear in candidates:
            parent._modules[name] = Fp8Linear(linear)
    return len(candidates)


def dequantize_fp8(model: nn.Module) -> None:
    """Undo `quantize_fp8`: the original layers back, on the device and in the dtype the fp8 layers had."""
    for parent in list(model.modules()):
        for name, child in list(parent._modules.items()):
            if isinstance(child, Fp8Linear):
                original = child.__dict__["original"]
                dtype = child.bias.dtype if child.bias is not None else original.weight.dtype
                parent._modules[name] = original.to(device=child.weight_bits.device, dtype=dtype)


def fp8_supported(device: torch.device) -> bool:
    """fp8 GEMMs need compute capability 8.9+ (Ada, Hopper) on CUDA; the CPU has a reference kernel."""
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device) >= (8, 9)
    return device.type == "cpu"


def _set_memory_format(model: nn.Module, channels_last: bool) -> None:
    model.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def _kept(owner: nn.Module, slot: str, options: AccelerationOptions, on_cuda: bool, make: Callable[[], Any]) -> Any:
    """`make()` once per compile options, kept on `owner` (dynamo keeps its code, so switching back costs nothing)."""
    cache: dict[tuple[Any, ...], Any] = owner.__dict__.setdefault(slot, {})
    key = options.compile_key(on_cuda)
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _compiled(module: nn.Module, options: AccelerationOptions, on_cuda: bool) -> nn.Module:
    """A `torch.compile` wrapper of `module`, reused for the same compile options."""
    return _kept(module, "_adgen_compiled", options, on_cuda, lambda: _torch_compile(module, options, on_cuda=on_cuda))


def _torch_compile(fn: Any, options: AccelerationOptions, *, on_cuda: bool, cuda_graphs: bool | None = None) -> Any:
    kwargs: dict[str, Any] = {"fullgraph": options.compile_fullgraph, "dynamic": options.compile_dynamic}
    if options.compile_backend == "inductor":
        kwargs["options"] = inductor_options(options, on_cuda=on_cuda, cuda_graphs=cuda_graphs)
    return torch.compile(fn, backend=options.compile_backend, **kwargs)


def _compile_vae_decoder(vae: nn.Module, options: AccelerationOptions, on_cuda: bool) -> None:
    # `_decode` (one latent batch through post_quant_conv + decoder) rather than `decode`: with slicing on,
    # `decode` loops over the batch in Python and every batch size reuses the batch-1 graph.
    original = type(vae)._decode.__get__(vae)
    vae.__dict__["_decode"] = _kept(vae, "_adgen_compiled_decode", options, on_cuda, lambda: _CompiledOrEager(
        _torch_compile(original, options, on_cuda=on_cuda, cuda_graphs=False), original))


def _compiled_controlnet_forward(controlnet: nn.Module, options: AccelerationOptions, on_cuda: bool) -> Callable[..., Any]:
    """The ControlNet's bound `forward`, compiled (kept per compile options, like the UNet's wrapper).

    The bound method rather than the module: the pipeline keeps the ControlNet module itself (its isinstance checks),
    and the zero-scale skip stays outside the compiled region (no guard on the scale, no graph for "skipped").
    """
    return _kept(controlnet, "_adgen_compiled_forward", options, on_cuda,
                 lambda: _torch_compile(type(controlnet).forward.__get__(controlnet), options, on_cuda=on_cuda))


def _uncompile_vae_decoder(vae: nn.Module) -> None:
    vae.__dict__.pop("_decode", None)


def _set_vae_slicing(vae: nn.Module, enabled: bool) -> None:
    if hasattr(vae, "use_slicing"):
        vae.use_slicing = enabled


# --------------------------------------------------------------------------------------------------------------
# DeepCache-style feature reuse


class DeepCache:
    """Reuse of the UNet's deep features between steps (after DeepCache, Ma et al. 2023).

    Every `interval`-th denoising step (and the first of every generation) runs the full UNet and keeps the
    input of its last up block, which carries everything the deep blocks computed. The steps in between run only
    the time embedding, `conv_in`, the first down block, the last up block (fed with the cached features and fresh
    skip connections) and `conv_out` - the outermost, cheapest blocks. This is an approximation: images change,
    measurably, with the interval. With a ControlNet the ControlNet still runs every step (its shallow residuals
    feed the last up block).

    Installed as the UNet's `forward` (the UNet object stays what the pipeline expects); `remove()` undoes it.
    The step index comes from the pipeline's scheduler (`step_index`, no GPU sync), so a new generation always
    starts with a full step. `variants_interval` applies to calls that make more than one image (the pipeline's
    CFG flag tells images from CFG halves); 0 (or 1) makes those calls, or with `interval` 0 the single-image
    calls, exact: every step runs the full UNet.
    """

    def __init__(
        self,
        pipe: Any,
        unet: nn.Module,
        interval: int,
        compile_fn: Callable[[Any], Any] | None = None,
        compile_key: tuple[Any, ...] | None = None,
        variants_interval: int | None = None,
    ) -> None:
        variants_interval = interval if variants_interval is None else variants_interval
        self._check(interval, variants_interval)
        first, last = unet.down_blocks[0], unet.up_blocks[-1]
        available = 1 + len(first.resnets) + (1 if getattr(first, "downsamplers", None) else 0)
        if available < len(last.resnets):
            raise ValueError("DeepCache needs the first down block to provide the last up block's skip connections.")
        self.interval = interval
        self.variants_interval = variants_interval
        self.compile_key = compile_key
        self.full_calls = 0
        self.shallow_calls = 0
        self._unet = unet
        self._pipe = weakref.ref(pipe)
        self._cached: torch.Tensor | None = None
        self._cached_key: tuple[Any, ...] | None = None
        self._captured: torch.Tensor | None = None
        self._fallback_step = 0
        self._fallback_last_t: float | None = None
        full: Callable[..., Any] = type(unet).forward.__get__(unet)
        self._eager = full
        shallow: Callable[..., Any] = functools.partial(_shallow_unet_forward, unet)
        if compile_fn is not None:
            full, shallow = compile_fn(full), compile_fn(shallow)
        self._full, self._shallow = full, shallow
        self._hook = last.register_forward_pre_hook(self._capture, with_kwargs=True)
        unet.__dict__["forward"] = self

    def _capture(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._captured = kwargs["hidden_states"] if "hidden_states" in kwargs else args[0]

    @staticmethod
    def _check(interval: int, variants_interval: int) -> None:
        if min(interval, variants_interval) < 0 or max(interval, variants_interval) < 2:
            raise ValueError(f"DeepCache needs an interval >= 2 (and none < 0) but has {interval} and {variants_interval} for variants.")

    def retarget(self, pipe: Any, interval: int, variants_interval: int | None = None) -> None:
        """Other intervals or another pipeline (sharing this UNet) without touching the compiled code."""
        variants_interval = interval if variants_interval is None else variants_interval
        self._check(interval, variants_interval)
        self.interval, self.variants_interval = interval, variants_interval
        self._pipe = weakref.ref(pipe)
        self._cached = None

    def interval_for(self, sample: torch.Tensor) -> int:
        """The interval of the call `sample` belongs to: `variants_interval` when it makes two or more images.

        `call_pipeline` says how many; a direct `pipe(...)` call is judged by the UNet batch and the pipeline's CFG
        flag (not known yet: taken as CFG, so a doubtful call stays exact).
        """
        if self.variants_interval == self.interval:
            return self.interval
        images = _IMAGES_IN_CALL.get()
        if images is None:
            cfg = getattr(self._pipe(), "do_classifier_free_guidance", None)
            images = sample.shape[0] // (1 if cfg is False else 2)
        return self.variants_interval if images > 1 else self.interval

    def remove(self) -> None:
        self._hook.remove()
        if self._unet.__dict__.get("forward") is self:
            del self._unet.__dict__["forward"]
        self._cached = self._captured = None

    def _step_index(self, timestep: Any) -> int:
        pipe = self._pipe()
        index = getattr(getattr(pipe, "scheduler", None), "step_index", None)
        if index is not None:
            return int(index)
        # Scheduler without a step index: count calls, restarting when the timestep goes up (new generation).
        t = float(timestep.flatten()[0]) if torch.is_tensor(timestep) else float(timestep)
        if self._fallback_last_t is None or t >= self._fallback_last_t:
            self._fallback_step = 0
        else:
            self._fallback_step += 1
        self._fallback_last_t = t
        return self._fallback_step

    def __call__(self, sample: torch.Tensor, timestep: Any, encoder_hidden_states: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if _eager_forced():  # `eager_modules`: the exact, uncompiled UNet
            return self._eager(sample, timestep, encoder_hidden_states, *args, **kwargs)
        key = (tuple(sample.shape), sample.dtype, sample.device)
        step = self._step_index(timestep)
        interval = self.interval_for(sample)
        reusable = (
            interval >= 2
            and self._cached is not None
            and self._cached_key == key
            and step % interval != 0
            and not args
            and kwargs.get("down_intrablock_additional_residuals") is None
        )
        if reusable:
            self.shallow_calls += 1
            return self._shallow(self._cached, sample, timestep, encoder_hidden_states, **kwargs)
        self._captured = None
        out = self._full(sample, timestep, encoder_hidden_states, *args, **kwargs)
        self.full_calls += 1
        # Cloned outside any compiled region: with CUDA graphs the captured tensor lives in graph-owned memory
        # that the next replay overwrites. An exact call keeps nothing.
        self._cached = self._captured.clone() if self._captured is not None and interval >= 2 else None
        self._cached_key = key
        self._captured = None
        return out


def _shallow_unet_forward(
    unet: nn.Module,
    cached: torch.Tensor,
    sample: torch.Tensor,
    timestep: Any,
    encoder_hidden_states: torch.Tensor,
    class_labels: torch.Tensor | None = None,
    timestep_cond: torch.Tensor | None = None,
    attention_mask: torch.Tensor | None = None,
    cross_attention_kwargs: dict[str, Any] | None = None,
    added_cond_kwargs: dict[str, torch.Tensor] | None = None,
    down_block_additional_residuals: Sequence[torch.Tensor] | None = None,
    mid_block_additional_residual: torch.Tensor | None = None,
    down_intrablock_additional_residuals: Sequence[torch.Tensor] | None = None,
    encoder_attention_mask: torch.Tensor | None = None,
    return_dict: bool = True,
) -> Any:
    """`UNet2DConditionModel.forward` restricted to its outermost blocks, with the deep features given as `cached`.

    Mirrors diffusers 0.42's forward for everything the outer blocks need (embeddings, masks, ControlNet residuals).
    """
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

    if attention_mask is not None:
        attention_mask = ((1 - attention_mask.to(sample.dtype)) * -10000.0).unsqueeze(1)
    if encoder_attention_mask is not None:
        encoder_attention_mask = ((1 - encoder_attention_mask.to(sample.dtype)) * -10000.0).unsqueeze(1)
    if unet.config.center_input_sample:
        sample = 2 * sample - 1.0
    emb = unet.time_embedding(unet.get_time_embed(sample=sample, timestep=timestep), timestep_cond)
    class_emb = unet.get_class_embed(sample=sample, class_labels=class_labels)
    if class_emb is not None:
        emb = torch.cat([emb, class_emb], dim=-1) if unet.config.class_embeddings_concat else emb + class_emb
    aug_emb = unet.get_aug_embed(emb=emb, encoder_hidden_states=encoder_hidden_states, added_cond_kwargs=added_cond_kwargs)
    if aug_emb is not None:
        emb = emb + aug_emb
    if unet.time_embed_act is not None:
        emb = unet.time_embed_act(emb)
    encoder_hidden_states = unet.process_encoder_hidden_states(
        encoder_hidden_states=encoder_hidden_states, added_cond_kwargs=added_cond_kwargs
    )
    sample = unet.conv_in(sample)

    attn_kwargs = {
        "encoder_hidden_states": encoder_hidden_states,
        "attention_mask": attention_mask,
        "cross_attention_kwargs": cross_attention_kwargs,
        "encoder_attention_mask": encoder_attention_mask,
    }
    first, last = unet.down_blocks[0], unet.up_blocks[-1]
    if getattr(first, "has_cross_attention", False):
        _, res = first(hidden_states=sample, temb=emb, **attn_kwargs)
    else:
        _, res = first(hidden_states=sample, temb=emb)
    skips = ((sample,) + tuple(res))[: len(last.resnets)]
    if down_block_additional_residuals is not None:
        skips = tuple(s + r for s, r in zip(skips, down_block_additional_residuals, strict=False))

    # `.forward` rather than `__call__`: the capture hook of the full path must not fire here.
    if getattr(last, "has_cross_attention", False):
        sample = last.forward(hidden_states=cached, temb=emb, res_hidden_states_tuple=skips, upsample_size=None, **attn_kwargs)
    else:
        sample = last.forward(hidden_states=cached, temb=emb, res_hidden_states_tuple=skips, upsample_size=None)
    if unet.conv_norm_out:
        sample = unet.conv_act(unet.conv_norm_out(sample))
    sample = unet.conv_out(sample)
    return UNet2DConditionOutput(sample=sample) if return_dict else (sample,)


def deepcache_of(unet: Any) -> DeepCache | None:
    forward = _unwrap(unet).__dict__.get("forward")
    return forward if isinstance(forward, DeepCache) else None


# --------------------------------------------------------------------------------------------------------------
# the pipeline-level API


def _device_of(pipe: Any) -> torch.device:
    unet = _unwrap(pipe.unet)
    return next(unet.parameters()).device


def prepare_pipeline(pipe: Any, options: AccelerationOptions | None = None) -> Any:
    """Apply `options` to an SDXL (or SDXL ControlNet) pipeline in place and return it.

    Safe to call again with other options: each module is moved to the new state (fused or not, channels-last or
    not, compiled or not, DeepCache or not). Compiled wrappers are kept per compile options, so switching back to a
    configuration compiled before costs nothing. Compilation itself happens lazily, on the first call; use
    `warmup()` to pay it at start-up.
    """
    options = options or AccelerationOptions()
    device = _device_of(pipe)
    on_cuda = device.type == "cuda"
    started = time.perf_counter()
    applied: list[str] = []

    if on_cuda:
        dtype = DTYPES[options.dtype]
        if _unwrap(pipe.unet).dtype != dtype:
            pipe.to(dtype=dtype)
            applied.append(f"dtype={options.dtype}")
        torch.backends.cudnn.benchmark = options.cudnn_benchmark
        if set_attention_backend(options.attention_backend):
            applied.append(f"attention={options.attention_backend}")
    else:
        log.info("CPU pipeline: dtype=%s, cuda_graphs, cudnn_benchmark and attention_backend do not apply", options.dtype)

    unet = _unwrap(pipe.unet)
    controlnet = _unwrap(getattr(pipe, "controlnet", None))
    vae = pipe.vae
    # ControlNet pipelines may hold a MultiControlNetModel: its children are the models to transform.
    controlnets = [m for m in (getattr(controlnet, "nets", None) or [controlnet]) if m is not None]
    models = [unet, *controlnets, vae]

    # Back to plain modules first; compiled wrappers are re-attached below from their cache.
    pipe.unet = unet
    if controlnet is not None:
        pipe.controlnet = controlnet
    _uncompile_vae_decoder(vae)

    fp8 = options.fp8 and fp8_supported(device)
    if options.fp8 and not fp8:
        log.warning("fp8=True ignored: %s has no fp8 matmuls (CUDA compute capability 8.9+ needed)", device)
    for model in models:
        fp8_model = model is not vae
        # fp8 layers are built from the projections in use: back to the originals before fusing or unfusing.
        if fp8_layers(model) and (not (fp8 and fp8_model) or options.fuse_qkv != is_qkv_fused(model)):
            dequantize_fp8(model)
        if options.fuse_qkv and not is_qkv_fused(model):
            fuse_qkv(model)
        elif not options.fuse_qkv and is_qkv_fused(model):
            unfuse_qkv(model)
        if fp8 and fp8_model and not fp8_layers(model):
            applied.append(f"fp8_linears={quantize_fp8(model)}")
        _set_memory_format(model, options.channels_last)
    _set_vae_slicing(vae, options.vae_slicing)
    applied += [f"fuse_qkv={options.fuse_qkv}", f"channels_last={options.channels_last}", f"vae_slicing={options.vae_slicing}"]

    # force_upcast decides whether the pipeline decodes in fp32; remember the loaded value to restore it.
    original_upcast = vae.__dict__.setdefault("_adgen_force_upcast", bool(getattr(vae.config, "force_upcast", False)))
    wanted_upcast = False if options.vae_fp16 else original_upcast
    if bool(getattr(vae.config, "force_upcast", False)) != wanted_upcast:
        vae.register_to_config(force_upcast=wanted_upcast)
    applied.append(f"vae_force_upcast={wanted_upcast}")

    if controlnet is not None and getattr(controlnet, "nets", None) is None:  # one ControlNet (a Multi one stays eager)
        _install_controlnet_forward(controlnet, _compiled_controlnet_forward(controlnet, options, on_cuda) if options.compile else None)

    if options.compile:
        configure_compile_caches(options.cache_dir)
        if options.cuda_graphs and not on_cuda:
            log.info("cuda_graphs=True ignored on %s", device)
        applied.append(f"compile={options.compile_backend}:{options.compile_mode}")

    # A DeepCache already on this UNet is kept when its compiled code fits (another interval, or the ControlNet
    # pipeline sharing the UNet); a new one would have to compile again.
    existing = deepcache_of(unet)
    deepcache_key = options.compile_key(on_cuda) if options.compile else None
    single = options.deepcache_interval if options.deepcache_interval >= 2 else 0
    variants = options.variants_deepcache_interval if options.variants_deepcache_interval >= 2 else single
    if existing is not None and (max(single, variants) < 2 or existing.compile_key != deepcache_key):
        existing.remove()
        existing = None
    if max(single, variants) >= 2:
        if existing is not None:
            existing.retarget(pipe, single, variants)
        else:
            compile_fn = (lambda fn: _torch_compile(fn, options, on_cuda=on_cuda)) if options.compile else None
            DeepCache(pipe, unet, single, compile_fn=compile_fn, compile_key=deepcache_key, variants_interval=variants)
        applied.append(f"deepcache={single}/variants={variants}")
    elif options.compile:
        pipe.unet = _compiled(unet, options, on_cuda)

    if options.compile:
        if options.compile_vae:
            _compile_vae_decoder(vae, options, on_cuda)
            applied.append("compile_vae")

    pipe.__dict__["_adgen_acceleration"] = options
    log.info("pipeline prepared in %.2fs on %s: %s", time.perf_counter() - started, device, ", ".join(applied))
    return pipe


def restore_pipeline(pipe: Any) -> Any:
    """Undo `prepare_pipeline`: the plain diffusers pipeline again (unfused, contiguous, eager, fp32-upcast VAE as loaded).

    Process-wide settings (cuDNN benchmark, SDPA order, compile caches) are left as they are.
    """
    unet = _unwrap(pipe.unet)
    controlnet = _unwrap(getattr(pipe, "controlnet", None))
    existing = deepcache_of(unet)
    if existing is not None:
        existing.remove()
    pipe.unet = unet
    if controlnet is not None:
        pipe.controlnet = controlnet
    _uncompile_vae_decoder(pipe.vae)
    controlnets = [m for m in (getattr(controlnet, "nets", None) or [controlnet]) if m is not None]
    for net in controlnets:
        _remove_controlnet_forward(net)
    for model in (unet, *controlnets, pipe.vae):
        dequantize_fp8(model)
        unfuse_qkv(model)
        _set_memory_format(model, channels_last=False)
    _set_vae_slicing(pipe.vae, False)
    if "_adgen_force_upcast" in pipe.vae.__dict__:
        pipe.vae.register_to_config(force_upcast=pipe.vae.__dict__["_adgen_force_upcast"])
    pipe.__dict__.pop("_adgen_acceleration", None)
    return pipe


def fast_mode_scheduler(pipe: Any) -> Any:
    """Euler with trailing timesteps: SDXL-Lightning's scheduler (4 steps from pure noise, no CFG).

    Returns a new scheduler built from the pipeline's; assign it to `pipe.scheduler` for fast-mode calls. The app's
    fast mode picks its scheduler per recipe in `adgen.imaging.few_step` (this one for `lightning`).
    """
    from diffusers import EulerDiscreteScheduler

    return EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing")


def _blank_prompt_embeddings(pipe: Any, device: torch.device, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Zero prompt embeddings shaped for the UNet, for pipelines built without text encoders."""
    config = _unwrap(pipe.unet).config
    text_dim = config.cross_attention_dim
    pooled_dim = config.projection_class_embeddings_input_dim - 6 * config.addition_time_embed_dim
    seq = torch.zeros(1, 77, text_dim, device=device, dtype=dtype)
    pooled = torch.zeros(1, pooled_dim, device=device, dtype=dtype)
    return {"prompt_embeds": seq, "pooled_prompt_embeds": pooled,
            "negative_prompt_embeds": seq.clone(), "negative_pooled_prompt_embeds": pooled.clone()}


def warmup(
    pipe: Any,
    sizes: Iterable[tuple[int, int]] = ((1024, 1024),),
    *,
    guidance_scales: Iterable[float] = (5.0,),
    batch_sizes: Iterable[int] = (1,),
    steps: int = 2,
    **call_kwargs: Any,
) -> dict[str, float]:
    """Run the pipeline once per (width x height, guidance, batch) so every graph is compiled (and CUDA graphs
    recorded) before real requests come. Returns seconds per combination ("1024x1024/cfg5.0/b1").

    Runs on the calling thread; with CUDA graphs that must be the thread later calls run on (`PipelineRunner.warm`).

    Two steps suffice: graphs depend on shapes and on CFG being on (batch doubled), not on the step count.
    Pipelines without text encoders get zero prompt embeddings; ControlNet pipelines a blank control image.
    """
    from PIL import Image

    device = _device_of(pipe)
    dtype = _unwrap(pipe.unet).dtype
    timings: dict[str, float] = {}
    base: dict[str, Any] = dict(call_kwargs)
    if getattr(pipe, "text_encoder_2", None) is None and "prompt_embeds" not in base and "prompt" not in base:
        base.update(_blank_prompt_embeddings(pipe, device, dtype))
    elif "prompt_embeds" not in base and "prompt" not in base:
        base["prompt"] = "warm-up"
    is_controlnet = getattr(pipe, "controlnet", None) is not None
    for width, height in sizes:
        for guidance in guidance_scales:
            for batch in batch_sizes:
                kwargs = dict(base)
                if is_controlnet and "image" not in kwargs:
                    kwargs["image"] = Image.new("RGB", (width, height), "white")
                started = time.perf_counter()
                call_pipeline(pipe, width=width, height=height, num_inference_steps=steps, guidance_scale=guidance,
                              num_images_per_prompt=batch, output_type="pil", **kwargs)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                key = f"{width}x{height}/cfg{guidance}/b{batch}"
                timings[key] = time.perf_counter() - started
                log.info("warm-up %s: %.1fs", key, timings[key])
    return timings


# --------------------------------------------------------------------------------------------------------------
# running the pipelines: one thread, CUDA-graph steps, compiled only once warm


def adopt_cudagraph_thread_state() -> None:
    """Let CUDA graphs (inductor's cudagraph trees) run on the calling thread.

    The tree managers live in thread-local storage that torch <= 2.11 sets up only on the thread that imported
    `torch._inductor.cudagraph_trees` (later versions set it up on demand); on any other thread a compiled call with
    CUDA graphs dies with a bare `AssertionError` in `cudagraph_trees.get_obj`. Graphs recorded on one thread are
    not replayed on another either: the trees are per thread. Hence `PipelineRunner`'s single thread.
    """
    try:
        from torch._inductor import cudagraph_trees as trees
    except ImportError:  # a torch without inductor: nothing to set up
        return
    if hasattr(trees.local, "tree_manager_containers") or torch._C._is_key_in_tls("tree_manager_containers"):
        return
    initialize = getattr(trees, "_initialize_tls", None)
    if initialize is not None:
        initialize(trees.local)
        return
    trees.local.tree_manager_containers = {}
    trees.local.tree_manager_locks = collections.defaultdict(threading.Lock)
    torch._C._stash_obj_in_tls("tree_manager_containers", trees.local.tree_manager_containers)
    torch._C._stash_obj_in_tls("tree_manager_locks", trees.local.tree_manager_locks)


def _uses_cuda_graphs(pipe: Any) -> bool:
    options = pipe.__dict__.get("_adgen_acceleration")
    return bool(options and options.compile and options.cuda_graphs and _device_of(pipe).type == "cuda")


def _mark_cuda_graph_step() -> None:
    torch.compiler.cudagraph_mark_step_begin()


def images_in_call(kwargs: dict[str, Any]) -> int:
    """How many images a pipeline call with these arguments makes (prompts × `num_images_per_prompt`)."""
    prompts = kwargs.get("prompt")
    n_prompts = len(prompts) if isinstance(prompts, list) else 1
    embeds = kwargs.get("prompt_embeds")
    if embeds is not None:
        n_prompts = int(embeds.shape[0])
    return n_prompts * int(kwargs.get("num_images_per_prompt") or 1)


def call_pipeline(pipe: Any, **kwargs: Any) -> Any:
    """`pipe(**kwargs)`, telling the UNet's DeepCache how many images the call makes, and CUDA graphs where every
    denoising step begins when the pipeline uses them.

    Without the marks, cudagraph trees start a new "generation" on every compiled call - until anything in the
    process calls `cudagraph_mark_step_begin` once (diffusers' ControlNet pipeline does, when UNet and ControlNet are
    both compiled modules): from then on only marks do, and a pipeline that never marks keeps extending one path of
    graphs, step after step. Marking every step in every pipeline keeps one generation = one step everywhere.
    """
    token = _IMAGES_IN_CALL.set(images_in_call(kwargs))
    try:
        return _call_marking_steps(pipe, kwargs)
    finally:
        _IMAGES_IN_CALL.reset(token)


def _call_marking_steps(pipe: Any, kwargs: dict[str, Any]) -> Any:
    if not _uses_cuda_graphs(pipe):
        return pipe(**kwargs)
    user_callback = kwargs.pop("callback_on_step_end", None)

    def on_step_end(p: Any, step: int, timestep: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
        out = user_callback(p, step, timestep, callback_kwargs) if user_callback is not None else callback_kwargs
        _mark_cuda_graph_step()  # the step's graph outputs have been consumed by the scheduler
        return out

    # A diffusers PipelineCallback names the tensors it needs; wrapped in a function it would get only the latents.
    tensor_inputs = getattr(user_callback, "tensor_inputs", None)
    if tensor_inputs is not None and "callback_on_step_end_tensor_inputs" not in kwargs:
        kwargs["callback_on_step_end_tensor_inputs"] = list(tensor_inputs)
    _mark_cuda_graph_step()
    return pipe(callback_on_step_end=on_step_end, **kwargs)


@contextlib.contextmanager
def eager_modules(pipe: Any) -> Iterator[None]:
    """Within the block the pipeline runs its uncompiled modules (same math; no compiling, no graph recording).

    The UNet's compiled wrapper is swapped for the module; the ControlNet's and VAE decoder's wrappers and DeepCache
    call their eager twins (`_EAGER` is per thread, so another thread's calls are unaffected).
    """
    unet = pipe.unet
    raw = _unwrap(unet)
    if raw is not unet:
        pipe.unet = raw
    _EAGER.depth = getattr(_EAGER, "depth", 0) + 1
    try:
        yield
    finally:
        _EAGER.depth -= 1
        if raw is not unet:
            pipe.unet = unet


@dataclass(frozen=True)
class CallSignature:
    """What decides which compiled graphs a pipeline call needs (each signature compiles and records its own)."""

    pipeline: int  # id() of the pipeline object: plain and ControlNet pipelines share modules, not graphs
    controlnet: bool
    width: int
    height: int
    cfg: bool  # classifier-free guidance doubles the UNet batch
    batch: int
    controlnet_window: bool  # a ControlNet switched off part of the way: its steps use the plain UNet graph too
    compile_key: tuple[Any, ...]

    def label(self) -> str:
        kind = "controlnet" if self.controlnet else "t2i"
        return f"{kind}/{self.width}x{self.height}/{'cfg' if self.cfg else 'nocfg'}/b{self.batch}"


def call_signature(pipe: Any, kwargs: dict[str, Any]) -> CallSignature:
    options = pipe.__dict__.get("_adgen_acceleration")
    unet = _unwrap(pipe.unet)
    default = unet.config.sample_size * pipe.vae_scale_factor
    controlnet = getattr(pipe, "controlnet", None) is not None
    end = kwargs.get("control_guidance_end", 1.0)
    window = controlnet and any(float(e) < 1.0 for e in (end if isinstance(end, (list, tuple)) else [end]))
    return CallSignature(
        pipeline=id(pipe),
        controlnet=controlnet,
        width=int(kwargs.get("width") or default),
        height=int(kwargs.get("height") or default),
        cfg=float(kwargs.get("guidance_scale", 5.0)) > 1.0,
        batch=images_in_call(kwargs),
        controlnet_window=window,
        compile_key=options.compile_key(_device_of(pipe).type == "cuda") if options is not None and options.compile else (),
    )


def _generator_states(generators: Any) -> list[torch.Tensor] | None:
    if generators is None:
        return None
    items = generators if isinstance(generators, (list, tuple)) else [generators]
    return [g.get_state() for g in items]


def _restore_generator_states(generators: Any, states: list[torch.Tensor] | None) -> None:
    """Rewind the call's random generators, so that a retried call draws the same noise (same seed, same image)."""
    if generators is None or states is None:
        return
    items = generators if isinstance(generators, (list, tuple)) else [generators]
    for g, state in zip(items, states, strict=True):
        g.set_state(state)


_WARMUP_KEYS = ("width", "height", "guidance_scale", "num_images_per_prompt", "control_guidance_start", "control_guidance_end",
                "controlnet_conditioning_scale")


class PipelineRunner:
    """Runs every call of a set of SDXL pipelines on one dedicated thread, and compiles off the request path.

    One thread because CUDA graphs are per thread (see `adopt_cudagraph_thread_state`): graphs recorded while
    warming up must be the ones requests replay, and pipelines keep per-call state anyway (one call at a time).
    Requests go before background work (warm-ups) in the queue.

    With compilation on, a request whose `CallSignature` has not been warmed up yet runs the same modules eagerly
    (`eager_modules`: same math, eager speed, no minute-long compile in a user's request) and its warm-up is queued
    behind the requests; once warm, calls with that signature run compiled. `warm` warms signatures up front.
    `compile_filter` (SDXL_COMPILE_SHAPES) bounds which signatures ever compile: the others always run eagerly and
    are never queued for a warm-up (`warm` runs them once eagerly).
    """

    REQUEST, BACKGROUND = 0, 1

    def __init__(self, name: str = "adgen-gpu", compile_filter: Callable[[CallSignature], bool] | None = None) -> None:
        self.name = name
        # Which signatures may be compiled (SDXL_COMPILE_SHAPES); the others always run eagerly. None: all of them.
        self._compile_filter = compile_filter
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._warm: set[CallSignature] = set()
        self._warming: set[CallSignature] = set()
        self._broken: set[CallSignature] = set()  # failed to compile or to run compiled: eager for good
        self.counts: collections.Counter[str] = collections.Counter()  # "compiled", "eager", "plain", "warmup", "warmup_eager"

    # --- the thread ------------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        adopt_cudagraph_thread_state()
        while True:
            _, _, item = self._queue.get()
            if item is None:
                return
            fn, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller, who re-raises it
                future.set_exception(exc)

    @property
    def on_worker(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, fn: Callable[[], Any], *, background: bool = False) -> Future[Any]:
        """Queue `fn` for the runner's thread (requests before background work, FIFO within each)."""
        self._ensure_thread()
        future: Future[Any] = Future()
        self._queue.put((self.BACKGROUND if background else self.REQUEST, next(self._order), (fn, future)))
        return future

    def run(self, fn: Callable[[], Any]) -> Any:
        """`fn()` on the runner's thread, waiting for it (directly when already there)."""
        if self.on_worker:
            return fn()
        return self.submit(fn).result()

    def close(self, timeout: float | None = 10.0) -> None:
        with self._start_lock:
            self._closed = True
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put((self.BACKGROUND + 1, next(self._order), None))
            thread.join(timeout)

    # --- pipeline calls --------------------------------------------------------------------------
    def compiles(self, signature: CallSignature) -> bool:
        """Whether calls with `signature` may run compiled (the compile filter; eager for good otherwise)."""
        return self._compile_filter is None or bool(self._compile_filter(signature))

    def is_warm(self, pipe: Any, **kwargs: Any) -> bool:
        options = pipe.__dict__.get("_adgen_acceleration")
        return not (options and options.compile) or call_signature(pipe, kwargs) in self._warm

    def call(self, pipe: Any, *, allow_compile: bool = False, **kwargs: Any) -> Any:
        """One pipeline call on the runner's thread: compiled when its signature is warm (or `allow_compile`),
        otherwise eager with a warm-up of the signature queued."""
        if not self.on_worker:
            return self.run(lambda: self.call(pipe, allow_compile=allow_compile, **kwargs))
        with torch.inference_mode():  # per thread: the caller's mode does not come along
            return self._call_here(pipe, allow_compile, kwargs)

    def _call_here(self, pipe: Any, allow_compile: bool, kwargs: dict[str, Any]) -> Any:
        options = pipe.__dict__.get("_adgen_acceleration")
        if not (options and options.compile):
            self.counts["plain"] += 1
            return call_pipeline(pipe, **kwargs)
        signature = call_signature(pipe, kwargs)
        if not allow_compile and (signature in self._broken or not self.compiles(signature)):
            self.counts["eager"] += 1
            with eager_modules(pipe):
                return call_pipeline(pipe, **kwargs)
        if signature in self._warm or allow_compile:
            rng_states = _generator_states(kwargs.get("generator"))
            try:
                output = call_pipeline(pipe, **kwargs)
            except torch.OutOfMemoryError:
                raise  # the caller's smaller retry handles it; eager would need the same memory
            except Exception:
                if allow_compile:
                    raise
                # A compiled graph that fails (a driver or Triton problem, a bad cache entry) must not fail every
                # request with its shape: this signature runs eagerly from now on, starting with this request.
                log.exception("%s: compiled %s failed; running it eagerly from now on", self.name, signature.label())
                self._warm.discard(signature)
                self._broken.add(signature)
                _restore_generator_states(kwargs.get("generator"), rng_states)
                self.counts["eager"] += 1
                with eager_modules(pipe):
                    return call_pipeline(pipe, **kwargs)
            self._warm.add(signature)
            self.counts["compiled"] += 1
            return output
        with eager_modules(pipe):
            output = call_pipeline(pipe, **kwargs)
        self.counts["eager"] += 1
        self._queue_warmup(pipe, signature, {k: kwargs[k] for k in _WARMUP_KEYS if k in kwargs})
        return output

    def _warm_one(self, pipe: Any, signature: CallSignature, call_kwargs: dict[str, Any], steps: int,
                  extra: dict[str, Any]) -> float:
        if signature in self._warm:
            return 0.0
        # A compiled pipeline's signature that the compile filter refuses is warmed eagerly (CUDA start-up, cuDNN's
        # algorithm choice for the shape) and stays eager: no graphs.
        eager_only = bool(signature.compile_key) and not self.compiles(signature)
        started = time.perf_counter()
        kwargs = dict(extra)
        kwargs.update({k: v for k, v in call_kwargs.items() if k not in ("width", "height", "guidance_scale", "num_images_per_prompt")})
        # A ControlNet switched off part of the way needs steps on both sides of the switch, two each (the first
        # call of a graph warms up, the second records it).
        if signature.controlnet_window:
            steps = max(steps, 4)
            kwargs["control_guidance_end"] = 0.5
        modules = eager_modules(pipe) if eager_only else contextlib.nullcontext()
        try:
            with torch.inference_mode(), modules:
                warmup(pipe, [(signature.width, signature.height)], guidance_scales=(float(call_kwargs.get("guidance_scale", 5.0)),),
                       batch_sizes=(signature.batch,), steps=steps, **kwargs)
        finally:
            self._warming.discard(signature)
        elapsed = time.perf_counter() - started
        if eager_only:
            self.counts["warmup_eager"] += 1
            log.info("%s: %s warmed eagerly in %.1fs (not a compiled shape)", self.name, signature.label(), elapsed)
            return elapsed
        self._warm.add(signature)
        self._broken.discard(signature)
        self.counts["warmup"] += 1
        log.info("%s: %s warm in %.1fs", self.name, signature.label(), elapsed)
        return elapsed

    def _queue_warmup(self, pipe: Any, signature: CallSignature, call_kwargs: dict[str, Any]) -> None:
        if signature in self._warm or signature in self._warming or signature in self._broken or not self.compiles(signature):
            return
        self._warming.add(signature)
        extra = {"prompt": "warm-up"} if getattr(pipe, "text_encoder_2", None) is not None else {}
        self.submit(functools.partial(self._warm_or_give_up, pipe, signature, call_kwargs, 2, extra), background=True)

    def _warm_or_give_up(self, pipe: Any, signature: CallSignature, call_kwargs: dict[str, Any], steps: int,
                         extra: dict[str, Any]) -> float:
        """`_warm_one`; a failure (no Triton for this GPU, a compiler error) is logged and the signature stays eager
        for good (-1.0), rather than failing again in every later warm-up."""
        try:
            return self._warm_one(pipe, signature, call_kwargs, steps, extra)
        except torch.OutOfMemoryError:
            log.warning("%s: out of memory warming up %s; it runs eagerly until a later warm-up", self.name, signature.label())
            return -1.0
        except Exception:  # noqa: BLE001 - see above
            log.exception("%s: warm-up of %s failed; it runs eagerly", self.name, signature.label())
            self._broken.add(signature)
            return -1.0

    def warm(
        self,
        pipe: Any,
        sizes: Iterable[tuple[int, int]],
        *,
        guidance_scales: Iterable[float] = (5.0,),
        batch_sizes: Iterable[int] = (1,),
        steps: int = 2,
        wait: bool = True,
        **call_kwargs: Any,
    ) -> dict[str, Any]:
        """Warm the given signatures on the runner's thread, one background task each (requests arriving meanwhile
        go first, between two of them). Returns seconds per signature label (-1.0: it failed and stays eager), or
        with `wait=False` at once, a future of those seconds per label."""
        futures: dict[str, Future[Any]] = {}
        for width, height in sizes:
            for guidance in guidance_scales:
                for batch in batch_sizes:
                    shape = {"width": width, "height": height, "guidance_scale": guidance, "num_images_per_prompt": batch}
                    kwargs = {**{k: v for k, v in call_kwargs.items() if k in _WARMUP_KEYS}, **shape}
                    extra = {k: v for k, v in call_kwargs.items() if k not in _WARMUP_KEYS}
                    signature = call_signature(pipe, kwargs)
                    self._warming.add(signature)
                    if self.on_worker and wait:  # queued behind the running task, it would wait for itself forever
                        futures[signature.label()] = Future()
                        futures[signature.label()].set_result(self._warm_or_give_up(pipe, signature, kwargs, steps, extra))
                        continue
                    futures[signature.label()] = self.submit(
                        functools.partial(self._warm_or_give_up, pipe, signature, kwargs, steps, extra), background=True)
        if not wait:
            return dict(futures)
        return {label: future.result() for label, future in futures.items()}
