"""Which call shapes are compiled (``SDXL_COMPILE_SHAPES``); every other shape runs eagerly.

With compilation on, each shape a request can take is its own set of compiled graphs (and, with CUDA graphs, its own
recorded graphs and memory): 3 aspect ratios x 1-4 images x plain or product photo, each with CFG or without (fast
mode), the variants' DeepCache adding a second UNet graph. ``all`` compiles every shape the first time it is used
(the default); a list bounds what compiling costs in start-up time and GPU memory, the rest running the same modules
eagerly (same images, eager speed).

Grammar: ``all``, or comma-separated ``RATIO/BATCH[/KIND]`` with RATIO one of ``SIZES`` or ``*``, BATCH a number of
images or ``*``, KIND ``t2i``, ``photo`` or ``*`` (default ``*``). ``1:1/1,4:3/1,3:4/1``: single images of every ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

from adgen.imaging.base import SIZES

KINDS = ("t2i", "photo")


@dataclass(frozen=True)
class ShapeRule:
    ratio: str | None  # None = any
    batch: int | None
    kind: str | None

    def matches(self, ratio: str | None, batch: int, kind: str) -> bool:
        return ((self.ratio is None or self.ratio == ratio) and (self.batch is None or self.batch == batch)
                and (self.kind is None or self.kind == kind))


@dataclass(frozen=True)
class CompileShapes:
    """Parsed ``SDXL_COMPILE_SHAPES``; ``rules`` None means every shape."""

    rules: tuple[ShapeRule, ...] | None

    @classmethod
    def parse(cls, text: str) -> CompileShapes:
        text = text.strip()
        if text.lower() == "all":
            return cls(None)
        rules = []
        for entry in text.split(","):
            parts = [p.strip() for p in entry.strip().split("/")]
            if len(parts) not in (2, 3):
                raise ValueError(f"SDXL_COMPILE_SHAPES entries are RATIO/BATCH[/KIND] but one is {entry.strip()!r}.")
            ratio, batch = parts[0], parts[1]
            kind = parts[2] if len(parts) == 3 else "*"
            if ratio != "*" and ratio not in SIZES:
                raise ValueError(f"SDXL_COMPILE_SHAPES ratio must be one of {', '.join(SIZES)} or * but is {ratio!r}.")
            if batch != "*" and not (batch.isdigit() and int(batch) >= 1):
                raise ValueError(f"SDXL_COMPILE_SHAPES batch must be a number >= 1 or * but is {batch!r}.")
            if kind != "*" and kind not in KINDS:
                raise ValueError(f"SDXL_COMPILE_SHAPES kind must be t2i, photo or * but is {kind!r}.")
            rules.append(ShapeRule(None if ratio == "*" else ratio, None if batch == "*" else int(batch), None if kind == "*" else kind))
        return cls(tuple(rules))

    @property
    def everything(self) -> bool:
        return self.rules is None

    def allows(self, ratio: str | None, batch: int, *, photo: bool) -> bool:
        """Whether a call of ``batch`` images at ``ratio`` (None: a size of no ratio, e.g. an out-of-memory retry) compiles."""
        if self.rules is None:
            return True
        kind = "photo" if photo else "t2i"
        return any(rule.matches(ratio, batch, kind) for rule in self.rules)

    def ratios(self, *, photo: bool) -> list[str]:
        """The ratios whose single images compile (what the start-up warm-up compiles), in ``SIZES`` order."""
        return [r for r in SIZES if self.allows(r, 1, photo=photo)]
