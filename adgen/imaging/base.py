"""The one interface every image backend implements, and the sizes it must return.

A backend turns an image prompt (from the copywriter) into bare ad backgrounds. The compositor
lays the Korean copy on them afterwards, so a backend only promises the exact pixel size of the
aspect ratio and, where it knows them, the colours and the product's position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, runtime_checkable

from PIL import Image

from adgen.errors import ValidationError
from adgen.imaging.palette import Palette
from adgen.validation import validate_aspect_ratio

# (width, height): about one megapixel each (SDXL's training resolution), exact ratios, and
# multiples of 32 so SDXL's latents (1/8) stay divisible by 4 through the UNet's two downsamples.
SIZES: Final[dict[str, tuple[int, int]]] = {"1:1": (1024, 1024), "4:3": (1152, 864), "3:4": (864, 1152)}

# Variants one call may ask for; the service caps it lower (settings.max_variants).
MAX_IMAGES_PER_CALL: Final = 8

ProgressCallback = Callable[[float, str], None]


@dataclass
class GeneratedImage:
    """One generated background.

    ``image`` is RGB and exactly ``SIZES[aspect_ratio]``. ``metadata`` always holds ``seed``,
    ``style``, ``method`` ("t2i" | "controlnet"), ``model``, ``steps``, ``backend``, ``width``,
    ``height`` and ``elapsed_s``; backends add what they know (``render_size``, ``downscaled``...).
    """

    image: Image.Image
    metadata: dict[str, Any] = field(default_factory=dict)
    palette: Palette | None = None
    # (left, top, right, bottom) in pixels of ``image``: where the product sits, so text avoids it.
    product_box: tuple[int, int, int, int] | None = None


@runtime_checkable
class ImageGenerator(Protocol):
    name: str

    def generate(
        self,
        prompt: str,
        aspect_ratio: str,
        seed: int,
        style: str | None,
        control_image: Image.Image | None = None,
        *,
        negative_prompt: str = "",
        industry: str | None = None,
        num_images: int = 1,
        progress: ProgressCallback | None = None,
    ) -> list[GeneratedImage]:
        """``num_images`` variants with seeds ``seed, seed + 1, ...``; ``progress(fraction, message)`` as work advances."""
        ...


def check_request(aspect_ratio: str, num_images: int) -> tuple[int, int]:
    """The target (width, height); refuses an unknown ratio or a variant count out of range."""
    validate_aspect_ratio(aspect_ratio)
    if not isinstance(num_images, int) or not 1 <= num_images <= MAX_IMAGES_PER_CALL:
        raise ValidationError(f"이미지 개수는 1-{MAX_IMAGES_PER_CALL}개여야 합니다. (입력값: {num_images!r})", code="invalid_num_images")
    return SIZES[aspect_ratio]


class MonotonicProgress:
    """Forwards progress but never lets the fraction go backwards.

    A retry (after a GPU out-of-memory) restarts the denoising loop; the user should see the bar
    pause, not jump back.
    """

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if self._callback is None:
            return
        fraction = min(1.0, max(self._last, fraction))
        self._last = fraction
        self._callback(fraction, message)
