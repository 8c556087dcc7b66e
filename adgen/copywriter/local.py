"""The offline copywriter: rules and templates, deterministic for a given seed.

It needs no network and no model, so a fresh machine can make ads, and it is what the OpenAI
backend falls back to. Every field is chosen among template renderings that fit the length
budget, so nothing is ever cut to fit.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from adgen import validation
from adgen.copywriter import analysis, image_prompt, lexicon, templates
from adgen.copywriter.analysis import Brief
from adgen.copywriter.base import HASHTAG_RE, CopyRequest, LengthBudget, budget_for, is_word_tag
from adgen.copywriter.refinement import RefinementPlan, plan_refinement, refine_image, refine_negative_prompt
from adgen.schemas import AdCopy, CopyResult

logger = logging.getLogger(__name__)

_FOOD_INDUSTRIES = ("cafe", "bakery", "restaurant")
# Businesses a customer visits by appointment, not "놀러 오세요".
_NO_DROP_IN = ("realestate", "academy")
# Shops that sell goods: "new" means a new product (#신상). A gym's or an academy's news is a
# programme or a membership, which #신상 would misname, so those get no "new" tag.
_GOODS_INDUSTRIES = ("beauty", "fashion", "flower", "pet", "general")
_INTENT_TAGS: dict[str, tuple[str, ...]] = {
    "opening": ("#오픈", "#신규오픈", "#오픈이벤트"),
    "event": ("#이벤트", "#할인", "#특가"),
}
# Last resort when no template fits (a product name so long that every slot overflows):
# short, slot-free, true for every business, and within the smallest budget.
_SAFE_HEADLINE = {"존댓말": "지금 만나요!", "반말": "지금 만나자!"}
_SAFE_BODY = {"존댓말": "정성을 담아 준비했어요. 편하게 들러 주세요!", "반말": "정성을 담아 준비했어. 편하게 들러 줘!"}
_SAFE_CTA = "자세히 보기"
_SENTENCE_RE = re.compile(r"(?<=[.!?~])\s+")


@dataclass(frozen=True)
class _Context:
    """Everything a template needs, settled before any field is chosen."""

    brief: Brief
    tone: str
    budget: LengthBudget
    slots: dict[str, str | None]
    deal_forms: tuple[str, ...] = ()  # ways to say {deal}, most complete first; the budget picks


def _context(brief: Brief, tone: str, budget: LengthBudget, rng: random.Random) -> _Context:
    copy = templates.INDUSTRY_COPY[brief.industry]
    product = brief.products[0] if brief.products else None
    # An event without a stated offer: "할인" only when the owner offers a lower price.
    deal = brief.deal or (("특별 할인" if brief.discount else "특별 혜택") if brief.intent == "event" else None)
    new_word = "신메뉴" if brief.industry in _FOOD_INDUSTRIES else "신상" if brief.industry == "fashion" else "NEW"
    slots: dict[str, str | None] = {
        "place": brief.place or lexicon.DEFAULT_PLACE[brief.industry],
        "product": product or lexicon.DEFAULT_PRODUCT[brief.industry],
        "item": product,
        "deal": deal,
        "price": brief.price,
        "season": brief.season,
        "when": brief.when,
        "timing": brief.timing,  # a stated time only: "{timing}만" never reads "여름만"
        "second": brief.second_price,  # "펌 50,000원": the owner's second priced product
        "sale": brief.sale,  # "60,000원 → 45,000원": a price cut the owner stated
        "launch": brief.launch,
        "perk": rng.choice(copy.perks),
        # An owner who takes reservations wants them: "지금 예약하세요" instead of "지금 맛보세요".
        "try": templates.BOOKING_TRY if brief.booking else copy.try_verb,
        "new": new_word,
    }
    forms = brief.deal_forms if brief.deal and brief.deal_forms else ()
    return _Context(brief=brief, tone=tone, budget=budget, slots=slots, deal_forms=forms)


# "무료 혜택 혜택을": a slot value that ends with the word the template goes on with.
_DOUBLED_RE = re.compile(r"(?<![가-힣])([가-힣]{2,}) \1")
_GIVEN_RE = re.compile(r"드리는 [^.!?]*(?:하면| 시 )")


def _untrue(text: str, brief: Brief) -> bool:
    """Copy that says more than the owner did: a limited run nobody announced, or the shop's
    product next to the freebie ("치킨 콜라 무료" reads as free chicken)."""
    if "한정" in text and not brief.limited:
        return True
    if "착한 가격" in text and not brief.discount:
        return True  # "더 착한 가격으로" promises a price cut
    if brief.price and brief.products and brief.priced != brief.products[0] and brief.price in text and brief.products[0] in text:
        return True  # "파스타 49,000원" when 49,000원 is the couple set's price
    if analysis.old_price_alone(text, brief.text):
        return True  # "원피스 60,000원!" when 60,000원 is what it cost before
    gift = brief.offer.split()[0] if brief.offer and brief.offer.endswith(("무료", "증정", "서비스")) else ""
    if not re.fullmatch(r"[가-힣]+", gift) or gift in ("무료", "사은품") or not brief.products:
        return False
    return bool(re.search(rf"{re.escape(brief.products[0])},? {re.escape(gift)}", text))


def _awkward(text: str) -> bool:
    # Two conditions in a row ("지금 방문하면 3개월 등록 시") or a doubled word read as a mistake.
    conditions = text.count("하면") + text.count(" 시 ")
    # "드리는 3개월 등록하면 …": a condition cannot follow a word that describes a noun.
    return bool(_DOUBLED_RE.search(text)) or conditions > 1 or bool(conditions and _GIVEN_RE.search(text))


def _render_all(items: Iterable[str], ctx: _Context, limit: int) -> list[str]:
    out: list[str] = []
    for template in items:
        if ctx.deal_forms and "deal" in templates.slots_of(template):
            # "신규 회원 첫 달 50% 할인" fits a body, "첫 달 50% 할인" a headline: try every form.
            texts = [templates.render(template, {**ctx.slots, "deal": d}, ctx.tone) for d in ctx.deal_forms]
        else:
            texts = [templates.render(template, ctx.slots, ctx.tone)]
        for text in texts:
            if text and len(text) <= limit and text not in out and not _awkward(text) and not _untrue(text, ctx.brief):
                price = ctx.brief.price
                if price and not re.fullmatch(r"[\d,]+원", price) and re.search(rf"단돈? {re.escape(price)}", text):
                    continue  # "단 월 450,000원": "only" reads before an amount, not before "월" or "3개"
                out.append(text)
    return out


_CORE_RE = re.compile(r"\d[\d,]*\s*(?:%|원)|\d\+\d")


def _core(deal: str) -> str:
    """The part of an offer a customer must see: "20%" of "최대 20% 할인", "1+1"."""
    m = _CORE_RE.search(deal)
    return m.group(0) if m else deal


def facts_of(brief: Brief) -> list[tuple[str, int]]:
    """What the owner asked for, as (text the copy must contain, weight): offer > its terms, product > time.

    The offer's terms ("10회 등록", "첫 달", "신규 회원") are what make it true; without them "2회 무료"
    promises more than the shop gives.
    """
    facts: list[tuple[str, int]] = []
    if brief.deal:
        facts.append((_core(brief.offer or brief.deal), 4))
        facts += [(term, 2) for term in (brief.condition, brief.audience) if term]
    if brief.price:
        facts.append((brief.price, 3))
    if brief.sale:
        facts.append((brief.sale, 4))  # the cut carries the price: "1인분 15,000원 → 12,000원"
    if brief.second_price:
        facts.append((brief.second_price, 2))
    if brief.products:
        facts.append((brief.products[0], 2))
    if brief.when:
        facts.append((brief.when, 1))
    if brief.booking:
        facts.append(("예약", 1))
    return facts


def _says(text: str, fact: str) -> bool:
    """Whether ``text`` states ``fact``; an amount only as a whole ("5,000원" is not in "45,000원")."""
    if fact[:1].isdigit():
        return re.search(rf"(?<![\d,]){re.escape(fact)}", text) is not None
    return fact in text


def _score(text: str, facts: Sequence[tuple[str, int]]) -> int:
    return sum(weight for fact, weight in facts if _says(text, fact))


def _pick_best(candidates: Sequence[str], rng: random.Random, score: Callable[[str], Any], exclude: Iterable[str] = ()) -> str | None:
    """A random candidate among those that score best; with ``exclude``, the best tier that has a fresh one."""
    excluded = set(exclude)
    for tier in sorted({score(c) for c in candidates}, reverse=True):
        pool = [c for c in candidates if score(c) == tier and c not in excluded]
        if pool:
            return rng.choice(pool)
    return _pick(candidates, rng)


def _headline_score(ctx: _Context) -> Callable[[str], int]:
    """A headline carries the most important fact: the offer (with its terms when they fit), else the product."""
    brief = ctx.brief
    primary = facts_of(brief)[:1]
    if brief.deal:
        primary += [(term, weight) for term, weight in ((brief.condition, 2), (brief.audience, 1)) if term]
    elif brief.price and brief.priced:
        primary.append((brief.priced, 1))  # "커트 15,000원!" over a bare "15,000원!"
        if analysis.without_counts(brief.priced) != brief.priced:
            primary.append((analysis.without_counts(brief.priced), 1))  # "치킨 세트 29,000원!" for "치킨 두 마리 세트"
    if brief.sale and not brief.deal:
        primary.append((brief.sale, 2))  # "9,900원 → 6,900원!" over "단 6,900원!", where it fits
    return lambda text: _score(text, primary)


_NEWS_WORDS = ("새로", "신메뉴", "출시", "NEW", "신상", "나왔")


def _body_score(ctx: _Context) -> Callable[[str], int]:
    facts = facts_of(ctx.brief)
    if ctx.brief.intent != "new":
        return lambda text: _score(text, facts)
    # A new product's ad says that it is new, also when the price takes the headline.
    return lambda text: _score(text, facts) + any(w in text for w in _NEWS_WORDS)


def _pick(candidates: Sequence[str], rng: random.Random, exclude: Iterable[str] = ()) -> str | None:
    excluded = set(exclude)
    fresh = [c for c in candidates if c not in excluded]
    pool = fresh or list(candidates)
    return rng.choice(pool) if pool else None


def headline_candidates(ctx: _Context) -> list[str]:
    intent, industry = ctx.brief.intent, ctx.brief.industry
    own = templates.INDUSTRY_COPY[industry].headlines
    generic = templates.HEADLINES[intent]
    extra = ("{new} {item} 출시!",) if intent == "new" else ()
    items = [*own, *generic] if intent == "promo" else [*generic, *extra]
    items += templates.FACT_HEADLINES
    found = _render_all(items, ctx, ctx.budget.headline)
    item = ctx.slots.get("item")
    if item and analysis.without_counts(item) != item:  # "치킨 세트 29,000원!" where "치킨 두 마리 세트 …" does not fit
        short = replace(ctx, slots={**ctx.slots, "item": analysis.without_counts(item)})
        found += [h for h in _render_all(items, short, ctx.budget.headline) if h not in found]
    if len(found) < 3:  # e.g. "season" without a product: borrow the industry's own lines
        found += [h for h in _render_all(own, ctx, ctx.budget.headline) if h not in found]
    return found


def body_candidates(ctx: _Context) -> list[str]:
    own = templates.INDUSTRY_COPY[ctx.brief.industry].bodies
    generic = templates.BODIES[ctx.brief.intent]
    booking = templates.BOOKING_BODIES if ctx.brief.booking else ()
    # The intent's own bodies say what the ad is about; the industry's give it its voice.
    return _render_all([*booking, *templates.FACT_BODIES, *generic, *own], ctx, ctx.budget.body)


def cta_candidates(ctx: _Context) -> list[str]:
    if ctx.brief.booking:  # "예약 받아요": the button books
        return _render_all(templates.BOOKING_CTAS, ctx, ctx.budget.cta)
    own = templates.INDUSTRY_COPY[ctx.brief.industry].ctas
    ctas = _render_all([*templates.CTAS[ctx.brief.intent], *own], ctx, ctx.budget.cta)
    if ctx.brief.industry in _NO_DROP_IN:
        ctas = [c for c in ctas if "놀러" not in c] or ctas  # one does not drop in on an estate agent
    return ctas


def hashtags_for(ctx: _Context, rng: random.Random) -> list[str]:
    brief = ctx.brief
    first: list[str] = [t for p in brief.products[:1] if (t := _product_tag(p))]
    if brief.season:
        first.append(f"#{brief.season}")
    first += [t for p in brief.products[1:] if (t := _product_tag(p))]
    if brief.deal and brief.audience:
        first.append(f"#{brief.audience.replace(' ', '')}")
    if brief.intent == "new":
        if brief.industry in _FOOD_INDUSTRIES:
            first.append("#신메뉴")
        elif brief.industry in _GOODS_INDUSTRIES:
            first.append("#신상")
    elif brief.intent == "event" and not brief.discount:
        first.append("#이벤트")  # "#할인" and "#특가" promise a lower price
    elif brief.intent in _INTENT_TAGS:
        first.append(rng.choice(_INTENT_TAGS[brief.intent]))
    if brief.place and brief.place != lexicon.DEFAULT_PLACE[brief.industry]:
        first.append(f"#{brief.place}")
    rest = [t for t in _trade_tags(brief) if t not in lexicon.CLAIM_TAGS or lexicon.CLAIM_TAGS[t] in brief.text]
    rng.shuffle(rest)
    tags: list[str] = []
    for tag in [*first, *rest]:
        if _usable_tag(tag, ctx.budget) and tag not in tags:
            tags.append(tag)
    return tags[: ctx.budget.hashtags]


def _product_tag(product: str) -> str | None:
    """ "#마카롱세트" of "마카롱 6개 세트", "#음료" of "모든 음료": a count or a range is no part of a tag ("#메뉴": none)."""
    words = [w for w in analysis.without_counts(product).split() if w not in ("모든", "전", "전체")]
    tag = "".join(words)
    return f"#{tag}" if tag and tag not in ("메뉴", "품목", "상품", "제품") else None


def _trade_tags(brief: Brief) -> list[str]:
    """The industry's own tags, without those of another trade than the one the ad is about."""
    tags = list(lexicon.INDUSTRY_HASHTAGS[brief.industry])
    table = lexicon.TRADE_TAGS.get(brief.industry, {})
    named = " ".join([*brief.products, brief.place or "", *brief.subjects])
    trades = {tag for tag, words in table.items() if any(w in named for w in words)}
    return [t for t in tags if t not in table or not trades or t in trades]


def _usable_tag(tag: str, budget: LengthBudget) -> bool:
    # "#회" of "10회" names nothing: a unit, particle or number is never a tag on its own.
    return bool(HASHTAG_RE.fullmatch(tag)) and len(tag) <= budget.hashtag_chars and is_word_tag(tag)


def compose_copy(ctx: _Context, rng: random.Random, *, exclude: AdCopy | None = None) -> AdCopy:
    """A fresh ad copy; with ``exclude``, one whose fields differ from it where possible."""
    avoid = (exclude.headline, exclude.body, exclude.cta) if exclude else ()
    headline = _pick_best(headline_candidates(ctx), rng, _headline_score(ctx), avoid) or _SAFE_HEADLINE[ctx.tone]
    score, said = _body_score(ctx), headline.rstrip("!?. ")

    def body_rank(b: str) -> tuple[int, bool]:
        # A body that opens with the headline word for word and adds no fact ("월 450,000원!" twice)
        # wastes the space: any other body comes first; among equals, one that does not repeat it.
        echo = b.startswith(said)
        if echo and len(said) >= 6 and not score(b[len(said) :]):
            return (-1, False)
        return (score(b), not echo)

    body = _pick_best(body_candidates(ctx), rng, body_rank, avoid) or _SAFE_BODY[ctx.tone]
    cta = _pick(cta_candidates(ctx), rng, avoid) or _SAFE_CTA
    return AdCopy(headline=headline, body=body, cta=cta, hashtags=hashtags_for(ctx, rng))


def _tone(requested: str | None) -> str | None:
    return validation.validate_tone(requested)


class LocalCopywriter:
    """Korean ad copy from rules and templates; the same request and seed give the same ad."""

    name = "local"

    def write(self, request: CopyRequest) -> CopyResult:
        budget = budget_for(request.aspect_ratio)
        requested_tone = _tone(request.tone)
        rng = random.Random(request.seed)
        if request.previous is not None:
            return self.refine(request, budget, rng)

        brief = analysis.analyze(request.input_text)
        # Polite unless asked otherwise, or unless the owner wrote in 반말 themselves.
        tone = requested_tone or ("반말" if brief.casual else lexicon.DEFAULT_TONE[brief.industry])
        style, style_extras = image_prompt.style_for(request.style, brief.industry)
        ctx = _context(brief, tone, budget, rng)
        ad_copy = compose_copy(ctx, rng)
        extras = [*style_extras]
        if brief.season_scene:
            extras.append(brief.season_scene)
        if brief.intent in lexicon.INTENT_SCENES:
            extras.append(lexicon.INTENT_SCENES[brief.intent])
        prompt = image_prompt.build_image_prompt(
            industry=brief.industry,
            subjects=brief.subjects,
            style=style,
            # Its own stream: a change to the copy templates must not change the picture.
            composition=random.Random(f"{request.seed}:image").choice(lexicon.COMPOSITIONS),
            extras=extras,
        )
        return CopyResult(
            ad_copy=ad_copy,
            image_prompt=prompt,
            negative_prompt=lexicon.NEGATIVE_PROMPT,
            industry=brief.industry,
            style=style,
            tone=tone,  # type: ignore[arg-type]
            backend=self.name,
        )

    # --- refinement -----------------------------------------------------------------------

    def refine(self, request: CopyRequest, budget: LengthBudget, rng: random.Random) -> CopyResult:
        previous = request.previous
        assert previous is not None
        plan = plan_refinement(request, previous)
        ctx = refinement_context(request, plan, budget, rng)
        ad_copy = refine_copy(previous.ad_copy, plan, ctx, rng)
        prompt = refine_image(previous, plan, seed=request.seed)
        return CopyResult(
            ad_copy=ad_copy,
            image_prompt=prompt,
            negative_prompt=refine_negative_prompt(previous, plan),
            industry=previous.industry,
            style=plan.style,
            tone=plan.tone,  # type: ignore[arg-type]
            backend=self.name,
        )


def refinement_context(request: CopyRequest, plan: RefinementPlan, budget: LengthBudget, rng: random.Random) -> _Context:
    """What the session has been about: earlier user turns, the last ad, and this request."""
    previous = request.previous
    assert previous is not None
    user_turns = [t.content for t in request.history if t.role == "user"]
    context_text = " ".join([*user_turns, previous.ad_copy.as_text(), request.input_text])
    brief = analysis.analyze(context_text)
    asked = analysis.analyze(request.input_text)
    # "초코라떼로 바꿔줘" replaces the product; otherwise the session's products carry on.
    products = list(plan.new_products) if plan.new_products else list(brief.products)
    industry = previous.industry if previous.industry in lexicon.DEFAULT_PLACE else "general"
    place = brief.place if brief.place and analysis.detect_industry(brief.place)[0] == industry else None
    intent = analysis.detect_intent(user_turns[0]) if user_turns else analysis.detect_intent(previous.ad_copy.as_text())
    # A new offer in this request replaces the session's, terms and all.
    offer = asked if asked.deal else brief
    # Reservations are the owner's words, not the last CTA's: a restaurant's "예약하기" picked by
    # chance must not turn every later body into "지금 예약하세요".
    said = user_turns or [previous.ad_copy.headline, previous.ad_copy.body]
    owner = " ".join([*said, request.input_text])
    booking = analysis.asks_booking(owner)
    # "오늘도 기다릴게요" in the last ad is no date: the time is what the owner wrote.
    timing = analysis.extract_timing(" ".join([*user_turns, request.input_text])) if user_turns else brief.timing
    brief = replace(
        brief,
        industry=industry,
        intent=intent,
        products=tuple(products[: analysis.MAX_PRODUCTS]),
        place=place,
        deal=offer.deal,
        offer=offer.offer,
        condition=offer.condition,
        audience=offer.audience,
        deal_forms=offer.deal_forms,
        price=asked.price or brief.price,
        # A new price in this request replaces the cut too.
        sale=asked.sale if asked.price else brief.sale,
        booking=booking,
        limited=analysis.says_limited(owner),
        discount=analysis.says_discount(owner),
        text=owner,
        timing=timing,
    )
    return _context(brief, plan.tone, budget, rng)


def _protected_words(ctx: _Context) -> set[str]:
    words = {*ctx.brief.products, *lexicon.DEFAULT_PRODUCT.values(), *lexicon.DEFAULT_PLACE.values()}
    words |= {word for word, _ in lexicon.SEASONS.values()}
    words |= set(lexicon.KO_EN)
    return {w for w in words if w}


def refine_copy(previous: AdCopy, plan: RefinementPlan, ctx: _Context, rng: random.Random) -> AdCopy:
    """``previous`` with the plan's copy edits applied; untouched fields are kept word for word."""
    headline, body, cta, hashtags = previous.headline, previous.body, previous.cta, list(previous.hashtags)
    fresh: set[str] = set()  # fields written in the new tone already

    if plan.copy_edits & {"rewrite", "content", "offer"}:  # "offer": a new price must replace the old one everywhere
        new = compose_copy(ctx, rng, exclude=previous)
        headline, body, cta = new.headline, new.body, new.cta
        fresh |= {"headline", "body", "cta"}
        if "content" in plan.copy_edits:
            hashtags = new.hashtags
    if "headline" in plan.copy_edits:
        # Another headline that says what this one said ("25,000원", "20%"), in other words.
        had = [(fact, weight) for fact, weight in facts_of(ctx.brief) if fact in previous.headline]
        headline = _pick_best(headline_candidates(ctx), rng, lambda c: _score(c, had), [previous.headline]) or headline
        fresh.add("headline")
    if "cta" in plan.copy_edits:
        cta = _pick(cta_candidates(ctx), rng, [previous.cta]) or cta
        fresh.add("cta")
    if "hashtags" in plan.copy_edits:
        hashtags = _different_hashtags(ctx, rng, previous.hashtags)
    if "price" in plan.copy_edits:
        headline, body = _price_first(ctx, rng, headline, body)
        fresh.add("headline")

    protect = _protected_words(ctx)
    if plan.tone_changed:
        converted = {
            name: templates.convert_tone(value, plan.tone, protect) if name not in fresh else value
            for name, value in (("headline", headline), ("body", body), ("cta", cta))
        }
        headline, body, cta = converted["headline"], converted["body"], converted["cta"]

    if "shorter" in plan.copy_edits:
        headline, body = _shorter(ctx, rng, headline, body, cta)
    elif "longer" in plan.copy_edits:
        body = _longer(ctx, rng, body)

    if plan.tone_changed and not any(_voiced(f, plan.tone, protect) for f in (headline, body, cta)):
        # Copy of nouns only ("PT 30% 할인!", often what "문구를 짧게" leaves) reads the same in
        # both tones; "반말로" must still be visible, so the body gets a sentence with a voice.
        body = _with_voice(ctx, rng, body, protect)
    if plan.no_hashtags:
        hashtags = []

    return _fit(AdCopy(headline=headline, body=body, cta=cta, hashtags=hashtags), ctx, rng, hashtags_optional=plan.no_hashtags)


def _voiced(text: str, tone: str, protect: set[str]) -> bool:
    """Whether ``text`` (in ``tone``) would read differently in the other tone."""
    other = "존댓말" if tone == "반말" else "반말"
    return templates.convert_tone(text, other, protect) != text


def _with_voice(ctx: _Context, rng: random.Random, body: str, protect: set[str]) -> str:
    """``body`` with a short sentence in ``ctx.tone`` added ("지금 시작해!"), or a voiced body that fits."""
    room = ctx.budget.body - len(body) - 1
    short = [s for s in _render_all(templates.SHORT_BODIES, ctx, room) if s not in body and _voiced(s, ctx.tone, protect)]
    if short:
        shortest = min(len(s) for s in short)
        return f"{body} {_pick([s for s in short if len(s) <= shortest + 4], rng)}"
    voiced = [c for c in body_candidates(ctx) if _voiced(c, ctx.tone, protect)]
    return _pick_best(voiced, rng, _body_score(ctx)) or body


def _different_hashtags(ctx: _Context, rng: random.Random, previous: Sequence[str]) -> list[str]:
    for _ in range(8):
        tags = hashtags_for(ctx, rng)
        if tags != list(previous):
            return tags
    return list(reversed(previous)) if len(previous) > 1 else hashtags_for(ctx, rng)


def _price_first(ctx: _Context, rng: random.Random, headline: str, body: str) -> tuple[str, str]:
    b = ctx.budget
    concrete = _render_all(templates.PRICE_HEADLINES, ctx, b.headline)
    new_headline = _pick(concrete or _render_all(templates.PRICE_FALLBACK_HEADLINES, ctx, b.headline), rng, [headline])
    offer = ctx.slots.get("price") or ctx.slots.get("deal")
    if offer and offer not in body:
        # Say the number again in the body when it fits; otherwise the headline carries it.
        for prefix in (f"단돈 {offer}!", f"{offer}!"):
            if len(f"{prefix} {body}") <= b.body:
                body = f"{prefix} {body}"
                break
    return new_headline or headline, body


_OFFER_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|원|만원)|\d\+\d|\d+\s*(?:개월|회|개|달|잔|번|일)\s*(?:무료|증정|추가|더)")


def _shorter(ctx: _Context, rng: random.Random, headline: str, body: str, cta: str = "") -> tuple[str, str]:
    """A headline and body that are together shorter, keeping as much of the message as possible."""
    sentences = _SENTENCE_RE.split(body.strip())
    # Keep the sentence that carries the most of what the owner asked for (the first on a tie).
    score = _body_score(ctx)
    kept = max(sentences, key=lambda s: (score(s), -sentences.index(s)))
    if len(sentences) > 1 and len(kept) >= 4:
        new_body = kept  # keep the message, drop the rest
    else:
        # A fact only the body stated ("매일 오후 3시") stays in the shorter body when one can hold it.
        body_only = [(fact, weight) for fact, weight in facts_of(ctx.brief) if fact in body and fact not in headline]
        pool = [*body_candidates(ctx), *(_render_all(templates.SHORT_FACT_BODIES, ctx, len(body) - 1) if body_only else ())]
        # Not the headline or the button again ("놀러 오세요!" over a "놀러 오세요" button).
        said = {headline.rstrip("!?. "), cta.rstrip("!?. ")}
        shorter = [c for c in dict.fromkeys(pool) if len(c) < len(body) and c.rstrip("!?. ") not in said]
        kept_best = max((_score(c, body_only) for c in shorter), default=0)
        shorter = [c for c in shorter if _score(c, body_only) == kept_best]
        if not [c for c in shorter if len(c) <= len(body) * 0.8]:
            more = _render_all(templates.SHORT_BODIES, ctx, len(body) - 1)
            shorter += [c for c in more if c not in shorter and c.rstrip("!?. ") not in said]
        shortest = min((len(c) for c in shorter), default=0)
        new_body = _pick([c for c in shorter if len(c) <= shortest + 6], rng) or body
    new_headline = headline
    if len(headline) > 8 or new_body == body:
        # "Shorter" must not drop the offer the headline carried ("20%", "1+1", "5,000원").
        kept_facts = _OFFER_TOKEN_RE.findall(headline)
        same = new_body.rstrip("!?. ")
        shorter_headlines = [
            c for c in headline_candidates(ctx) if len(c) < len(headline) and all(f in c for f in kept_facts) and c.rstrip("!?. ") != same
        ]
        shortest = min((len(c) for c in shorter_headlines), default=0)
        new_headline = _pick([c for c in shorter_headlines if len(c) <= shortest + 3], rng) or headline
    return new_headline, new_body


def _longer(ctx: _Context, rng: random.Random, body: str) -> str:
    """A longer body: the same one with a short sentence added when it fits, else a longer template."""
    limit = ctx.budget.body
    # A sentence whose verb the body already has ("지금 맛보세요. 순대국밥, 지금 맛보세요!") repeats it.
    extended = [f"{body} {s}" for s in _render_all(templates.SHORT_BODIES, ctx, limit) if s.strip(" .!?").split()[-1] not in body]
    extended = [c for c in extended if len(c) <= limit]
    if extended:
        return _pick(extended, rng) or body
    longer = [c for c in body_candidates(ctx) if len(c) > len(body)]
    if not longer:
        return body
    longest = max(len(c) for c in longer)
    return _pick([c for c in longer if len(c) >= longest - 8], rng) or body


def _fit(ad_copy: AdCopy, ctx: _Context, rng: random.Random, *, hashtags_optional: bool = False) -> AdCopy:
    """Replace any field that no longer fits (another aspect ratio, a longer tone) by a fresh one.

    ``hashtags_optional``: the owner removed the hashtags, so none is not refilled.
    """
    b = ctx.budget
    headline, body, cta = ad_copy.headline, ad_copy.body, ad_copy.cta
    if not headline.strip() or len(headline) > b.headline:
        headline = _pick(headline_candidates(ctx), rng) or _SAFE_HEADLINE[ctx.tone]
    if not body.strip() or len(body) > b.body:
        body = _pick(body_candidates(ctx), rng) or _SAFE_BODY[ctx.tone]
    if not cta.strip() or len(cta) > b.cta:
        cta = _pick(cta_candidates(ctx), rng) or _SAFE_CTA
    tags = [t for t in ad_copy.hashtags if _usable_tag(t, b)][: b.hashtags]
    if not tags and not hashtags_optional:
        tags = hashtags_for(ctx, rng)
    return AdCopy(headline=headline, body=body, cta=cta, hashtags=list(dict.fromkeys(tags)))
