"""The image safety check on the tiny SDXL: diffusers' StableDiffusionSafetyChecker on a tiny CLIP vision model,
loaded from a folder as ``from_settings`` loads it. Flagged twice: ``unsafe_image`` and no image; flagged once: the
image is drawn again with another seed; not flagged: the images pass untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from imaging_helpers import product_photo

from adgen.errors import ConfigurationError, UnsafeImageError
from adgen.imaging.safety import SafetyChecker
from adgen.imaging.sdxl import SAFETY_RESEED_OFFSET, SdxlImageGenerator
from adgen.imaging.tiny import build_tiny_controlnet, build_tiny_safety_checker, build_tiny_sdxl_pipeline

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _flag_everything(checker: Any) -> Any:
    """Concept thresholds no cosine similarity stays under: every image is flagged (the checker's own arithmetic)."""
    with torch.no_grad():
        checker.concept_embeds_weights.fill_(-2.0)
    return checker


@pytest.fixture(scope="module")
def flagging_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny checker saved with its processor, thresholds set so that it flags every image."""
    folder = tmp_path_factory.mktemp("flagging-checker")
    checker, processor = build_tiny_safety_checker(seed=1)
    _flag_everything(checker).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


class SeedRecordingPipeline:
    """A real tiny pipeline that notes the seeds of every call's generators (one per image) and runs the call."""

    def __init__(self, pipe: Any) -> None:
        self.__dict__.update(pipe=pipe, calls=[])

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append([g.initial_seed() for g in kwargs["generator"]])
        return self.pipe(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.pipe, name, value)


def _generator(checker: SafetyChecker | None, settings: Any, pipe: Any = None) -> SdxlImageGenerator:
    pipe = pipe if pipe is not None else build_tiny_sdxl_pipeline(seed=0)
    return SdxlImageGenerator.from_pipeline(pipe, build_tiny_controlnet(pipe.unet), settings=settings, name="tiny", render_edge=64,
                                            safety_checker=checker)


def test_a_flagged_image_and_its_redraw_fail_the_generation(flagging_folder: Path, imaging_settings: Any) -> None:
    checker = SafetyChecker.from_pretrained(str(flagging_folder), device=torch.device("cpu"), dtype=torch.float32)
    pipe = SeedRecordingPipeline(build_tiny_sdxl_pipeline(seed=0))
    generator = _generator(checker, imaging_settings(), pipe)
    returned = None
    with pytest.raises(UnsafeImageError) as info:
        returned = generator.generate("카페 신메뉴", "1:1", 11, None, num_images=2)
    assert returned is None
    error = info.value
    assert (error.code, error.http_status) == ("unsafe_image", 422)
    assert "안전 기준" in error.message
    # Both variants drawn, both flagged, both drawn once more with seed + 2**32, flagged again: no third try.
    assert pipe.calls == [[11, 12], [11 + SAFETY_RESEED_OFFSET, 12 + SAFETY_RESEED_OFFSET]]
    assert error.context["flagged_seeds"] == [11, 12]
    assert error.context["flagged_again"] == [11 + SAFETY_RESEED_OFFSET, 12 + SAFETY_RESEED_OFFSET]


def test_a_photo_request_is_screened_too(flagging_folder: Path, imaging_settings: Any) -> None:
    checker = SafetyChecker.from_pretrained(str(flagging_folder), device=torch.device("cpu"), dtype=torch.float32)
    generator = _generator(checker, imaging_settings())
    with pytest.raises(UnsafeImageError):
        generator.generate("상품 광고", "3:4", 2, None, product_photo((300, 400)))


def test_images_the_checker_passes_are_returned_as_they_are(tiny_folders: Any, imaging_settings: Any) -> None:
    checker = SafetyChecker.from_pretrained(str(tiny_folders.checker), device=torch.device("cpu"), dtype=torch.float32)
    assert checker.flags([product_photo((64, 64))]) == [False]
    screened = _generator(checker, imaging_settings())
    unscreened = _generator(None, imaging_settings())
    results = screened.generate("카페 신메뉴", "4:3", 5, None, num_images=2)
    plain = unscreened.generate("카페 신메뉴", "4:3", 5, None, num_images=2)
    assert [r.image.tobytes() for r in results] == [r.image.tobytes() for r in plain]
    assert all(r.metadata["safety_checked"] for r in results) and not any(r.metadata["safety_checked"] for r in plain)
    assert all("render_seed" not in r.metadata and "safety_redraws" not in r.metadata for r in results)


class FlagsFirstCall(SafetyChecker):
    """The real tiny checker whose first verdict flags image 0 (what a false positive on one variant looks like)."""

    def __init__(self) -> None:
        super().__init__(*build_tiny_safety_checker())
        self.verdicts: list[list[bool]] = []

    def flags(self, images: list[Any]) -> list[bool]:
        verdict = super().flags(images)
        if not self.verdicts:
            verdict[0] = True
        self.verdicts.append(verdict)
        return verdict


def test_a_flagged_variant_is_redrawn_with_another_seed_and_the_others_kept(imaging_settings: Any) -> None:
    checker = FlagsFirstCall()
    generator = _generator(checker, imaging_settings())
    results = generator.generate("빵집 오픈", "1:1", 20, None, num_images=2)
    assert checker.verdicts == [[True, False], [False]]
    first, second = results
    assert [r.metadata["seed"] for r in results] == [20, 21]  # the variants' seeds as requested
    assert first.metadata["render_seed"] == 20 + SAFETY_RESEED_OFFSET and "render_seed" not in second.metadata
    assert first.metadata["safety_redraws"] == 1
    # The redraw is what the redraw seed gives; the unflagged variant is exactly the one first drawn.
    unscreened = _generator(None, imaging_settings())
    [redraw] = unscreened.generate("빵집 오픈", "1:1", 20 + SAFETY_RESEED_OFFSET, None)
    [kept] = unscreened.generate("빵집 오픈", "1:1", 21, None)
    assert first.image.tobytes() == redraw.image.tobytes()
    assert second.image.tobytes() == kept.image.tobytes()


def test_from_settings_loads_the_configured_checker(local_sdxl_settings: Any, tiny_folders: Any, tmp_path: Path) -> None:
    generator = SdxlImageGenerator.from_settings(
        local_sdxl_settings(sdxl_safety_checker=True, sdxl_safety_checker_model=str(tiny_folders.checker)))
    assert generator._safety is not None and generator._safety.source == str(tiny_folders.checker)
    assert SdxlImageGenerator.from_settings(local_sdxl_settings(sdxl_safety_checker=False))._safety is None
    with pytest.raises(ConfigurationError) as info:
        SdxlImageGenerator.from_settings(local_sdxl_settings(sdxl_safety_checker=True, sdxl_safety_checker_model=str(tmp_path / "none")))
    assert "SDXL_SAFETY_CHECKER_MODEL" in info.value.message and "SDXL_SAFETY_CHECKER=false" in info.value.context["reason"]
