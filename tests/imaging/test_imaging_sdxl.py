"""The SDXL backend on the tiny random SDXL: real diffusers pipelines (t2i and ControlNet), CPU, few steps."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
import torch
from imaging_helpers import assert_not_flat, product_photo
from PIL import Image

from adgen.errors import ConfigurationError, GpuOutOfMemoryError, ImageGenerationError, ValidationError
from adgen.imaging import SIZES, ImageGenerator
from adgen.imaging.acceleration import restore_pipeline
from adgen.imaging.sdxl import SdxlImageGenerator, canny_control_image, render_size
from adgen.imaging.tiny import MODEL_NAME, build_tiny_controlnet, build_tiny_generator, build_tiny_sdxl_pipeline, build_tiny_tokenizer
from adgen.settings import Settings

RATIOS = list(SIZES)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_pipe() -> Any:
    return build_tiny_sdxl_pipeline(seed=0)


@pytest.fixture
def tiny(tiny_pipe: Any, imaging_settings: Any) -> SdxlImageGenerator:
    """The ``tiny`` backend: the module's pipeline with a ControlNet, 3 steps, rendering 64 px on the long edge."""
    return SdxlImageGenerator.from_pipeline(
        tiny_pipe,
        build_tiny_controlnet(tiny_pipe.unet),
        settings=imaging_settings(),
        name="tiny",
        render_edge=64,
        model=MODEL_NAME,
    )


class FlakyPipeline:
    """A real pipeline that raises CUDA out-of-memory on its first ``failures`` calls (or another error)."""

    def __init__(self, pipe: Any, failures: int, error: type[BaseException] = torch.OutOfMemoryError) -> None:
        self.__dict__.update(pipe=pipe, failures=failures, error=error, sizes=[])

    def __call__(self, **kwargs: Any) -> Any:
        self.sizes.append((kwargs["width"], kwargs["height"]))
        if self.failures > 0:
            self.__dict__["failures"] -= 1  # our own attribute: __setattr__ would forward it to the pipeline
            raise self.error("CUDA out of memory. Tried to allocate 2.50 GiB (simulated)")
        return self.pipe(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.pipe, name, value)


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


def test_tokenizer_has_its_vocabulary() -> None:
    """The transformers-5 pitfall: a CLIPTokenizer built the wrong way has no vocabulary and tokenizes to nothing."""
    tokenizer = build_tiny_tokenizer()
    ids = tokenizer("카페 신메뉴 딸기라떼", padding="max_length", max_length=77, truncation=True).input_ids
    assert len(ids) == 77 and ids[0] == tokenizer.bos_token_id
    assert len(set(ids)) > 10
    assert tokenizer.decode(ids, skip_special_tokens=True) == "카페 신메뉴 딸기라떼"


def test_is_an_image_generator(tiny: SdxlImageGenerator) -> None:
    assert isinstance(tiny, ImageGenerator)
    assert tiny.name == "tiny"


@pytest.mark.parametrize("ratio", RATIOS)
def test_text_to_image_per_ratio(tiny: SdxlImageGenerator, ratio: str) -> None:
    [result] = tiny.generate("카페 신메뉴 홍보, 따뜻한 조명", ratio, 7, "warm", industry="cafe")
    assert result.image.mode == "RGB" and result.image.size == SIZES[ratio]
    assert_not_flat(result.image)
    meta = result.metadata
    assert meta["method"] == "t2i" and meta["backend"] == "tiny" and meta["model"] == MODEL_NAME
    assert (meta["seed"], meta["style"], meta["steps"]) == (7, "warm", 3)
    assert (meta["width"], meta["height"]) == SIZES[ratio]
    assert meta["render_size"] == list(render_size(ratio, 64)) and max(meta["render_size"]) == 64
    assert meta["render_size"][0] % 16 == 0 and meta["render_size"][1] % 16 == 0
    assert meta["downscaled"] is False and meta["elapsed_s"] > 0
    assert result.product_box is None
    assert result.palette is not None and len(result.palette.background) >= 1


@pytest.mark.parametrize("ratio", RATIOS)
def test_controlnet_per_ratio(tiny: SdxlImageGenerator, ratio: str) -> None:
    photo = product_photo((300, 400))
    [with_photo] = tiny.generate("상품 광고", ratio, 3, None, photo)
    [without] = tiny.generate("상품 광고", ratio, 3, None)
    assert with_photo.image.size == SIZES[ratio]
    assert with_photo.metadata["method"] == "controlnet" and with_photo.metadata["product_photo"] is True
    assert_not_flat(with_photo.image)
    # Same seed and prompt: only the control image differs, so it must have reached the UNet.
    assert np.abs(_pixels(with_photo.image) - _pixels(without.image)).mean() > 1.0
    x0, y0, x1, y1 = with_photo.product_box
    assert 0 <= x0 < x1 <= SIZES[ratio][0] and 0 <= y0 < y1 <= SIZES[ratio][1]
    assert abs((x1 - x0) / (y1 - y0) - 0.75) < 0.1  # the 3:4 photo's shape, letterboxed


def test_canny_control_image_leaves_room_for_the_copy() -> None:
    photo = product_photo((400, 200))
    control, box = canny_control_image(photo, (256, 256))
    assert control.size == (256, 256) and control.mode == "RGB"
    # 62% of the width (159 px) at the photo's 2:1 shape, centred across, a quarter of the free height above.
    assert box == (48, 44, 207, 124)
    edges = np.asarray(control)[..., 0]
    x0, y0, x1, y1 = box
    assert edges[y0:y1, x0:x1].any(), "no edges found in the photo"
    outside = edges.copy()
    outside[y0:y1, x0:x1] = 0
    assert not outside.any(), "around the photo the control image stays black"
    assert 256 - y1 > y0, "more room below the photo (for the copy) than above it"


def test_progress_rises_to_one(tiny: SdxlImageGenerator) -> None:
    calls: list[tuple[float, str]] = []
    tiny.generate("x", "1:1", 1, None, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert len(fractions) >= 3  # at least once per denoising step
    assert fractions == sorted(fractions) and 0 < fractions[0] and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


def test_two_variants_in_one_call(tiny: SdxlImageGenerator) -> None:
    results = tiny.generate("빵집 오픈", "4:3", 20, None, num_images=2)
    assert [r.metadata["seed"] for r in results] == [20, 21]
    a, b = (_pixels(r.image) for r in results)
    assert np.abs(a - b).mean() > 1.0
    # Variant i of a batch is the image seed + i gives alone (one generator per image).
    [alone] = tiny.generate("빵집 오픈", "4:3", 21, None)
    assert np.abs(_pixels(alone.image) - b).mean() < 1.0


def test_deterministic_per_seed(tiny: SdxlImageGenerator) -> None:
    [a] = tiny.generate("x", "3:4", 99, None)
    [b] = tiny.generate("x", "3:4", 99, None)
    assert a.image.tobytes() == b.image.tobytes()


def test_out_of_memory_retries_smaller(tiny_pipe: Any, imaging_settings: Any) -> None:
    flaky = FlakyPipeline(tiny_pipe, failures=1)
    generator = SdxlImageGenerator.from_pipeline(flaky, settings=imaging_settings(), name="tiny", render_edge=64)
    calls: list[float] = []
    [result] = generator.generate("x", "4:3", 1, None, progress=lambda f, m: calls.append(f))
    assert flaky.sizes == [(64, 48), (48, 32)]  # about 3/4 of each side, multiples of 16
    assert result.image.size == SIZES["4:3"]  # upscaled back to the promised size
    assert result.metadata["downscaled"] is True and result.metadata["render_size"] == [48, 32]
    assert calls == sorted(calls) and calls[-1] == 1.0


def test_a_failed_call_leaves_the_vae_dtype_as_it_was(tiny_pipe: Any, imaging_settings: Any) -> None:
    """diffusers upcasts the VAE for decoding and casts it back afterwards; an out-of-memory in between
    must not leave it upcast, or every later call fails on mismatched dtypes (seen on an H100)."""

    class UpcastThenOom(FlakyPipeline):
        def __call__(self, **kwargs: Any) -> Any:
            if self.failures > 0:
                self.pipe.vae.to(dtype=torch.float64)  # what diffusers' upcast does, mid-call
            return super().__call__(**kwargs)

    flaky = UpcastThenOom(tiny_pipe, failures=1)
    generator = SdxlImageGenerator.from_pipeline(flaky, settings=imaging_settings(), name="tiny", render_edge=64)
    [result] = generator.generate("x", "1:1", 1, None)
    assert result.metadata["downscaled"] is True
    assert tiny_pipe.vae.dtype == torch.float32


def test_out_of_memory_twice_is_a_gpu_error(tiny_pipe: Any, imaging_settings: Any) -> None:
    flaky = FlakyPipeline(tiny_pipe, failures=5)
    generator = SdxlImageGenerator.from_pipeline(flaky, settings=imaging_settings(), name="tiny", render_edge=64)
    with pytest.raises(GpuOutOfMemoryError) as info:
        generator.generate("x", "1:1", 1, None)
    assert info.value.code == "gpu_out_of_memory" and info.value.http_status == 503
    assert len(flaky.sizes) == 2  # one retry, not a loop


def test_full_size_retry_stays_on_the_32_grid(tiny_pipe: Any, imaging_settings: Any) -> None:
    """Without a render edge the pipeline renders SIZES; the retry size keeps SDXL's multiple of 32."""
    flaky = FlakyPipeline(tiny_pipe, failures=5)
    generator = SdxlImageGenerator.from_pipeline(flaky, settings=imaging_settings())
    with pytest.raises(GpuOutOfMemoryError):
        generator.generate("x", "3:4", 1, None)
    assert flaky.sizes == [(864, 1152), (640, 864)]


def test_other_failures_are_image_generation_errors(tiny_pipe: Any, imaging_settings: Any) -> None:
    flaky = FlakyPipeline(tiny_pipe, failures=1, error=RuntimeError)
    generator = SdxlImageGenerator.from_pipeline(flaky, settings=imaging_settings(), name="tiny", render_edge=64)
    with pytest.raises(ImageGenerationError) as info:
        generator.generate("x", "1:1", 4, None)
    assert info.value.code == "image_generation_failed"
    assert info.value.context["seed"] == 4 and "RuntimeError" in info.value.context["reason"]
    assert len(flaky.sizes) == 1  # not retried: only out-of-memory is worth a smaller try


def test_bad_requests_are_refused(tiny: SdxlImageGenerator) -> None:
    with pytest.raises(ValidationError):
        tiny.generate("x", "2:1", 1, None)
    with pytest.raises(ValidationError):
        tiny.generate("x", "1:1", 1, None, num_images=0)


def test_fast_mode_uses_trailing_euler_without_guidance(imaging_settings: Any) -> None:
    generator = build_tiny_generator(imaging_settings(sdxl_fast_mode=True, sdxl_fast_steps=2))
    [result] = generator.generate("x", "1:1", 1, None)
    assert result.metadata["steps"] == 2 and result.metadata["guidance_scale"] == 0.0 and result.metadata["fast_mode"] is True
    scheduler = generator._pipe.scheduler
    assert type(scheduler).__name__ == "EulerDiscreteScheduler" and scheduler.config.timestep_spacing == "trailing"


def test_acceleration_is_applied_and_images_still_come(imaging_settings: Any) -> None:
    """``accelerate=True`` runs the acceleration module's prepare_pipeline (fused QKV, channels-last on the CPU)."""
    from adgen.imaging.acceleration import is_qkv_fused

    pipe = build_tiny_sdxl_pipeline(seed=1)
    generator = SdxlImageGenerator.from_pipeline(
        pipe, build_tiny_controlnet(pipe.unet), settings=imaging_settings(), render_edge=64, accelerate=True
    )
    assert is_qkv_fused(pipe.unet)
    [t2i] = generator.generate("x", "1:1", 1, None)
    [cn] = generator.generate("x", "1:1", 1, None, product_photo((200, 200)))
    assert t2i.image.size == cn.image.size == SIZES["1:1"]
    assert cn.metadata["method"] == "controlnet"


def test_variants_reuse_deep_features_on_the_accelerated_pipeline(imaging_settings: Any) -> None:
    """The app's default (SDXL_VARIANTS_DEEPCACHE_INTERVAL=2): a request for several variants reuses the UNet's deep
    features every other step; a single image stays exact. Variant i is still close to what seed + i gives alone."""
    from adgen.imaging.acceleration import deepcache_of

    pipe = build_tiny_sdxl_pipeline(seed=1)
    generator = SdxlImageGenerator.from_pipeline(pipe, settings=imaging_settings(), render_edge=64, accelerate=True)
    deepcache = deepcache_of(pipe.unet)
    assert deepcache is not None and (deepcache.interval, deepcache.variants_interval) == (0, 2)
    [alone] = generator.generate("빵집 오픈", "4:3", 21, None)
    assert deepcache.shallow_calls == 0
    results = generator.generate("빵집 오픈", "4:3", 20, None, num_images=2)
    assert deepcache.shallow_calls == 1  # 3 steps: 0 and 2 full, 1 reuses
    assert [r.metadata["seed"] for r in results] == [20, 21]
    assert 0 < np.abs(_pixels(alone.image) - _pixels(results[1].image)).mean() < 3.0

    exact = SdxlImageGenerator.from_pipeline(
        build_tiny_sdxl_pipeline(seed=1), settings=imaging_settings(sdxl_variants_deepcache_interval=0), render_edge=64, accelerate=True
    )
    assert deepcache_of(exact._pipe.unet) is None
    [alone_exact] = exact.generate("빵집 오픈", "4:3", 21, None)
    assert alone_exact.image.tobytes() == alone.image.tobytes()  # single images: the same either way


def test_warmup_runs_the_pipeline(tiny: SdxlImageGenerator) -> None:
    timings = tiny.warmup()
    assert list(timings) == ["t2i/64x64/cfg/b1", "controlnet/64x64/cfg/b1"] and all(t > 0 for t in timings.values())


@pytest.mark.parametrize("preload", [True, False])
def test_warmup_loads_and_runs_the_controlnet_when_photos_are_preloaded(
    tiny_pipe: Any, imaging_settings: Any, tiny_folders: Any, monkeypatch: pytest.MonkeyPatch, preload: bool
) -> None:
    """SDXL_PRELOAD_CONTROLNET: the ControlNet is loaded (from its folder, as from SDXL_CONTROLNET_MODEL) and run in the
    warm-up, so the first photo request neither loads nor warms it; off, it waits for the first photo as before."""
    from adgen.imaging import sdxl

    loads: list[str] = []
    real_from_pretrained = sdxl._from_pretrained

    def counting(cls: Any, source: str, *args: Any, **kwargs: Any) -> Any:
        loads.append(cls.__name__)
        return real_from_pretrained(cls, source, *args, **kwargs)

    monkeypatch.setattr(sdxl, "_from_pretrained", counting)
    generator = SdxlImageGenerator(tiny_pipe, settings=imaging_settings(sdxl_preload_controlnet=preload, sdxl_steps=2), render_edge=64,
                                   controlnet_source=str(tiny_folders.controlnet), accelerate=True)
    try:
        timings = generator.warmup()
        if preload:
            assert list(timings) == ["t2i/64x64/cfg/b1", "controlnet/64x64/cfg/b1"] and loads == ["ControlNetModel"]
            forward = generator._controlnet.__dict__["forward"]  # prepare_pipeline's ControlNet forward counts its runs
            assert forward.run > 0, "the warm-up ran the ControlNet"
        else:
            assert list(timings) == ["t2i/64x64/cfg/b1"] and loads == [] and generator._controlnet_pipe is None
        [result] = generator.generate("상품 광고", "1:1", 1, None, product_photo((200, 300)))
        assert result.metadata["method"] == "controlnet" and loads == ["ControlNetModel"]  # loaded once, either way
    finally:
        generator.close()
        restore_pipeline(tiny_pipe)


def test_a_controlnet_that_fails_to_preload_leaves_the_plain_pipeline_serving(tiny_pipe: Any, imaging_settings: Any,
                                                                               tmp_path: Any) -> None:
    generator = SdxlImageGenerator(tiny_pipe, settings=imaging_settings(), render_edge=64, controlnet_source=str(tmp_path / "nothing"))
    assert list(generator.warmup()) == ["t2i/64x64/cfg/b1"]
    assert generator.generate("x", "1:1", 1, None)[0].image.size == SIZES["1:1"]
    with pytest.raises(ImageGenerationError):
        generator.generate("x", "1:1", 1, None, product_photo((100, 100)))


@pytest.mark.slow
def test_loads_weights_from_a_local_folder(tiny_pipe: Any, local_sdxl_settings: Any) -> None:
    """``from_settings``: the real loading path (from_pretrained of every component, tokenizers included),
    then the ControlNet loaded on first use. The tiny model renders at the full 1 MP here, so one step only."""
    settings = local_sdxl_settings()
    generator = SdxlImageGenerator.from_settings(settings)
    assert generator.name == "sdxl" and len(generator._pipe.tokenizer_2) == len(tiny_pipe.tokenizer)
    [result] = generator.generate("x", "1:1", 1, None, product_photo((200, 300)))
    assert result.image.size == SIZES["1:1"] and result.metadata["method"] == "controlnet"
    assert result.metadata["render_size"] == [1024, 1024] and result.metadata["model"] == settings.sdxl_model


def test_missing_weights_are_a_configuration_error(tmp_path: Any, local_sdxl_settings: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        # The default VAE is a hub id (unreachable here): SDXL_MODEL is loaded, and refused, before it.
        default_vae = Settings.model_fields["sdxl_vae_model"].default
        SdxlImageGenerator.from_settings(local_sdxl_settings(sdxl_model=str(tmp_path / "nowhere"), sdxl_vae_model=default_vae))
    assert "nowhere" in info.value.context["model"] and "SDXL_MODEL" in info.value.message


@pytest.mark.parametrize(
    ("vae", "declared", "upcast"),
    [("own", False, True),  # SDXL_MODEL's own VAE, like the stock SDXL VAE: its config's fp32 upcast is kept
     ("own", True, False),  # ... unless SDXL_VAE_FP16_SAFE declares it safe
     ("folder", False, True),  # another VAE, not known fp16-safe: its config's upcast is kept
     ("folder", True, False)],
)
def test_the_vae_and_its_upcast_follow_the_settings(local_sdxl_settings: Any, tiny_folders: Any, caplog: pytest.LogCaptureFixture,
                                                      vae: str, declared: bool, upcast: bool) -> None:
    from diffusers import AutoencoderKL

    source = None if vae == "own" else str(tiny_folders.vae)
    with caplog.at_level(logging.INFO, logger="adgen.imaging.sdxl"):
        generator = SdxlImageGenerator.from_settings(local_sdxl_settings(sdxl_vae_model=source, sdxl_vae_fp16_safe=declared))
    loaded = generator._pipe.vae
    expected = AutoencoderKL.from_pretrained(tiny_folders.sdxl / "vae" if source is None else source)
    weights = loaded.state_dict()  # prepare_pipeline adds fused attention projections; the loaded ones stay
    assert all(torch.equal(weights[k], v) for k, v in expected.state_dict().items())
    assert loaded.config.force_upcast is upcast
    assert ("force_upcast off" if not upcast else "decoding upcast to fp32") in caplog.text


def test_missing_controlnet_is_an_image_generation_error(tiny_pipe: Any, imaging_settings: Any, tmp_path: Any) -> None:
    generator = SdxlImageGenerator(
        tiny_pipe, settings=imaging_settings(), render_edge=64, controlnet_source=str(tmp_path / "no-controlnet")
    )
    with pytest.raises(ImageGenerationError):
        generator.generate("x", "1:1", 1, None, product_photo((100, 100)))
    # The plain pipeline still works.
    assert generator.generate("x", "1:1", 1, None)[0].image.size == SIZES["1:1"]
