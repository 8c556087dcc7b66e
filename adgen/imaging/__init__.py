"""Image generators behind one interface: ``sdxl`` (diffusers), ``tiny`` (random SDXL, tests) and ``template`` (offline).

    generator = get_image_generator(settings)
    [result] = generator.generate(prompt, "1:1", seed=7, style="warm", industry="cafe")
    result.image            # RGB, exactly SIZES["1:1"]
    result.metadata         # seed, style, method, model, steps, backend, width, height, elapsed_s, ...
    result.palette          # colours the compositor can use
    result.product_box      # where a product photo sits, so text avoids it

The SDXL modules import torch and diffusers, so they are only imported when that backend is used.
"""

from adgen.imaging.base import SIZES, GeneratedImage, ImageGenerator, ProgressCallback
from adgen.imaging.factory import clear_image_generator_cache, get_image_generator, resolve_image_backend
from adgen.imaging.palette import Palette

__all__ = [
    "SIZES",
    "GeneratedImage",
    "ImageGenerator",
    "Palette",
    "ProgressCallback",
    "clear_image_generator_cache",
    "get_image_generator",
    "resolve_image_backend",
]
