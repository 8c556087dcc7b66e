"""Which image backend serves, why, and how it loads after the server is up (issue 17: works on the first try)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
from huggingface_hub import constants

from adgen.errors import ConfigurationError
from adgen.imaging import factory
from adgen.imaging.background_load import BackgroundLoadedGenerator, weight_patterns
from adgen.imaging.factory import decide_image_backend
from adgen.imaging.template import TemplateImageGenerator
from adgen.settings import Settings


def weights_folder(path: Path) -> Path:
    (path / "unet").mkdir(parents=True)
    (path / "model_index.json").write_text("{}")
    return path


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with a CUDA device (this one has none)."""
    monkeypatch.setattr(factory, "cuda_available", lambda: True)


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


def test_without_cuda_auto_is_the_template_renderer(settings_factory: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory, "cuda_available", lambda: False)
    decision = decide_image_backend(settings_factory(image_backend="auto"))
    assert decision.backend == "template" and "no CUDA" in decision.reason and not decision.download


@pytest.mark.usefixtures("gpu")
def test_with_cuda_and_weights_on_disk_auto_is_sdxl(settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    decision = decide_image_backend(settings_factory(image_backend="auto", sdxl_model=str(weights_folder(tmp_path / "w"))))
    assert decision.backend == "sdxl" and "on disk" in decision.reason and not decision.download


@pytest.mark.usefixtures("gpu", "online")
@pytest.mark.parametrize("backend", ["auto", "sdxl"])
def test_with_cuda_online_and_no_cache_the_weights_are_downloaded(settings_factory: Callable[..., Settings], backend: str) -> None:
    decision = decide_image_backend(settings_factory(image_backend=backend, sdxl_model="nobody/not-cached-sdxl"))
    assert decision.backend == "sdxl" and decision.download and "downloading" in decision.reason


@pytest.mark.usefixtures("gpu", "offline")
@pytest.mark.parametrize("backend", ["auto", "sdxl"])
def test_offline_without_weights_fails_loudly(settings_factory: Callable[..., Settings], backend: str) -> None:
    with pytest.raises(ConfigurationError, match="IMAGE_BACKEND=template") as refused:
        decide_image_backend(settings_factory(image_backend=backend, sdxl_model="nobody/not-cached-sdxl"))
    assert "HF_HUB_OFFLINE" in str(refused.value.context["reason"])


@pytest.mark.usefixtures("gpu", "online")
def test_a_missing_folder_fails_loudly_even_online(settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        decide_image_backend(settings_factory(image_backend="auto", sdxl_model=str(tmp_path / "nowhere")))
    assert "not a diffusers folder" in str(refused.value.context["reason"])


def test_the_decision_is_logged_with_its_reason(settings_factory: Callable[..., Settings], caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(factory, "cuda_available", lambda: False)
    factory.clear_image_generator_cache()
    caplog.set_level(logging.INFO, logger="adgen.imaging.factory")
    factory.get_image_generator(settings_factory(image_backend="auto"))
    assert any("image backend decision: template (IMAGE_BACKEND=auto and no CUDA device" in r.getMessage() for r in caplog.records)


def test_weight_patterns_take_one_precision() -> None:
    files = ["model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
             "unet/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors",
             "tokenizer/vocab.json"]  # fmt: skip
    fp16 = weight_patterns(files, "fp16")
    assert "unet/diffusion_pytorch_model.fp16.safetensors" in fp16 and "unet/diffusion_pytorch_model.safetensors" not in fp16
    full = weight_patterns(files, None)
    assert "unet/diffusion_pytorch_model.safetensors" in full and not any(".fp16." in p for p in full)
    assert "*.json" in full


# --- loading after the server is up ---------------------------------------------------------------


def test_requests_wait_for_a_background_load_and_see_its_progress() -> None:
    downloading, building = threading.Event(), threading.Event()

    def download(report: Callable[[float], None]) -> None:
        report(0.42)
        downloading.wait(10)

    def build() -> Any:
        building.wait(10)
        return TemplateImageGenerator()

    generator = BackgroundLoadedGenerator("sdxl", build, download=download)
    assert generator.name == "sdxl"
    seen: list[str] = []
    result: dict[str, Any] = {}

    def request() -> None:
        result["images"] = generator.generate("카페", "1:1", 7, "warm", progress=lambda f, m: seen.append(m))

    waiter = threading.Thread(target=request)
    waiter.start()
    time.sleep(1.5)
    assert generator.state.phase == "downloading" and "모델을 내려받는 중 (42%)" in seen
    downloading.set()
    time.sleep(1.5)
    assert generator.state.phase == "loading" and "모델을 준비하는 중" in seen
    building.set()
    waiter.join(30)
    assert generator.state.phase == "ready" and result["images"][0].image.size == (1024, 1024)


def test_a_failed_load_is_every_requests_error_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="adgen.imaging.background_load")
    calls: list[int] = []

    def build() -> Any:
        calls.append(1)
        raise ConfigurationError("SDXL 모델을 불러오지 못했습니다.", reason="broken weights")

    generator = BackgroundLoadedGenerator("sdxl", build)
    for _ in range(2):
        with pytest.raises(ConfigurationError, match="불러오지 못했습니다"):
            generator.generate("카페", "1:1", 7, "warm")
    assert generator.state.phase == "failed" and calls == [1]
    assert len([r for r in caplog.records if "could not be loaded" in r.getMessage()]) == 1


def test_the_server_answers_while_the_model_loads(settings_factory: Callable[..., Settings], engine: Any) -> None:
    """The port binds first: /healthz says "loading" while the model loads, and a REST ad waits for it."""
    import app as app_module
    from adgen.runtime import Runtime, TaskStore
    from adgen.services import AdGenContext
    from tests.api.conftest import signup_login
    from tests.live_server import serve

    release = threading.Event()

    def build() -> Any:
        release.wait(30)
        return TemplateImageGenerator()

    settings = settings_factory()
    ctx = AdGenContext.from_settings(settings, engine)
    ctx.image_generator = BackgroundLoadedGenerator("sdxl", build)
    runtime = Runtime(settings=settings, ctx=ctx, tasks=TaskStore(settings.data_dir / "tasks"))
    fastapi_app, _ = app_module.create_app(runtime)
    with serve(fastapi_app) as base, httpx.Client(base_url=f"{base}/api/v1", timeout=30) as api:
        health = httpx.get(f"{base}/healthz", timeout=10).json()
        assert health["image_backend"] == "sdxl" and health["image_backend_state"] == "loading"
        user = signup_login(api, "early001")
        ad = {"input_text": "카페 신메뉴 홍보", "aspect_ratio": "1:1"}
        task_id = api.post("/ads", json=ad, headers=user["headers"]).json()["task_id"]
        time.sleep(1.5)
        waiting = api.get(f"/tasks/{task_id}", headers=user["headers"]).json()
        assert waiting["status"] in ("pending", "processing") and "모델을" in (waiting.get("message") or "")
        release.set()
        deadline = time.monotonic() + 60
        while (status := api.get(f"/tasks/{task_id}", headers=user["headers"]).json())["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert status["status"] == "completed", status
        assert httpx.get(f"{base}/healthz", timeout=10).json()["image_backend_state"] == "ready"
    runtime.shutdown(0)


def test_a_fresh_gpu_server_downloads_the_weights_then_serves(settings_factory: Callable[..., Settings], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The production path end to end, over real HTTP: a tiny SDXL in the hub's layout on a fake hub (loopback), an
    empty HF cache, IMAGE_BACKEND=sdxl: the weights are downloaded in the background (progress reported), loaded
    through SdxlImageGenerator.from_settings, and an ad background is made."""
    from adgen.imaging.tiny import build_tiny_sdxl_pipeline
    from tests.fakes.fake_hub import fake_hub
    from tests.live_server import serve

    repo = tmp_path / "repo"
    build_tiny_sdxl_pipeline().save_pretrained(repo)
    hub = fake_hub({"adgen-test/tiny-sdxl": repo})
    with serve(hub) as base:
        monkeypatch.setattr(constants, "ENDPOINT", base)
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", base + "/{repo_id}/resolve/{revision}/{filename}")
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        # The fake hub holds SDXL_MODEL only: no separate VAE, no safety checker (their loading has its own tests).
        settings = settings_factory(image_backend="sdxl", sdxl_model="adgen-test/tiny-sdxl", sdxl_compile=False, sdxl_warmup=False,
                                    sdxl_vae_model=None, sdxl_safety_checker=False)  # fmt: skip
        factory.clear_image_generator_cache()
        decision = decide_image_backend(settings)
        assert decision.backend == "sdxl" and decision.download
        generator = factory.get_image_generator(settings)  # a download is always in the background
        assert isinstance(generator, BackgroundLoadedGenerator)
        messages: list[str] = []
        [image] = generator.generate("a cafe", "1:1", 3, "warm", progress=lambda f, m: messages.append(m))
        assert image.image.size == (1024, 1024) and generator.state.phase == "ready"
        assert any(path.endswith("unet/diffusion_pytorch_model.safetensors") for _, path in hub.state.requests)
        assert (tmp_path / "hf-cache" / "models--adgen-test--tiny-sdxl" / "refs" / "main").is_file()
        assert messages and (messages[0].startswith("모델을 내려받는 중") or messages[0] == "모델을 준비하는 중")
    factory.clear_image_generator_cache()


def test_a_gpu_too_small_at_load_is_its_own_error(local_sdxl_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of memory while SDXL moves to the GPU (injected: this machine has no GPU) is not "check SDXL_MODEL"."""
    from diffusers import StableDiffusionXLPipeline

    from adgen.errors import GpuOutOfMemoryError
    from adgen.imaging.sdxl import SdxlImageGenerator

    def out_of_memory(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB")

    monkeypatch.setattr(StableDiffusionXLPipeline, "to", out_of_memory)
    with pytest.raises(GpuOutOfMemoryError) as refused:
        SdxlImageGenerator.from_settings(local_sdxl_settings())
    assert refused.value.code == "gpu_memory_too_small" and "불러오지 못했습니다" in refused.value.message
    reason = str(refused.value.context["reason"])
    assert "8.3 GiB" in reason and "SDXL_CPU_OFFLOAD=true" in reason


def test_cpu_offload_is_ignored_without_cuda(local_sdxl_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture) -> None:
    from adgen.imaging.sdxl import SdxlImageGenerator

    caplog.set_level(logging.INFO, logger="adgen.imaging.sdxl")
    generator = SdxlImageGenerator.from_settings(local_sdxl_settings(sdxl_cpu_offload=True))
    try:
        assert "SDXL_CPU_OFFLOAD ignored" in caplog.text
        assert generator.generate("a cafe", "1:1", 1, "warm")[0].image.size == (1024, 1024)
    finally:
        generator.close()
