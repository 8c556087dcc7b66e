"""The copywriter interface: one request in, one ``CopyResult`` out.

Every backend (OpenAI, local) shares the vocabulary defined here: the length budget per aspect
ratio (so the compositor never has to cut a line), the style names the image side understands,
and the industries the lexicon recognises.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, Protocol

from adgen.copywriter import lexicon
from adgen.schemas import AdCopy, CopyResult

if TYPE_CHECKING:
    from adgen.settings import Settings


@dataclass(frozen=True)
class Turn:
    """One earlier message of a chat session."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class CopyRequest:
    """What a copywriter needs to write one ad.

    Args:
        input_text: the owner's sentence ("카페 신메뉴 딸기라떼 홍보"), or a refinement of
            ``previous`` ("문구를 짧게") when ``previous`` is given.
        aspect_ratio: "1:1", "4:3" or "3:4"; selects the length budget.
        seed: makes the local backend deterministic and is passed on to the OpenAI endpoint.
        tone: "존댓말", "반말", or None to let the industry decide. Ignored when refining: the
            previous tone carries on unless the words ask ("반말로").
        style: a style name (see ``STYLES``; Korean aliases such as "따뜻한" are understood) or None.
            Ignored when refining: the previous style carries on unless the words ask ("더 밝게").
        history: earlier turns of the chat session, oldest first.
        previous: the last ad of this session, when ``input_text`` refines it.
    """

    input_text: str
    aspect_ratio: str
    seed: int
    tone: str | None = None
    style: str | None = None
    history: tuple[Turn, ...] = ()
    previous: CopyResult | None = None

    def __post_init__(self) -> None:
        # The copy is read and written in NFC: macOS keyboards may send NFD Hangul (jamo), which
        # the analyser cannot read. What is stored stays as the owner sent it.
        object.__setattr__(self, "input_text", unicodedata.normalize("NFC", self.input_text))


class Copywriter(Protocol):
    name: str

    def write(self, request: CopyRequest) -> CopyResult: ...


@dataclass(frozen=True)
class LengthBudget:
    """Most characters per field (spaces count) that the layout of one aspect ratio can hold."""

    headline: int
    body: int
    cta: int
    hashtags: int
    hashtag_chars: int = 12  # one tag, '#' included: longer tags wrap badly under the CTA


# What a model is asked to stay within. A 3:4 portrait has the narrowest headline line, a 4:3
# landscape the widest. The owner's facts come first: the offline copywriter keeps every one even
# past these numbers (up to ``AdCopy``'s limits) and the compositor sets long copy smaller.
LENGTH_BUDGET: Final[dict[str, LengthBudget]] = {
    "1:1": LengthBudget(headline=20, body=90, cta=10, hashtags=4),
    "4:3": LengthBudget(headline=22, body=100, cta=10, hashtags=4),
    "3:4": LengthBudget(headline=18, body=80, cta=10, hashtags=4),
}

# The style names the image generator and the template renderer understand.
STYLES: Final = ("modern", "warm", "vivid", "minimal", "premium", "natural", "bright")

INDUSTRIES: Final = (
    "cafe",
    "bakery",
    "restaurant",
    "beauty",
    "fitness",
    "fashion",
    "academy",
    "flower",
    "pet",
    "realestate",
    "general",
)

TONES: Final = ("존댓말", "반말")

# Korean (and common English) names a user may type for a style.
STYLE_ALIASES: Final[dict[str, str]] = {
    "모던": "modern", "모던한": "modern", "세련된": "modern", "세련": "modern",
    "따뜻한": "warm", "따뜻": "warm", "따스한": "warm", "포근한": "warm",
    "비비드": "vivid", "선명한": "vivid", "강렬한": "vivid", "화려한": "vivid", "생동감": "vivid",
    "미니멀": "minimal", "심플": "minimal", "심플한": "minimal", "깔끔한": "minimal", "깔끔": "minimal",
    "프리미엄": "premium", "고급": "premium", "고급스러운": "premium", "럭셔리": "premium",
    "내추럴": "natural", "자연스러운": "natural", "자연": "natural",
    "밝은": "bright", "밝게": "bright", "화사한": "bright", "환한": "bright",
}  # fmt: skip

# A tag is '#' and then letters, digits or '_' only: a space or a second '#' would split it.
HASHTAG_RE: Final = re.compile(r"^#[0-9A-Za-z_가-힣]+$")

# Fragments a careless split leaves behind ("10회" → "회"): particles, counters, numbers.
_TAG_PARTICLES: Final = frozenset(
    {"이", "가", "을", "를", "은", "는", "의", "에", "도", "만", "와", "과", "로", "등", "및", "외", "중", "전", "후", "약", "총",
     "첫", "새", "더", "꼭", "딱", "단", "각", "매", "시", "때", "곳", "것", "수"}
)  # fmt: skip
_COUNT_TAG_RE: Final = re.compile(r"\d+(?:" + "|".join(lexicon.COUNTERS) + r")?", re.IGNORECASE)
# A one-syllable tag means something only when it is a product word on its own ("#빵", "#꽃").
_ONE_SYLLABLE_TAGS: Final = frozenset(
    w for w in lexicon.KO_EN if len(w) == 1 and "가" <= w <= "힣" and w not in lexicon.COUNTERS and w not in _TAG_PARTICLES
)


def is_word_tag(tag: str) -> bool:
    """Whether ``tag`` names something: not a bare unit, particle, number or lone letter ("#회", "#10")."""
    body = tag.lstrip("#")
    if not body or _COUNT_TAG_RE.fullmatch(body) or body in lexicon.COUNTERS or body in _TAG_PARTICLES:
        return False
    return len(body) > 1 or body in _ONE_SYLLABLE_TAGS


def resolve_style(name: str | None) -> str | None:
    """The canonical style for a user-typed name, or None when it is not one we know."""
    if name is None:
        return None
    key = name.strip()
    if key.lower() in STYLES:
        return key.lower()
    return STYLE_ALIASES.get(key.replace(" ", ""))


def budget_for(aspect_ratio: str) -> LengthBudget:
    try:
        return LENGTH_BUDGET[aspect_ratio]
    except KeyError:
        raise ValueError(f"`aspect_ratio` has to be one of {sorted(LENGTH_BUDGET)} but is {aspect_ratio!r}.") from None


def budget_problems(ad_copy: AdCopy, budget: LengthBudget, *, hashtags_optional: bool = False) -> list[str]:
    """Every way ``ad_copy`` breaks ``budget`` (empty when it fits), in words a model can act on.

    ``hashtags_optional``: no hashtags is fine (the owner asked to remove them).
    """
    problems: list[str] = []
    for field, limit in (("headline", budget.headline), ("body", budget.body), ("cta", budget.cta)):
        value: str = getattr(ad_copy, field)
        if not value.strip():
            problems.append(f"{field} is empty")
        elif len(value) > limit:
            problems.append(f"{field} has {len(value)} characters, the limit is {limit}")
    if not ad_copy.hashtags and not hashtags_optional:
        problems.append("hashtags is empty")
    if len(ad_copy.hashtags) > budget.hashtags:
        problems.append(f"{len(ad_copy.hashtags)} hashtags, the limit is {budget.hashtags}")
    for tag in ad_copy.hashtags:
        if not HASHTAG_RE.fullmatch(tag):
            problems.append(f"hashtag {tag!r} must be '#' followed by letters or digits, without spaces")
        elif len(tag) > budget.hashtag_chars:
            problems.append(f"hashtag {tag!r} has {len(tag)} characters, the limit is {budget.hashtag_chars}")
        elif not is_word_tag(tag):
            problems.append(f"hashtag {tag!r} is a bare unit, particle or number; use a word that names something")
    if len(set(ad_copy.hashtags)) != len(ad_copy.hashtags):
        problems.append("hashtags repeat")
    return problems


def get_copywriter(settings: Settings) -> Copywriter:
    """The copywriter the settings ask for; ``auto`` means OpenAI when a key is set, else local."""
    # Imported here so that importing the interface never imports the openai client.
    from adgen.copywriter import korean
    from adgen.copywriter.local import LocalCopywriter

    # Both backends read the owner's words with the Korean analyser (3 s, 0.5 GB to load): load it now,
    # in the background, so the first ad does not wait for it.
    korean.warm_up()

    backend = settings.copywriter_backend
    reason = f"COPYWRITER_BACKEND={backend}"
    if backend == "auto":
        backend = "openai" if settings.openai_api_key is not None else "local"
        reason += ", OPENAI_API_KEY set" if backend == "openai" else ", no OPENAI_API_KEY: the local Korean copywriter"
    logging.getLogger(__name__).info("copy backend decision: %s (%s)", backend, reason)
    if backend == "local":
        return LocalCopywriter()
    from adgen.copywriter.openai_backend import OpenAICopywriter

    return OpenAICopywriter(settings)
