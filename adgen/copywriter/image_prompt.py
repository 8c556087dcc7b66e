"""The English SDXL prompt: building one, and editing one for a refinement.

A prompt is a comma-separated list of phrases in a fixed order — subjects, scene, composition,
style descriptors, extras (colours, lighting, season), quality terms — so a refinement can swap
one group ("더 밝게": the style descriptors) and leave every other phrase exactly as it was.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Final

from adgen.copywriter import lexicon
from adgen.copywriter.base import resolve_style

logger = logging.getLogger(__name__)

_SEPARATOR = ", "


def split_phrases(prompt: str) -> list[str]:
    return [p.strip() for p in prompt.split(",") if p.strip()]


def join_phrases(phrases: Iterable[str]) -> str:
    seen: dict[str, None] = {}
    for phrase in phrases:
        seen.setdefault(phrase.strip(), None)
    return _SEPARATOR.join(p for p in seen if p)


def style_for(requested: str | None, industry: str) -> tuple[str, list[str]]:
    """The style for a new image, and prompt phrases for a style name we do not know."""
    style = resolve_style(requested)
    if style is not None:
        return style, []
    default = lexicon.DEFAULT_STYLE[industry]
    if requested and requested.strip():
        logger.info("unknown style %r: using %r for industry %s", requested, default, industry)
        # An English name ("retro", "art deco") still means something to SDXL.
        if re.fullmatch(r"[A-Za-z][A-Za-z \-]{1,40}", requested.strip()):
            return default, [f"{requested.strip().lower()} style"]
    return default, []


def build_image_prompt(
    *,
    industry: str,
    subjects: Sequence[str],
    style: str,
    composition: str,
    extras: Sequence[str] = (),
    scene: str | None = None,
) -> str:
    """A prompt for an ad photo without any text in it (the copy is laid on it afterwards).

    Args:
        industry: one of ``INDUSTRIES``; selects the scene unless ``scene`` is given.
        subjects: English subject phrases, most important first ("strawberry latte").
        style: one of ``STYLES``; its descriptors follow the composition.
        composition: one of ``lexicon.COMPOSITIONS``.
        extras: further phrases (season, intent mood, colours, a free-form style).
        scene: an English scene that replaces the industry's (an OpenAI-written description).
    """
    if style not in lexicon.STYLE_DESCRIPTORS:
        raise ValueError(f"`style` has to be one of {sorted(lexicon.STYLE_DESCRIPTORS)} but is {style!r}.")
    return join_phrases(
        [
            *subjects,
            scene or lexicon.INDUSTRY_SCENES[industry],
            composition,
            *lexicon.STYLE_DESCRIPTORS[style],
            *extras,
            *lexicon.QUALITY_TERMS,
        ]
    )


def _all_style_phrases() -> set[str]:
    return {p for phrases in lexicon.STYLE_DESCRIPTORS.values() for p in phrases}


def with_style(prompt: str, style: str) -> str:
    """``prompt`` with its style descriptors replaced by those of ``style``, in the same place."""
    old = _all_style_phrases()
    if style == "bright":
        # "더 어둡게" then "더 밝게" must not ask for both lights at once.
        old |= set(lexicon.LIGHTING["dark"])
    phrases = split_phrases(prompt)
    first = next((i for i, p in enumerate(phrases) if p in old), None)
    kept = [p for p in phrases if p not in old]
    # Every phrase before the first old descriptor is kept, so its index is the same in ``kept``.
    at = first if first is not None else _before_quality(kept)
    return join_phrases([*kept[:at], *lexicon.STYLE_DESCRIPTORS[style], *kept[at:]])


def with_extras(prompt: str, extras: Sequence[str], *, replace: Iterable[str] = ()) -> str:
    """``prompt`` with ``extras`` added before the quality terms, dropping phrases in ``replace``."""
    dropped = set(replace)
    phrases = [p for p in split_phrases(prompt) if p not in dropped]
    at = _before_quality(phrases)
    return join_phrases([*phrases[:at], *extras, *phrases[at:]])


def with_composition(prompt: str, composition: str) -> str:
    """``prompt`` with its composition swapped (or added after the scene when it had none)."""
    phrases = split_phrases(prompt)
    for i, phrase in enumerate(phrases):
        if phrase in lexicon.COMPOSITIONS:
            phrases[i] = composition
            return join_phrases(phrases)
    at = _before_style(phrases)
    return join_phrases([*phrases[:at], composition, *phrases[at:]])


def composition_of(prompt: str) -> str | None:
    return next((p for p in split_phrases(prompt) if p in lexicon.COMPOSITIONS), None)


def with_subjects(prompt: str, subjects: Sequence[str], industry: str) -> str:
    """``prompt`` about ``subjects`` instead: everything before the scene is replaced."""
    phrases = split_phrases(prompt)
    scene = lexicon.INDUSTRY_SCENES.get(industry)
    anchor = next((i for i, p in enumerate(phrases) if p == scene or p in lexicon.COMPOSITIONS), None)
    if anchor is None:
        return join_phrases([*subjects, *phrases])
    return join_phrases([*subjects, *phrases[anchor:]])


# What a colour phrase of the prompt may say after the colour: "blue background", "pastel tones".
COLOUR_CONTEXTS: Final = frozenset(
    {"background", "backdrop", "color palette", "colour palette", "palette", "color", "colour", "colors", "colours",
     "tone", "tones", "color scheme", "colour scheme", "theme"}
)  # fmt: skip


def colour_phrases(prompt: str) -> list[str]:
    """The phrases of ``prompt`` that ask for a colour ("blue background", "pink color palette", "pastel").

    Only a colour alone or followed by a ``COLOUR_CONTEXTS`` word: "green tea latte" and "red bean bun" are
    subjects, and a new colour must never replace them.
    """
    colours = sorted(set(lexicon.COLOURS.values()), key=len, reverse=True)  # "sky blue" before "blue"
    found = []
    for phrase in split_phrases(prompt):
        name = next((c for c in colours if phrase == c or phrase.startswith(c + " ")), None)
        if name is not None and (phrase == name or phrase[len(name) :].strip() in COLOUR_CONTEXTS):
            found.append(phrase)
    return found


def _before_quality(phrases: list[str]) -> int:
    for i, phrase in enumerate(phrases):
        if phrase in lexicon.QUALITY_TERMS:
            return i
    return len(phrases)


def _before_style(phrases: list[str]) -> int:
    old = _all_style_phrases()
    for i, phrase in enumerate(phrases):
        if phrase in old:
            return i
    return _before_quality(phrases)
