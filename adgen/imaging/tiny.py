"""A tiny, randomly initialised SDXL: the real diffusers/transformers classes with toy sizes.

It exercises exactly the code path of the real model (two CLIP text encoders and tokenizers,
SDXL's "text_time" added conditioning, VAE, Euler scheduler, ControlNet from the UNet) on the
CPU in a fraction of a second per image, so the SDXL backend is tested without weights (none can
be downloaded here). Its pictures are noise-like: that is honest output of random weights.

Shapes follow the tiny variant of ``bench/sdxl_vanilla_baseline.py`` (3 UNet levels like SDXL,
a 4-level VAE so latents are 1/8 of the image like SDXL's). The other models the SDXL backend loads
have tiny twins here too: a VAE (for SDXL_VAE_MODEL), a safety checker (CLIP vision, for
SDXL_SAFETY_CHECKER_MODEL) and a few-step LoRA in diffusers' file layout (for SDXL_FAST_WEIGHTS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import torch
from diffusers import AutoencoderKL, ControlNetModel, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPConfig, CLIPImageProcessor, CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from adgen.imaging.sdxl import SdxlImageGenerator
from adgen.settings import Settings

MODEL_NAME: Final = "tiny-random-sdxl"
TEXT_HIDDEN: Final = 32  # each encoder; the UNet sees both concatenated (cross_attention_dim 64)
TIME_EMBED: Final = 8  # addition_time_embed_dim: 6 micro-conditioning numbers x 8 + pooled 32 = 80
VAE_CONFIG: Final[dict[str, Any]] = {
    "act_fn": "silu",
    "block_out_channels": [32, 32, 32, 32],
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "latent_channels": 4,
    "layers_per_block": 1,
    "norm_num_groups": 32,
    "sample_size": 64,
    "scaling_factor": 0.13025,
}
CHECKER_IMAGE_SIZE: Final = 32  # the tiny safety checker's CLIP input (the real one: 224)


def _byte_level_alphabet() -> list[str]:
    """GPT-2/CLIP's printable stand-ins for the 256 bytes (tokenizers' ByteLevel pre-tokenizer output)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes, extra = printable[:], 0
    for b in range(256):
        if b not in printable:
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def build_tiny_tokenizer() -> CLIPTokenizer:
    """A CLIP BPE tokenizer with a byte-level vocabulary (no merges): any text, Korean included, tokenizes.

    The vocabulary is passed in memory (``vocab=``/``merges=``): in transformers 5,
    ``CLIPTokenizer(vocab_file=..., merges_file=...)`` silently yields an empty vocabulary.
    """
    alphabet = _byte_level_alphabet()
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    vocab.update({ch + "</w>": len(alphabet) + i for i, ch in enumerate(alphabet)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    if len(tokenizer) != len(vocab):  # guard against the silent empty-vocabulary failure mode
        raise RuntimeError(f"tiny CLIP tokenizer has {len(tokenizer)} tokens, expected {len(vocab)}")
    return tokenizer


def build_tiny_sdxl_pipeline(seed: int = 0) -> StableDiffusionXLPipeline:
    """An SDXL pipeline with tiny random weights (CPU, float32), deterministic for ``seed``."""
    tokenizer = build_tiny_tokenizer()
    text_config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=TEXT_HIDDEN,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        max_position_embeddings=77,
        projection_dim=TEXT_HIDDEN,
        hidden_act="gelu",
        bos_token_id=tokenizer.bos_token_id,
        # The pooled output is read at the first eos token; it must be the tokenizer's eos id.
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    # fork_rng: building the model must not move the caller's global torch random state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        text_encoder = CLIPTextModel(text_config)
        text_encoder_2 = CLIPTextModelWithProjection(text_config)
        unet = UNet2DConditionModel(
            act_fn="silu",
            addition_embed_type="text_time",
            addition_time_embed_dim=TIME_EMBED,
            attention_head_dim=[2, 4, 4],
            block_out_channels=[32, 64, 64],
            cross_attention_dim=2 * TEXT_HIDDEN,
            down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
            up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
            in_channels=4,
            out_channels=4,
            layers_per_block=2,
            norm_num_groups=32,
            projection_class_embeddings_input_dim=6 * TIME_EMBED + TEXT_HIDDEN,
            sample_size=32,
            transformer_layers_per_block=[1, 1, 1],
            use_linear_projection=True,
        )
        vae = AutoencoderKL(**VAE_CONFIG)
    # SDXL base's own scheduler configuration.
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        steps_offset=1,
        timestep_spacing="leading",
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
        add_watermarker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny_controlnet(unet: UNet2DConditionModel, seed: int = 0) -> ControlNetModel:
    """A ControlNet copied from ``unet`` (as for real SDXL ControlNets), with random output convolutions.

    ``from_unet`` zero-initialises the ControlNet's "zero" convolutions (the last layer of the
    conditioning embedding and every output projection), which is right
    for training but would make an untrained ControlNet a no-op; small random values let the
    control image really change the output, so tests can tell that it reached the UNet.
    """
    controlnet = ControlNetModel.from_unet(unet)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        zero_convs = [controlnet.controlnet_cond_embedding.conv_out, *controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]
        for module in zero_convs:
            for param in module.parameters():
                param.normal_(0.0, 0.05)
    return controlnet


def build_tiny_generator(settings: Settings, seed: int = 0) -> SdxlImageGenerator:
    """The ``tiny`` backend: the SDXL backend's code on the tiny model, rendering at ``settings.tiny_sdxl_size``."""
    pipe = build_tiny_sdxl_pipeline(seed)
    return SdxlImageGenerator.from_pipeline(
        pipe, build_tiny_controlnet(pipe.unet, seed), settings=settings, name="tiny", render_edge=settings.tiny_sdxl_size, model=MODEL_NAME
    )


def build_tiny_vae(seed: int = 0, *, force_upcast: bool = True) -> AutoencoderKL:
    """A tiny SDXL-shaped VAE on its own (SDXL_VAE_MODEL); ``force_upcast=False`` as the fp16-fix VAE's config says."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return AutoencoderKL(**VAE_CONFIG, force_upcast=force_upcast)


def build_tiny_safety_checker(seed: int = 0) -> tuple[Any, CLIPImageProcessor]:
    """diffusers' ``StableDiffusionSafetyChecker`` on a tiny CLIP vision model, and a CLIP image processor for it.

    Its concept embeddings and thresholds are the class's initial ones (all ones): an image is flagged when its
    embedding's cosine with a concept exceeds 1, which a random model never reaches. Set ``concept_embeds_weights``
    below -1 and every image is flagged.
    """
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker

    small = {"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 2}
    config = CLIPConfig(
        text_config={**small, "vocab_size": 99, "max_position_embeddings": 77},
        vision_config={**small, "image_size": CHECKER_IMAGE_SIZE, "patch_size": 8},
        projection_dim=16,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        checker = StableDiffusionSafetyChecker(config).eval()
    size = CHECKER_IMAGE_SIZE
    processor = CLIPImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size})
    return checker, processor


def save_tiny_few_step_lora(directory: Path, seed: int = 0, rank: int = 4) -> Path:
    """A random LoRA for the tiny UNet's attention projections, saved as diffusers saves SDXL LoRAs
    (``pytorch_lora_weights.safetensors``, the layout of sdxl_lightning_4step_lora / LCM-LoRA); returns the file.

    Made with peft's ``LoraConfig`` on a throw-away tiny UNet: ``init_lora_weights=False`` makes both LoRA matrices
    random, so the LoRA really changes the UNet (peft's default makes it a no-op until trained).
    """
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    unet = build_tiny_sdxl_pipeline(seed).unet
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights=False,
                                    target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    StableDiffusionXLPipeline.save_lora_weights(directory, unet_lora_layers=layers)
    return Path(directory) / "pytorch_lora_weights.safetensors"
