"""The offline copywriter: the owner's own phrases, laid out as an ad. Deterministic for a seed.

It needs no network and no model, so a fresh machine can make ads, and it is what the OpenAI
backend falls back to. It keeps every fact by construction: the headline is a phrase of the
owner's (the product with its offer, as written), the body carries every other phrase, contacts
go to the details line, and the only words that are not the owner's are framing words from
``templates`` (a closing line, the CTA), which state no fact. Hashtags are nouns the owner wrote.

Refining an ad ("문구를 짧게", "가격 강조해줘", "헤드라인을 '…'으로 바꿔줘") works on the last ad's
words with the same rule: framing may change, the owner's phrases stay.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from adgen import validation
from adgen.copywriter import analysis, facts, image_prompt, lexicon, templates
from adgen.copywriter.base import HASHTAG_RE, CopyRequest, LengthBudget, budget_for, is_word_tag
from adgen.copywriter.korean import morphs
from adgen.copywriter.owner_words import OwnerWords, Phrase, lift
from adgen.copywriter.refinement import NEW_BRIEF_NOTICE, RefinementPlan, plan_refinement, refine_image, refine_negative_prompt
from adgen.errors import ValidationError
from adgen.schemas import AdCopy, CopyResult

logger = logging.getLogger(__name__)

# Longest headline, whatever the ratio: longer phrases lose leading words to the body (never a fact).
HEADLINE_MAX: Final = 22
LEADING_MAX: Final = 16  # a long sentence's leading nouns shown on top
HEADLINE_LONG: Final = 30  # a phrase up to this long stays whole on top, set smaller
BODY_MAX: Final = 200
DETAILS_MAX: Final = 160
SEPARATOR: Final = " · "
# Words that make a phrase the ad's news: its offer or its event.
_OFFER_WORDS: Final = (
    "→", "할인", "세일", "특가", "무료", "증정", "1+1", "2+1", "반값", "이벤트", "오픈", "개업", "출시", "신메뉴", "신상", "신제품",
    "런칭", "입고", "모집", "사은품", "적립", "쿠폰", "서비스", "행사", "기념", "리뉴얼", "한정", "판매", "예약",
)  # fmt: skip
# Place and business nouns: a headline cut right after one keeps "who" in the body and "what" on top.
_WHO_WORDS: Final = frozenset({"가게", "매장", "집", "샵", "점", "카페", "식당", "학원", "센터", "스튜디오", "공방", "의원", "병원"})
_FOOD: Final = ("cafe", "bakery", "restaurant")
_ONLINE_CONTACT_RE: Final = re.compile(r"https?://|www\.|\.(?:com|kr|net|shop|store)\b|스마트스토어", re.I)


class CopyTooLongError(ValidationError):
    pass


def _too_long(what: str, limit: int, length: int) -> CopyTooLongError:
    """``what`` is the Korean subject with its particle ("연락처가", "내용이")."""
    return CopyTooLongError(
        f"{what} 광고 한 장에 담기에는 너무 깁니다 ({length}자, 최대 {limit}자). "
        "꼭 알려야 할 내용만 남겨 다시 입력해 주세요.",
        code="copy_too_long",
    )


def _no_headline(length: int) -> CopyTooLongError:
    return CopyTooLongError(
        f"광고 제목으로 쓸 짧은 말을 찾지 못했습니다: 한 덩어리로 이어진 문구가 {length}자입니다 "
        f"(제목은 최대 {HEADLINE_LONG}자). 쉼표나 마침표로 나누어 다시 입력해 주세요.",
        code="copy_too_long",
    )


@dataclass(frozen=True)
class _Parts:
    headline: str
    body_phrases: tuple[str, ...]
    details: str


def _score(phrase: Phrase) -> int:
    score = 0
    if any(f.kind in ("amount", "percent") for f in phrase.facts):
        score += 3
    if any(w in phrase.text for w in _OFFER_WORDS):
        score += 3
    if phrase.facts and all(f.kind in ("date", "time") for f in phrase.facts):
        score -= 2
    if len(phrase.text) > 2 * HEADLINE_MAX:
        score -= 2
    return score


def _bare_end(words: str) -> bool:
    """Whether ``words`` ends in a bare noun or number: a cut after it separates no particle or ending."""
    toks = morphs(words)
    return bool(toks) and (toks[-1].noun or toks[-1].tag in ("SN", "NNB", "XSN", "NR", "SW", "W_SERIAL", "SSC"))


def _starts_clean(words: str) -> bool:
    toks = morphs(words)
    return bool(toks) and not toks[0].tag.startswith(("J", "E", "XS", "VX"))


def split_headline(phrase: str, limit: int = HEADLINE_MAX, *, who_only: bool = True) -> tuple[str, str] | None:
    """(leading words for the body, headline) with the headline ≤ ``limit``, cut only between nouns.

    ``who_only``: only the shop or the place may move to the body ("성수동 수제버거 가게 | 오픈 기념 …");
    otherwise any leading words without a number of the offer ("펜션 12/24~12/26 | 크리스마스 패키지 …").
    """
    if len(phrase) <= limit:
        return "", phrase
    words = phrase.split(" ")
    for k in range(1, len(words)):  # the longest headline that fits
        prefix, rest = " ".join(words[:k]), " ".join(words[k:])
        if len(rest) > limit or len(rest) < 4 or not (_bare_end(prefix) or _when(words[k - 1])) or not _starts_clean(rest):
            continue
        if morphs(rest)[0].tag in ("SN", "NR"):
            continue  # "1박 180,000원": a number needs the item before it
        if re.search(r"\d", prefix) and not re.search(r"\d", rest):
            continue  # the number is the news: it stays on top
        # Only "who" moves to the body: the shop ("성수동 수제버거 가게") or the place ("성수동"), never a
        # word that describes the product ("핸드메이드 | 머그컵").
        # Otherwise a cut after when it runs ("펜션 12/24~12/26 | 크리스마스 패키지", "이번 주말 이틀만 | 전 메뉴
        # 10% 할인"), never inside a compound of nouns ("크리스마스 | 패키지"), a count ("8회 | 권"), or taking
        # a price away from the offer.
        if _who(prefix, rest) or (not who_only and _when(words[k - 1]) and not re.search(r"\d\s*(?:%|원)", prefix)):
            return prefix, rest
    return None


_WHEN_RE: Final = re.compile(
    r"(?:\d+[/.]\d+(?:~\d+(?:[/.]\d+)?)?|\d+(?:일|월)|요일|주말|평일|이틀|사흘|하루|오늘|내일|모레|연휴|한\s?달|한달간|까지)(?:만|까지|부터|에|엔|간)?$"
)


def _when(word: str) -> bool:
    """Whether ``word`` says when: a date or a day, with its particle ("12/24~12/26", "이틀만", "31일까지")."""
    return bool(_WHEN_RE.search(word))


def _who(prefix: str, rest: str = "") -> bool:
    nxt = rest.split(" ")[0] if rest else ""
    if nxt in lexicon.PLACE_SUFFIXES or nxt in _WHO_WORDS:
        return False  # "필라테스 | 스튜디오": the name goes on
    last = prefix.split(" ")[-1]
    if last in _WHO_WORDS or last.endswith(tuple(_WHO_WORDS)) or analysis.read(last).place is not None:
        return True
    return all(t.tag == "NNP" for t in morphs(prefix))


def _short_noun_headline(phrase: str, limit: int) -> str | None:
    """The longest run of the owner's nouns in ``phrase`` that fits: "성수동 수제버거"."""
    runs = [r for r in analysis.noun_runs(phrase) if 2 <= len(r) <= limit]
    return max(runs, key=len) if runs else None


def arrange(words: OwnerWords, tone: str) -> _Parts:
    """Which owner phrase is the headline; the rest, in order, is the body."""
    phrases = list(words.phrases)
    details = SEPARATOR.join(words.details)
    if len(details) > DETAILS_MAX:
        raise _too_long("연락처가", DETAILS_MAX, len(details))
    if not phrases:
        return _Parts(templates.line(templates.CONTACT_HEADLINE, tone), (), details)
    best = max(range(len(phrases)), key=lambda i: (_score(phrases[i]), -i))
    chosen = phrases[best].text
    rest = [p.text for i, p in enumerate(phrases) if i != best]

    def in_place(replacement: list[str]) -> list[str]:
        return [t for i, p in enumerate(phrases) for t in (replacement if i == best else [p.text])]

    cut = split_headline(chosen)
    if cut is not None:
        prefix, headline = cut
        body = in_place([prefix] if prefix else [])
    elif len(chosen) <= HEADLINE_LONG:
        headline, body = chosen, rest  # a little long: the layout sets it smaller
    elif (cut := split_headline(chosen, HEADLINE_LONG)) is not None:
        prefix, headline = cut
        body = in_place([prefix] if prefix else [])
    elif (cut := split_headline(chosen, HEADLINE_LONG, who_only=False)) is not None:
        # The offer on top; the whole phrase stays in the body, so its dates stay with it.
        headline = cut[1]
        body = [p.text for p in phrases]
    else:
        # A long sentence: its leading nouns on top ("치과 스케일링"), the whole of it in the body.
        headline = _leading_nouns(chosen, LEADING_MAX) or _short_noun_headline(chosen, HEADLINE_MAX) or ""
        body = [p.text for p in phrases]
        if not headline:
            raise _no_headline(len(chosen))
    return _Parts(headline, tuple(body), details)


_WHEN_NOUNS: Final = frozenset(
    ("평소", "이번", "이번달", "이번주", "오늘", "내일", "요즘", "매일", "매주", "매달", "항상", "현재", "지금", "다음")
    + ("올해", "주말", "평일")
)


def _leading_nouns(phrase: str, limit: int) -> str | None:
    """The words of ``phrase`` up to the first one that is not a bare noun, if they fit ``limit``."""
    kept: list[str] = []
    for word in phrase.split(" "):
        toks = morphs(word)
        if not toks or not all(t.noun or t.tag in ("XSN", "NNB") for t in toks) or len(word) < 2 or len(" ".join([*kept, word])) > limit:
            break
        kept.append(word)
    # End on the news when the nouns hold it: "영어학원 겨울방학 특강 모집", not "… 모집 초등".
    news = [i for i, w in enumerate(kept) if any(o in w for o in _OFFER_WORDS)]
    if news:
        kept = kept[: news[-1] + 1]
    # ...and not on a word of when ("자동차 광택 코팅", not "… 코팅 평소"): it belongs to what follows it.
    while kept and (kept[-1] in _WHEN_NOUNS or facts.read(kept[-1])):
        kept.pop()
    text = " ".join(kept)
    return text if len(text) >= 2 else None


def _sentence(phrase: str) -> str:
    """A phrase as it stands in the body: sentences end with a full stop, noun phrases stand bare."""
    toks = morphs(phrase)
    if toks and toks[-1].tag == "EF" and not phrase.endswith((".", "!", "?", "~")):
        return phrase + "."
    return phrase


def body_text(phrases: Sequence[str], closing: str | None) -> str:
    """The body: the owner's phrases in order, noun phrases joined by " · ", sentences by a space."""
    text = ""
    for piece in [*(_sentence(p) for p in phrases), *([closing] if closing else [])]:
        if not text:
            text = piece
        elif text.endswith((".", "!", "?")):
            text = f"{text} {piece}"
        elif piece is closing:
            text = f"{text}. {piece}"
        else:
            text = f"{text}{SEPARATOR}{piece}"
    return text


def closing_options(reading: analysis.Reading, industry: str) -> list[templates.Line]:
    cues = reading.cues
    order = []
    if "medical" in cues:
        return list(templates.CLOSINGS["medical"])
    if "online" in cues:
        order.append("online")
    if "booking" in cues:
        order.append("booking")
    if "inquiry" in cues or industry in ("realestate",):
        order.append("inquiry")
    if "recruit" in cues or industry == "academy":
        order.append("recruit")
    if "deadline" in cues:
        order.append("deadline")
    if industry in _FOOD and "online" not in cues:
        order.append("food")
    if "online" not in cues:
        order.append("visit")
    return [pair for key in order for pair in templates.CLOSINGS[key]]


def cta_options(words: OwnerWords, reading: analysis.Reading) -> tuple[str, ...]:
    kinds = {
        str(f.key).split(":")[0] if ":" in str(f.key) else ("dm" if str(f.key).startswith("@") else "web")
        for f in words.facts
        if f.kind == "contact"
    }
    text = words.text
    if "tel" in kinds and "예약" in text:
        return templates.CTAS["phone_booking"]
    if "kakao" in kinds:
        return templates.CTAS["kakao"]
    if "tel" in kinds:
        return templates.CTAS["phone"]
    if "online" in reading.cues or _ONLINE_CONTACT_RE.search(text):
        return templates.CTAS["online"]
    if "booking" in reading.cues:
        return templates.CTAS["booking"]
    if "dm" in kinds:
        return templates.CTAS["dm"]
    if "medical" in reading.cues or "inquiry" in reading.cues or reading.industry == "realestate":
        return templates.CTAS["inquiry"]
    if "recruit" in reading.cues or reading.industry == "academy":
        return templates.CTAS["recruit"]
    return templates.CTAS["visit"]


_TAG_STOP: Final = frozenset(
    {"가게", "매장", "기념", "세트", "회원", "제외", "가능", "이상", "구매", "결제", "고객", "이번", "주말", "평일", "오늘", "내일",
     "기간", "문의", "예약", "전화", "번호", "신규", "첫", "달", "시", "분", "카드", "현금", "일부", "전품목", "최대", "무료", "증정",
     "할인", "진행", "동안",
     "인스타", "인스타그램", "카카오톡", "카톡", "카카오", "채널", "플친", "네이버", "블로그", "스토어", "주소", "위치"}
)  # fmt: skip
_TAG_NEWS: Final = ("오픈", "신메뉴", "이벤트", "신상", "신제품", "출시", "특가", "세일", "할인")


def hashtags_from(words: OwnerWords, reading: analysis.Reading, budget: LengthBudget, rng: random.Random) -> list[str]:
    """Tags made of the owner's nouns only: products, the place, the business, the news."""
    candidates: list[str] = []
    for p in reading.products:
        candidates.append(p)
    for run in reading.nouns:
        key = run.replace(" ", "")
        toks = morphs(run)
        if any(t.tag == "NNP" for t in toks) or analysis.read(run).industry != "general":
            candidates.append(key)
    candidates += [w for w in _TAG_NEWS if w in words.text]
    tags: list[str] = []
    for word in candidates:
        tag = "#" + re.sub(r"[^0-9A-Za-z_가-힣]", "", word)
        if (
            tag not in tags
            and HASHTAG_RE.fullmatch(tag)
            and len(tag) <= budget.hashtag_chars
            and is_word_tag(tag)
            and word not in _TAG_STOP
            and not re.search(r"\d", tag)
        ):
            tags.append(tag)
    first, rest = tags[:2], tags[2:]
    rng.shuffle(rest)
    return (first + rest)[: budget.hashtags]


def _tone(requested: str | None) -> str | None:
    if requested is None:
        return None
    return validation.validate_tone(requested)


def write_copy(words: OwnerWords, reading: analysis.Reading, tone: str, budget: LengthBudget, rng: random.Random) -> AdCopy:
    parts = arrange(words, tone)
    closings = closing_options(reading, reading.industry)
    bare = body_text(parts.body_phrases, None)
    if len(bare) > BODY_MAX:
        raise _too_long("내용이", BODY_MAX, len(bare))
    # The first closing lines are the most specific; the seed picks among the first two that fit.
    fitting = [templates.line(c, tone) for c in closings if len(body_text(parts.body_phrases, templates.line(c, tone))) <= BODY_MAX]
    closing = rng.choice(fitting[:2]) if fitting else None
    body = body_text(parts.body_phrases, closing)
    if not body:
        body = closing or templates.line(templates.CLOSINGS["visit"][0], tone)
    headline = parts.headline
    if not headline.endswith(("!", "?", ".", "~")) and len(headline) < HEADLINE_MAX and _bare_end(headline):
        headline += "!"
    cta = rng.choice(cta_options(words, reading))
    return AdCopy(headline=headline, body=body, cta=cta, hashtags=hashtags_from(words, reading, budget, rng), details=parts.details)


class LocalCopywriter:
    """Korean ad copy from the owner's own words; the same request and seed give the same ad."""

    name = "local"

    def write(self, request: CopyRequest) -> CopyResult:
        budget = budget_for(request.aspect_ratio)
        rng = random.Random(request.seed)
        if request.previous is not None:
            return self.refine(request, budget, rng)
        words = lift(request.input_text)
        if not words.phrases and not words.details:
            raise ValidationError(
                "광고에 담을 내용이 없습니다. 무엇을 알리고 싶은지 적어 주세요. (예: 카페 신메뉴 딸기라떼 5,500원)",
                code="nothing_to_advertise",
            )
        tone = _tone(request.tone) or words.tone or "존댓말"
        reading = analysis.read(words.text)
        ad_copy = write_copy(words, reading, tone, budget, rng)
        style, style_extras = image_prompt.style_for(request.style, reading.industry)
        return CopyResult(
            ad_copy=ad_copy,
            image_prompt=picture_prompt(reading, style, style_extras, request.seed),
            negative_prompt=lexicon.NEGATIVE_PROMPT,
            industry=reading.industry,
            style=style,
            tone=tone,  # type: ignore[arg-type]
            backend=self.name,
        )

    # --- refinement -----------------------------------------------------------------------

    def refine(self, request: CopyRequest, budget: LengthBudget, rng: random.Random) -> CopyResult:
        previous = request.previous
        assert previous is not None
        plan = plan_refinement(request, previous)
        if plan.new_brief:
            fresh = self.write(CopyRequest(request.input_text, request.aspect_ratio, request.seed, request.tone, request.style))
            return fresh.model_copy(update={"notice": NEW_BRIEF_NOTICE})
        ad_copy, notice = refine_copy(previous.ad_copy, plan, budget, rng, said=request.input_text)
        return CopyResult(
            ad_copy=ad_copy,
            image_prompt=refine_image(previous, plan, seed=request.seed),
            negative_prompt=refine_negative_prompt(previous, plan),
            industry=previous.industry,
            style=plan.style,
            tone=plan.tone,  # type: ignore[arg-type]
            backend=self.name,
            notice=notice,
        )


def picture_prompt(reading: analysis.Reading, style: str, style_extras: Sequence[str], seed: int) -> str:
    extras = [*style_extras]
    if reading.season_scene:
        extras.append(reading.season_scene)
    for intent in ("opening", "new", "event"):
        if intent in reading.cues:
            extras.append(lexicon.INTENT_SCENES[intent])
            break
    return image_prompt.build_image_prompt(
        industry=reading.industry,
        subjects=reading.subjects,
        style=style,
        # Its own stream: a change to the copy must not change the picture.
        composition=random.Random(f"{seed}:image").choice(lexicon.COMPOSITIONS),
        extras=extras,
    )


# --- refining the last ad's words ------------------------------------------------------------

_ALL_CLOSINGS: Final = {line: pair for pairs in templates.CLOSINGS.values() for pair in pairs for line in pair}


def _split_closing(body: str) -> tuple[str, templates.Line | None]:
    for line, pair in sorted(_ALL_CLOSINGS.items(), key=lambda kv: -len(kv[0])):
        if body.endswith(line):
            return body[: -len(line)].rstrip(), pair
    return body, None


def _body_phrases(body: str) -> list[str]:
    rest, _ = _split_closing(body)
    parts = re.split(r" · |(?<=[.!?])\s+", rest)
    return [
        p.strip().rstrip(".") if p.strip().endswith(".") and not morphs(p.strip().rstrip("."))[-1].tag == "EF" else p.strip()
        for p in parts
        if p.strip()
    ]


def refine_copy(
    previous: AdCopy, plan: RefinementPlan, budget: LengthBudget, rng: random.Random, *, said: str = ""
) -> tuple[AdCopy, str | None]:
    """The last ad changed as ``plan`` asks, its facts untouched; and a note for the owner, if any.

    ``said``: the owner's message, for what it adds ("가격 12,000원 넣어줘" on an ad without a price).
    """
    headline, cta, tags, details = previous.headline, previous.cta, list(previous.hashtags), previous.details
    rest, closing = _split_closing(previous.body)
    phrases = _body_phrases(previous.body)
    notes: list[str] = []
    tone = plan.tone
    edits = plan.copy_edits

    for field, value in plan.quoted.items():
        if field == "headline":
            headline = value
        elif field == "cta":
            cta = value
        elif field == "body":
            rest, closing = value, None
        elif field == "body_add":
            rest = f"{rest} {value}".strip() if rest.endswith((".", "!", "?")) or not rest else f"{rest}{SEPARATOR}{value}"
    if "price" in edits and not plan.quoted and not plan.new_amounts:
        priced = [p for p in phrases if any(f.kind in ("amount", "percent") for f in facts.read(p))]
        if any(f.kind in ("amount", "percent") for f in facts.read(headline)):
            notes.append("가격이 이미 헤드라인에 있어요.")
        elif priced:
            cut = split_headline(priced[0])
            if cut is not None:
                prefix, new_headline = cut
                kept = [p for p in phrases if p != priced[0]]
                phrases = [headline.rstrip("!"), *([prefix] if prefix else []), *kept]
                headline = new_headline + ("!" if _bare_end(new_headline) else "")
                rest = body_text(phrases, None)
        else:
            notes.append("이 광고에는 가격이 없어서 강조할 가격이 없어요. 가격을 알려 주시면 넣어 드릴게요. (예: 가격 12,000원 넣어줘)")
    if plan.new_amounts and not plan.quoted:
        # "가격 4만원으로 바꿔줘": the owner's new amount replaces the one amount of that kind the ad states.
        replaced = False
        for new in plan.new_amounts:
            kind = "percent" if new.endswith("%") else "amount"
            old = {f.text for f in facts.read(previous.as_text()) if f.kind == kind}
            if len(old) == 1:
                (was,) = old
                headline, rest = headline.replace(was, new), rest.replace(was, new)
                replaced = True
        added = [p.text for p in lift(said).phrases if any(f.text in plan.new_amounts for f in p.facts)] if said and not replaced else []
        if added and not any(f.kind in ("amount", "percent") for f in facts.read(previous.as_text())):
            # The ad had no price and the owner gives one ("가격 12,000원 넣어줘"): their phrase joins the body.
            rest = body_text([*_body_phrases(rest), *added], None)
        elif not replaced:
            notes.append("어느 금액을 바꿀지 알 수 없어요. 아래 문구 편집란에서 직접 고쳐 주세요.")
    if "content" in edits and plan.new_products and not plan.quoted:
        shown = analysis.read(previous.as_text()).products
        if len(shown) == 1 and len(plan.new_products) == 1:
            headline, rest = headline.replace(shown[0], plan.new_products[0]), rest.replace(shown[0], plan.new_products[0])
            tags = [t.replace(shown[0], plan.new_products[0]) for t in tags]
        else:
            notes.append("어느 상품을 바꿀지 알 수 없어요. 아래 문구 편집란에서 직접 고쳐 주세요.")
    extra: templates.Line | None = None
    if "shorter" in edits:
        if closing is not None and rest:
            closing = None
        else:
            notes.append("가격·날짜·조건·연락처는 빼지 않아요. 더 줄일 꾸밈말이 없으니, 더 줄이려면 아래 편집란에서 직접 고쳐 주세요.")
    if "longer" in edits:
        options = [pair for pairs in templates.CLOSINGS.values() for pair in pairs if pair != closing]
        if closing is None:
            closing = rng.choice(options[-3:])
        else:
            # A second closing line from another group, when it is not the same kind of wish.
            group = next((pairs for pairs in templates.CLOSINGS.values() if closing in pairs), ())
            extra = rng.choice([p for p in templates.CLOSINGS["visit"] if p not in group] or [p for p in options if p not in group])
    if plan.tone_changed and closing is None:
        notes.append(f"사장님이 쓰신 문장은 그대로 두었어요. 말투를 바꾸려면 아래 편집란에서 직접 고쳐 주세요. ({plan.tone})")
    if ("rewrite" in edits or plan.tone_changed or "headline" in edits) and closing is not None:
        same_group = next((pairs for pairs in templates.CLOSINGS.values() if closing in pairs), (closing,))
        others = [p for p in same_group if p != closing] if "rewrite" in edits else [closing]
        closing = rng.choice(others or [closing])
    if "headline" in edits and "headline" not in plan.quoted and "price" not in edits:
        notes.append("헤드라인은 사장님 문장에서 가져와요. 원하는 문구가 있으면 \"헤드라인을 '…'으로 바꿔줘\"라고 적어 주세요.")
    if "cta" in edits and "cta" not in plan.quoted:
        options = [c for group in templates.CTAS.values() if cta in group for c in group if c != cta]
        cta = options[0] if options else cta
    if "drop_hashtags" in edits:
        tags = []
    elif "hashtags" in edits:
        words = lift(f"{headline}, {rest}, {details}")
        fresh = hashtags_from(words, analysis.read(words.text), budget, rng)
        tags = fresh if not tags else ([t for t in fresh if t not in tags] + tags)[: budget.hashtags]
        if tags == list(previous.hashtags) and len(tags) > 1:
            tags = tags[1:] + tags[:1]
    body = rest
    for pair in (closing, extra):
        if pair is not None:
            line = templates.line(pair, tone)
            body = f"{body} {line}".strip() if body.endswith((".", "!", "?")) or not body else f"{body}. {line}"
    if not body:
        body = previous.body
    try:
        ad_copy = AdCopy(headline=headline, body=body, cta=cta, hashtags=tags[: max(budget.hashtags, len(tags))], details=details)
    except ValueError as exc:
        raise ValidationError(
            f"바꾼 문구가 너무 깁니다: {exc.errors()[0]['msg'] if hasattr(exc, 'errors') else exc}", code="copy_too_long"
        ) from None
    return ad_copy, " ".join(notes) or None
