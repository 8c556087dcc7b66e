"""SDXL_COMPILE_SHAPES: the grammar, what each rule allows, and the setting's own validation agreeing with the parser."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from adgen.imaging.compile_shapes import CompileShapes

GOOD = ["all", " ALL ", "1:1/1", "1:1/1,4:3/1,3:4/1", "*/1/t2i", "3:4/*/photo", "1:1/2/*, 4:3/4", "*/*"]
BAD = ["", "none", "1:1", "2:1/1", "1:1/0", "1:1/x", "1:1/1/video", "1:1/1/t2i/extra", "1:1/1,,4:3/1"]


@pytest.mark.parametrize("text", GOOD)
def test_good_values_parse_and_the_setting_accepts_them(imaging_settings: Any, text: str) -> None:
    CompileShapes.parse(text)
    assert imaging_settings(sdxl_compile_shapes=text).sdxl_compile_shapes == text


@pytest.mark.parametrize("text", BAD)
def test_bad_values_are_refused_by_the_setting_and_the_parser(imaging_settings: Any, text: str) -> None:
    with pytest.raises(PydanticValidationError, match="sdxl_compile_shapes"):
        imaging_settings(sdxl_compile_shapes=text)
    with pytest.raises(ValueError, match="SDXL_COMPILE_SHAPES"):
        CompileShapes.parse(text)


@pytest.mark.parametrize(
    ("text", "ratio", "batch", "photo", "allowed"),
    [("all", "1:1", 4, True, True),
     ("all", None, 1, False, True),
     ("1:1/1", "1:1", 1, True, True),  # no kind: plain and photo
     ("1:1/1", "1:1", 2, False, False),
     ("1:1/1", None, 1, False, False),
     ("*/1/t2i", "3:4", 1, False, True),
     ("*/1/t2i", "3:4", 1, True, False),
     ("4:3/*/photo,1:1/1", "4:3", 3, True, True),
     ("4:3/*/photo,1:1/1", "4:3", 3, False, False)],
)
def test_rules(text: str, ratio: str | None, batch: int, photo: bool, allowed: bool) -> None:
    assert CompileShapes.parse(text).allows(ratio, batch, photo=photo) is allowed


def test_the_warm_up_ratios() -> None:
    assert CompileShapes.parse("all").ratios(photo=False) == ["1:1", "4:3", "3:4"]
    shapes = CompileShapes.parse("3:4/1, 1:1/1/photo, 4:3/2")
    assert shapes.ratios(photo=False) == ["3:4"] and shapes.ratios(photo=True) == ["1:1", "3:4"]
