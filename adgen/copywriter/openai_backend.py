"""Ad copy from any OpenAI-compatible chat endpoint, with the local copywriter as the safety net.

The model writes the words (and, for a new ad, an English scene for the picture). Everything
that must hold for the product to work is decided or checked here, not left to the model:
the length budget, the hashtag format, which fields a refinement may change (see
``refinement``), the style descriptors and the negative prompt. A reply that breaks a rule is
sent back once with the problems listed; after that, or when the endpoint keeps failing, the
local copywriter answers and the result says ``fallback_used=True``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

import openai
from openai import OpenAI
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ConfigDict, ValidationError

from adgen import validation
from adgen.copywriter import analysis, facts, image_prompt, korean, lexicon, owner_words
from adgen.copywriter.base import INDUSTRIES, CopyRequest, LengthBudget, budget_for, budget_problems
from adgen.copywriter.local import LocalCopywriter, refine_copy
from adgen.copywriter.refinement import NEW_BRIEF_NOTICE, RefinementPlan, plan_refinement, refine_image, refine_negative_prompt
from adgen.errors import ConfigurationError
from adgen.schemas import AdCopy, CopyResult
from adgen.settings import Settings

logger = logging.getLogger(__name__)

# Older turns rarely change what the next ad should say, and every token is paid for.
HISTORY_TURNS: Final = 10
BACKOFF_CAP_S: Final = 4.0
# Statuses worth another try: the endpoint is busy or broken right now, not the request.
_RETRY_STATUSES: Final = frozenset({408, 409, 429})
_HANGUL_RE: Final = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
IMAGE_PROMPT_MAX: Final = 300

# Which fields each copy edit may change; the rest are kept from the previous ad verbatim.
_EDIT_FIELDS: Final[dict[str, frozenset[str]]] = {
    "shorter": frozenset({"headline", "body"}),
    "longer": frozenset({"body"}),
    "price": frozenset({"headline", "body"}),
    "offer": frozenset({"headline", "body"}),
    "headline": frozenset({"headline"}),
    "cta": frozenset({"cta"}),
    "hashtags": frozenset({"hashtags"}),
    "drop_hashtags": frozenset(),  # decided here, not by the model: see ``RefinementPlan.no_hashtags``
    "rewrite": frozenset({"headline", "body", "cta"}),
    "content": frozenset({"headline", "body", "cta", "hashtags"}),
}
_TONE_FIELDS: Final = frozenset({"headline", "body", "cta"})
# Offers and claims only the owner can make, in groups of words that say the same thing: "20프로 세일"
# may be written "20% 할인", but an ad the owner gave no discount must not say "할인" at all.
_CLAIMS: Final = (
    ("할인", "세일", "특가", "반값"),
    ("무료", "공짜", "증정", "사은품", "1+1", "2+1"),
    ("한정", "선착순", "마감 임박"),
    ("쿠폰",),
    ("최고", "1등", "최저가", "최상"),
)


class _ModelCopy(BaseModel):
    """The JSON the model is asked for; extra keys are ignored, missing ones are problems."""

    model_config = ConfigDict(extra="ignore")

    headline: str
    body: str
    cta: str
    hashtags: list[str]
    details: str = ""
    industry: str | None = None
    image_prompt: str | None = None


class _CopyFailure(Exception):
    """The endpoint gave no usable copy; ``reason`` is safe to log."""

    def __init__(self, reason: str, *, attempts: int, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.status = status


def _system_prompt(budget: LengthBudget, tone: str, *, refinement: bool) -> str:
    tone_rule = "해요체 존댓말" if tone == "존댓말" else "친근한 반말 (요/니다로 끝나지 않게)"
    fields = [
        f'- "headline": 헤드라인, 공백 포함 {budget.headline}자 이하',
        f'- "body": 본문 1~2문장, 공백 포함 {budget.body}자 이하',
        f'- "cta": 행동 유도 문구(예: "지금 방문하기"), 공백 포함 {budget.cta}자 이하',
        f'- "hashtags": 해시태그 1~{budget.hashtags}개의 배열, 각각 "#"으로 시작하고 공백 없이 {budget.hashtag_chars}자 이하',
        '- "details": 사장님이 쓴 연락처(전화번호, @계정, 카카오톡 채널, 주소, 웹사이트)를 쓴 그대로 " · "로 이어서. 없으면 ""',
    ]
    if not refinement:
        fields += [
            f'- "industry": 업종, 다음 중 하나: {", ".join(INDUSTRIES)}',
            '- "image_prompt": 광고 배경 사진을 묘사하는 영어 구문(피사체와 장면, 30단어 이하). '
            "사진 안에 글자·로고·간판 문구가 없어야 합니다(문구는 나중에 사진 위에 얹습니다).",
        ]
    return "\n".join(
        [
            "당신은 한국 소상공인을 위한 광고 카피라이터입니다. 사장님의 요청으로 SNS·전단용 광고 문구를 씁니다.",
            "반드시 JSON 객체 하나로만 답하세요. 필드:",
            *fields,
            f"말투: {tone_rule}.",
            "글자 수 제한을 절대 넘기지 마세요. 근거 없는 최상급 표현(최고, 1등)과 과장은 피하세요.",
            "사장님이 쓴 사실(상품, 가격, 할인율, 날짜, 시간, 조건, 제외 사항, 대상, 연락처)은 하나도 빠뜨리거나 바꾸지 말고, "
            "각 가격은 그 상품 옆에, 각 혜택은 그 조건과 함께 쓰세요. 사장님이 쓰지 않은 숫자, 상품, 행사, '할인'·'한정'·'쿠폰'·"
            "'최고' 같은 주장, 효능은 지어내지 마세요. 글자 수가 모자라면 꾸밈말을 줄이세요.",
        ]
    )


def _previous_json(previous: CopyResult) -> str:
    return json.dumps(previous.ad_copy.model_dump(), ensure_ascii=False)


def _history_messages(request: CopyRequest) -> list[dict[str, str]]:
    return [{"role": turn.role, "content": turn.content} for turn in request.history[-HISTORY_TURNS:]]


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


class OpenAICopywriter:
    """Ad copy from a chat model; the local copywriter answers when the model cannot.

    Args:
        settings: the endpoint (``openai_base_url``), key, model, timeout and retry count.
        backoff_s: the first pause between retries; it doubles per retry, up to 4 s.
        fallback: the copywriter to fall back on (a ``LocalCopywriter`` by default).
    """

    name = "openai"

    def __init__(self, settings: Settings, *, backoff_s: float = 0.5, fallback: LocalCopywriter | None = None):
        if settings.openai_api_key is None or not settings.openai_api_key.get_secret_value():
            raise ConfigurationError("COPYWRITER_BACKEND=openai needs OPENAI_API_KEY", setting="openai_api_key")
        self._key = settings.openai_api_key.get_secret_value()
        self._model = settings.openai_model
        self._max_retries = settings.openai_max_retries
        self._backoff_s = backoff_s
        # Only the host goes to the logs: a base URL can carry credentials in its user info.
        self._endpoint = urlsplit(settings.openai_base_url).hostname if settings.openai_base_url else "api.openai.com"
        # The client's own retries are off: ours are bounded, logged and share one budget.
        self._client = OpenAI(
            api_key=self._key,
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout_s,
            max_retries=0,
        )
        self._fallback = fallback or LocalCopywriter()

    def write(self, request: CopyRequest) -> CopyResult:
        budget = budget_for(request.aspect_ratio)
        validation.validate_tone(request.tone)
        try:
            if request.previous is not None:
                return self._refine(request, budget)
            return self._write_new(request, budget)
        except _CopyFailure as exc:
            logger.warning(
                "OpenAI copy failed, using the local copywriter: %s (model=%s endpoint=%s attempts=%d status=%s refinement=%s)",
                _redact(exc.reason, self._key),
                self._model,
                self._endpoint,
                exc.attempts,
                exc.status,
                request.previous is not None,
            )
        result = self._fallback.write(request)
        return result.model_copy(update={"fallback_used": True})

    # --- a new ad -------------------------------------------------------------------------

    def _write_new(self, request: CopyRequest, budget: LengthBudget) -> CopyResult:
        guess = analysis.read(request.input_text)
        tone = request.tone or owner_words.lift(request.input_text).tone or "존댓말"
        messages = [
            {"role": "system", "content": _system_prompt(budget, tone, refinement=False)},
            *_history_messages(request),
            {"role": "user", "content": request.input_text},
        ]
        said = " ".join([*(t.content for t in request.history if t.role == "user"), request.input_text])
        source = owner_words.lift(request.input_text).text
        reply = self._ask(messages, request.seed, lambda m: self._problems_new(m, budget, tone, source, said))
        industry = reply.industry if reply.industry in INDUSTRIES else guess.industry
        style, style_extras = image_prompt.style_for(request.style, industry)
        scene = " ".join((reply.image_prompt or "").split())
        prompt = image_prompt.build_image_prompt(
            industry=industry,
            subjects=(),
            style=style,
            composition=random.Random(f"{request.seed}:image").choice(lexicon.COMPOSITIONS),
            extras=style_extras,
            scene=scene,
        )
        return CopyResult(
            ad_copy=_ad_copy(reply),
            image_prompt=prompt,
            negative_prompt=lexicon.NEGATIVE_PROMPT,
            industry=industry,
            style=style,
            tone=tone,  # type: ignore[arg-type]
            backend=self.name,
        )

    def _problems_new(self, reply: _ModelCopy, budget: LengthBudget, tone: str, source: str, said: str) -> list[str]:
        # Every problem at once: the model gets one repair round.
        problems = _copy_problems(reply, budget, tone) + _fact_problems(reply, source, said)
        scene = reply.image_prompt or ""
        if not scene.strip():
            problems.append("image_prompt is missing")
        elif _HANGUL_RE.search(scene):
            problems.append("image_prompt must be English only")
        elif len(scene) > IMAGE_PROMPT_MAX:
            problems.append(f"image_prompt has {len(scene)} characters, the limit is {IMAGE_PROMPT_MAX}")
        return problems

    # --- a refinement ---------------------------------------------------------------------

    def _refine(self, request: CopyRequest, budget: LengthBudget) -> CopyResult:
        previous = request.previous
        assert previous is not None
        plan = plan_refinement(request, previous)
        if plan.new_brief:
            # Another business's sentence: written afresh, without the last ad or the session's history,
            # so no fact of the old ad can be carried into the new one.
            fresh = self._write_new(dataclasses.replace(request, history=(), previous=None), budget)
            return fresh.model_copy(update={"notice": NEW_BRIEF_NOTICE})
        ad_copy = previous.ad_copy
        notice = None
        priceless = "price" in plan.copy_edits and not any(f.kind in ("amount", "percent") for f in facts.read(previous.ad_copy.as_text()))
        if plan.quoted or priceless:
            # The owner's exact words, or nothing to emphasise: decided by rules, not by the model.
            ad_copy, notice = refine_copy(previous.ad_copy, plan, budget, random.Random(request.seed), said=request.input_text)
        elif plan.copy_edits - {"drop_hashtags"} or plan.tone_changed:
            ad_copy = self._refine_copy(request, plan, budget)
        # A picture wish keeps the words exactly, even under another aspect ratio's budget: the
        # compositor sets long copy smaller, as it does for the local copywriter's.
        if plan.no_hashtags:
            # "해시태그 빼줘" needs no model, and a later refinement must not bring them back.
            ad_copy = ad_copy.model_copy(update={"hashtags": []})
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

    def _refine_copy(self, request: CopyRequest, plan: RefinementPlan, budget: LengthBudget) -> AdCopy:
        previous = request.previous
        assert previous is not None
        changes = "\n".join(f"- {line}" for line in plan.describe())
        messages = [
            {"role": "system", "content": _system_prompt(budget, plan.tone, refinement=True)},
            *_history_messages(request),
            {
                "role": "user",
                "content": f"이전 광고(JSON): {_previous_json(previous)}\n"
                f"사장님의 수정 요청: {request.input_text}\n"
                f"바꿀 것:\n{changes}\n"
                "요청하지 않은 부분은 이전 광고와 똑같이 두고, 모든 필드를 담은 JSON으로 답하세요.",
            },
        ]
        fields = frozenset().union(*(_EDIT_FIELDS[e] for e in plan.copy_edits))
        if plan.tone_changed:
            fields |= _TONE_FIELDS

        def merged(reply: _ModelCopy) -> dict[str, Any]:
            old = previous.ad_copy.model_dump()
            new = reply.model_dump()
            copy = {name: (new[name] if name in fields else old[name]) for name in old}
            if plan.no_hashtags:
                copy["hashtags"] = []
            return copy

        # What the owner and the last ad said: a refinement may reword the facts, not change them. A new
        # price or offer ("가격 4만원으로 바꿔줘") replaces the old one: the new amounts are required, the old may go.
        said = " ".join([*(t.content for t in request.history if t.role == "user"), previous.ad_copy.as_text(), request.input_text])
        stated = facts.read(previous.ad_copy.as_text())
        asked = [f for f in facts.read(request.input_text) if f.text in plan.new_amounts]
        keep = [f for f in stated if not (plan.new_amounts and f.kind in ("amount", "percent"))]
        if "content" in plan.copy_edits:
            keep = [f for f in keep if f.kind != "item"]  # "초코라떼로 바꿔줘": the old product may go
        keep += asked
        # The one amount of a kind the owner's new one replaces ("4,500원" → "4,000원") must go; with two
        # of that kind it is not clear which one was meant, and both may stay.
        replaced = []
        for new in asked:
            old = {(f.kind, f.key): f for f in stated if f.kind == new.kind}
            if len(old) == 1:
                replaced += old.values()
        # What the previous ad already broke (a local ad's long headline under another ratio) and the model
        # was not asked to change is not the model's problem: those fields are kept verbatim.
        broken_before = set(budget_problems(previous.ad_copy, budget, hashtags_optional=plan.no_hashtags))

        def problems(reply: _ModelCopy) -> list[str]:
            copy = _ModelCopy(**merged(reply))
            found = [p for p in _copy_problems(copy, budget, plan.tone, hashtags_optional=plan.no_hashtags) if p not in broken_before]
            found += _fact_problems(copy, previous.ad_copy.as_text(), said, source_facts=keep)
            written = {(f.kind, f.key) for f in facts.read(" ".join((copy.headline, copy.body, copy.details, copy.cta)))}
            found += [
                f"the owner replaced '{f.text}' with '{', '.join(plan.new_amounts)}'; do not state '{f.text}'"
                for f in replaced
                if (f.kind, f.key) in written
            ]
            if "shorter" in plan.copy_edits:
                before = len(previous.ad_copy.headline) + len(previous.ad_copy.body)
                after = len(copy.headline) + len(copy.body)
                if after >= before:
                    found.append(f"headline and body together must be shorter than before ({before} characters), not {after}")
            return found

        reply = self._ask(messages, request.seed, problems)
        return AdCopy(**merged(reply))

    # --- talking to the endpoint ----------------------------------------------------------

    def _ask(self, messages: list[dict[str, str]], seed: int, check: Callable[[_ModelCopy], list[str]]) -> _ModelCopy:
        """One reply that passes ``check``; a failing one is sent back once with its problems."""
        attempts = 0
        for round_ in range(2):
            content, used = self._complete(messages, seed)
            attempts += used
            reply, problems = _parse(content)
            if reply is not None:
                problems = check(reply)
            if not problems:
                assert reply is not None
                return reply
            logger.info("OpenAI copy rejected (round %d): %s", round_ + 1, "; ".join(problems))
            messages = [
                *messages,
                {"role": "assistant", "content": content},
                {
                    "role": "user",
                    "content": "다음 문제를 고쳐서 JSON 객체 하나로만 다시 답하세요:\n" + "\n".join(f"- {p}" for p in problems),
                },
            ]
        raise _CopyFailure("invalid reply after one repair: " + "; ".join(problems), attempts=attempts)

    def _complete(self, messages: list[dict[str, str]], seed: int) -> tuple[str, int]:
        """The reply text and how many HTTP attempts it took; transient failures are retried."""
        attempts = 1 + self._max_retries
        for attempt in range(attempts):
            try:
                response = self._client.chat.completions.create(
                    model=self._model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format={"type": "json_object"},
                    temperature=0.8,
                    seed=seed,
                )
            except (openai.APIConnectionError, openai.APIStatusError) as exc:  # timeouts are connection errors
                status = getattr(exc, "status_code", None)
                transient = status is None or status in _RETRY_STATUSES or status >= 500
                if not transient or attempt + 1 >= attempts:
                    raise _CopyFailure(
                        f"{type(exc).__name__}: {exc}" if transient else f"{type(exc).__name__} (status {status}, not retried)",
                        attempts=attempt + 1,
                        status=status,
                    ) from None
                delay = self._delay(attempt, exc)
                logger.info("OpenAI %s (status %s), retry %d of %d in %.2fs", type(exc).__name__, status, attempt + 1, attempts - 1, delay)
                time.sleep(delay)
                continue
            except openai.OpenAIError as exc:  # a reply the client could not read
                raise _CopyFailure(f"{type(exc).__name__}: {exc}", attempts=attempt + 1) from None
            if not isinstance(response, ChatCompletion):
                # A 200 that is not JSON (a proxy's page, raw bytes): the client hands back the text as is.
                raise _CopyFailure(f"the endpoint answered {type(response).__name__}, not a chat completion", attempts=attempt + 1)
            choices = response.choices or []
            content = choices[0].message.content if choices else None
            return content or "", attempt + 1
        raise AssertionError("unreachable: the loop returns or raises")

    def _delay(self, attempt: int, exc: Exception) -> float:
        delay = self._backoff_s * (2**attempt)
        # A server that says when to come back is believed, within the same cap.
        response = getattr(exc, "response", None)
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after:
            try:
                delay = max(delay, float(retry_after))
            except ValueError:
                pass
        return min(delay, BACKOFF_CAP_S)


def _parse(content: str) -> tuple[_ModelCopy | None, list[str]]:
    if not content.strip():
        return None, ["the reply was empty; answer with one JSON object"]
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        return None, [f"the reply is not valid JSON ({exc.msg} at position {exc.pos})"]
    if not isinstance(data, dict):
        return None, ["the reply must be one JSON object"]
    try:
        return _ModelCopy.model_validate(data), []
    except ValidationError as exc:
        return None, [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]


def _copy_problems(reply: _ModelCopy, budget: LengthBudget, tone: str, *, hashtags_optional: bool = False) -> list[str]:
    try:
        ad_copy = _ad_copy(reply)
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
    problems = budget_problems(ad_copy, budget, hashtags_optional=hashtags_optional)
    if tone == "반말" and korean.is_polite(" ".join((ad_copy.headline, ad_copy.body))):
        problems.append("the copy must be in 반말 (no sentence may end in 요 or 니다)")
    elif tone == "존댓말" and korean.is_casual(" ".join((ad_copy.headline, ad_copy.body))):
        problems.append("the copy must be in 존댓말 (해요체); a sentence ends in 반말")
    return problems


def _fact_problems(reply: _ModelCopy, source: str, said: str, *, source_facts: list[facts.Fact] | None = None) -> list[str]:
    """The owner's facts the copy lost, and numbers, contacts or offers it added.

    Facts are ``facts.compare``'s (the one reader); an offer or a claim ("한정", "쿠폰", "최고") is
    invented when no word of its group is anywhere in what the owner said (``said``).
    """
    written = " ".join((reply.headline, reply.body, reply.details, reply.cta))
    report = facts.compare(source, written, source_facts=source_facts)
    everything = {(f.kind, f.key) for f in facts.read(said)}
    invented = [f for f in report.invented if (f.kind, f.key) not in everything]
    problems = facts.Report(report.missing, tuple(invented)).describe()
    said_lower, written_lower = said.lower(), written.lower()
    for group in _CLAIMS:
        if not any(w in said_lower for w in group):
            problems += [f"'{w}' is not in the owner's words; do not add it" for w in group if w in written_lower]
    return problems


def _ad_copy(reply: _ModelCopy) -> AdCopy:
    return AdCopy(
        headline=reply.headline.strip(),
        body=reply.body.strip(),
        cta=reply.cta.strip(),
        hashtags=[t.strip() for t in reply.hashtags],
        details=reply.details.strip(),
    )
