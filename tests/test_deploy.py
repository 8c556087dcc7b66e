"""The deployment configuration stays true to the code: the Space config in README's front matter, docs/deploy.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from huggingface_hub import SpaceHardware

from adgen.imaging.factory import sdxl_weights_available
from adgen.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy.md"
FP16_FIX_VAE = "madebyollin/sdxl-vae-fp16-fix"
# Environment variables deploy.md may name that are not AdGen settings: Hugging Face's, Spaces', app.py's.
OTHER_ENV = {"HF_HOME", "HF_HUB_OFFLINE", "SPACES_ZERO_GPU", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"}


def front_matter() -> dict[str, object]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.match(r"---\n(.*?)\n---\n", readme, re.S)
    assert block, "README.md lost its front matter (the Space config)"
    return yaml.safe_load(block.group(1))


def preloads() -> dict[str, list[str]]:
    """preload_from_hub as {repo: files}: each entry is "repo file1,file2[ revision]"."""
    entries = front_matter()["preload_from_hub"]
    assert isinstance(entries, list)
    out: dict[str, list[str]] = {}
    for entry in entries:
        parts = entry.split(" ")
        assert 2 <= len(parts) <= 3 and all(parts), f"not 'repo file1,file2[ revision]': {entry!r}"
        out[parts[0]] = parts[1].split(",")
    return out


def defaults() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_space_config() -> None:
    config = front_matter()
    assert config["sdk"] == "gradio" and (ROOT / str(config["app_file"])).is_file()
    hardware = config["suggested_hardware"]
    assert hardware in {h.value for h in SpaceHardware} and not str(hardware).startswith(("cpu", "zero")), hardware
    timeout = re.fullmatch(r"(\d+)([mh])", str(config["startup_duration_timeout"]))
    assert timeout and int(timeout.group(1)) * (60 if timeout.group(2) == "h" else 1) > 30  # longer than the default


def test_preload_covers_the_default_models() -> None:
    settings = defaults()
    repos = preloads()
    assert {settings.sdxl_model, settings.sdxl_controlnet_model, FP16_FIX_VAE} <= set(repos)
    if settings.sdxl_vae_model:
        assert settings.sdxl_vae_model in repos
    sdxl = set(repos[settings.sdxl_model])
    for component in ("text_encoder", "text_encoder_2", "unet", "vae"):
        weights = {f for f in sdxl if f.startswith(component + "/") and f.endswith(".safetensors")}
        assert len(weights) == 1 and next(iter(weights)).endswith(".fp16.safetensors"), (component, weights)  # fp16 only
        assert f"{component}/config.json" in sdxl
    for tokenizer in ("tokenizer", "tokenizer_2"):
        assert {f"{tokenizer}/{f}" for f in ("merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json")} <= sdxl
    assert {"model_index.json", "scheduler/scheduler_config.json"} <= sdxl
    # The ControlNet loads its fp16 variant; the VAE has none and loads its plain weights.
    assert set(repos[settings.sdxl_controlnet_model]) == {"config.json", "diffusion_pytorch_model.fp16.safetensors"}
    assert set(repos[FP16_FIX_VAE]) == {"config.json", "diffusion_pytorch_model.safetensors"}


def test_preloaded_weights_count_as_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache holding exactly the preloaded files is what IMAGE_BACKEND=auto needs to pick SDXL without a download."""
    from huggingface_hub import constants

    revision = "0" * 40
    for repo, files in preloads().items():
        folder = tmp_path / f"models--{repo.replace('/', '--')}"
        (folder / "refs").mkdir(parents=True)
        (folder / "refs" / "main").write_text(revision)
        for name in files:
            path = folder / "snapshots" / revision / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    assert sdxl_weights_available(defaults().sdxl_model)
    assert not sdxl_weights_available("stabilityai/sdxl-turbo")  # the check itself looks at this cache


def test_deploy_doc_names_only_real_settings() -> None:
    text = DEPLOY.read_text(encoding="utf-8")
    settings = {name.upper() for name in Settings.model_fields}
    named = set(re.findall(r"`([A-Z][A-Z0-9_]{2,})(?=[`=/ ])", text))  # `DATA_DIR`, `ENVIRONMENT=production`, `DATA_DIR/pg`
    named |= set(re.findall(r"^(?:Environment=)?([A-Z][A-Z0-9_]{2,})=", text, re.M))  # .env lines and systemd Environment=
    assert {"DATABASE_URL", "SECRET_KEY", "ENVIRONMENT", "DATA_DIR", "TRUSTED_PROXIES", "HF_HOME", "HF_HUB_OFFLINE"} <= named
    unknown = sorted(named - settings - OTHER_ENV)
    assert not unknown, f"docs/deploy.md names settings that adgen/settings.py does not have: {unknown}"


def test_readme_links_the_deploy_guide() -> None:
    assert "](docs/deploy.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
