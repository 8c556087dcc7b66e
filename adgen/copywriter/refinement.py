"""Deciding what a refinement ("더 밝게", "문구를 짧게", "다시 만들어줘") changes.

The service reuses the bare image when a refinement leaves ``image_prompt``,
``negative_prompt`` and ``style`` exactly as they were, so the decision is made here, once,
by rules both backends share, and is never left to a language model:

- words about the copy (문구, 제목, 짧게, 반말로, 가격 강조, 해시태그) change only the copy;
  "해시태그 빼줘" empties the hashtags, and they stay empty through later refinements until
  the owner asks for hashtags again ("해시태그 넣어줘", "해시태그 바꿔줘");
- words about the picture (밝게, 어둡게, 파란색, 배경, 분위기, a style name) change only the
  image prompt and/or the style, and the copy is returned unchanged;
- "다시 만들어줘" alone changes both (new copy, a new composition);
- a product the last ad did not show ("초코라떼로 바꿔줘") changes the copy and the subject;
- words in quotes are applied exactly ("헤드라인을 '오픈 기념 세트 20% 할인'으로 바꿔줘",
  "본문에 '주차 가능' 넣어줘", "버튼을 '전화 주문'으로");
- a new sentence with no word about the last ad that names another business, or new facts and new
  things ("꽃집 어버이날 카네이션 2만원"), is a new ad (``new_brief``): two businesses' facts are never
  merged; "딸기라떼 5천원", "초코라떼로", "30% 할인으로 해 주세요" change the last ad;
- anything else is read as a request for different words, and the picture stays.

The industry always persists from the previous ad, and so do the tone and the style unless
the words ask for another: ``request.tone`` and ``request.style`` are ignored here, because a
form re-sends its dropdowns with every message, and "문구를 짧게" sent with the style chosen
before "더 밝게" must not quietly undo the brighter picture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from adgen.copywriter import analysis, facts, image_prompt, lexicon
from adgen.copywriter.base import STYLE_ALIASES, STYLES, CopyRequest
from adgen.copywriter.korean import morphs
from adgen.schemas import CopyResult

# What the owner is told when a message in a session is a new ad, not a change to the last one.
NEW_BRIEF_NOTICE: Final = "앞의 광고와 다른 내용이라 새 광고로 만들었어요."

COPY_EDITS: Final = (
    "shorter", "longer", "price", "offer", "headline", "cta", "hashtags", "drop_hashtags", "rewrite", "content", "quoted",
)  # fmt: skip

_REGENERATE: Final = ("다시", "새로 만들", "다른 버전", "처음부터", "재생성", "다른 걸로", "다른걸로", "새 버전", "새버전")
_SHORTER: Final = ("짧게", "짧은", "줄여", "줄이", "간단", "간결", "짧아", "짧았")
_LONGER: Final = ("길게", "자세히", "자세하게", "늘려", "늘리", "더 길", "풍부하게")
_TO_CASUAL: Final = ("반말", "친근하게", "친근한", "캐주얼", "편한 말투", "편하게 말")
_TO_POLITE: Final = ("존댓말", "존대", "높임말", "정중하게", "공손하게", "정중한", "공손한")
_PRICE: Final = ("가격", "저렴", "가성비", "싸게", "싸 보이", "얼마")
_HEADLINE: Final = ("제목", "헤드라인", "타이틀", "메인 문구", "큰 글씨", "첫 줄")
_CTA: Final = ("버튼", "cta", "행동 유도", "마무리 문구")
_HASHTAGS: Final = ("해시태그", "태그")
# With a hashtag word: take them away ("해시태그 빼줘", "태그 지워줘", "해시태그 필요 없어").
_DROP: Final = (
    "빼", "뺀", "지워", "지우", "없이", "없애", "없는", "삭제", "제거", "필요 없", "필요없", "안 넣", "안넣", "넣지 마", "넣지마",
    "안 붙", "붙이지 마", "안 달", "달지 마", "떼",
)  # fmt: skip
# "빼지 말고", "지우지 마": the opposite.
_KEEP: Final = ("빼지 마", "빼지마", "빼지 말", "빼지말", "지우지 마", "지우지마", "지우지 말", "없애지 마", "없애지 말")
# With a hashtag word: bring them (back) ("해시태그 넣어줘", "태그 추가해줘").
_ADD: Final = ("넣어", "넣어줘", "추가", "붙여", "달아", "살려", "복구", "되돌려")
_COPY_WORDS: Final = ("문구", "카피", "글귀", "글자", "글씨", "멘트", "텍스트", "문장", "본문", "설명", "말투", "내용")
_BRIGHTER: Final = ("밝게", "밝은", "환하게", "화사하게", "화사한", "밝아", "밝혀")
_DARKER: Final = ("어둡게", "어두운", "어둡", "무게감", "차분하게")
_IMAGE_WORDS: Final = ("배경", "사진", "이미지", "그림", "색감", "색깔", "색상", "분위기", "조명", "구도")


@dataclass(frozen=True)
class RefinementPlan:
    """What to change in ``previous``; everything not named here is kept as it was."""

    copy_edits: frozenset[str] = field(default_factory=frozenset)  # subset of COPY_EDITS
    tone: str = "존댓말"  # the tone of the new copy (the previous one unless asked)
    tone_changed: bool = False
    style: str = "modern"  # the style of the new image (the previous one unless asked)
    image_extras: tuple[str, ...] = ()  # colour and lighting phrases to add
    replace_colours: bool = False  # a new colour replaces the previous one
    recompose: bool = False  # a new composition ("다시 만들어줘", "배경 바꿔줘")
    new_products: tuple[str, ...] = ()  # products the previous ad did not show
    new_subjects: tuple[str, ...] = ()  # their English
    new_amounts: tuple[str, ...] = ()  # a price or offer the previous ad did not state ("가격 4만원으로 바꿔줘": 40,000원)
    no_hashtags: bool = False  # the new copy has none: removed now or earlier, and not asked back
    quoted: dict[str, str] = field(default_factory=dict)  # field → the owner's exact words ("headline", "body", "body_add", "cta")
    new_brief: bool = False  # not a refinement: a new ad's sentence

    @property
    def changes_copy(self) -> bool:
        return bool(self.copy_edits) or self.tone_changed

    def changes_image(self, previous: CopyResult) -> bool:
        return self.style != previous.style or bool(self.image_extras) or self.recompose or bool(self.new_subjects)

    def describe(self) -> list[str]:
        """The copy edits in Korean, for the OpenAI prompt."""
        words = {
            "shorter": "문구를 지금보다 확실히 짧게 줄이기",
            "longer": "본문을 조금 더 풍부하게(길이 제한 안에서)",
            "price": "가격/할인 혜택을 헤드라인에서 강조하기",
            "offer": f"가격/혜택을 {', '.join(self.new_amounts)}(으)로 바꿔 헤드라인과 본문을 다시 쓰기 (이전 금액은 쓰지 않기)",
            "headline": "헤드라인만 새로 쓰기",
            "cta": "CTA만 새로 쓰기",
            "hashtags": "해시태그만 새로 고르기",
            "drop_hashtags": '해시태그는 모두 빼기 ("hashtags": [])',
            "rewrite": "같은 내용으로 새로운 문구 쓰기",
            "content": f"새 상품({', '.join(self.new_products)})을 중심으로 다시 쓰기",
            "quoted": "따옴표 안의 말을 그대로 쓰기",
        }
        lines = [words[e] for e in COPY_EDITS if e in self.copy_edits]
        names = {"headline": "헤드라인", "body": "본문", "body_add": "본문에 덧붙일 말", "cta": "CTA"}
        lines += [f"{names[k]}은(는) 정확히 '{v}' (한 글자도 바꾸지 않기)" for k, v in self.quoted.items()]
        if self.tone_changed:
            lines.append(f"말투를 {self.tone}로 바꾸기 (내용은 그대로)")
        return lines


def _has(text: str, cues: tuple[str, ...]) -> bool:
    return any(cue in text for cue in cues)


def _colours(text: str) -> list[str]:
    found: list[str] = []
    remaining = text
    for word in sorted(lexicon.COLOURS, key=len, reverse=True):
        if word in remaining:
            found.append(lexicon.COLOURS[word])
            remaining = remaining.replace(word, " ")
    return list(dict.fromkeys(found))


def _style_words(text: str) -> str | None:
    lowered = text.lower()
    for name in STYLES:
        if re.search(rf"\b{name}\b", lowered):
            return name
    for alias in sorted(STYLE_ALIASES, key=len, reverse=True):
        if alias in text:
            return STYLE_ALIASES[alias]
    return None


_QUOTE: Final = r"['\"“”‘’「」『』]"
_QUOTED_RE: Final = re.compile(rf"{_QUOTE}([^'\"“”‘’「」『』]+){_QUOTE}")
_FIELD_WORDS: Final = (
    ("headline", ("헤드라인", "제목", "타이틀", "메인 문구", "큰 글씨", "첫 줄")),
    ("cta", ("버튼", "CTA", "cta", "행동 유도")),
    ("body", ("본문", "설명", "내용", "작은 글씨")),
)
_ADDING_RE: Final = re.compile(r"^\s*(?:을|를|도)?\s*(?:넣|추가|덧붙|붙여)")
# Words that make a message about the last ad, whatever else it says.
_CHANGE: Final = ("바꿔", "바꾸", "변경", "수정", "고쳐", "넣어", "추가", "빼", "지워", "강조", "다시", "좀 더")
_TONE_WORDS: Final = ("반말", "존댓말", "존대", "높임말", "말투")
# After "…로/으로" only these: "초코라떼로", "30% 할인으로 해 주세요", "파란색으로 부탁해요" ask to change the last ad.
_REQUEST_TAGS: Final = ("VV", "VX", "EC", "EF", "EP", "XSV", "SF", "SP", "SW", "JX", "MAG")


def quoted_edits(text: str) -> dict[str, str]:
    """Fields the owner gave exact words for: "헤드라인을 '…'으로 바꿔줘" → {"headline": "…"}.

    Each quote belongs to the field word nearest before it, after the previous quote ("제목 말고 본문에
    '…' 넣어줘" is the body); a quote with no field word that is put in ("'주차 가능' 넣어줘") is added
    to the body.
    """
    out: dict[str, str] = {}
    last_end = 0
    for m in _QUOTED_RE.finditer(text):
        before = text[last_end : m.start()][-12:]
        after = text[m.end() :][:8]
        last_end = m.end()
        value = m.group(1).strip()
        if not value:
            continue
        named = [(before.rfind(w), name) for name, words in _FIELD_WORDS for w in words if w in before]
        adding = _ADDING_RE.search(after) is not None
        if not named:
            if adding:
                out["body_add"] = value
            continue
        _, field_name = max(named)
        if field_name == "body" and (adding or re.search(r"(?:본문|설명|내용)에\s*$", before)):
            field_name = "body_add"
        out[field_name] = value
    return out


def _asks_for_a_change(text: str) -> bool:
    """Whether ``text`` ends in "…로/으로" plus a request at most: "초코라떼로", "30% 할인으로 해 주세요"."""
    toks = morphs(text)
    marks = [i for i, t in enumerate(toks) if t.tag == "JKB" and t.form in ("로", "으로")]
    if not marks:
        return False
    return all(t.tag.startswith(_REQUEST_TAGS) or t.form in ("부탁", "좀") for t in toks[marks[-1] + 1 :])


def _is_new_brief(text: str, previous: CopyResult, *, about_the_ad: bool) -> bool:
    """A sentence of its own that says nothing about the last ad: another business, or new facts and new things.

    ``about_the_ad``: the words already ask for something about the last ad (shorter, 반말로, a quote,
    a picture wish): then it is a refinement, whatever else the sentence says.
    """
    if about_the_ad or _has(text, _CHANGE) or _has(text, _TONE_WORDS) or _asks_for_a_change(text):
        return False
    shown = previous.ad_copy.as_text()
    reading = analysis.read(text)
    new_nouns = [n for n in reading.nouns if facts.squash(n) not in facts.squash(shown)]
    if not new_nouns:
        return False  # "딸기라떼 5천원": the same thing at a new price, a refinement
    new_facts = bool(facts.compare(shown, text).invented)
    # A colour or a style word with no fact of its own is a wish about the picture ("빨간 느낌 고급스럽게").
    if not new_facts and (_colours(text) or _style_words(text) is not None):
        return False
    other_business = reading.industry not in ("general", previous.industry)
    return other_business or (new_facts and len(new_nouns) >= 2) or len(new_nouns) >= 3


def plan_refinement(request: CopyRequest, previous: CopyResult) -> RefinementPlan:
    text = request.input_text.strip()
    lowered = text.lower()
    edits: set[str] = set()
    quoted = quoted_edits(text)

    # --- copy ---------------------------------------------------------------------------
    if _has(text, _SHORTER):
        edits.add("shorter")
    elif _has(text, _LONGER):
        edits.add("longer")
    if _has(text, _PRICE) or ("할인" in text and "강조" in text):
        edits.add("price")
    if _has(text, _HEADLINE):
        edits.add("headline")
    if _has(lowered, _CTA):
        edits.add("cta")
    if _has(text, _HASHTAGS):
        negated_add = _has(text, ("안 넣", "안넣"))  # "해시태그 안 넣어도 돼"
        dropping = _has(text, _DROP) and not _has(text, _KEEP)
        if dropping and (negated_add or not _has(text, _ADD)):
            edits.add("drop_hashtags")
        else:
            edits.add("hashtags")  # new ones: "해시태그 바꿔줘", "다시", "넣어줘"
    copy_words = _has(text, _COPY_WORDS)

    tone = previous.tone
    if _has(text, _TO_CASUAL):
        tone = "반말"
    elif _has(text, _TO_POLITE):
        tone = "존댓말"
    tone_changed = tone != previous.tone

    # --- image --------------------------------------------------------------------------
    style = previous.style
    extras: list[str] = []
    named = _style_words(text)
    if _has(text, _BRIGHTER):
        style = "bright"
    elif _has(text, _DARKER):
        style = "premium"
        extras.extend(lexicon.LIGHTING["dark"])
    elif named is not None:
        style = named
    colours = _colours(text)
    where = "background" if "배경" in text else "color palette"
    extras.extend(f"{c} {where}" for c in colours)
    image_words = _has(text, _IMAGE_WORDS)
    specific_image = style != previous.style or bool(extras)

    # --- products the last ad did not show ----------------------------------------------
    shown = previous.image_prompt.lower() + " " + previous.ad_copy.as_text()
    unquoted = _QUOTED_RE.sub(" ", text)  # the owner's exact words are applied as they are, not read for facts
    reading = analysis.read(unquoted)
    new = [(p, s) for p, s in zip(reading.products, reading.subjects, strict=True) if p not in shown and s.lower() not in shown]
    new_products = tuple(p for p, _ in new)
    new_subjects = tuple(s for _, s in new if s)
    if new_products:
        edits.add("content")
    # "가격 4만원으로 바꿔줘", "30% 할인으로": an amount the last ad did not state.
    new_amounts = tuple(f.text for f in facts.compare(previous.ad_copy.as_text(), unquoted).invented if f.kind in ("amount", "percent"))
    if new_amounts:
        edits.add("offer")
        edits.discard("price")  # "가격 4만원으로 바꿔줘" is a new price, not a wish to show the old one bigger
    if quoted:
        edits -= {"headline", "cta", "rewrite", "price"}
        edits.add("quoted")

    regenerate = _has(text, _REGENERATE)
    recompose = False
    if (image_words or named is not None or _has(text, _BRIGHTER + _DARKER)) and not specific_image:
        # "배경 바꿔줘", "분위기 다르게", or "더 밝게" when it is bright already: a new picture of the same thing.
        recompose = True
    # Removing the hashtags says nothing about the words: "해시태그 빼고 문구 다시 써줘" rewrites.
    asked = edits - {"drop_hashtags"}
    # "다시" is also "back" ("다시 존댓말로", "다시 밝게"): it only means "make it again" when
    # nothing more specific was asked for.
    if regenerate and not (asked or tone_changed or specific_image):
        if copy_words and not image_words:
            edits.add("rewrite")
        elif image_words and not copy_words:
            recompose = True
        else:  # "다시 만들어줘", "해시태그 빼고 다시 만들어줘"
            edits.add("rewrite")
            recompose = True
    if copy_words and not asked and not tone_changed:
        edits.add("rewrite")
    # A product or an amount the last ad lacked is a change only when the words ask for one ("… 바꿔줘");
    # without any word about the ad, a sentence with facts of its own is a new ad. Colour and style
    # words are weighed in ``_is_new_brief``: "빨간 장미 꽃다발 5만원" is a brief, "고급스럽게" is not.
    about_the_ad = (
        bool(edits - {"content", "offer", "price", "rewrite"})
        or tone_changed
        or regenerate
        or copy_words
        or image_words
        or _has(text, _BRIGHTER + _DARKER)
    )
    if _is_new_brief(text, previous, about_the_ad=about_the_ad):
        # Nothing of the last ad carries over: the backends write a fresh ad from ``request.input_text``.
        return RefinementPlan(tone=previous.tone, style=previous.style, new_brief=True)
    if not edits and not tone_changed and not specific_image and not recompose:
        edits.add("rewrite")  # an unclear wish: new words, same picture

    return RefinementPlan(
        copy_edits=frozenset(edits),
        tone=tone,
        tone_changed=tone_changed,
        style=style,
        image_extras=tuple(extras),
        replace_colours=bool(colours),
        recompose=recompose,
        new_products=new_products,
        new_subjects=new_subjects,
        new_amounts=new_amounts,
        # An ad without hashtags got that way on request; only asking brings them back.
        no_hashtags="drop_hashtags" in edits or (not previous.ad_copy.hashtags and "hashtags" not in edits),
        quoted=quoted,
    )


def refine_image(previous: CopyResult, plan: RefinementPlan, *, seed: int) -> str:
    """The image prompt after ``plan``: ``previous.image_prompt`` itself when nothing changes."""
    prompt = previous.image_prompt
    if not prompt.strip():
        if not plan.changes_image(previous):
            return prompt  # kept exactly, empty or not: the service compares it to reuse the image
        # An ad stored without its prompt: start from the industry's scene, then apply the plan.
        industry = previous.industry if previous.industry in lexicon.INDUSTRY_SCENES else "general"
        style = previous.style if previous.style in lexicon.STYLE_DESCRIPTORS else lexicon.DEFAULT_STYLE[industry]
        prompt = image_prompt.build_image_prompt(
            industry=industry, subjects=(), style=style, composition=lexicon.COMPOSITIONS[seed % len(lexicon.COMPOSITIONS)]
        )
    if plan.new_subjects:
        prompt = image_prompt.with_subjects(prompt, plan.new_subjects, previous.industry)
    if plan.style != previous.style:
        prompt = image_prompt.with_style(prompt, plan.style)
    if plan.image_extras:
        replace = image_prompt.colour_phrases(prompt) if plan.replace_colours else []
        prompt = image_prompt.with_extras(prompt, plan.image_extras, replace=replace)
    if plan.recompose:
        current = image_prompt.composition_of(prompt)
        choices = [c for c in lexicon.COMPOSITIONS if c != current]
        # Seeded like everything else, and never the same framing: the point is a new picture.
        prompt = image_prompt.with_composition(prompt, choices[seed % len(choices)])
    return prompt


def refine_negative_prompt(previous: CopyResult, plan: RefinementPlan) -> str:
    """The previous negative prompt, exactly; an image change also fills one that was missing."""
    if plan.changes_image(previous) and not previous.negative_prompt.strip():
        return lexicon.NEGATIVE_PROMPT
    return previous.negative_prompt
