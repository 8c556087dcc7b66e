"""SDXL speed benchmark: vanilla diffusers against the project's `prepare_pipeline` configurations, in one process.

The model is SDXL-shaped (published UNet/VAE configs) with random weights: compute cost does not depend on the
weights' values, and nothing is downloaded. Prompt embeddings are random tensors (no text encoders). Every
configuration prints ONE JSON line to stdout as soon as it is measured (and appends it to --out), so a run cut
short still leaves its results. Times are CUDA-synchronised; images are compared with the vanilla image made
from the same initial latents.

    python benchmarks/gpu_bench.py --device cuda --out /tmp/x.jsonl            # the real thing (one H100)
    python benchmarks/gpu_bench.py --tiny --device cpu                           # end-to-end check on a CPU

Configurations (default order = priority; `--only a,b` picks and orders them; the vanilla reference always runs
first): vanilla, vanilla_batch4, project_eager, project_eager_cudnn_attn, project_compiled, interleaved, controlnet_vanilla,
controlnet_project_eager, controlnet_project_compiled, fast_compiled, batch4, deepcache2, deepcache3, cold_start.
A configuration that would not fit in --time-budget-s (by an estimate from what was measured so far) prints a
`"status": "skipped"` line instead; compiled variants fall back to eager when only eager fits.

Production rows (`--only production_load,production_fast,compile_shapes`, run on their own, without the rows above):
the app's own loading path. SDXL-shaped random models are saved in the Hugging Face hub layout (SDXL, ControlNet,
fp16-fix VAE, safety checker, an SDXL-Lightning-shaped UNet file, under their default hub ids) into a hub cache at
--hub-dir, and `SdxlImageGenerator.from_settings` loads them with HF_HUB_OFFLINE=1. These need the app's dependencies
(pydantic-settings; opencv for the photo request, skipped without it):

    production_load   load time, then each aspect ratio (30 steps, CFG, eager, fp16-fix VAE, safety check) and a photo
    production_fast   fast mode: the Lightning-shaped UNet swapped in, 4 steps without CFG per aspect ratio (eager)
    compile_shapes    compile time and GPU memory of each compiled shape of --compile-shapes, one line per shape
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # process start, as near as Python allows (cold-start accounting)

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACCELERATION_PY = ROOT / "adgen" / "imaging" / "acceleration.py"

PRODUCTION_CONFIGS = ["production_load", "production_fast", "compile_shapes"]
CONFIGS = [
    "vanilla",
    "vanilla_batch4",
    "project_eager",
    "project_eager_cudnn_attn",
    "project_compiled",
    "interleaved",
    "project_fp8_compiled",
    "controlnet_vanilla",
    "controlnet_project_eager",
    "controlnet_project_compiled",
    "fast_compiled",
    "batch4",
    "batch4_deepcache2",
    "deepcache2",
    "deepcache3",
    "cold_start",
]

# SDXL base 1.0 UNet / VAE configs (as in shared/bench/sdxl_vanilla_baseline.py) and the tiny variant.
UNET_CONFIG: dict[str, Any] = dict(
    act_fn="silu", addition_embed_type="text_time", addition_embed_type_num_heads=64, addition_time_embed_dim=256,
    attention_head_dim=[5, 10, 20], block_out_channels=[320, 640, 1280], cross_attention_dim=2048,
    down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"], in_channels=4, out_channels=4,
    layers_per_block=2, norm_num_groups=32, projection_class_embeddings_input_dim=2816, sample_size=128,
    transformer_layers_per_block=[1, 2, 10], use_linear_projection=True,
)
VAE_CONFIG: dict[str, Any] = dict(
    act_fn="silu", block_out_channels=[128, 256, 512, 512], in_channels=3, out_channels=3,
    down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4, latent_channels=4,
    layers_per_block=2, norm_num_groups=32, sample_size=1024, scaling_factor=0.13025, force_upcast=False,
)
TINY_UNET: dict[str, Any] = dict(
    block_out_channels=[32, 64, 64], attention_head_dim=[2, 4, 4], cross_attention_dim=64,
    transformer_layers_per_block=[1, 1, 1], addition_time_embed_dim=8, projection_class_embeddings_input_dim=8 * 6 + 32,
    sample_size=32,
)
TINY_VAE: dict[str, Any] = dict(block_out_channels=[32, 32, 32, 32], sample_size=64)
TEXT_DIM, POOLED_DIM = 2048, 1280
TINY_TEXT_DIM, TINY_POOLED_DIM = 64, 32


def load_acceleration() -> ModuleType:
    """adgen/imaging/acceleration.py by path: the GPU machine has torch and diffusers but not the app's
    dependencies, so the `adgen` package (settings, pydantic) is not imported."""
    name = "adgen_acceleration"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ACCELERATION_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=["cuda", "cpu"], default=None, help="default: cuda when available")
    p.add_argument("--tiny", action="store_true", help="tiny random SDXL (CPU end-to-end check in minutes)")
    p.add_argument("--only", default="", help="comma-separated configurations, run in this order")
    p.add_argument("--steps", type=int, default=None, help="denoising steps (default 30; tiny 4)")
    p.add_argument("--fast-steps", type=int, default=4)
    p.add_argument("--size", type=int, default=None, help="edge length in px (default 1024; tiny 64)")
    p.add_argument("--cfg", type=float, default=5.0)
    p.add_argument("--runs", type=int, default=3, help="timed runs per configuration (after one first call)")
    p.add_argument("--time-budget-s", type=float, default=480.0, help="skip what would end after this many seconds")
    p.add_argument("--out", type=Path, default=None, help="also append the JSON lines to this file")
    p.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "adgen-bench-inductor")
    p.add_argument("--keep-cache", action="store_true", help="do not empty --cache-dir first (first calls then hit it)")
    p.add_argument("--compile-mode", default="default",
                   help="inductor mode for the compiled configurations (the project default is default; "
                        "'default' compiles in ~1/3 of the time)")
    p.add_argument("--no-cuda-graphs", action="store_true", help="compiled configurations without CUDA graphs")
    p.add_argument("--no-compile-vae", action="store_true", help="compiled configurations leave the VAE decoder eager")
    p.add_argument("--compile-backend", default=None, help="torch.compile backend (default inductor; aot_eager for --tiny on CPU)")
    p.add_argument("--attention", default="pick", choices=["pick", "auto", "cudnn", "flash", "efficient"],
                   help="SDPA kernel for the compiled configurations; 'pick' = the faster of auto/cudnn in eager")
    p.add_argument("--compile-estimate-s", type=float, default=None,
                   help="expected first-call compile time before one is measured (default 150 s for SDXL on CUDA, 20 s tiny)")
    p.add_argument("--control-end", type=float, default=0.5,
                   help="control_guidance_end of the shortened ControlNet measurement (the SDXL_CONTROLNET_GUIDANCE_END default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hub-dir", type=Path, default=Path(tempfile.gettempdir()) / "adgen-bench-hub",
                   help="production rows: where the hub-layout random models are written (emptied first)")
    p.add_argument("--compile-shapes", default="1:1/1/t2i,4:3/1/t2i,3:4/1/t2i,1:1/1/photo,1:1/4/t2i",
                   help="compile_shapes: SDXL_COMPILE_SHAPES entries to compile and measure, in this order")
    p.add_argument("--cold-start", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--options-json", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    import torch

    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda but torch sees no CUDA device")
    args.steps = args.steps or (4 if args.tiny else 30)
    args.size = args.size or (64 if args.tiny else 1024)
    if args.size % 8:
        p.error(f"--size must be divisible by 8 but is {args.size}")
    if args.runs < 1:
        p.error("--runs must be >= 1")
    args.compile_backend = args.compile_backend or ("aot_eager" if args.tiny and args.device == "cpu" else "inductor")
    if args.compile_estimate_s is None:
        args.compile_estimate_s = (20.0 if args.tiny else 150.0) if args.device == "cuda" else (20.0 if args.tiny else 600.0)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(CONFIGS)
    unknown = [n for n in names if n not in CONFIGS + PRODUCTION_CONFIGS]
    if unknown:
        p.error(f"unknown configuration(s) {unknown}; known: {', '.join(CONFIGS + PRODUCTION_CONFIGS)}")
    args.production = any(n in PRODUCTION_CONFIGS for n in names)
    if args.production and not all(n in PRODUCTION_CONFIGS for n in names):
        p.error(f"the production rows ({', '.join(PRODUCTION_CONFIGS)}) run on their own, not with {names}")
    args.names = names
    return args


# --------------------------------------------------------------------------------------------------------------
# model, inputs, measurement


@dataclass
class Inputs:
    embeds: dict[str, Any]
    latents: Any  # (1, 4, h/8, w/8)
    latents4: Any  # (4, 4, h/8, w/8); image 0 has the single-image latents
    control_image: Any  # PIL


def build_pipeline(args: argparse.Namespace) -> Any:
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    dtype = torch.float16 if args.device == "cuda" else torch.float32
    unet_config = {**UNET_CONFIG, **(TINY_UNET if args.tiny else {})}
    vae_config = {**VAE_CONFIG, **(TINY_VAE if args.tiny else {})}
    torch.manual_seed(args.seed)
    with torch.device(args.device):
        unet = UNet2DConditionModel(**unet_config).to(dtype)
        vae = AutoencoderKL(**vae_config).to(dtype)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       num_train_timesteps=1000, steps_offset=1, timestep_spacing="leading")
    pipe = StableDiffusionXLPipeline(vae=vae, text_encoder=None, text_encoder_2=None, tokenizer=None, tokenizer_2=None,
                                     unet=unet, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_controlnet(args: argparse.Namespace, unet: Any) -> Any:
    """A full-size ControlNet (as diffusers/controlnet-canny-sdxl-1.0) with random weights, zero convs included
    (random small values instead of zeros, so its residuals reach the UNet and the image diff means something)."""
    import torch
    from diffusers import ControlNetModel

    dtype = torch.float16 if args.device == "cuda" else torch.float32
    torch.manual_seed(args.seed + 1)
    with torch.device(args.device):
        controlnet = ControlNetModel.from_unet(unet, load_weights_from_unet=False)
        with torch.no_grad():
            for block in [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]:
                block.weight.normal_(0.0, 0.02)
    return controlnet.to(dtype)


def make_inputs(args: argparse.Namespace) -> Inputs:
    import numpy as np
    import torch
    from PIL import Image

    dtype = torch.float16 if args.device == "cuda" else torch.float32
    text, pooled = (TINY_TEXT_DIM, TINY_POOLED_DIM) if args.tiny else (TEXT_DIM, POOLED_DIM)
    g = torch.Generator("cpu").manual_seed(args.seed)
    embeds = {
        "prompt_embeds": torch.randn(1, 77, text, generator=g),
        "pooled_prompt_embeds": torch.randn(1, pooled, generator=g),
        "negative_prompt_embeds": torch.randn(1, 77, text, generator=g),
        "negative_pooled_prompt_embeds": torch.randn(1, pooled, generator=g),
    }
    embeds = {k: v.to(args.device, dtype) for k, v in embeds.items()}
    lat = args.size // 8
    latents = torch.randn(1, 4, lat, lat, generator=g)
    latents4 = torch.cat([latents, torch.randn(3, 4, lat, lat, generator=g)])
    rng = np.random.default_rng(args.seed)
    control = Image.fromarray(rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8))
    return Inputs(embeds, latents.to(args.device, dtype), latents4.to(args.device, dtype), control)


def sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def image_diff(images: list[Any], reference: Any) -> dict[str, float]:
    import numpy as np

    a = np.asarray(images[0], dtype=np.int16)
    b = np.asarray(reference, dtype=np.int16)
    diff = np.abs(a - b)
    mse = float(np.mean(diff.astype(np.float64) ** 2))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
    return {"max_abs_diff": int(diff.max()), "mean_abs_diff": round(float(diff.mean()), 4),
            "psnr_db": None if psnr == float("inf") else round(psnr, 2)}


@dataclass
class Measurement:
    first_call_s: float
    times: list[float]
    images: list[Any]
    peak_gib: float | None
    peak_reserved_gib: float | None
    allocated_before_gib: float | None  # weights, caches and CUDA-graph pools already held when the configuration began

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def fields(self) -> dict[str, Any]:
        return {
            "warm_median_s": round(self.median, 4),
            "warm_min_s": round(min(self.times), 4),
            "times_s": [round(t, 4) for t in self.times],
            "first_call_s": round(self.first_call_s, 3),
            "peak_mem_gib": self.peak_gib,
            "peak_reserved_gib": self.peak_reserved_gib,
            "allocated_before_gib": self.allocated_before_gib,
        }


def measure(device: str, call: Callable[[], list[Any]], runs: int) -> Measurement:
    """One first call (compilation, CUDA-graph recording, cuDNN tuning happen here), then `runs` timed calls."""
    import torch

    gc.collect()
    base = None
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        base = round(torch.cuda.memory_allocated() / 2**30, 3)
    sync(device)
    t = time.perf_counter()
    images = call()
    sync(device)
    first = time.perf_counter() - t
    times = []
    for _ in range(runs):
        sync(device)
        t = time.perf_counter()
        images = call()
        sync(device)
        times.append(time.perf_counter() - t)
    peak = reserved = None
    if device == "cuda":
        peak = round(torch.cuda.max_memory_allocated() / 2**30, 3)
        reserved = round(torch.cuda.max_memory_reserved() / 2**30, 3)
    return Measurement(first, times, images, peak, reserved, base)


# --------------------------------------------------------------------------------------------------------------
# the benchmark


def write_line(out: Path | None, record: dict[str, Any]) -> None:
    """One JSON line on stdout and, with ``--out``, appended to that file."""
    line = json.dumps(record, default=str)
    print(line, flush=True)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a") as fh:
            fh.write(line + "\n")


@dataclass
class Bench:
    args: argparse.Namespace
    accel: ModuleType
    pipe: Any
    inputs: Inputs
    started: float
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    references: dict[str, Any] = field(default_factory=dict)  # name -> PIL image
    controlnet: Any = None
    cn_pipe: Any = None
    chosen_attention: str = "auto"
    base_scheduler: Any = None
    setup_s: float = 30.0
    runner: Any = None  # the project's PipelineRunner (one GPU thread), made in __post_init__

    def __post_init__(self) -> None:
        if self.runner is None:
            self.runner = self.accel.PipelineRunner(name="bench-gpu")

    # --- output ---------------------------------------------------------------------------------
    def header(self, name: str, *, steps: int, cfg: float, batch: int) -> dict[str, Any]:
        import diffusers
        import torch

        device = torch.cuda.get_device_name() if self.args.device == "cuda" else "cpu"
        return {"name": name, "device": device, "torch": torch.__version__, "diffusers": diffusers.__version__,
                "width": self.args.size, "height": self.args.size, "steps": steps, "cfg": cfg, "batch": batch,
                "tiny": self.args.tiny}

    def emit(self, record: dict[str, Any]) -> None:
        record.setdefault("status", "ok")
        record["elapsed_s"] = round(time.perf_counter() - self.started, 1)
        write_line(self.args.out, record)
        if record["status"] == "ok":
            self.results[record["name"]] = record

    # --- budget ---------------------------------------------------------------------------------
    def remaining(self) -> float:
        return self.args.time_budget_s - (time.perf_counter() - self.started)

    def call_estimate(self, name: str = "vanilla") -> float:
        rec = self.results.get(name) or self.results.get("vanilla")
        return rec["warm_median_s"] if rec else (1.0 if self.args.tiny else 2.5)

    def compile_estimate(self) -> float:
        """Seconds the UNet takes to compile for one more shape/signature (measured by project_compiled)."""
        rec = self.results.get("project_compiled")
        if rec and rec.get("compiled"):
            return max(rec["first_call_s"] - rec["warm_median_s"], 1.0)
        return self.args.compile_estimate_s

    def runs_estimate(self, per_call: float) -> float:
        return (self.args.runs + 1) * per_call + 5.0

    # --- options --------------------------------------------------------------------------------
    def project_options(self, *, compiled: bool, **overrides: Any) -> Any:
        A = self.accel.AccelerationOptions
        opts = A(
            dtype="float16" if self.args.device == "cuda" else "float32",
            channels_last=True,
            fuse_qkv=True,
            compile=compiled,
            compile_mode=self.args.compile_mode,
            compile_backend=self.args.compile_backend,
            compile_vae=compiled and not self.args.no_compile_vae,
            cuda_graphs=compiled and not self.args.no_cuda_graphs,
            vae_fp16=True,  # the bench VAE config already has force_upcast=False, as the vanilla anchor did
            attention_backend=self.chosen_attention,
            cache_dir=self.args.cache_dir,
        )
        return replace(opts, **overrides)

    # --- pipeline calls -------------------------------------------------------------------------
    def call(self, pipe: Any, *, steps: int, cfg: float, batch: int = 1, control: bool = False,
             control_end: float = 1.0) -> Callable[[], list[Any]]:
        """A timed call. Vanilla pipelines are called directly; prepared ones through the project's `PipelineRunner`
        (its GPU thread, CUDA-graph step marks, compiled on the first call as warm-up would)."""
        import torch

        latents = self.inputs.latents if batch == 1 else self.inputs.latents4[:batch]
        kwargs: dict[str, Any] = dict(self.inputs.embeds)
        if control:
            kwargs["image"] = self.inputs.control_image
            if control_end < 1.0:
                kwargs["control_guidance_end"] = control_end
        prepared = "_adgen_acceleration" in pipe.__dict__

        def run() -> list[Any]:
            call_kwargs = dict(kwargs, latents=latents.clone(), num_inference_steps=steps, height=self.args.size,
                               width=self.args.size, num_images_per_prompt=batch, guidance_scale=cfg, output_type="pil")
            if prepared:
                return self.runner.call(pipe, allow_compile=True, **call_kwargs).images
            with torch.inference_mode():
                return pipe(**call_kwargs).images

        return run

    def cn_pipeline(self) -> Any:
        """The ControlNet pipeline sharing the plain pipeline's modules (as the app builds it)."""
        from diffusers import StableDiffusionXLControlNetPipeline

        if self.controlnet is None:
            self.controlnet = build_controlnet(self.args, self.accel._unwrap(self.pipe.unet))
        self.controlnet.to(self.args.device)
        if self.cn_pipe is None:
            components = {k: self.accel._unwrap(v) if k == "unet" else v for k, v in self.pipe.components.items()}
            self.cn_pipe = StableDiffusionXLControlNetPipeline(**components, controlnet=self.controlnet)
            self.cn_pipe.set_progress_bar_config(disable=True)
        return self.cn_pipe

    def park_controlnet(self) -> None:
        """Out of GPU memory between ControlNet configurations (peak memory of the others stays honest)."""
        if self.controlnet is not None and self.args.device == "cuda":
            self.controlnet.to("cpu")
            import torch

            torch.cuda.empty_cache()

    def record(self, name: str, m: Measurement, *, steps: int, cfg: float, batch: int, reference: str | None,
               baseline: str | None, options: Any = None, **extra: Any) -> dict[str, Any]:
        rec = self.header(name, steps=steps, cfg=cfg, batch=batch)
        rec.update(m.fields())
        if baseline and baseline in self.results:
            rec["baseline"] = baseline
            rec["speedup_vs_vanilla"] = round(self.results[baseline]["warm_median_s"] / m.median, 3)
        if reference and reference in self.references:
            rec["diff_vs"] = reference
            rec.update(image_diff(m.images, self.references[reference]))
        if options is not None:
            rec["options"] = options.as_dict()
        try:
            from torch._dynamo.utils import counters

            rec["graph_breaks"] = sum(counters["graph_break"].values())
        except Exception:  # noqa: BLE001 - diagnostics only
            pass
        rec.update(extra)
        return rec

    # --- configurations -------------------------------------------------------------------------
    def run_vanilla(self, with_fast: bool, with_controlnet: bool, with_batch4: bool = False) -> None:
        """The plain diffusers pipeline as loaded (unfused, contiguous, eager, PyTorch's default kernels)."""
        import torch

        if self.args.device == "cuda":
            torch.backends.cudnn.benchmark = False
        a = self.args
        m = measure(a.device, self.call(self.pipe, steps=a.steps, cfg=a.cfg), a.runs)
        self.references["vanilla"] = m.images[0]
        self.emit(self.record("vanilla", m, steps=a.steps, cfg=a.cfg, batch=1, reference=None, baseline=None))
        if with_fast:
            self.pipe.scheduler = self.accel.fast_mode_scheduler(self.pipe)
            try:
                m = measure(a.device, self.call(self.pipe, steps=a.fast_steps, cfg=0.0), a.runs)
            finally:
                self.pipe.scheduler = self.base_scheduler
            self.references["vanilla_fast"] = m.images[0]
            self.emit(self.record("vanilla_fast", m, steps=a.fast_steps, cfg=0.0, batch=1, reference=None, baseline=None,
                                  scheduler="EulerDiscrete trailing"))
        if with_controlnet:
            self.guarded("controlnet_vanilla", self._controlnet_vanilla)
        if with_batch4:
            self.guarded("vanilla_batch4", self._vanilla_batch4)

    def _vanilla_batch4(self) -> None:
        """Vanilla diffusers' own cost of 4 variants (one timed run after the first: it is the slowest call here)."""
        a = self.args
        m = measure(a.device, self.call(self.pipe, steps=a.steps, cfg=a.cfg, batch=4), 1)
        rec = self.record("vanilla_batch4", m, steps=a.steps, cfg=a.cfg, batch=4, reference=None, baseline=None)
        rec["ratio_vs_single"] = round(m.median / self.results["vanilla"]["warm_median_s"], 3)
        self.emit(rec)

    def _controlnet_vanilla(self) -> None:
        a = self.args
        pipe = self.cn_pipeline()
        m = measure(a.device, self.call(pipe, steps=a.steps, cfg=a.cfg, control=True), a.runs)
        self.references["controlnet_vanilla"] = m.images[0]
        rec = self.record("controlnet_vanilla", m, steps=a.steps, cfg=a.cfg, batch=1, reference=None, baseline=None)
        rec["ratio_vs_plain"] = round(m.median / self.results["vanilla"]["warm_median_s"], 3)
        self.emit(rec)
        self.park_controlnet()

    def plain_config(self, name: str, options: Any, *, exact: str | None = None, **extra: Any) -> None:
        """One image per call with `options`; `exact`: the exact configuration an approximate one is compared with."""
        a = self.args
        self.accel.prepare_pipeline(self.pipe, options)
        m = measure(a.device, self.call(self.pipe, steps=a.steps, cfg=a.cfg), a.runs)
        if exact in self.results:
            extra["speedup_vs_exact_same_mode"] = round(self.results[exact]["warm_median_s"] / m.median, 3)
            extra["diff_vs_exact_same_mode"] = image_diff(m.images, self.references[f"{exact}_image"])
        if options.compile:
            extra["compile_total_s"] = round(m.first_call_s - m.median + extra.get("vae_compile_s", 0.0), 1)
        self.references.setdefault(f"{name}_image", m.images[0])
        self.emit(self.record(name, m, steps=a.steps, cfg=a.cfg, batch=1, reference="vanilla", baseline="vanilla",
                              options=options, compiled=options.compile, **extra))

    def run_project_eager(self) -> None:
        self.plain_config("project_eager", self.project_options(compiled=False))

    def run_project_eager_cudnn_attn(self) -> None:
        """Eager with cuDNN attention first; with --attention pick, the compiled configurations use it if faster."""
        if self.args.device != "cuda":
            return self.skip("project_eager_cudnn_attn", "cuDNN attention is CUDA-only")
        try:
            self.plain_config("project_eager_cudnn_attn", self.project_options(compiled=False, attention_backend="cudnn"))
            if self.args.attention == "pick":
                eager, cudnn = self.results.get("project_eager"), self.results.get("project_eager_cudnn_attn")
                if eager and cudnn and cudnn["warm_median_s"] < 0.99 * eager["warm_median_s"]:
                    self.chosen_attention = "cudnn"
        finally:
            self.accel.set_attention_backend(self.chosen_attention)

    def run_project_compiled(self) -> None:
        """Compiled UNet (+ VAE decoder). The decoder is compiled first, on its own, so that first_call_s is the
        UNet's compile (what every later new shape costs again) and vae_compile_s the decoder's."""
        import torch

        options = self.project_options(compiled=True)
        extra: dict[str, Any] = {}
        if options.compile_vae:
            self.accel.prepare_pipeline(self.pipe, options)
            vae = self.pipe.vae
            sync(self.args.device)
            t = time.perf_counter()
            with torch.inference_mode():
                vae.decode(self.inputs.latents / vae.config.scaling_factor, return_dict=False)
            sync(self.args.device)
            extra["vae_compile_s"] = round(time.perf_counter() - t, 2)
        self.plain_config("project_compiled", options, **extra)

    def run_interleaved(self) -> None:
        """Vanilla and the compiled project pipeline alternating, call by call (eager vanilla's time swings with the
        machine's CPU load: alternating puts both under the same conditions). Vanilla runs on a second, untouched
        pipeline built from the same seed (same weights)."""
        a = self.args
        compiled = self.results.get("project_compiled")
        if not compiled or not compiled.get("compiled"):
            return self.skip("interleaved", "needs project_compiled in this run")
        vanilla_pipe = build_pipeline(a)
        vanilla_call = self.call(vanilla_pipe, steps=a.steps, cfg=a.cfg)
        project_call = self.call(self.pipe, steps=a.steps, cfg=a.cfg)
        vanilla_call()  # its first call (cuDNN, allocator) is not timed
        pairs = max(5, a.runs)
        vanilla_times, project_times = [], []
        for _ in range(pairs):
            for call, times in ((vanilla_call, vanilla_times), (project_call, project_times)):
                sync(a.device)
                t = time.perf_counter()
                call()
                sync(a.device)
                times.append(round(time.perf_counter() - t, 4))
        v, pr = statistics.median(vanilla_times), statistics.median(project_times)
        rec = self.header("interleaved", steps=a.steps, cfg=a.cfg, batch=1)
        rec.update({"vanilla_median_s": round(v, 4), "project_median_s": round(pr, 4), "speedup_vs_vanilla": round(v / pr, 3),
                    "vanilla_times_s": vanilla_times, "project_times_s": project_times,
                    "pairwise_speedups": [round(x / y, 3) for x, y in zip(vanilla_times, project_times, strict=True)]})
        del vanilla_pipe, vanilla_call
        gc.collect()
        self.emit(rec)

    def run_controlnet_project(self, compiled: bool) -> None:
        """The ControlNet pipeline guiding every step (`control_guidance_end` 1.0, what vanilla does), then guiding the
        first `--control-end` of them (the project's setting; the ControlNet is skipped, not zero-scaled, after it)."""
        a = self.args
        base = "controlnet_project_compiled" if compiled else "controlnet_project_eager"
        options = self.project_options(compiled=compiled)
        pipe = self.cn_pipeline()
        plain = self.results.get("project_compiled" if compiled else "project_eager")
        try:
            self.accel.prepare_pipeline(pipe, options)
            skip = self.accel._unwrap(pipe.controlnet).__dict__.get("forward")
            for end in (1.0, a.control_end):
                name = base if end >= 1.0 else f"{base}_end{int(round(end * 100)):02d}"
                if end < 1.0 and self.remaining() < self.runs_estimate(1.3 * self.call_estimate(base)):
                    self.skip(name, "time budget")
                    continue
                run0, skipped0 = (skip.run, skip.skipped) if skip is not None else (0, 0)
                m = measure(a.device, self.call(pipe, steps=a.steps, cfg=a.cfg, control=True, control_end=end), a.runs)
                extra: dict[str, Any] = {"compiled": compiled, "control_guidance_end": end}
                if skip is not None:
                    extra["controlnet_calls_per_image"] = (skip.run - run0) / (a.runs + 1)
                    extra["controlnet_skipped_per_image"] = (skip.skipped - skipped0) / (a.runs + 1)
                if plain:
                    extra["ratio_vs_project_plain"] = round(m.median / plain["warm_median_s"], 3)
                reference = "controlnet_vanilla" if end >= 1.0 else None
                if end < 1.0 and f"{base}_image" in self.references:
                    extra["diff_vs_full_guidance"] = image_diff(m.images, self.references[f"{base}_image"])
                self.references.setdefault(f"{base}_image", m.images[0])
                self.emit(self.record(name, m, steps=a.steps, cfg=a.cfg, batch=1, reference=reference,
                                      baseline="controlnet_vanilla", options=options, **extra))
        finally:
            self.park_controlnet()

    def compiled_or_eager(self, name: str, compiled_cost: float, eager_cost: float) -> bool | None:
        """True: compile; False: eager fallback; None: skipped (already reported)."""
        if self.remaining() >= compiled_cost:
            return True
        if self.remaining() >= eager_cost:
            return False
        self.skip(name, "time budget", estimate_s=round(eager_cost, 1))
        return None

    def run_fast(self) -> None:
        a = self.args
        per_call = self.call_estimate("project_compiled") * a.fast_steps / a.steps
        compiled = self.compiled_or_eager("fast_compiled", self.compile_estimate() + self.runs_estimate(per_call),
                                          self.runs_estimate(self.call_estimate("project_eager") * a.fast_steps / a.steps))
        if compiled is None:
            return
        options = self.project_options(compiled=compiled)
        self.accel.prepare_pipeline(self.pipe, options)
        self.pipe.scheduler = self.accel.fast_mode_scheduler(self.pipe)
        try:
            m = measure(a.device, self.call(self.pipe, steps=a.fast_steps, cfg=0.0), a.runs)
        finally:
            self.pipe.scheduler = self.base_scheduler
        self.emit(self.record("fast_compiled", m, steps=a.fast_steps, cfg=0.0, batch=1, reference="vanilla_fast",
                              baseline="vanilla_fast", options=options, compiled=compiled, scheduler="EulerDiscrete trailing"))

    def run_batch4(self) -> None:
        a = self.args
        compiled = self.compiled_or_eager(
            "batch4", self.compile_estimate() + self.runs_estimate(3.0 * self.call_estimate("project_compiled")),
            self.runs_estimate(3.0 * self.call_estimate("project_eager")))
        if compiled is None:
            return
        options = self.project_options(compiled=compiled)
        self.accel.prepare_pipeline(self.pipe, options)
        m = measure(a.device, self.call(self.pipe, steps=a.steps, cfg=a.cfg, batch=4), a.runs)
        single = self.results.get("project_compiled" if compiled else "project_eager")
        extra: dict[str, Any] = {"compiled": compiled, "note": "diff is image 0 (same latents as the single image)"}
        if single:
            extra["ratio_vs_single"] = round(m.median / single["warm_median_s"], 3)
        if "vanilla_batch4" in self.results:
            extra["speedup_vs_vanilla_batch4"] = round(self.results["vanilla_batch4"]["warm_median_s"] / m.median, 3)
        self.emit(self.record("batch4", m, steps=a.steps, cfg=a.cfg, batch=4, reference="vanilla", baseline="vanilla",
                              options=options, **extra))

    def run_fp8(self) -> None:
        """The compiled project pipeline with fp8 GEMMs for the transformer blocks' linear layers (approximate)."""
        if self.args.device == "cuda" and not self.accel.fp8_supported(self.accel._device_of(self.pipe)):
            return self.skip("project_fp8_compiled", "fp8 GEMMs need compute capability 8.9+")
        options = self.project_options(compiled=True, fp8=True)
        extra: dict[str, Any] = {"approximate": True}
        self.accel.prepare_pipeline(self.pipe, options)
        extra["fp8_layers"] = len(self.accel.fp8_layers(self.accel._unwrap(self.pipe.unet)))
        self.plain_config("project_fp8_compiled", options, exact="project_compiled", **extra)

    def run_batch4_deepcache(self, interval: int) -> None:
        """4 variants in one call with DeepCache reuse (the variants' lever: the exact batch costs 4 images)."""
        a = self.args
        name = f"batch4_deepcache{interval}"
        compiled = self.compiled_or_eager(
            name, 1.5 * self.compile_estimate() + self.runs_estimate(2.5 * self.call_estimate("project_compiled")),
            self.runs_estimate(2.5 * self.call_estimate("project_eager")))
        if compiled is None:
            return
        options = self.project_options(compiled=compiled, deepcache_interval=interval)
        self.accel.prepare_pipeline(self.pipe, options)
        m = measure(a.device, self.call(self.pipe, steps=a.steps, cfg=a.cfg, batch=4), a.runs)
        single = self.results.get("project_compiled" if compiled else "project_eager")
        exact_image = self.references.get("project_compiled_image" if compiled else "project_eager_image")
        extra: dict[str, Any] = {"compiled": compiled, "approximate": True,
                                 "note": "ratio_vs_single is against the exact single image; diff is image 0 vs vanilla"}
        if single:
            extra["ratio_vs_single"] = round(m.median / single["warm_median_s"], 3)
        if "batch4" in self.results:
            extra["speedup_vs_exact_batch4"] = round(self.results["batch4"]["warm_median_s"] / m.median, 3)
        if exact_image is not None:
            extra["diff_vs_exact_same_mode"] = image_diff(m.images, exact_image)
        self.emit(self.record(name, m, steps=a.steps, cfg=a.cfg, batch=4, reference="vanilla", baseline="vanilla",
                              options=options, **extra))

    def run_deepcache(self, interval: int) -> None:
        a = self.args
        name = f"deepcache{interval}"
        # One compiled DeepCache serves every interval: only the first one pays for compiling.
        already = any(r.get("compiled") for k, r in self.results.items() if k.startswith("deepcache"))
        compile_cost = (0.0 if already else 1.3 * self.compile_estimate())
        compiled = self.compiled_or_eager(name, compile_cost + self.runs_estimate(self.call_estimate("project_compiled")),
                                          self.runs_estimate(self.call_estimate("project_eager")))
        if compiled is None:
            return
        options = self.project_options(compiled=compiled, deepcache_interval=interval)
        self.accel.prepare_pipeline(self.pipe, options)
        deepcache = self.accel.deepcache_of(self.pipe.unet)
        full0, shallow0 = deepcache.full_calls, deepcache.shallow_calls
        m = measure(a.device, self.call(self.pipe, steps=a.steps, cfg=a.cfg), a.runs)
        exact = self.results.get("project_compiled" if compiled else "project_eager")
        exact_image = self.references.get("project_compiled_image" if compiled else "project_eager_image")
        calls = a.runs + 1
        extra: dict[str, Any] = {
            "compiled": compiled,
            "approximate": True,
            "unet_full_calls_per_image": (deepcache.full_calls - full0) / calls,
            "unet_shallow_calls_per_image": (deepcache.shallow_calls - shallow0) / calls,
        }
        if exact:
            extra["speedup_vs_exact_same_mode"] = round(exact["warm_median_s"] / m.median, 3)
        if exact_image is not None:
            extra["diff_vs_exact_same_mode"] = image_diff(m.images, exact_image)
        self.emit(self.record(name, m, steps=a.steps, cfg=a.cfg, batch=1, reference="vanilla", baseline="vanilla",
                              options=options, **extra))
        # Left installed: the next interval reuses its compiled code; any other configuration's prepare removes it.

    def run_cold_start(self) -> None:
        a = self.args
        rec = self.results.get("project_compiled")
        if not rec or not rec.get("compiled"):
            return self.skip("cold_start", "needs project_compiled in this run (it fills the on-disk cache)")
        options = self.accel.AccelerationOptions(**{**rec["options"], "cache_dir": rec["options"]["cache_dir"]})
        # imports + model build (as in this process) + tracing, which the on-disk cache does not save (~1/4 of a
        # compile) + two images
        estimate = self.setup_s + 0.3 * rec.get("compile_total_s", self.compile_estimate()) + 3 * rec["warm_median_s"] + 10.0
        if self.remaining() < estimate:
            return self.skip("cold_start", "time budget", estimate_s=round(estimate, 1))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--cold-start", "--device", a.device, "--size", str(a.size),
               "--steps", str(a.steps), "--cfg", str(a.cfg), "--seed", str(a.seed), "--cache-dir", str(a.cache_dir),
               "--compile-backend", a.compile_backend, "--options-json", json.dumps(options.as_dict())]
        if a.tiny:
            cmd.append("--tiny")
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max(self.remaining(), 60.0), env=dict(os.environ))
        wall = time.perf_counter() - started
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"cold-start process failed (rc={proc.returncode}): {proc.stderr[-2000:]}")
        child = json.loads(lines[-1])
        out = self.header("cold_start", steps=a.steps, cfg=a.cfg, batch=1)
        out.update(child)
        out["process_wall_s"] = round(wall, 2)
        out["compiled_first_call_in_parent_s"] = rec["first_call_s"]
        out["options"] = options.as_dict()
        self.emit(out)

    # --- driver ---------------------------------------------------------------------------------
    def skip(self, name: str, reason: str, **extra: Any) -> None:
        self.emit({"name": name, "status": "skipped", "reason": reason, "remaining_s": round(self.remaining(), 1), **extra})

    def guarded(self, name: str, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failing configuration must not cost the others
            import torch

            self.emit({"name": name, "status": "error", "error": f"{type(exc).__name__}: {exc}"[:2000],
                       "traceback": traceback.format_exc()[-3000:]})
            if self.args.device == "cuda":
                torch.cuda.synchronize()
                torch.cuda.empty_cache()
            self.pipe.scheduler = self.base_scheduler

    def estimate(self, name: str) -> float:
        """Seconds a configuration should take, from what was measured so far (compile time included)."""
        eager = self.call_estimate("project_eager")
        compiled = self.call_estimate("project_compiled")
        cn = 1.6 * eager
        table = {
            "project_eager": self.runs_estimate(eager),
            "project_eager_cudnn_attn": self.runs_estimate(eager),
            "project_compiled": self.compile_estimate() + self.runs_estimate(compiled),
            "interleaved": self.setup_s + 6 * (self.call_estimate("vanilla") + compiled),
            "project_fp8_compiled": self.compile_estimate() + self.runs_estimate(compiled) + 10.0,
            "controlnet_vanilla": 15.0 + self.runs_estimate(1.6 * self.call_estimate("vanilla")),
            "controlnet_project_eager": 10.0 + self.runs_estimate(cn),
            # the UNet compiles again (ControlNet residual inputs) and the ControlNet (half a UNet) for the first time
            "controlnet_project_compiled": 10.0 + 1.1 * self.compile_estimate() + self.runs_estimate(1.6 * compiled),
        }
        return table.get(name, 0.0)

    def run(self) -> None:
        names = self.args.names
        dispatch: dict[str, Callable[[], Any]] = {
            "project_eager": self.run_project_eager,
            "project_eager_cudnn_attn": self.run_project_eager_cudnn_attn,
            "project_compiled": self.run_project_compiled,
            "interleaved": self.run_interleaved,
            "controlnet_project_eager": lambda: self.run_controlnet_project(compiled=False),
            "controlnet_project_compiled": lambda: self.run_controlnet_project(compiled=True),
            "fast_compiled": self.run_fast,
            "batch4": self.run_batch4,
            "project_fp8_compiled": self.run_fp8,
            "batch4_deepcache2": lambda: self.run_batch4_deepcache(2),
            "deepcache2": lambda: self.run_deepcache(2),
            "deepcache3": lambda: self.run_deepcache(3),
            "cold_start": self.run_cold_start,
        }
        # Everything measured on the untouched pipeline comes first, whatever the order asked for.
        self.guarded("vanilla", lambda: self.run_vanilla(with_fast="fast_compiled" in names,
                                                         with_controlnet=any(n.startswith("controlnet") for n in names),
                                                         with_batch4="vanilla_batch4" in names))
        if "vanilla" not in self.results:
            return
        if self.args.attention != "pick":
            self.chosen_attention = self.args.attention
        for name in names:
            if name in ("vanilla", "controlnet_vanilla", "vanilla_batch4"):
                continue
            estimate = self.estimate(name)
            if estimate and self.remaining() < estimate:
                self.skip(name, "time budget", estimate_s=round(estimate, 1))
                continue
            self.guarded(name, dispatch[name])
        self.summary()

    def summary(self) -> None:
        """A short table on stderr (stdout stays JSON lines only)."""
        print("\nname                          median_s  first_s  speedup  peak_GiB  max_abs  mean_abs", file=sys.stderr)
        for name, r in self.results.items():
            if "warm_median_s" not in r:
                continue
            print(f"{name:29s} {r['warm_median_s']:8.3f} {r['first_call_s']:8.1f} {r.get('speedup_vs_vanilla', 1.0):8.2f} "
                  f"{r.get('peak_mem_gib') or 0:9.2f} {r.get('max_abs_diff', 0):8} {r.get('mean_abs_diff', 0):9}", file=sys.stderr)


def cold_start_main(args: argparse.Namespace) -> None:
    """Second process, as the app starts: load, prepare, warm up in the background on the runner's GPU thread (with
    the on-disk caches the first process filled) and send a request at once, as an early user would. The request
    runs compiled if its shape is warm by the time the GPU thread takes it, eagerly otherwise."""
    import torch

    imported = time.perf_counter()
    accel = load_acceleration()
    options = accel.AccelerationOptions(**json.loads(args.options_json))
    t = time.perf_counter()
    pipe = build_pipeline(args)
    sync(args.device)
    built = time.perf_counter()
    accel.prepare_pipeline(pipe, options)
    prepared = time.perf_counter()
    inputs = make_inputs(args)
    bench = Bench(args, accel, pipe, inputs, started=_T0)
    runner = bench.runner
    warming = runner.warm(pipe, [(args.size, args.size)], guidance_scales=(args.cfg,), steps=2, wait=False)
    kwargs = dict(inputs.embeds, num_inference_steps=args.steps, height=args.size, width=args.size,
                  guidance_scale=args.cfg, output_type="pil")
    runner.call(pipe, latents=inputs.latents.clone(), **kwargs)
    sync(args.device)
    first = time.perf_counter()
    first_path = "eager" if runner.counts["eager"] else "compiled"
    warm_s = {label: round(f.result(), 2) for label, f in warming.items()}
    warm_done = time.perf_counter()
    runner.call(pipe, latents=inputs.latents.clone(), **kwargs)
    sync(args.device)
    second = time.perf_counter()
    print(json.dumps({
        "status": "ok",
        "import_s": round(imported - _T0, 2),
        "build_s": round(built - t, 2),
        "prepare_s": round(prepared - built, 2),
        "first_image_s": round(first - prepared, 2),
        "first_image_path": first_path,
        "ready_after_s": round(first - _T0, 2),
        "warmup_s": warm_s,
        "all_warm_after_s": round(warm_done - _T0, 2),
        "warm_image_s": round(second - warm_done, 3),
        "runner_counts": dict(runner.counts),
        "note": "ready_after_s = process start to first image done, a request sent right after start-up "
                "(random weights: real weights add their load time)",
        "peak_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3) if args.device == "cuda" else None,
    }), flush=True)
    runner.close()


# --------------------------------------------------------------------------------------------------------------
# production rows: the app's loading path (hub layout, offline) and its compiled shapes


TEXT_ENCODER_CONFIGS: dict[str, dict[str, Any]] = {  # CLIP ViT-L/14 and OpenCLIP ViT-bigG/14 text towers, as in SDXL base
    "text_encoder": dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12, projection_dim=768,
                         hidden_act="quick_gelu"),
    "text_encoder_2": dict(hidden_size=1280, intermediate_size=5120, num_attention_heads=20, num_hidden_layers=32, projection_dim=1280,
                           hidden_act="gelu"),
}
CHECKER_VISION_CONFIG: dict[str, Any] = dict(hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=24,
                                             image_size=224, patch_size=14)  # CLIP ViT-L/14, the safety checker's tower


def write_hub_models(args: argparse.Namespace, cache: Path) -> dict[str, Any]:
    """SDXL-shaped random models saved as their default hub repos into the hub cache `cache` (what from_settings loads):
    on CUDA the `.fp16` variant files only (the files the app reads there), on the CPU (--tiny) the full-precision
    ones. Text encoders are full size; the tokenizer is the tiny byte-level one (its vocabulary only sizes the
    embedding tables). Returns timings."""
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from safetensors.torch import save_file
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from adgen.imaging import tiny
    from adgen.imaging.hub_cache import add_to_hub_cache
    from adgen.settings import Settings

    defaults = {name: f.default for name, f in Settings.model_fields.items()}
    cuda = args.device == "cuda"
    dtype = torch.float16 if cuda else torch.float32
    variant = "fp16" if cuda else None
    staging = args.hub_dir / "staging"
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    with torch.device(args.device):
        if args.tiny:
            pipe = tiny.build_tiny_sdxl_pipeline(args.seed)
            checker, processor = tiny.build_tiny_safety_checker(args.seed)
            lightning = tiny.build_tiny_sdxl_pipeline(args.seed + 1).unet
        else:
            base = build_pipeline(args)
            tokenizer = tiny.build_tiny_tokenizer()
            ids = dict(vocab_size=len(tokenizer), max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
            encoders = {"text_encoder": CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER_CONFIGS["text_encoder"], **ids)),
                        "text_encoder_2": CLIPTextModelWithProjection(CLIPTextConfig(**TEXT_ENCODER_CONFIGS["text_encoder_2"], **ids))}
            pipe = StableDiffusionXLPipeline(vae=base.vae, unet=base.unet, scheduler=base.scheduler, tokenizer=tokenizer,
                                             tokenizer_2=tokenizer, add_watermarker=False, **{k: m.to(dtype) for k, m in encoders.items()})
            checker = StableDiffusionSafetyChecker(CLIPConfig(text_config=dict(hidden_size=64, num_hidden_layers=1, num_attention_heads=2,
                                                                               intermediate_size=64),
                                                              vision_config=CHECKER_VISION_CONFIG, projection_dim=768))
            processor = CLIPImageProcessor()
            lightning = UNet2DConditionModel(**UNET_CONFIG).to(dtype)
        controlnet = build_controlnet(args, pipe.unet) if not args.tiny else tiny.build_tiny_controlnet(pipe.unet, args.seed)
    built = time.perf_counter()
    pipe.vae.register_to_config(force_upcast=True)  # as the stock VAE: fp16 decoding must come from SDXL_VAE_MODEL's name
    pipe.save_pretrained(staging / "sdxl", variant=variant)
    controlnet.to(dtype).save_pretrained(staging / "controlnet", variant=variant)
    pipe.vae.save_pretrained(staging / "vae")
    checker.to(dtype).save_pretrained(staging / "checker")
    processor.save_pretrained(staging / "checker")
    fast_repo, fast_file = defaults["sdxl_fast_weights"].rsplit("/", 1)
    (staging / "lightning").mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().to("cpu", dtype).contiguous() for k, v in lightning.state_dict().items()}, staging / "lightning" / fast_file)
    del pipe, controlnet, checker, lightning
    if not args.tiny:
        del base, encoders
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    saved = time.perf_counter()
    repos = {"sdxl": defaults["sdxl_model"], "controlnet": defaults["sdxl_controlnet_model"], "vae": defaults["sdxl_vae_model"],
             "checker": defaults["sdxl_safety_checker_model"], "lightning": fast_repo}
    for folder, repo_id in repos.items():
        add_to_hub_cache(staging / folder, repo_id, cache, move=True)
    return {"build_s": round(built - started, 1), "save_s": round(saved - built, 1), "cache_s": round(time.perf_counter() - saved, 1),
            "cache_gib": round(sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) / 2**30, 2)}


class Production:
    """The production rows: `SdxlImageGenerator.from_settings` on the hub cache, timed like the rows above."""

    def __init__(self, args: argparse.Namespace, started: float) -> None:
        import torch

        self.args, self.started = args, started
        self.cuda = args.device == "cuda"
        self.device_name = torch.cuda.get_device_name() if self.cuda else "cpu"

    def emit(self, record: dict[str, Any]) -> None:
        record = {"device": self.device_name, "tiny": self.args.tiny, "status": "ok", **record,
                  "elapsed_s": round(time.perf_counter() - self.started, 1)}
        write_line(self.args.out, record)

    def remaining(self) -> float:
        return self.args.time_budget_s - (time.perf_counter() - self.started)

    def settings(self, **overrides: Any) -> Any:
        from adgen.settings import Settings

        values = {"data_dir": self.args.hub_dir / "data", "log_dir": self.args.hub_dir / "logs", "sdxl_warmup": False, **overrides}
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def memory(self) -> dict[str, float | None]:
        import torch

        if not self.cuda:
            return {"allocated_gib": None, "reserved_gib": None}
        torch.cuda.synchronize()
        return {"allocated_gib": round(torch.cuda.memory_allocated() / 2**30, 3),
                "reserved_gib": round(torch.cuda.memory_reserved() / 2**30, 3)}

    def load(self, **overrides: Any) -> tuple[Any, float]:
        import torch

        from adgen.imaging.sdxl import SdxlImageGenerator

        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        sync(self.args.device)
        t = time.perf_counter()
        generator = SdxlImageGenerator.from_settings(self.settings(**overrides))
        sync(self.args.device)
        return generator, round(time.perf_counter() - t, 2)

    def time_generate(self, generator: Any, ratio: str, **kwargs: Any) -> dict[str, Any]:
        import torch

        if self.cuda:
            torch.cuda.reset_peak_memory_stats()

        def call() -> list[Any]:
            return [r.image for r in generator.generate("카페 신메뉴 홍보, 따뜻한 조명", ratio, 7, "warm", **kwargs)]

        m = measure(self.args.device, call, self.args.runs)
        return {"ratio": ratio, **m.fields()}

    def production_load(self, hub: dict[str, Any]) -> None:
        from adgen.imaging.sdxl import render_size

        generator, load_s = self.load(sdxl_compile=False)
        info = {"load_s": load_s, **hub, "vae_force_upcast": generator._pipe.vae.config.force_upcast,
                "safety_checker": generator._safety is not None, **self.memory()}
        from PIL import Image

        try:
            medians = {}
            for ratio in ("1:1", "4:3", "3:4"):
                width, height = render_size(ratio, None)
                row = self.time_generate(generator, ratio)
                medians[ratio] = row["warm_median_s"]
                self.emit({"name": "production_load", "width": width, "height": height, "steps": generator._steps,
                           "cfg": generator._guidance, **row, **info})
            if generator._safety is not None:  # included in the times above; its own share of one 1:1 image
                probe = [Image.new("RGB", (1024, 1024), "white")]
                m = measure(self.args.device, lambda: [generator._safety.flags(probe)], self.args.runs)
                self.emit({"name": "production_safety_check", **m.fields(), "share_of_1to1_image": round(m.median / medians["1:1"], 4)})
            if _has_cv2():
                row = self.time_generate(generator, "1:1", control_image=Image.new("RGB", (600, 800), (236, 236, 236)))
                self.emit({"name": "production_photo", "width": 1024, "height": 1024, "steps": generator._steps, **row,
                           "controlnet_guidance_end": generator._controlnet_guidance_end, "first_call_includes": "ControlNet load"})
            else:
                self.emit({"name": "production_photo", "status": "skipped", "reason": "opencv is not installed (Canny edges)"})
        finally:
            generator.close()

    def production_fast(self) -> None:
        from adgen.imaging.sdxl import render_size

        generator, load_s = self.load(sdxl_compile=False, sdxl_fast_mode=True)
        scheduler = generator._pipe.scheduler
        info = {"load_s": load_s, "fast_weights": generator._few_step.source, "scheduler": type(scheduler).__name__,
                "timestep_spacing": scheduler.config.timestep_spacing, **self.memory()}
        try:
            for ratio in ("1:1", "4:3", "3:4"):
                width, height = render_size(ratio, None)
                row = self.time_generate(generator, ratio)
                self.emit({"name": "production_fast", "width": width, "height": height, "steps": generator._steps,
                           "cfg": generator._guidance, **row, **info})
        finally:
            generator.close()

    def compile_shapes(self) -> None:
        """Each shape of --compile-shapes compiled through the generator's runner (warm-up, two steps; a photo shape with
        the ControlNet), then compiled calls timed; GPU memory after each (CUDA graphs keep their pools reserved)."""
        import torch

        from adgen.imaging.acceleration import prepare_pipeline
        from adgen.imaging.compile_shapes import CompileShapes
        from adgen.imaging.sdxl import CONTROLNET_CONDITIONING_SCALE, render_size

        shapes = CompileShapes.parse(self.args.compile_shapes)
        generator, load_s = self.load(sdxl_compile=True, sdxl_compile_shapes=self.args.compile_shapes)
        if not self.cuda:  # from_settings keeps the CPU eager; the --tiny check compiles with a cheap backend instead
            generator._acceleration_options = cpu_check_options(self.args, generator._settings)
            prepare_pipeline(generator._pipe, generator._acceleration_options)
        runner = generator._runner
        base = {**self.memory(), "load_s": load_s}
        self.emit({"name": "compile_shapes_start", "status": "info", "shapes": self.args.compile_shapes, **base})
        compile_s: list[float] = []
        try:
            for rule in shapes.rules or ():
                ratio, batch, photo = rule.ratio or "1:1", rule.batch or 1, rule.kind == "photo"
                label = f"{'photo' if photo else 't2i'}/{ratio}/b{batch}"
                estimate = (max(compile_s) if compile_s else self.args.compile_estimate_s) * 1.2 + 20.0
                if self.remaining() < estimate:
                    self.emit({"name": "compile_shape", "shape": label, "status": "skipped", "reason": "time budget",
                               "estimate_s": round(estimate, 1)})
                    continue
                size = render_size(ratio, None)
                extra: dict[str, Any] = {}
                pipe = generator._pipe
                if photo:
                    pipe = generator._in_background(generator._controlnet_pipeline)
                    extra = {"controlnet_conditioning_scale": CONTROLNET_CONDITIONING_SCALE,
                             "control_guidance_end": generator._controlnet_guidance_end}
                before = self.memory()
                if self.cuda:
                    torch.cuda.reset_peak_memory_stats()
                t = time.perf_counter()
                warm = runner.warm(pipe, [size], guidance_scales=(generator._guidance,), batch_sizes=(batch,), steps=2, prompt="warm-up",
                                   **extra)
                sync(self.args.device)
                took = time.perf_counter() - t
                compile_s.append(took)
                after = self.memory()
                peak = round(torch.cuda.max_memory_allocated() / 2**30, 3) if self.cuda else None
                kwargs: dict[str, Any] = {"num_images": batch}
                if photo:
                    from PIL import Image

                    kwargs["control_image"] = Image.new("RGB", (600, 800), (236, 236, 236))
                try:
                    row = self.time_generate(generator, ratio, **kwargs) if not photo or _has_cv2() else {}
                except Exception as exc:  # noqa: BLE001 - the compile numbers stay
                    row = {"call_error": f"{type(exc).__name__}: {exc}"[:500]}
                self.emit({"name": "compile_shape", "shape": label, "width": size[0], "height": size[1], "batch": batch,
                           "warm": warm, "compile_s": round(took, 1), "peak_during_compile_gib": peak,
                           "allocated_delta_gib": _delta(after, before, "allocated_gib"),
                           "reserved_delta_gib": _delta(after, before, "reserved_gib"), **after,
                           "runner_counts": dict(runner.counts), **{f"call_{k}": v for k, v in row.items() if k != "ratio"}})
        finally:
            generator.close()


def cpu_check_options(args: argparse.Namespace, settings: Any) -> Any:
    """--tiny on the CPU only: the settings' acceleration options compiled with the bench's cheap backend, no CUDA graphs."""
    from adgen.imaging.acceleration import AccelerationOptions

    options = AccelerationOptions.from_settings(settings)
    return replace(options, compile=True, compile_backend=args.compile_backend, cuda_graphs=False, compile_vae=False)


def _delta(after: dict[str, Any], before: dict[str, Any], key: str) -> float | None:
    return None if after[key] is None or before[key] is None else round(after[key] - before[key], 3)


def _has_cv2() -> bool:
    return importlib.util.find_spec("cv2") is not None


def production_main(args: argparse.Namespace) -> None:
    """The production rows, in one process whose hub cache is --hub-dir/hub and offline (set before huggingface_hub,
    diffusers and transformers are imported: they read the environment once)."""
    if args.hub_dir.exists():
        shutil.rmtree(args.hub_dir)
    cache = args.hub_dir / "hub"
    os.environ.update({"HF_HOME": str(args.hub_dir), "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"})
    sys.path.insert(0, str(ROOT))
    bench = Production(args, _T0)
    hub = write_hub_models(args, cache)
    bench.emit({"name": "production_setup", "status": "info", **hub, "configs": args.names})
    rows = {"production_load": lambda: bench.production_load(hub), "production_fast": bench.production_fast,
            "compile_shapes": bench.compile_shapes}
    for name in args.names:
        try:
            rows[name]()
        except Exception as exc:  # noqa: BLE001 - one failing row must not cost the others
            bench.emit({"name": name, "status": "error", "error": f"{type(exc).__name__}: {exc}"[:2000],
                        "traceback": traceback.format_exc()[-3000:]})
        gc.collect()  # the row's generator is closed and gone: the next row's memory numbers start clean
        if bench.cuda:
            import torch

            torch.cuda.empty_cache()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cold_start:
        cold_start_main(args)
        return 0
    if args.production:
        production_main(args)
        return 0
    if not args.keep_cache and args.cache_dir.exists():
        shutil.rmtree(args.cache_dir)
    import torch

    accel = load_acceleration()
    pipe = build_pipeline(args)
    inputs = make_inputs(args)
    bench = Bench(args, accel, pipe, inputs, started=_T0, base_scheduler=pipe.scheduler)
    sync(args.device)
    bench.setup_s = time.perf_counter() - _T0
    unet_params = sum(p.numel() for p in pipe.unet.parameters())
    print(json.dumps({"name": "setup", "status": "info", "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
                      "torch": torch.__version__, "unet_params_M": round(unet_params / 1e6, 1),
                      "build_s": round(time.perf_counter() - _T0, 1), "configs": args.names,
                      "compile_mode": args.compile_mode, "compile_backend": args.compile_backend,
                      "cuda_graphs": not args.no_cuda_graphs, "budget_s": args.time_budget_s}), flush=True)
    bench.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
