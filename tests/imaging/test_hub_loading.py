"""The production loading path from the Hugging Face hub cache, offline: the tiny SDXL, ControlNet, fp16-fix VAE,
safety checker and SDXL-Lightning UNet saved as their hub repos (``model_index.json`` and component folders, full
precision and ``.fp16`` variant files), placed in a cache at HF_HUB_CACHE as ``snapshot_download`` leaves it, then
``SdxlImageGenerator.from_settings`` with the *default* settings (hub ids) in a fresh process with HF_HUB_OFFLINE=1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from huggingface_hub import scan_cache_dir
from safetensors.torch import save_file

from adgen.imaging.hub_cache import add_to_hub_cache
from adgen.imaging.tiny import build_tiny_controlnet, build_tiny_safety_checker, build_tiny_sdxl_pipeline, build_tiny_vae
from adgen.settings import Settings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULTS = {name: field.default for name, field in Settings.model_fields.items()}


def _conv_in_sum(module: Any) -> float:
    return round(float(module.conv_in.weight.detach().float().sum()), 4)


def _save_with_fp16_variant(full: Any, half: Any, folder: Path) -> None:
    """``full`` as the full-precision files and ``half`` (cast to fp16) as the ``.fp16`` variant files of one repo.

    Two different random models, so the test can tell which files a load read (a real repo holds one model twice).
    The variant is saved first: the configs written last, the full-precision ones, are the repo's."""
    half.to(torch.float16).save_pretrained(folder, variant="fp16")
    full.save_pretrained(folder)


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    root = tmp_path_factory.mktemp("hub-repos")
    expected: dict[str, float] = {}

    sdxl, sdxl_half = build_tiny_sdxl_pipeline(seed=0), build_tiny_sdxl_pipeline(seed=1)
    expected |= {"unet": _conv_in_sum(sdxl.unet), "unet_fp16": _conv_in_sum(sdxl_half.unet.to(torch.float16))}
    _save_with_fp16_variant(sdxl, sdxl_half, root / "sdxl")
    controlnet, controlnet_half = build_tiny_controlnet(sdxl.unet, seed=0), build_tiny_controlnet(sdxl_half.unet, seed=1)
    expected |= {"controlnet": _conv_in_sum(controlnet), "controlnet_fp16": _conv_in_sum(controlnet_half.to(torch.float16))}
    _save_with_fp16_variant(controlnet, controlnet_half, root / "controlnet")
    # The fp16-fix VAE's stand-in asks for the fp32 upcast in its config: fp16 decoding must come from its name.
    vae = build_tiny_vae(seed=7, force_upcast=True)
    expected["vae"] = _conv_in_sum(vae.encoder)
    vae.save_pretrained(root / "vae")
    checker, processor = build_tiny_safety_checker()
    checker.save_pretrained(root / "checker")
    processor.save_pretrained(root / "checker")
    lightning = build_tiny_sdxl_pipeline(seed=5).unet
    expected["lightning"] = _conv_in_sum(lightning)
    fast_repo, fast_file = DEFAULTS["sdxl_fast_weights"].rsplit("/", 1)
    (root / "lightning").mkdir()
    save_file({k: v.contiguous() for k, v in lightning.state_dict().items()}, root / "lightning" / fast_file)

    cache = root / "hf" / "hub"
    repos = {"sdxl": DEFAULTS["sdxl_model"], "controlnet": DEFAULTS["sdxl_controlnet_model"], "vae": DEFAULTS["sdxl_vae_model"],
             "checker": DEFAULTS["sdxl_safety_checker_model"], "lightning": fast_repo}
    for folder, repo_id in repos.items():
        add_to_hub_cache(root / folder, repo_id, cache)
    return cache, expected


def test_the_cache_has_the_hub_layout(hub_cache: tuple[Path, dict[str, float]]) -> None:
    """huggingface_hub's own cache scanner reads every repo, at revision main, with both precisions where they exist."""
    cache, _ = hub_cache
    info = scan_cache_dir(cache)
    assert not info.warnings
    repos = {repo.repo_id: repo for repo in info.repos}
    assert set(repos) == {DEFAULTS["sdxl_model"], DEFAULTS["sdxl_controlnet_model"], DEFAULTS["sdxl_vae_model"],
                          DEFAULTS["sdxl_safety_checker_model"], "ByteDance/SDXL-Lightning"}
    files = {f.file_path.relative_to(revision.snapshot_path).as_posix() for revision in repos[DEFAULTS["sdxl_model"]].revisions
             for f in revision.files}
    assert {"model_index.json", "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
            "text_encoder_2/model.fp16.safetensors", "tokenizer/tokenizer_config.json"} <= files
    assert all(revision.refs == frozenset({"main"}) for repo in info.repos for revision in repo.revisions)


@pytest.mark.slow
def test_the_default_settings_load_from_the_hub_cache_offline(hub_cache: tuple[Path, dict[str, float]], tmp_path: Path) -> None:
    cache, expected = hub_cache
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "DIFFUSERS_"))}
    env |= {"HF_HOME": str(cache.parent), "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(HERE / "hub_load_child.py"), str(tmp_path / "data")], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(seen, ensure_ascii=False))  # shown with -s: what the production path saw

    assert seen["offline"] is True and seen["hub_cache"] == str(cache)
    assert seen["settings"]["sdxl_model"] == "stabilityai/stable-diffusion-xl-base-1.0" and seen["settings"]["sdxl_safety_checker"]
    # Full precision on the CPU: the full files of SDXL and ControlNet; the VAE of SDXL_VAE_MODEL, decoding in fp16 by its name.
    assert seen["unet_conv_in_sum"] == expected["unet"] and seen["controlnet_conv_in_sum"] == expected["controlnet"]
    assert seen["vae_conv_in_sum"] == expected["vae"] and seen["vae_force_upcast"] is False
    assert seen["safety_checker"] == "CompVis/stable-diffusion-safety-checker"
    t2i, photo = seen["images"]
    assert t2i == {"size": [1024, 1024], "method": "t2i", "render_size": [1024, 1024], "model": DEFAULTS["sdxl_model"],
                   "safety_checked": True}
    assert photo["method"] == "controlnet" and photo["size"] == [1024, 1024] and photo["safety_checked"] is True
    # Half precision (CUDA's load): the ".fp16" variant files.
    assert seen["fp16_unet"] == {"dtype": "torch.float16", "conv_in_sum": expected["unet_fp16"]}
    assert seen["fp16_controlnet"] == {"dtype": "torch.float16", "conv_in_sum": expected["controlnet_fp16"]}
    # Fast mode: the SDXL-Lightning UNet file from the cache, its recipe, guidance 0.
    assert seen["fast_unet_conv_in_sum"] == expected["lightning"]
    assert seen["fast_scheduler"] == ["EulerDiscreteScheduler", "trailing"]
    assert seen["fast_image"] == {"size": [1152, 864], "steps": 4, "guidance_scale": 0.0, "fast_weights": DEFAULTS["sdxl_fast_weights"]}
    assert seen["missing_repo"] != "loaded?!" and seen["missing_repo_s"] < 5
