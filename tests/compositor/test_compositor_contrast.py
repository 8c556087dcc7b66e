import pytest

from adgen.compositor import relative_luminance, wcag_contrast


@pytest.mark.parametrize(
    ("rgb", "expected"),
    [((255, 255, 255), 1.0), ((0, 0, 0), 0.0), ((255, 0, 0), 0.2126), ((0, 255, 0), 0.7152), ((0, 0, 255), 0.0722)],
)
def test_relative_luminance_of_primaries(rgb: tuple[int, int, int], expected: float) -> None:
    assert relative_luminance(rgb) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("c1", "c2", "expected"),
    [
        ((0, 0, 0), (255, 255, 255), 21.0),
        ((255, 255, 255), (255, 255, 255), 1.0),
        # Reference values from the WebAIM contrast checker.
        ((118, 118, 118), (255, 255, 255), 4.54),
        ((119, 119, 119), (255, 255, 255), 4.48),
        ((255, 0, 0), (255, 255, 255), 4.0),
        ((0, 0, 255), (255, 255, 255), 8.59),
    ],
)
def test_wcag_contrast_matches_reference_values(c1: tuple[int, int, int], c2: tuple[int, int, int], expected: float) -> None:
    assert wcag_contrast(c1, c2) == pytest.approx(expected, abs=0.01)
    assert wcag_contrast(c2, c1) == pytest.approx(expected, abs=0.01)
