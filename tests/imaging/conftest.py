"""Fixtures of the imaging tests: offline settings, the tiny models saved as folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from adgen.settings import Settings


@pytest.fixture
def imaging_settings(tmp_path) -> Callable[..., Settings]:  # type: ignore[no-untyped-def]
    """Settings that read nothing from the environment; few steps so the tiny model stays fast."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": tmp_path, "log_dir": tmp_path / "logs", "sdxl_steps": 3, "tiny_sdxl_size": 64,
                                  # inductor on a 2-core CPU takes minutes; tests that compile ask for it
                                  "sdxl_compile": False} | overrides
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Toy-sized tensors gain nothing from threads, and on a shared 2-core machine extra threads only thrash.

    Modules of the tiny SDXL use it with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@dataclass(frozen=True)
class TinyFolders:
    """The tiny models saved as the SDXL backend loads them from disk (diffusers / transformers folders)."""

    sdxl: Path  # StableDiffusionXLPipeline, seed 0 (the same weights as build_tiny_sdxl_pipeline(0))
    controlnet: Path
    vae: Path  # a VAE of another seed (its config asks for the fp32 upcast, as the stock SDXL VAE's does)
    checker: Path  # StableDiffusionSafetyChecker + CLIPImageProcessor, flags nothing


@pytest.fixture(scope="session")
def tiny_folders(tmp_path_factory: pytest.TempPathFactory) -> TinyFolders:
    from adgen.imaging.tiny import build_tiny_controlnet, build_tiny_safety_checker, build_tiny_sdxl_pipeline, build_tiny_vae

    root = tmp_path_factory.mktemp("tiny-models")
    folders = TinyFolders(root / "sdxl", root / "controlnet", root / "vae", root / "checker")
    pipe = build_tiny_sdxl_pipeline(seed=0)
    pipe.save_pretrained(folders.sdxl)
    build_tiny_controlnet(pipe.unet).save_pretrained(folders.controlnet)
    build_tiny_vae(seed=7).save_pretrained(folders.vae)
    checker, processor = build_tiny_safety_checker()
    checker.save_pretrained(folders.checker)
    processor.save_pretrained(folders.checker)
    return folders


@pytest.fixture
def local_sdxl_settings(imaging_settings: Callable[..., Settings], tiny_folders: TinyFolders) -> Callable[..., Settings]:
    """Settings for ``SdxlImageGenerator.from_settings`` on the tiny local folders, one step (it renders the full 1 MP).

    No VAE and no safety checker of their own unless a test asks: their defaults are hub ids, and there is no network.
    """

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"sdxl_model": str(tiny_folders.sdxl), "sdxl_controlnet_model": str(tiny_folders.controlnet),
                                  "sdxl_vae_model": None, "sdxl_safety_checker": False, "sdxl_steps": 1}
        return imaging_settings(**(values | overrides))

    return make
