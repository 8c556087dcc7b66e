"""prepare_pipeline on the tiny random SDXL (CPU): the exact options keep the image, DeepCache reuses features."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from imaging_helpers import CallCounter

from adgen.imaging.acceleration import (
    AccelerationOptions,
    Fp8Linear,
    call_pipeline,
    deepcache_of,
    fast_mode_scheduler,
    fp8_layers,
    is_qkv_fused,
    prepare_pipeline,
    restore_pipeline,
    warmup,
)
from adgen.imaging.tiny import build_tiny_controlnet, build_tiny_sdxl_pipeline

STEPS = 4
EXACT = 1e-4  # fp32: fused QKV and channels-last convolutions change only the summation order


@pytest.fixture
def pipe() -> Any:
    return build_tiny_sdxl_pipeline(seed=0)


def render(pipe: Any, steps: int = STEPS, **kwargs: Any) -> np.ndarray:
    kwargs.setdefault("guidance_scale", 5.0)
    with torch.inference_mode():
        out = pipe(prompt="카페 신메뉴", negative_prompt="blurry", width=64, height=64, num_inference_steps=steps,
                   generator=torch.Generator("cpu").manual_seed(3), output_type="np", **kwargs)
    return out.images




@pytest.fixture
def mid_calls(pipe: Any) -> Iterator[CallCounter]:
    counter = CallCounter(pipe.unet.mid_block)
    yield counter
    counter.remove()


def test_default_options_keep_the_image(pipe: Any) -> None:
    plain = render(pipe)
    prepare_pipeline(pipe, AccelerationOptions())
    assert is_qkv_fused(pipe.unet) and is_qkv_fused(pipe.vae)
    assert pipe.unet.conv_in.weight.is_contiguous(memory_format=torch.channels_last)
    prepared = render(pipe)
    assert np.abs(prepared - plain).max() < EXACT

    restore_pipeline(pipe)
    assert not is_qkv_fused(pipe.unet)
    assert not any(hasattr(m, "to_qkv") for m in pipe.unet.modules())
    assert pipe.unet.conv_in.weight.is_contiguous()
    np.testing.assert_allclose(render(pipe), plain, atol=1e-6)


def test_preparing_twice_changes_nothing(pipe: Any) -> None:
    prepare_pipeline(pipe, AccelerationOptions())
    first = render(pipe)
    fused_layers = [m.to_qkv for m in pipe.unet.modules() if hasattr(m, "to_qkv")]
    prepare_pipeline(pipe, AccelerationOptions())
    assert [m.to_qkv for m in pipe.unet.modules() if hasattr(m, "to_qkv")] == fused_layers
    np.testing.assert_array_equal(render(pipe), first)


def test_controlnet_pipeline_keeps_the_image(pipe: Any) -> None:
    from diffusers import StableDiffusionXLControlNetPipeline
    from PIL import Image

    cn_pipe = StableDiffusionXLControlNetPipeline(**pipe.components, controlnet=build_tiny_controlnet(pipe.unet))
    cn_pipe.set_progress_bar_config(disable=True)
    control = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    plain = render(cn_pipe, image=control)
    prepare_pipeline(cn_pipe, AccelerationOptions())
    assert is_qkv_fused(cn_pipe.controlnet)
    assert np.abs(render(cn_pipe, image=control) - plain).max() < EXACT


def test_deepcache_interval_0_is_exact(pipe: Any, mid_calls: CallCounter) -> None:
    prepare_pipeline(pipe, AccelerationOptions())
    exact = render(pipe)
    mid_calls.calls = 0
    prepare_pipeline(pipe, AccelerationOptions(deepcache_interval=0))
    assert deepcache_of(pipe.unet) is None
    np.testing.assert_array_equal(render(pipe), exact)
    assert mid_calls.calls == STEPS


def test_deepcache_interval_2_halves_the_deep_passes(pipe: Any, mid_calls: CallCounter) -> None:
    prepare_pipeline(pipe, AccelerationOptions())
    exact = render(pipe)
    prepare_pipeline(pipe, AccelerationOptions(deepcache_interval=2))
    deepcache = deepcache_of(pipe.unet)
    assert deepcache is not None
    mid_calls.calls = 0
    first = render(pipe)
    assert mid_calls.calls == 2  # steps 0 and 2 run the whole UNet, 1 and 3 reuse its deep features
    assert (deepcache.full_calls, deepcache.shallow_calls) == (2, 2)
    # A new generation starts with a full pass again, so a second image is the same image.
    np.testing.assert_array_equal(render(pipe), first)
    assert mid_calls.calls == 4

    assert np.isfinite(first).all()
    deviation = np.abs(first - exact)
    assert 0 < deviation.mean() < 0.05 and deviation.max() < 0.5  # approximate, and only a little

    prepare_pipeline(pipe, AccelerationOptions())  # interval back to 0: exact again
    assert deepcache_of(pipe.unet) is None
    assert np.abs(render(pipe) - exact).max() < EXACT


def test_deepcache_with_controlnet_runs(pipe: Any) -> None:
    from diffusers import StableDiffusionXLControlNetPipeline
    from PIL import Image

    cn_pipe = StableDiffusionXLControlNetPipeline(**pipe.components, controlnet=build_tiny_controlnet(pipe.unet))
    cn_pipe.set_progress_bar_config(disable=True)
    control = Image.new("RGB", (64, 64), "white")
    prepare_pipeline(cn_pipe, AccelerationOptions(deepcache_interval=3))
    image = render(cn_pipe, image=control)
    assert np.isfinite(image).all()
    assert deepcache_of(cn_pipe.unet).shallow_calls == 2  # steps 1 and 2 of 0..3


def test_options_from_settings(imaging_settings: Any, tmp_path: Path) -> None:
    settings = imaging_settings(sdxl_compile=True, sdxl_compile_mode="default", sdxl_deepcache_interval=3,
                                sdxl_channels_last=False, sdxl_cuda_graphs=True, sdxl_dtype="bfloat16")
    options = AccelerationOptions.from_settings(settings)
    assert options.compile and options.compile_mode == "default" and options.cuda_graphs
    assert options.deepcache_interval == 3 and not options.channels_last and options.fuse_qkv
    assert options.dtype == "bfloat16"
    assert options.cache_dir == tmp_path / "inductor"
    assert options.vae_fp16  # the default VAE is the fp16-fix one: fp16 decoding, as benchmarked


@pytest.mark.parametrize(
    ("vae", "declared", "fp16"),
    [("madebyollin/sdxl-vae-fp16-fix", False, True),  # known fp16-safe
     (None, False, False),  # SDXL_MODEL's own (stock) VAE overflows in fp16: keep its upcast
     ("", False, False),
     ("someone/other-sdxl-vae", False, False),  # not known: keep what its config says
     ("/models/my-vae", True, True),  # SDXL_VAE_FP16_SAFE=true declares it safe
     (None, True, True)],
)
def test_vae_decodes_in_fp16_only_when_known_or_declared_safe(imaging_settings: Any, vae: str | None, declared: bool, fp16: bool) -> None:
    options = AccelerationOptions.from_settings(imaging_settings(sdxl_vae_model=vae, sdxl_vae_fp16_safe=declared))
    assert options.vae_fp16 is fp16


@pytest.mark.parametrize(
    ("field", "value"),
    [("dtype", "float8"), ("deepcache_interval", -1), ("attention_backend", "xformers"), ("compile_mode", "fastest")],
)
def test_invalid_options_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field):
        AccelerationOptions(**{field: value})


def test_fast_mode_scheduler_uses_trailing_timesteps(pipe: Any) -> None:
    scheduler = fast_mode_scheduler(pipe)
    assert type(scheduler).__name__ == "EulerDiscreteScheduler"
    assert scheduler.config.timestep_spacing == "trailing"
    scheduler.set_timesteps(4)
    assert scheduler.timesteps[0] == 999  # starts from pure noise, as few-step models are trained
    assert pipe.scheduler.config.timestep_spacing == "leading"  # the pipeline's own is untouched


def test_warmup_runs_every_combination(pipe: Any) -> None:
    prepare_pipeline(pipe, AccelerationOptions())
    timings = warmup(pipe, [(64, 64), (64, 32)], guidance_scales=(5.0, 0.0), steps=1, prompt="warm-up")
    assert set(timings) == {"64x64/cfg5.0/b1", "64x64/cfg0.0/b1", "64x32/cfg5.0/b1", "64x32/cfg0.0/b1"}


@pytest.mark.slow
def test_compiled_path_matches_eager(pipe: Any, mid_calls: CallCounter, tmp_path: Path) -> None:
    """The torch.compile wiring (DeepCache's full and shallow graphs, the VAE decoder) with dynamo's 'eager'
    backend: graph capture without code generation, so it stays cheap on a CPU."""
    eager = AccelerationOptions(deepcache_interval=2)
    prepare_pipeline(pipe, eager)
    reference = render(pipe, steps=3)
    torch._dynamo.reset()
    from torch._dynamo.utils import counters

    graphs_before = counters["stats"]["unique_graphs"]
    try:
        prepare_pipeline(pipe, AccelerationOptions(deepcache_interval=2, compile=True, compile_backend="eager",
                                                   compile_vae=True, cache_dir=tmp_path))
        assert "_decode" in pipe.vae.__dict__  # the compiled decoder is installed
        mid_calls.calls = 0
        assert np.abs(render(pipe, steps=3) - reference).max() < EXACT
        assert mid_calls.calls == 2  # steps 0 and 2: the hook that captures the deep features ran inside the graph
        assert counters["stats"]["unique_graphs"] - graphs_before >= 3  # full UNet, shallow UNet, VAE decoder
        assert not counters["graph_break"]
    finally:
        torch._dynamo.reset()


def test_variants_reuse_deep_features_while_single_images_stay_exact(pipe: Any, mid_calls: CallCounter) -> None:
    prepare_pipeline(pipe, AccelerationOptions())
    exact_single, exact_pair = render(pipe), render(pipe, num_images_per_prompt=2)
    prepare_pipeline(pipe, AccelerationOptions(variants_deepcache_interval=2))
    deepcache = deepcache_of(pipe.unet)
    assert deepcache is not None and (deepcache.interval, deepcache.variants_interval) == (0, 2)

    mid_calls.calls = 0
    np.testing.assert_array_equal(render(pipe), exact_single)  # one image: every step runs the whole UNet
    assert mid_calls.calls == STEPS and deepcache.shallow_calls == 0

    mid_calls.calls = 0
    pair = render(pipe, num_images_per_prompt=2)
    assert mid_calls.calls == 2 and deepcache.shallow_calls == 2  # two variants: steps 1 and 3 reuse
    deviation = np.abs(pair - exact_pair)
    assert 0 < deviation.mean() < 0.05 and deviation.max() < 0.5

    # Without CFG one image is a batch of one latent: two images are still variants.
    mid_calls.calls = 0
    render(pipe, num_images_per_prompt=2, guidance_scale=0.0)
    assert mid_calls.calls == 2
    mid_calls.calls = 0
    render(pipe, guidance_scale=0.0)
    assert mid_calls.calls == STEPS


def test_variants_interval_follows_settings(imaging_settings: Any) -> None:
    assert AccelerationOptions.from_settings(imaging_settings()).variants_deepcache_interval == 2  # the app's default
    assert AccelerationOptions.from_settings(imaging_settings(sdxl_variants_deepcache_interval=0)).variants_deepcache_interval == 0
    # Few-step fast mode has no steps to spare: its variants stay exact.
    assert AccelerationOptions.from_settings(imaging_settings(sdxl_fast_mode=True)).variants_deepcache_interval == 0
    with pytest.raises(ValueError, match="variants_deepcache_interval"):
        AccelerationOptions(variants_deepcache_interval=-1)


def test_fp8_layer_rounds_like_e4m3() -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 96)
    original = linear.weight.detach().clone()
    layer = Fp8Linear(linear)
    x = torch.randn(3, 10, 64)
    with torch.no_grad():
        exact, fp8 = torch.nn.functional.linear(x, original, linear.bias), layer(x)
    assert fp8.shape == exact.shape == (3, 10, 96)
    relative = ((fp8 - exact).norm() / exact.norm()).item()
    assert 1e-4 < relative < 0.05  # 3 mantissa bits: rounded, not wrong
    assert layer.weight_bits.dtype == torch.uint8 and layer.weight_bits.numel() == 64 * 96  # one byte per weight
    layer.to(torch.float16)  # a dtype cast of the model must not touch the fp8 bits
    assert layer.weight_bits.dtype == torch.uint8
    torch.testing.assert_close(layer.__dict__["original"].weight, original, rtol=0, atol=0)


def test_fp8_option_quantizes_the_transformer_linears_and_is_undone(pipe: Any) -> None:
    plain = render(pipe)
    prepare_pipeline(pipe, AccelerationOptions())
    exact = render(pipe)
    prepare_pipeline(pipe, AccelerationOptions(fp8=True))
    names = {n for n, m in pipe.unet.named_modules() if isinstance(m, Fp8Linear)}
    assert names and all(".attentions." in n for n in names)
    assert any(n.endswith("attn1.to_qkv") for n in names) and any(n.endswith("ff.net.2") for n in names)
    assert not any(n.endswith(("attn2.to_kv", "attn1.to_q")) for n in names)  # text-fed, and unused while fused
    assert not fp8_layers(pipe.vae)
    image = render(pipe)
    deviation = np.abs(image - exact)
    assert 0 < deviation.mean() < 0.03 and deviation.max() < 0.3

    prepare_pipeline(pipe, AccelerationOptions(fp8=True, fuse_qkv=False))  # the fp8 layers follow the unfused projections
    assert not is_qkv_fused(pipe.unet)
    assert any(n.endswith("attn1.to_q") for n, m in pipe.unet.named_modules() if isinstance(m, Fp8Linear))
    assert np.abs(render(pipe) - exact).mean() < 0.03

    prepare_pipeline(pipe, AccelerationOptions())  # back to the exact layers, bit for bit
    assert not fp8_layers(pipe.unet)
    assert np.abs(render(pipe) - exact).max() < EXACT
    prepare_pipeline(pipe, AccelerationOptions(fp8=True))
    restore_pipeline(pipe)
    np.testing.assert_allclose(render(pipe), plain, atol=1e-6)


def test_fp8_is_skipped_where_the_device_has_no_fp8(pipe: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import adgen.imaging.acceleration as acceleration

    monkeypatch.setattr(acceleration, "fp8_supported", lambda device: False)
    prepare_pipeline(pipe, AccelerationOptions(fp8=True))
    assert not fp8_layers(pipe.unet)
    assert "fp8=True ignored" in caplog.text


def test_fp8_layers_compile_with_inductor() -> None:
    """The fp8 layer through inductor's code generation (its `_scaled_mm` lowering) as it runs in the pipeline."""
    torch.manual_seed(0)
    block = torch.nn.Sequential(torch.nn.LayerNorm(64), Fp8Linear(torch.nn.Linear(64, 128)), torch.nn.GELU(),
                                Fp8Linear(torch.nn.Linear(128, 64)))
    x = torch.randn(2, 77, 64)
    torch._dynamo.reset()
    try:
        with torch.inference_mode():
            eager, compiled = block(x), torch.compile(block, backend="inductor")(x)
    finally:
        torch._dynamo.reset()
    torch.testing.assert_close(compiled, eager, rtol=1e-3, atol=1e-3)


def test_variants_are_counted_per_call_when_pipelines_share_the_unet(pipe: Any, mid_calls: CallCounter) -> None:
    """The ControlNet pipeline shares the UNet and its DeepCache: how its last call was made (no CFG here) must not
    decide whether the plain pipeline's next call is one image or two."""
    from diffusers import StableDiffusionXLControlNetPipeline
    from PIL import Image

    cn_pipe = StableDiffusionXLControlNetPipeline(**pipe.components, controlnet=build_tiny_controlnet(pipe.unet))
    cn_pipe.set_progress_bar_config(disable=True)
    options = AccelerationOptions(variants_deepcache_interval=2)
    prepare_pipeline(pipe, options)
    prepare_pipeline(cn_pipe, options)  # the UNet's DeepCache now follows the ControlNet pipeline
    common = {"prompt": "카페", "width": 64, "height": 64, "num_inference_steps": STEPS, "output_type": "np"}
    with torch.inference_mode():
        call_pipeline(cn_pipe, image=Image.new("RGB", (64, 64), "white"), guidance_scale=0.0, **common)
        mid_calls.calls = 0
        call_pipeline(pipe, guidance_scale=5.0, **common)  # one image with CFG: a UNet batch of 2, not 2 variants
        assert mid_calls.calls == STEPS
        call_pipeline(pipe, guidance_scale=5.0, num_images_per_prompt=2, **common)
        assert mid_calls.calls == STEPS + 2
