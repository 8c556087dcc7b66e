"""Lays the Korean ad copy onto a generated image: layout, fonts, contrast (see ``compose``)."""

from adgen.compositor.composer import ComposedAd, TextBox, compose
from adgen.compositor.contrast import MIN_CONTRAST, relative_luminance, wcag_contrast
from adgen.compositor.layout import safe_margin

__all__ = ["MIN_CONTRAST", "ComposedAd", "TextBox", "compose", "relative_luminance", "safe_margin", "wcag_contrast"]
