"""Fast mode with few-step weights on the tiny SDXL: a whole-UNet file and a LoRA (the two layouts SDXL-Lightning
ships) loaded through ``SdxlImageGenerator.from_settings``, each recipe's scheduler at guidance 0, and the refusals."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from huggingface_hub import constants
from safetensors.torch import load_file, save_file

from adgen.errors import ConfigurationError
from adgen.imaging.few_step import FewStepWeights, locate, steps_in_name
from adgen.imaging.hub_cache import add_to_hub_cache
from adgen.imaging.sdxl import SdxlImageGenerator
from adgen.imaging.tiny import TEXT_HIDDEN, build_tiny_controlnet, build_tiny_generator, build_tiny_sdxl_pipeline, save_tiny_few_step_lora

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ATTENTION_PROJECTIONS = ("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight")


def _save_unet_file(path: Path, seed: int = 5) -> Path:
    """A tiny UNet's whole state dict as one safetensors file: the layout of sdxl_lightning_4step_unet.safetensors."""
    unet = build_tiny_sdxl_pipeline(seed).unet
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in unet.state_dict().items()}, path)
    return path


def _unet_output(unet: Any) -> torch.Tensor:
    """The UNet's noise prediction for fixed inputs (one step of pure noise at t=999)."""
    g = torch.Generator("cpu").manual_seed(0)
    with torch.inference_mode():
        return unet(
            torch.randn(1, 4, 8, 8, generator=g),
            999,
            encoder_hidden_states=torch.randn(1, 77, 2 * TEXT_HIDDEN, generator=g),
            added_cond_kwargs={"text_embeds": torch.randn(1, TEXT_HIDDEN, generator=g),
                               "time_ids": torch.tensor([[64.0, 64, 0, 0, 64, 64]])},
        ).sample


def test_a_unet_file_replaces_the_unets_weights(tmp_path: Path, local_sdxl_settings: Any, tiny_folders: Any) -> None:
    weights = _save_unet_file(tmp_path / "tiny_4step_unet.safetensors")
    generator = SdxlImageGenerator.from_settings(local_sdxl_settings(sdxl_fast_mode=True, sdxl_fast_weights=str(weights)))
    loaded = generator._pipe.unet.state_dict()
    expected = load_file(weights)
    base = load_file(tiny_folders.sdxl / "unet" / "diffusion_pytorch_model.safetensors")
    assert set(expected) <= set(loaded)
    assert all(torch.equal(loaded[k], v) for k, v in expected.items()), "every weight is the file's"
    assert not all(torch.equal(base[k], v) for k, v in expected.items()), "the file is another model than the base"
    assert (generator._steps, generator._guidance) == (4, 0.0)
    scheduler = generator._pipe.scheduler
    assert type(scheduler).__name__ == "EulerDiscreteScheduler" and scheduler.config.timestep_spacing == "trailing"
    # The ControlNet pipeline shares the UNet, so product photos run the few-step weights too.
    assert generator._controlnet_pipeline().unet is generator._pipe.unet


def test_a_lora_is_fused_into_the_unet(tmp_path: Path, local_sdxl_settings: Any) -> None:
    lora = save_tiny_few_step_lora(tmp_path / "lora")
    assert lora.name == "pytorch_lora_weights.safetensors" and any("lora" in k for k in load_file(lora))
    settings = local_sdxl_settings(sdxl_fast_mode=True, sdxl_fast_weights=str(lora), sdxl_fast_weights_kind="lora")
    unet = SdxlImageGenerator.from_settings(settings)._pipe.unet
    base = build_tiny_sdxl_pipeline(seed=0).unet  # the weights saved in the tiny SDXL folder

    # Fused, then the LoRA layers dropped: plain Linear layers that QKV fusion, fp8 and compilation handle.
    assert not [name for name, _ in unet.named_modules() if "lora" in name.lower()]
    assert all(type(m) is torch.nn.Linear for name, m in unet.named_modules() if name.endswith((".to_q", ".to_out.0")))
    changed = []
    for name, param in base.named_parameters():
        if torch.equal(unet.get_parameter(name), param):
            continue
        changed.append(name)
    assert changed and all(name.endswith(ATTENTION_PROJECTIONS) for name in changed), "only the LoRA's targets change"
    assert (_unet_output(unet) - _unet_output(base)).abs().max() > 1e-3, "the LoRA changes the UNet's output"


@pytest.mark.parametrize(("recipe", "scheduler_class"), [("lightning", "EulerDiscreteScheduler"), ("lcm", "LCMScheduler"),
                                                         ("tcd", "TCDScheduler")])
def test_each_recipe_runs_its_scheduler_without_guidance(imaging_settings: Any, recipe: str, scheduler_class: str) -> None:
    generator = build_tiny_generator(imaging_settings(sdxl_fast_mode=True, sdxl_fast_steps=4, sdxl_fast_scheduler=recipe))
    pipe = generator._pipe
    scheduler = pipe.scheduler
    assert type(scheduler).__name__ == scheduler_class
    if recipe == "lightning":
        assert scheduler.config.timestep_spacing == "trailing"
    seen: list[tuple[float, int]] = []
    handle = pipe.unet.register_forward_pre_hook(lambda _m, args: seen.append((float(args[1]), args[0].shape[0])))
    try:
        [result] = generator.generate("카페 신메뉴", "1:1", 3, None, negative_prompt="blurry, nsfw")
    finally:
        handle.remove()
    # Four steps from pure noise (t=999), one UNet pass each with a batch of 1: no classifier-free guidance.
    assert [t for t, _ in seen][0] == 999 and len(seen) == 4 and all(batch == 1 for _, batch in seen)
    meta = result.metadata
    assert (meta["steps"], meta["guidance_scale"], meta["fast_mode"], meta["scheduler"]) == (4, 0.0, True, scheduler_class)
    assert meta["negative_prompt"] == "blurry, nsfw" and meta["negative_prompt_used"] is False


def test_the_negative_prompt_has_no_effect_in_fast_mode(imaging_settings: Any) -> None:
    """Guidance 0: no unconditional pass, so the negative prompt changes nothing (what the settings' help says)."""
    generator = build_tiny_generator(imaging_settings(sdxl_fast_mode=True, sdxl_fast_steps=2))
    [plain] = generator.generate("카페", "1:1", 9, None)
    [negative] = generator.generate("카페", "1:1", 9, None, negative_prompt="text, watermark, nsfw")
    assert plain.image.tobytes() == negative.image.tobytes()


@pytest.mark.parametrize("weights", [None, "", "   "])
def test_fast_mode_without_few_step_weights_is_refused_before_loading(local_sdxl_settings: Any, tmp_path: Path, weights: Any) -> None:
    settings = local_sdxl_settings(sdxl_fast_mode=True, sdxl_fast_weights=weights, sdxl_model=str(tmp_path / "never-loaded"))
    with pytest.raises(ConfigurationError) as info:
        SdxlImageGenerator.from_settings(settings)
    error = info.value
    assert error.code == "configuration_error" and error.http_status == 500
    assert "빠른 모드" in error.message and "SDXL_FAST_WEIGHTS" in error.message
    assert error.context["setting"] == "SDXL_FAST_WEIGHTS"
    assert "few steps without classifier-free guidance" in error.context["reason"] and "SDXL-Lightning" in error.context["reason"]


def test_weights_that_do_not_load_are_a_configuration_error(tmp_path: Path, local_sdxl_settings: Any) -> None:
    lora = save_tiny_few_step_lora(tmp_path / "lora")
    controlnet = tmp_path / "controlnet.safetensors"
    save_file({k: v.contiguous() for k, v in build_tiny_controlnet(build_tiny_sdxl_pipeline(0).unet).state_dict().items()}, controlnet)
    cases = {
        str(lora): "SDXL_FAST_WEIGHTS_KIND=lora",  # a LoRA loaded as a whole UNet: the error says what it looks like
        str(controlnet): "is not an SDXL UNet",
        str(tmp_path / "missing" / "unet.safetensors"): "neither a local file",
    }
    for weights, why in cases.items():
        with pytest.raises(ConfigurationError) as info:
            SdxlImageGenerator.from_settings(local_sdxl_settings(sdxl_fast_mode=True, sdxl_fast_weights=weights))
        assert info.value.context["weights"] == weights and why in info.value.context["reason"], weights
        assert "SDXL_FAST_WEIGHTS" in info.value.message


def test_a_hub_file_comes_from_the_cache_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``org/repo/file`` is one file of a hub repo: read from the HF cache, never the network, with HF_HUB_OFFLINE."""
    repo = tmp_path / "repo"
    weights = _save_unet_file(repo / "sdxl_lightning_4step_unet.safetensors")
    content = weights.read_bytes()
    add_to_hub_cache(repo, "ByteDance/SDXL-Lightning", tmp_path / "hub")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    found = Path(locate("ByteDance/SDXL-Lightning/sdxl_lightning_4step_unet.safetensors"))
    assert "models--ByteDance--SDXL-Lightning" in found.parts and found.read_bytes() == content
    with pytest.raises(Exception, match="(?i)offline|cache|not found|cannot find"):
        locate("ByteDance/SDXL-Lightning/sdxl_lightning_8step_unet.safetensors")
    assert locate("latent-consistency/lcm-lora-sdxl") == "latent-consistency/lcm-lora-sdxl"  # a repo: diffusers resolves it


@pytest.mark.parametrize(
    ("name", "steps"),
    [("ByteDance/SDXL-Lightning/sdxl_lightning_4step_unet.safetensors", 4),
     ("ByteDance/Hyper-SD/Hyper-SDXL-8steps-lora.safetensors", 8),
     ("tianweiy/DMD2/dmd2_sdxl_4step_unet_fp16.bin", 4),
     ("latent-consistency/lcm-lora-sdxl", None),
     ("/models/stepwise.safetensors", None)],
)
def test_steps_in_name(name: str, steps: int | None) -> None:
    assert steps_in_name(name) == steps


def test_a_step_count_other_than_the_files_is_logged(imaging_settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="adgen.imaging.few_step"):
        FewStepWeights.from_settings(imaging_settings(sdxl_fast_mode=True, sdxl_fast_steps=2))
    assert "distilled for 4 steps but SDXL_FAST_STEPS is 2" in caplog.text
