"""Business logic: the seed's services.py.

Services never import Gradio or FastAPI. They take a ``progress(fraction, message)`` callback,
update ``task_storage`` for polling clients, and raise ``adgen.errors`` exceptions that the UI and
the REST layer translate.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Final

from PIL import Image
from sqlalchemy.engine import Engine

from adgen import storage, validation
from adgen.errors import AdGenError, DatabaseError, NotFoundError
from adgen.schemas import AdCopy, CopyResult
from adgen.settings import Settings

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]
TaskStorage = MutableMapping[str, dict[str, Any]]

# The seed's progress marks, with what the user sees at each.
STAGES: dict[int, str] = {
    10: "요청을 확인하고 있어요",
    30: "광고 콘셉트를 정리했어요",
    40: "광고 문구를 완성했어요",
    70: "이미지를 완성했어요",
    80: "결과를 저장했어요",
    100: "광고가 완성되었어요",
}
DB_WRITE_ATTEMPTS = 4


@dataclass
class AdGenContext:
    """What a service call needs: settings, the database and the (resident) model backends."""

    settings: Settings
    engine: Engine | None  # None: guest-only use (CLI), nothing is stored
    copywriter: Any
    image_generator: Any
    # One GPU: generations are serialised here too, so direct callers (CLI, REST workers) can't
    # make two pipelines fight for the card even outside Gradio's queue.
    gpu_lock: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(1))

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None, *, background_image_load: bool = False) -> AdGenContext:
        """The backends for ``settings``; with ``background_image_load`` (the server) SDXL loads after start-up."""
        from adgen.copywriter import get_copywriter
        from adgen.imaging import get_image_generator

        return cls(
            settings=settings,
            engine=engine,
            copywriter=get_copywriter(settings),
            image_generator=get_image_generator(settings, background=background_image_load),
            gpu_lock=threading.Semaphore(settings.gpu_concurrency),
        )


@dataclass(frozen=True)
class TextZones:
    """What the compositor knows about one background: kept with the row, so a text-only turn lays
    the new words out the same way on the reused image. Boxes are (left, top, right, bottom)."""

    accent: tuple[int, int, int] | None = None  # the CTA colour the background suggests
    keep_clear: tuple[int, int, int, int] | None = None  # the product photo (or a template's motif): no text on it
    prefer_clear: tuple[int, int, int, int] | None = None  # a template's hero shape: text rather not on it

    def to_json(self) -> dict[str, list[int] | None]:
        return {f.name: list(getattr(self, f.name) or ()) or None for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TextZones:
        data = data or {}
        return cls(**{f.name: tuple(data[f.name]) if data.get(f.name) else None for f in fields(cls)})


@dataclass
class AdVariant:
    image: Image.Image | None  # with text (or bare when content_type == 'image')
    bare_image: Image.Image | None
    seed: int
    image_url: str | None = None
    bare_image_url: str | None = None
    history_id: int | None = None
    zones: TextZones = field(default_factory=TextZones)


@dataclass
class AdResult:
    """A finished ad. ``public()`` is what the REST API and task_storage expose."""

    session_id: str | None
    copy: CopyResult
    variants: list[AdVariant]
    aspect_ratio: str
    content_type: str
    generation_method: str | None
    image_backend: str | None
    reused_image: bool
    elapsed_s: float

    @property
    def primary(self) -> AdVariant:
        return self.variants[0]

    def public(self) -> dict[str, Any]:
        primary = self.primary
        return {
            "image_url": primary.image_url,
            "bare_image_url": primary.bare_image_url,
            "ad_copy": self.copy.ad_copy.model_dump(),
            "session_id": self.session_id,
            "history_id": primary.history_id,
            "seed": primary.seed,
            "industry": self.copy.industry,
            "style": self.copy.style,
            "tone": self.copy.tone,
            "aspect_ratio": self.aspect_ratio,
            "content_type": self.content_type,
            "generation_method": self.generation_method,
            "copy_backend": self.copy.backend,
            "copy_fallback_used": self.copy.fallback_used,
            "notice": self.copy.notice,
            "image_backend": self.image_backend,
            "reused_image": self.reused_image,
            "elapsed_s": round(self.elapsed_s, 3),
            "variants": [
                {"image_url": v.image_url, "bare_image_url": v.bare_image_url, "history_id": v.history_id, "seed": v.seed}
                for v in self.variants
            ],
        }


# --- task storage -----------------------------------------------------------------------

_task_lock = threading.Lock()


def init_task(task_storage: TaskStorage, task_id: str, user_id: int | None) -> None:
    with _task_lock:
        task_storage[task_id] = {"status": "pending", "progress": 0, "message": "대기 중이에요", "user_id": user_id}


def _update_task(task_storage: TaskStorage, task_id: str, **fields: Any) -> None:
    with _task_lock:
        entry = dict(task_storage.get(task_id) or {})
        entry.update(fields)
        # Reassign (not mutate) so a mirroring mapping sees every change.
        task_storage[task_id] = entry


def failure_fields(error: AdGenError) -> dict[str, Any]:
    """What a failed task holds besides its progress and owner."""
    return {"status": "failed", "error": error.message, "error_code": error.code, "message": error.message}


def fail_task(task_storage: TaskStorage, task_id: str, error: AdGenError) -> None:
    _update_task(task_storage, task_id, **failure_fields(error))


# --- the pipeline ------------------------------------------------------------------------


def create_advertisement(
    task_id: str,
    user_id: int | None,
    input_text: str,
    aspect_ratio: str,
    task_storage: TaskStorage,
    *,
    session_id: str | None = None,
    image: Image.Image | None = None,
    content_type: str = "both",
    style: str | None = None,
    tone: str | None = None,
    variants: int = 1,
    seed: int | None = None,
    progress: ProgressFn | None = None,
    ctx: AdGenContext,
) -> AdResult:
    """One sentence (and optionally a product photo) in, a finished ad out.

    Follows the seed's steps and progress marks (10 → 30 → 40 → 70 → 80 → 100). ``user_id`` None is
    a guest: nothing is stored. A ``session_id`` of the user's continues that chat session: the
    earlier turns reach the copywriter, the seed is kept, and a text-only change reuses the bare
    image. Failures set the task to ``failed`` with the error's code and re-raise.
    """
    started = time.perf_counter()
    if task_id not in task_storage:
        init_task(task_storage, task_id, user_id)

    def mark(pct: int, message: str | None = None) -> None:
        msg = message or STAGES.get(pct, "")
        _update_task(task_storage, task_id, status="processing", progress=pct, message=msg)
        if progress is not None:
            progress(pct / 100, msg)

    try:
        validation.validate_input_text(input_text)
        validation.validate_aspect_ratio(aspect_ratio)
        validation.validate_content_type(content_type)
        validation.validate_style(style)
        validation.validate_tone(tone)
        # bool is an int in Python; True is not a count of variants.
        if type(variants) is not int or not 1 <= variants <= ctx.settings.max_variants:
            raise validation.ValidationError(
                f"한 번에 만들 수 있는 시안은 1-{ctx.settings.max_variants}개입니다. (입력값: {validation.quoted(variants)})",
                code="invalid_variants",
            )
        if session_id is not None:
            validation.validate_session_id(session_id)

        mark(10)
        previous, history, prev_row = _load_session(ctx, user_id, session_id)
        if session_id is None:
            session_id = new_session_id() if user_id is not None else None
        if seed is None:
            seed = prev_row.seed if prev_row is not None and prev_row.seed is not None else secrets.randbelow(2**31 - 1)

        # A session keeps its product photo unless a new one is uploaded.
        control_image = image
        if control_image is None and prev_row is not None and prev_row.input_image_hash:
            try:
                control_image = storage.load_image(ctx.settings.images_dir, prev_row.input_image_hash)
            except NotFoundError:
                log.warning("task %s: session %s photo %s missing on disk", task_id, session_id, prev_row.input_image_hash)

        mark(30)
        from adgen.copywriter import CopyRequest

        copy = ctx.copywriter.write(
            CopyRequest(
                input_text=input_text,
                aspect_ratio=aspect_ratio,
                seed=seed,
                tone=tone,
                style=style,
                history=history,
                previous=previous,
            )
        )
        mark(40)

        backgrounds, method, image_backend, reused = _make_images(
            ctx, copy, aspect_ratio, seed, variants, content_type, control_image, prev_row, previous, mark
        )
        mark(70)

        ad_variants: list[AdVariant] = []
        for i, (bare, zones) in enumerate(backgrounds):
            final = bare
            if content_type == "both":
                from adgen.compositor import compose

                final = compose(
                    bare,
                    copy.ad_copy,
                    aspect_ratio,
                    avoid=zones.keep_clear,
                    prefer_clear=zones.prefer_clear,
                    accent=zones.accent,
                    font_path=ctx.settings.font_path,
                ).image
            ad_variants.append(AdVariant(image=final, bare_image=bare, seed=seed + i, zones=zones))
        if not ad_variants:  # text only
            ad_variants.append(AdVariant(image=None, bare_image=None, seed=seed))

        result = AdResult(
            session_id=session_id,
            copy=copy,
            variants=ad_variants,
            aspect_ratio=aspect_ratio,
            content_type=content_type,
            generation_method=method,
            image_backend=image_backend,
            reused_image=reused,
            elapsed_s=0.0,
        )
        if user_id is not None:
            _persist(ctx, task_id, user_id, input_text, image, result)
        mark(80)

        result.elapsed_s = time.perf_counter() - started
        _update_task(task_storage, task_id, status="completed", progress=100, message=STAGES[100], result=result.public(), error=None)
        if progress is not None:
            progress(1.0, STAGES[100])
        log.info(
            "task %s completed: user=%s session=%s industry=%s copy=%s image=%s method=%s reused=%s %.2fs",
            task_id,
            user_id,
            session_id,
            copy.industry,
            copy.backend,
            image_backend,
            method,
            reused,
            result.elapsed_s,
        )
        return result
    except AdGenError as exc:
        log.error("task %s failed [%s]: %s context=%s", task_id, exc.code, exc.message, exc.context, exc_info=exc.http_status >= 500)
        fail_task(task_storage, task_id, exc)
        raise
    except Exception as exc:
        log.error("task %s failed unexpectedly (user=%s, ratio=%s)", task_id, user_id, aspect_ratio, exc_info=True)
        wrapped = AdGenError(context=repr(exc))
        fail_task(task_storage, task_id, wrapped)
        raise wrapped from exc


def _load_session(ctx: AdGenContext, user_id: int | None, session_id: str | None):  # type: ignore[no-untyped-def]
    """The previous ad, earlier turns and last generation row of a session the user owns."""
    from adgen.copywriter import Turn
    from db import crud
    from db.engine import session_scope

    if session_id is None:
        return None, (), None
    if user_id is None:
        raise validation.ValidationError("대화를 이어가려면 로그인해 주세요.", code="login_required")
    with session_scope(ctx.engine) as s:
        owner = crud.get_session_owner(s, session_id)
        if owner is None:
            # A fresh id chosen by the client starts a new session.
            return None, (), None
        if owner != user_id:
            # Same answer as "doesn't exist": never reveal another user's session.
            raise NotFoundError("대화 세션을 찾을 수 없습니다.", code="session_not_found")
        turns = crud.get_chat_history(s, user_id, session_id)
        row = crud.get_latest_generation_in_session(s, user_id, session_id)
    history = tuple(Turn(role=t["role"], content=t["content"]) for t in turns)
    previous = _copy_from_row(row) if row is not None else None
    return previous, history, row


def _copy_from_row(row: Any) -> CopyResult | None:
    data = row.ad_copy or {}
    try:
        return CopyResult(
            ad_copy=AdCopy(
                headline=data["headline"],
                body=data["body"],
                cta=data["cta"],
                hashtags=list(data.get("hashtags", [])),
                details=data.get("details", ""),
            ),
            image_prompt=data.get("image_prompt", ""),
            negative_prompt=data.get("negative_prompt", ""),
            industry=row.industry or "general",
            style=row.style or "modern",
            tone=data.get("tone", "존댓말"),
            backend=row.copy_backend or "local",
        )
    except (KeyError, ValueError):
        log.warning("generation %s has no usable ad_copy; continuing without it", row.id)
        return None


def _make_images(ctx, copy, aspect_ratio, seed, variants, content_type, control_image, prev_row, previous, mark):  # type: ignore[no-untyped-def]
    """Bare images with their text zones (none for text-only), reusing the session's when only words changed."""
    if content_type == "text":
        return [], None, None, False
    reusable = (
        prev_row is not None
        and previous is not None
        and prev_row.bare_image_hash
        and variants == 1
        and prev_row.aspect_ratio == aspect_ratio
        and previous.image_prompt == copy.image_prompt
        and previous.negative_prompt == copy.negative_prompt
        and previous.style == copy.style
        and (control_image is None or prev_row.input_image_hash is not None)
    )
    if reusable:
        try:
            bare = storage.load_image(ctx.settings.images_dir, prev_row.bare_image_hash)
            mark(70, "기존 이미지를 그대로 쓰고 문구만 바꿨어요")
            zones = TextZones.from_json((prev_row.ad_copy or {}).get("layout"))
            return [(bare, zones)], prev_row.generation_method, prev_row.image_backend, True
        except NotFoundError:
            log.warning("bare image %s missing; regenerating", prev_row.bare_image_hash)

    def image_progress(fraction: float, message: str) -> None:
        mark(40 + int(29 * max(0.0, min(1.0, fraction))), message or "이미지를 그리고 있어요")

    mark(41, "이미지를 그리고 있어요")
    with _gpu_slot(ctx):
        generated = ctx.image_generator.generate(
            copy.image_prompt,
            aspect_ratio,
            seed,
            copy.style,
            control_image,
            negative_prompt=copy.negative_prompt,
            industry=copy.industry,
            num_images=variants,
            progress=image_progress,
        )
    # Each variant has its own layout: text must not cover its product photo, nor a template's motif
    # (same rule, smaller box), and should stay off a template's hero shape.
    backgrounds = [
        (
            g.image,
            TextZones(
                accent=g.palette.accent if g.palette is not None else None,
                keep_clear=g.product_box or g.metadata.get("motif_box"),
                prefer_clear=g.metadata.get("hero_box"),
            ),
        )
        for g in generated
    ]
    return backgrounds, generated[0].metadata.get("method", "t2i"), ctx.image_generator.name, False


@contextmanager
def _gpu_slot(ctx: AdGenContext) -> Iterator[None]:
    ctx.gpu_lock.acquire()
    try:
        yield
    finally:
        ctx.gpu_lock.release()


def _persist(ctx: AdGenContext, task_id: str, user_id: int, input_text: str, upload: Image.Image | None, result: AdResult) -> None:
    """Store files, then every row of this ad in one transaction (retried: nothing is lost on a blip)."""
    from db import crud
    from db.engine import session_scope

    def store(image: Image.Image, file_type: storage.FileType) -> storage.StoredImage:
        return _retry_db(
            lambda: storage.save_image(image, user_id, file_type, engine=ctx.engine, images_dir=ctx.settings.images_dir), task_id
        )

    input_hash = store(upload, "input").hash if upload is not None else None
    for v in result.variants:
        if v.bare_image is not None:
            v.bare_image_url = store(v.bare_image, "generated").url
        if v.image is not None:
            v.image_url = store(v.image, "generated").url

    copy = result.copy
    ad_copy = copy.ad_copy.model_dump() | {
        "image_prompt": copy.image_prompt,
        "negative_prompt": copy.negative_prompt,
        "tone": copy.tone,
    }
    session_id = result.session_id
    assert session_id is not None

    def write() -> None:
        with session_scope(ctx.engine) as s:
            written = {row.seed: row.id for row in crud.generations_of_task(s, task_id)}
            if written:
                # An earlier attempt committed and only its acknowledgement was lost: the turn is stored, whole
                # (one transaction), so it is not written a second time.
                log.warning("task %s: already stored by an earlier attempt; not written again", task_id)
                for v in result.variants:
                    v.history_id = written[v.seed]
                return
            # Extra variants first and the primary last, so "the session's latest generation" is the
            # one the conversation shows and continues from.
            for v in reversed(result.variants):
                row = crud.save_generation_history(
                    s,
                    user_id=user_id,
                    input_text=input_text,
                    content_type=result.content_type,
                    output_url=v.image_url,
                    generation_method=result.generation_method,
                    style=copy.style,
                    industry=copy.industry,
                    seed=v.seed,
                    aspect_ratio=result.aspect_ratio,
                    input_image_hash=input_hash,
                    session_id=session_id,
                    bare_image_hash=storage.hash_from_url(v.bare_image_url),
                    ad_copy=ad_copy | {"layout": v.zones.to_json()},
                    copy_backend=copy.backend,
                    image_backend=result.image_backend,
                    task_id=task_id,
                )
                v.history_id = row.id
            user_msg_id = crud.next_message_id(s, session_id)
            crud.save_chat_message(
                s,
                user_id=user_id,
                session_id=session_id,
                message_id=user_msg_id,
                role="user",
                content=input_text,
                input_image_hash=input_hash,
            )
            crud.save_chat_message(
                s,
                user_id=user_id,
                session_id=session_id,
                message_id=user_msg_id + 1,
                role="assistant",
                content=assistant_text(copy),
                gen_image_url=result.primary.image_url,
            )

    _retry_db(write, task_id)


def assistant_text(copy: CopyResult) -> str:
    """The assistant's chat message for one ad: its copy, then what we could not do as asked ("※ …")."""
    text = copy.ad_copy.as_text()
    return f"{text}\n\n※ {copy.notice}" if copy.notice else text


def _retry_db(fn, task_id: str):  # type: ignore[no-untyped-def]
    """Run a database write, retrying transient failures with backoff (a restart takes seconds)."""
    delay = 0.5
    for attempt in range(1, DB_WRITE_ATTEMPTS + 1):
        try:
            return fn()
        except DatabaseError as exc:
            if attempt == DB_WRITE_ATTEMPTS:
                raise
            log.warning("task %s: database write failed (attempt %d/%d): %s", task_id, attempt, DB_WRITE_ATTEMPTS, exc.context or exc)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def new_session_id() -> str:
    return uuid.uuid4().hex


def check_session_access(ctx: AdGenContext, user_id: int, session_id: str) -> None:
    """Refuse (as "not found") a session id that belongs to another user; a new id is fine."""
    from db import crud
    from db.engine import session_scope

    validation.validate_session_id(session_id)
    with session_scope(ctx.engine) as s:
        owner = crud.get_session_owner(s, session_id)
    if owner is not None and owner != user_id:
        raise NotFoundError("대화 세션을 찾을 수 없습니다.", code="session_not_found")


# --- editing an ad by hand -----------------------------------------------------------------

# Field -> (Korean name, topic particle, object particle): "헤드라인은 ...", "버튼 문구를 ...".
COPY_FIELDS: Final[dict[str, tuple[str, str, str]]] = {
    "headline": ("헤드라인", "은", "을"),
    "body": ("본문", "은", "을"),
    "cta": ("버튼 문구", "는", "를"),
    "hashtags": ("해시태그", "는", "를"),
    "details": ("연락처 줄", "은", "을"),
}
HASHTAG_MAX_CHARS: Final = 30  # one tag, '#' included; the copywriters keep theirs to 12 for the layout
OWNER_COPY_BACKEND: Final = "owner"  # generation_history.copy_backend of an ad whose words the owner wrote
EDIT_TURN_TEXT: Final = "문구 직접 수정"  # the user's chat message (and the row's input_text) for an edit
_DB_INT_MAX: Final = 2**31 - 1  # generation_history.id is an INTEGER: a larger id names no row
# One line: no control character at all (a newline included), nor a lone surrogate (see adgen.validation).
_LINE_FORBIDDEN_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The body may break lines where the owner wants them (the compositor keeps "\n" as a paragraph break).
_BODY_FORBIDDEN_RE: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def copy_max_length(name: str) -> int:
    """The most characters (for ``hashtags``: tags) ``AdCopy`` allows in field ``name``: its limits are written once, there."""
    return next(int(m.max_length) for m in AdCopy.model_fields[name].metadata if hasattr(m, "max_length"))


def _invalid_copy(message: str) -> validation.ValidationError:
    return validation.ValidationError(message, code="invalid_copy")


def _checked_copy_text(name: str, value: object) -> str:
    label, topic, obj = COPY_FIELDS[name]
    limit = copy_max_length(name)
    if not isinstance(value, str):
        raise _invalid_copy(f"{label}{topic} 글자로 입력해 주세요. (입력값: {validation.quoted(value)})")
    if name != "details" and not value.strip():
        raise _invalid_copy(f"{label}{obj} 입력해 주세요.")
    if len(value) > limit:
        raise _invalid_copy(f"{label}{topic} {limit}자 이하로 입력해 주세요. (현재 {len(value)}자)")
    if name != "body" and "\n" in value:
        raise _invalid_copy(f"{label}{topic} 한 줄로 입력해 주세요. 줄바꿈은 본문에만 쓸 수 있어요.")
    if (_BODY_FORBIDDEN_RE if name == "body" else _LINE_FORBIDDEN_RE).search(value):
        raise _invalid_copy(f"{label}에 쓸 수 없는 문자(제어 문자나 깨진 글자)가 있습니다.")
    return value


def _checked_hashtags(value: object) -> list[str]:
    from adgen.copywriter.base import HASHTAG_RE

    limit = copy_max_length("hashtags")
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise _invalid_copy(f'해시태그는 글자의 목록으로 보내 주세요. (예: ["#카페", "#딸기라떼"], 입력값: {validation.quoted(value)})')
    if len(value) > limit:
        raise _invalid_copy(f"해시태그는 {limit}개까지 넣을 수 있어요. (현재 {len(value)}개)")
    for tag in value:
        if len(tag) > HASHTAG_MAX_CHARS:
            raise _invalid_copy(f"해시태그 하나는 {HASHTAG_MAX_CHARS}자 이하로 입력해 주세요. (입력값: {validation.quoted(tag)})")
        if not HASHTAG_RE.fullmatch(tag):
            raise _invalid_copy(
                f"해시태그는 #으로 시작하고, 띄어쓰기 없이 한글·영문·숫자·_만 쓸 수 있어요. (입력값: {validation.quoted(tag)})"
            )
    repeated = next((tag for i, tag in enumerate(value) if tag in value[:i]), None)
    if repeated is not None:
        raise _invalid_copy(f"같은 해시태그가 두 번 들어 있어요: {repeated}")
    return list(value)


def parse_ad_copy(fields: Mapping[str, object]) -> AdCopy:
    """The owner's own words for an ad as an ``AdCopy``; ``ValidationError`` (code ``invalid_copy``) naming the field
    and what is wrong with it, in Korean.

    ``headline``, ``body`` and ``cta`` are required and not blank; ``details`` (the contacts line) may be empty or
    left out; ``hashtags`` is a list of at most 8 tags, each '#' then letters, digits or '_' (``HASHTAG_RE``), none
    twice (an empty list is fine). Only the body may break lines. Lengths are ``AdCopy``'s. Every value is taken as
    typed: nothing is trimmed, shortened or prefixed with '#'.
    """
    unknown = sorted(set(fields) - set(COPY_FIELDS))
    if unknown:
        raise validation.ValidationError(f"알 수 없는 필드입니다: {unknown[0]}", code="unknown_field")
    texts = {name: _checked_copy_text(name, fields.get(name)) for name in ("headline", "body", "cta")}
    details = _checked_copy_text("details", fields.get("details", ""))
    return AdCopy(**texts, details=details, hashtags=_checked_hashtags(fields.get("hashtags", [])))


def edit_ad_copy(ctx: AdGenContext, user_id: int, history_id: int, ad_copy: AdCopy) -> AdResult:
    """Lay the owner's own words on one of their ads: the same picture, the new words, stored as a new ad.

    Nothing is generated again: the row's bare image is loaded by its hash and the edited copy is composed on it
    with the layout zones and accent colour stored with the row (as a text-only refinement reuses them). The new
    ``generation_history`` row keeps the session, bare image, seed, style, industry, ratio, result type, product
    photo and backends of the source row; its ``ad_copy`` is the edited words plus the source's other keys (image
    prompt, tone, layout), ``copy_backend`` is ``"owner"``. When the row belongs to a chat session, the session gains
    a turn ("문구 직접 수정", then the new copy with its image), so the conversation continues from the edited ad and
    the history shows it. A text-only ad gives a text-only ad; an image-only ad keeps its picture without words.

    Args:
        ctx: the context (settings, database).
        user_id: the verified user; only their own rows can be edited.
        history_id: the ``generation_history`` row to start from.
        ad_copy: the words, checked here again with ``parse_ad_copy``'s rules.

    Raises:
        ValidationError: ``invalid_copy`` for the words; the compositor's own (``copy_too_long``...) unchanged.
        NotFoundError: ``history_not_found`` for a row that does not exist or is another user's (one answer, so
            ids cannot be probed); ``bare_image_not_found`` when the row's picture is gone from the store.
        Nothing is stored when it raises.
    """
    from db import crud
    from db.engine import session_scope

    started = time.perf_counter()
    ad_copy = parse_ad_copy(ad_copy.model_dump())
    row = None
    if 1 <= history_id <= _DB_INT_MAX:
        with session_scope(ctx.engine) as s:
            row = crud.get_user_generation(s, user_id=user_id, history_id=history_id)
    if row is None:
        raise NotFoundError("광고를 찾을 수 없습니다.", code="history_not_found")

    kept = {k: v for k, v in (row.ad_copy or {}).items() if k not in AdCopy.model_fields}
    zones = TextZones.from_json(kept.get("layout"))
    bare: Image.Image | None = None
    image: Image.Image | None = None
    if row.bare_image_hash:
        try:
            bare = storage.load_image(ctx.settings.images_dir, row.bare_image_hash)
        except NotFoundError:
            log.error("edit of generation %s: bare image %s missing on disk", history_id, row.bare_image_hash)
            raise NotFoundError(
                "이 광고의 배경 이미지를 찾을 수 없어 문구를 다시 얹을 수 없습니다.", code="bare_image_not_found"
            ) from None
        image = bare
        if row.content_type != "image":
            from adgen.compositor import compose

            image = compose(
                bare,
                ad_copy,
                row.aspect_ratio or "",
                avoid=zones.keep_clear,
                prefer_clear=zones.prefer_clear,
                accent=zones.accent,
                font_path=ctx.settings.font_path,
            ).image

    # An edit id in task_id gives the edit what a generation has: a retried write finds its row and is not stored twice.
    edit_id = uuid.uuid4().hex
    bare_url = storage.image_url(row.bare_image_hash) if row.bare_image_hash else None
    image_url = bare_url
    if image is not None and image is not bare:
        image_url = _retry_db(
            lambda: storage.save_image(image, user_id, "generated", engine=ctx.engine, images_dir=ctx.settings.images_dir).url,
            edit_id,
        )

    def write() -> int:
        with session_scope(ctx.engine) as s:
            written = crud.generations_of_task(s, edit_id)
            if written:
                log.warning("edit %s: already stored by an earlier attempt; not written again", edit_id)
                return int(written[0].id)  # type: ignore[arg-type]
            new = crud.save_generation_history(
                s,
                user_id=user_id,
                input_text=EDIT_TURN_TEXT,
                content_type=row.content_type,
                output_url=image_url,
                generation_method=row.generation_method,
                style=row.style,
                industry=row.industry,
                seed=row.seed,
                aspect_ratio=row.aspect_ratio,
                input_image_hash=row.input_image_hash,
                session_id=row.session_id,
                bare_image_hash=row.bare_image_hash,
                ad_copy=kept | ad_copy.model_dump(),
                copy_backend=OWNER_COPY_BACKEND,
                image_backend=row.image_backend,
                task_id=edit_id,
            )
            if row.session_id is not None:
                message_id = crud.next_message_id(s, row.session_id)
                for offset, role, content, url in ((0, "user", EDIT_TURN_TEXT, None), (1, "assistant", ad_copy.as_text(), image_url)):
                    crud.save_chat_message(
                        s, user_id=user_id, session_id=row.session_id, message_id=message_id + offset, role=role, content=content,
                        gen_image_url=url,
                    )  # fmt: skip
            return int(new.id)  # type: ignore[arg-type]

    new_id = _retry_db(write, edit_id)
    source = _copy_from_row(row)
    copy = (
        source.model_copy(update={"ad_copy": ad_copy, "backend": OWNER_COPY_BACKEND, "fallback_used": False})
        if source is not None
        else CopyResult(
            ad_copy=ad_copy, image_prompt="", industry=row.industry or "general", style=row.style or "modern", tone="존댓말",
            backend=OWNER_COPY_BACKEND,
        )  # fmt: skip
    )
    seed = row.seed if row.seed is not None else 0
    result = AdResult(
        session_id=row.session_id,
        copy=copy,
        variants=[AdVariant(image=image, bare_image=bare, seed=seed, image_url=image_url, bare_image_url=bare_url, history_id=new_id,
                            zones=zones)],  # fmt: skip
        aspect_ratio=row.aspect_ratio or "",
        content_type=row.content_type or "both",
        generation_method=row.generation_method,
        image_backend=row.image_backend,
        reused_image=bare is not None,
        elapsed_s=time.perf_counter() - started,
    )
    log.info(
        "generation %s edited by its owner: new generation %s (user=%s session=%s) %.2fs",
        history_id, new_id, user_id, row.session_id, result.elapsed_s,
    )  # fmt: skip
    return result


# --- accounts and history (thin, so the UI and REST layers share one path) ----------------


def get_generation_history(ctx: AdGenContext, user_id: int, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    from db import crud
    from db.engine import session_scope

    limit = max(1, min(int(limit), 100))
    offset = max(0, int(offset))
    with session_scope(ctx.engine) as s:
        rows = crud.get_generation_history(s, user_id, limit=limit, offset=offset)
        return [
            {
                "id": r.id,
                "output_url": r.output_url,
                "bare_image_url": storage.image_url(r.bare_image_hash) if r.bare_image_hash else None,
                "created_at": r.created_at,
                "style": r.style,
                "aspect_ratio": r.aspect_ratio,
                "input_text": r.input_text,
                "content_type": r.content_type,
                "industry": r.industry,
                "seed": r.seed,
                "generation_method": r.generation_method,
                "session_id": r.session_id,
                "ad_copy": r.ad_copy,
            }
            for r in rows
        ]


def get_chat_sessions(ctx: AdGenContext, user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    from db import crud
    from db.engine import session_scope

    limit = max(1, min(int(limit), 100))
    with session_scope(ctx.engine) as s:
        return crud.get_chat_sessions(s, user_id, limit=limit)


def get_chat_history(ctx: AdGenContext, user_id: int, session_id: str) -> list[dict[str, Any]]:
    from db import crud
    from db.engine import session_scope

    validation.validate_session_id(session_id)
    with session_scope(ctx.engine) as s:
        messages = crud.get_chat_history(s, user_id, session_id)
    if not messages:
        raise NotFoundError("대화 세션을 찾을 수 없습니다.", code="session_not_found")
    return messages


def get_session_format(ctx: AdGenContext, user_id: int, session_id: str) -> dict[str, str] | None:
    """``aspect_ratio`` and ``content_type`` of the session's latest ad: what its next turn should keep.
    None when the user has no ad in that session (another user's sessions included)."""
    latest = get_latest_ad(ctx, user_id, session_id)
    return {"aspect_ratio": latest["aspect_ratio"], "content_type": latest["content_type"]} if latest is not None else None


def get_latest_ad(ctx: AdGenContext, user_id: int, session_id: str) -> dict[str, Any] | None:
    """The session's latest ad of this user, the one its next turn (or a hand edit) starts from: ``history_id``,
    ``aspect_ratio``, ``content_type`` and ``ad_copy`` (its words as ``AdCopy`` fields, None when the row has none
    usable). None when the user has no ad in that session (another user's sessions included)."""
    from db import crud
    from db.engine import session_scope

    validation.validate_session_id(session_id)
    with session_scope(ctx.engine) as s:
        row = crud.get_latest_generation_in_session(s, user_id, session_id)
        if row is None:
            return None
        copy = _copy_from_row(row)
        return {
            "history_id": row.id,
            "aspect_ratio": row.aspect_ratio,
            "content_type": row.content_type,
            "ad_copy": copy.ad_copy.model_dump() if copy is not None else None,
        }


def open_owned_image(ctx: AdGenContext, user_id: int, file_hash: str) -> Any:
    """The path of an image the user owns; NotFoundError for anything else (also other users')."""
    from db import crud
    from db.engine import session_scope

    if not storage.HASH_RE.fullmatch(file_hash):
        raise NotFoundError("이미지를 찾을 수 없습니다.", code="image_not_found")
    with session_scope(ctx.engine) as s:
        owned = crud.user_owns_image(s, user_id=user_id, file_hash=file_hash)
    path = storage.path_for(ctx.settings.images_dir, file_hash)
    if not owned or not path.is_file():
        raise NotFoundError("이미지를 찾을 수 없습니다.", code="image_not_found")
    return path
