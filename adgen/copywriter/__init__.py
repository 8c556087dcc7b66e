"""Structured Korean ad copy (headline, body, CTA, hashtags) and an English image prompt from one sentence.

Backends: ``LocalCopywriter`` (offline rules and templates) and ``OpenAICopywriter`` (any
OpenAI-compatible endpoint, falling back to the local one). ``get_copywriter(settings)`` picks one.
"""

from adgen.copywriter.base import (
    INDUSTRIES,
    LENGTH_BUDGET,
    STYLES,
    TONES,
    CopyRequest,
    Copywriter,
    LengthBudget,
    Turn,
    budget_for,
    budget_problems,
    get_copywriter,
    resolve_style,
)
from adgen.copywriter.local import LocalCopywriter
from adgen.copywriter.refinement import RefinementPlan, plan_refinement

__all__ = [
    "INDUSTRIES",
    "LENGTH_BUDGET",
    "STYLES",
    "TONES",
    "CopyRequest",
    "Copywriter",
    "LengthBudget",
    "LocalCopywriter",
    "RefinementPlan",
    "Turn",
    "budget_for",
    "budget_problems",
    "get_copywriter",
    "plan_refinement",
    "resolve_style",
]
