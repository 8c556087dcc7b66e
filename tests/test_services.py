"""create_advertisement end to end on real PostgreSQL with the real offline backends."""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from adgen import auth, storage
from adgen.errors import CopyApiError, DatabaseError, GpuOutOfMemoryError, NotFoundError, ValidationError
from adgen.services import (
    AdGenContext,
    create_advertisement,
    edit_ad_copy,
    get_chat_history,
    get_chat_sessions,
    get_generation_history,
    open_owned_image,
    parse_ad_copy,
)


@pytest.fixture
def ctx(settings, engine) -> AdGenContext:  # type: ignore[no-untyped-def]
    s = settings.model_copy(update={"copywriter_backend": "local", "image_backend": "template"})
    return AdGenContext.from_settings(s, engine)


@pytest.fixture
def user_id(settings, engine) -> int:  # type: ignore[no-untyped-def]
    return auth.register_user("owner01", "Cafe-Latte-2026!", engine=engine, settings=settings)


def count(engine, table: str, where: str = "TRUE", **params: Any) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(f'SELECT count(*) FROM {table} WHERE {where}'), params).scalar_one()


def run(ctx: AdGenContext, user_id: int | None, input_text: str = "카페 신메뉴 딸기라떼 홍보", ratio: str = "1:1", **kw: Any):  # type: ignore[no-untyped-def]
    tasks: dict[str, dict[str, Any]] = {}
    marks: list[tuple[float, str]] = []
    task_id = uuid.uuid4().hex
    result = create_advertisement(
        task_id, user_id, input_text, ratio, tasks, progress=lambda f, m: marks.append((f, m)), ctx=ctx, **kw
    )
    return result, tasks[task_id], marks


def test_full_ad_is_stored_in_all_tables(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    result, task, marks = run(ctx, user_id)
    assert task["status"] == "completed" and task["progress"] == 100
    public = task["result"]
    assert public["image_url"].startswith("/api/v1/images/") and public["session_id"]
    assert public["ad_copy"]["headline"]
    # the seed's progress marks, in order, never going back
    pcts = [round(f * 100) for f, _ in marks]
    assert pcts == sorted(pcts)
    for mark in (10, 30, 40, 70, 80, 100):
        assert mark in pcts
    assert all(m for _, m in marks)
    assert count(engine, "generation_history", "user_id = :u", u=user_id) == 1
    assert count(engine, "chat_history", "session_id = :s", s=result.session_id) == 2
    assert count(engine, "image_matching", "file_type = 'generated'") == 2  # with text + bare
    final = storage.hash_from_url(public["image_url"])
    bare = storage.hash_from_url(public["bare_image_url"])
    assert final != bare
    for h in (final, bare):
        path = open_owned_image(ctx, user_id, h)
        with Image.open(path) as im:
            assert im.size == (1024, 1024)
    history = get_generation_history(ctx, user_id)
    assert history[0]["id"] == public["history_id"] and history[0]["industry"] == public["industry"]
    messages = get_chat_history(ctx, user_id, result.session_id)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == "카페 신메뉴 딸기라떼 홍보"
    assert messages[1]["gen_image_url"] == public["image_url"]
    assert result.copy.ad_copy.headline in messages[1]["content"]


@pytest.mark.parametrize(("ratio", "size"), [("1:1", (1024, 1024)), ("4:3", (1152, 864)), ("3:4", (864, 1152))])
def test_each_ratio_gives_its_size(ctx: AdGenContext, user_id: int, ratio: str, size: tuple[int, int]) -> None:
    result, _, _ = run(ctx, user_id, ratio=ratio)
    assert result.primary.image is not None and result.primary.image.size == size


def test_text_only_skips_the_image(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    result, task, _ = run(ctx, user_id, content_type="text")
    assert task["result"]["image_url"] is None and result.primary.image is None
    assert count(engine, "image_matching") == 0
    row = get_generation_history(ctx, user_id)[0]
    assert row["output_url"] is None and row["content_type"] == "text"


def test_image_only_skips_the_overlay(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    result, task, _ = run(ctx, user_id, content_type="image")
    assert task["result"]["image_url"] == task["result"]["bare_image_url"]
    assert count(engine, "image_matching") == 1


def test_product_photo_is_recorded_as_input(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    photo = Image.new("RGB", (300, 400), (180, 40, 60))
    result, task, _ = run(ctx, user_id, image=photo)
    assert count(engine, "image_matching", "file_type = 'input'") == 1
    with engine.connect() as conn:
        row = conn.execute(text("SELECT input_image_hash FROM generation_history")).one()
    assert row.input_image_hash and len(row.input_image_hash) == 64
    assert result.primary.zones.keep_clear is not None


def test_each_variant_keeps_its_copy_off_its_own_product_photo(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    """Variants are different layouts (seed 5: product at the top in one, at the bottom in another); each
    one's text must keep off its own photo, and its row must remember its own zones for later turns."""
    photo = Image.new("RGB", (600, 400), (180, 40, 60))
    result, _, _ = run(ctx, user_id, image=photo, variants=4, seed=5)
    boxes = [v.zones.keep_clear for v in result.variants]
    assert all(boxes) and len(set(boxes)) > 1, boxes
    for v in result.variants:
        x0, y0, x1, y1 = v.zones.keep_clear
        assert v.zones.prefer_clear is not None
        final, bare = np.asarray(v.image)[y0:y1, x0:x1], np.asarray(v.bare_image)[y0:y1, x0:x1]
        assert np.array_equal(final, bare), f"text or scrim drawn over the product photo of seed {v.seed}"
        assert not np.array_equal(np.asarray(v.image), np.asarray(v.bare_image)), "the copy was laid out"
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT seed, ad_copy->'layout'->'keep_clear' FROM generation_history")).all())
    assert stored == {v.seed: list(v.zones.keep_clear) for v in result.variants}


def test_session_continuation_text_change_reuses_image(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    first, _, _ = run(ctx, user_id)
    second, task, _ = run(ctx, user_id, "문구를 짧게", session_id=first.session_id)
    assert second.session_id == first.session_id
    assert second.reused_image is True
    assert second.primary.seed == first.primary.seed
    assert second.primary.bare_image_url == first.primary.bare_image_url
    # Laid out by the same zones as the first turn (read back from its row), hero shape included.
    assert second.primary.zones == first.primary.zones and first.primary.zones.prefer_clear is not None
    assert len(second.copy.ad_copy.body) <= len(first.copy.ad_copy.body)
    ids = [m["message_id"] for m in get_chat_history(ctx, user_id, first.session_id)]
    assert ids == [1, 2, 3, 4]
    sessions = get_chat_sessions(ctx, user_id)
    assert len(sessions) == 1 and sessions[0]["first_message"] == "카페 신메뉴 딸기라떼 홍보"


def test_session_continuation_image_change_keeps_copy(ctx: AdGenContext, user_id: int) -> None:
    first, _, _ = run(ctx, user_id)
    second, _, _ = run(ctx, user_id, "더 밝게", session_id=first.session_id)
    assert second.reused_image is False
    assert second.copy.ad_copy == first.copy.ad_copy
    assert second.primary.seed == first.primary.seed
    assert second.primary.bare_image_url != first.primary.bare_image_url


def test_another_users_session_is_not_found_and_nothing_stored(ctx: AdGenContext, user_id: int, settings, engine) -> None:  # type: ignore[no-untyped-def]
    first, _, _ = run(ctx, user_id)
    intruder = auth.register_user("intruder1", "Cafe-Latte-2026!", engine=engine, settings=settings)
    before = count(engine, "chat_history")
    with pytest.raises(NotFoundError):
        run(ctx, intruder, "문구를 짧게", session_id=first.session_id)
    assert count(engine, "chat_history") == before
    assert count(engine, "generation_history", "user_id = :u", u=intruder) == 0
    with pytest.raises(NotFoundError):
        get_chat_history(ctx, intruder, first.session_id)
    with pytest.raises(NotFoundError):
        open_owned_image(ctx, intruder, storage.hash_from_url(first.primary.image_url))


def test_guest_stores_nothing(ctx: AdGenContext, engine) -> None:  # type: ignore[no-untyped-def]
    result, task, _ = run(ctx, None)
    assert result.primary.image is not None and result.session_id is None
    assert task["result"]["image_url"] is None
    assert count(engine, "generation_history") == count(engine, "image_matching") == 0


def test_variants_are_distinct_and_all_stored(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    result, task, _ = run(ctx, user_id, variants=3)
    assert len(result.variants) == 3
    urls = {v.image_url for v in result.variants}
    assert len(urls) == 3
    assert [v.seed for v in result.variants] == [result.primary.seed + i for i in range(3)]
    assert count(engine, "generation_history", "user_id = :u", u=user_id) == 3
    # the conversation continues from the primary variant
    assert get_chat_history(ctx, user_id, result.session_id)[1]["gen_image_url"] == result.primary.image_url


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"input_text": "   "}, "empty_input"),
        ({"input_text": "가" * 501}, "input_too_long"),
        ({"input_text": "\ud800"}, "invalid_characters"),  # passed once, ran the generation, broke at the database write
        ({"input_text": "카페 \ud83d 홍보"}, "invalid_characters"),  # half an emoji
        ({"input_text": "카페\x85홍보"}, "invalid_characters"),  # C1 control
        ({"style": "모던\udfff"}, "invalid_style"),
        ({"style": "모던\x9b"}, "invalid_style"),
        ({"ratio": "16:9"}, "invalid_aspect_ratio"),
        ({"content_type": "video"}, "invalid_content_type"),
        ({"variants": 9}, "invalid_variants"),
        ({"session_id": "../../etc"}, "invalid_session_id"),
    ],
)
def test_bad_input_fails_the_task_and_stores_nothing(ctx: AdGenContext, user_id: int, engine, kwargs, code) -> None:  # type: ignore[no-untyped-def]
    tasks: dict[str, dict[str, Any]] = {}
    args = {"input_text": "카페 홍보", "ratio": "1:1"} | kwargs
    with pytest.raises(ValidationError) as err:
        create_advertisement(
            "t1", user_id, args.pop("input_text"), args.pop("ratio"), tasks, ctx=ctx, **args
        )
    assert err.value.code == code
    assert tasks["t1"]["status"] == "failed" and tasks["t1"]["error_code"] == code
    assert count(engine, "generation_history") == count(engine, "image_matching") == 0


class FailingImages:
    """The real template generator, failing on demand (a GPU that runs out of memory)."""

    def __init__(self, inner: Any, exc: Exception) -> None:
        self.inner, self.exc, self.name = inner, exc, inner.name

    def generate(self, *a: Any, **kw: Any) -> Any:
        raise self.exc


class FailingCopy:
    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name

    def write(self, request: Any) -> Any:
        raise CopyApiError(context="upstream 500")


def test_gpu_out_of_memory_has_its_own_code(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    ctx.image_generator = FailingImages(ctx.image_generator, GpuOutOfMemoryError())
    with pytest.raises(GpuOutOfMemoryError):
        _, task, _ = run(ctx, user_id)
    assert count(engine, "generation_history") == 0 and count(engine, "chat_history") == 0


def test_copy_api_error_has_its_own_code(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    ctx.copywriter = FailingCopy(ctx.copywriter)
    tasks: dict[str, dict[str, Any]] = {}
    with pytest.raises(CopyApiError):
        create_advertisement("t2", user_id, "카페 홍보", "1:1", tasks, ctx=ctx)
    assert tasks["t2"]["error_code"] == "copy_api_error"
    assert count(engine, "generation_history") == 0


def test_database_blip_after_image_is_retried_and_loses_nothing(ctx: AdGenContext, user_id: int, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from db import crud

    real = crud.save_chat_message
    calls = {"n": 0}

    def flaky(*a: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise DatabaseError(context="connection reset (injected)")
        return real(*a, **kw)

    monkeypatch.setattr(crud, "save_chat_message", flaky)
    monkeypatch.setattr("adgen.services.time.sleep", lambda s: None)
    result, task, _ = run(ctx, user_id)
    assert task["status"] == "completed"
    assert count(engine, "generation_history") == 1  # the failed attempts rolled back whole
    assert count(engine, "chat_history") == 2
    assert open_owned_image(ctx, user_id, storage.hash_from_url(result.primary.image_url)).is_file()


def test_database_down_fails_with_its_code_and_no_half_rows(ctx: AdGenContext, user_id: int, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from db import crud

    def down(*a: Any, **kw: Any) -> Any:
        raise DatabaseError(context="server closed the connection (injected)")

    monkeypatch.setattr(crud, "save_chat_message", down)
    monkeypatch.setattr("adgen.services.time.sleep", lambda s: None)
    tasks: dict[str, dict[str, Any]] = {}
    with pytest.raises(DatabaseError):
        create_advertisement("t3", user_id, "카페 홍보", "1:1", tasks, ctx=ctx)
    assert tasks["t3"]["error_code"] == "database_error"
    assert count(engine, "generation_history") == 0 and count(engine, "chat_history") == 0
    # every stored file is referenced by image_matching: no orphans
    on_disk = {p.stem for p in ctx.settings.images_dir.rglob("*.png")}
    with engine.connect() as conn:
        recorded = {r[0] for r in conn.execute(text("SELECT file_hash FROM image_matching"))}
    assert on_disk == recorded


def test_concurrent_turns_in_one_session_get_distinct_message_ids(ctx: AdGenContext, user_id: int) -> None:
    first, _, _ = run(ctx, user_id)
    errors: list[BaseException] = []

    def turn(text_: str) -> None:
        try:
            run(ctx, user_id, text_, session_id=first.session_id)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=turn, args=(t,)) for t in ("문구를 짧게", "반말로", "가격 강조해줘")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = [m["message_id"] for m in get_chat_history(ctx, user_id, first.session_id)]
    assert ids == list(range(1, 9))


def test_tiny_sdxl_backend_end_to_end(settings, engine, user_id: int) -> None:  # type: ignore[no-untyped-def]
    s = settings.model_copy(update={"copywriter_backend": "local", "image_backend": "tiny", "sdxl_steps": 2})
    tiny_ctx = AdGenContext.from_settings(s, engine)
    result, task, marks = run(tiny_ctx, user_id, ratio="3:4")
    assert task["result"]["image_backend"] == "tiny" and task["result"]["generation_method"] == "t2i"
    assert result.primary.image.size == (864, 1152)
    photo = Image.new("RGB", (200, 200), (20, 120, 200))
    result2, task2, _ = run(tiny_ctx, user_id, image=photo)
    assert task2["result"]["generation_method"] == "controlnet"


# --- edit_ad_copy: the owner's own words on the same picture ------------------------------------

OWNER_WORDS = {"headline": "사장님 추천 딸기라떼", "body": "설향 딸기를 매일 아침 갈아 넣어요.", "cta": "지금 주문하기",
               "hashtags": ["#딸기라떼"], "details": "02-123-4567"}  # fmt: skip


def test_owner_words_are_taken_as_typed() -> None:
    words = parse_ad_copy(OWNER_WORDS | {"headline": "  띄어 쓴 제목 ", "body": "첫 줄\n둘째 줄"})
    assert words.headline == "  띄어 쓴 제목 " and words.body == "첫 줄\n둘째 줄"  # nothing trimmed or rewritten
    assert parse_ad_copy({k: v for k, v in OWNER_WORDS.items() if k not in ("details", "hashtags")}).hashtags == []
    with pytest.raises(ValidationError) as exc:
        parse_ad_copy(OWNER_WORDS | {"seed": 1})
    assert exc.value.code == "unknown_field"
    with pytest.raises(ValidationError) as exc:
        parse_ad_copy(OWNER_WORDS | {"hashtags": ["#카페", "#라떼", "#카페"]})
    assert exc.value.code == "invalid_copy" and "#카페" in exc.value.message


def test_an_edit_whose_acknowledgement_is_lost_is_stored_once(ctx: AdGenContext, user_id: int, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """COMMIT of the edit succeeds and the database error comes after: the retry finds the edit's row (its id is in
    task_id, as a generation's task id is) and writes nothing a second time."""
    import db.engine
    from db.models import GenerationHistory

    result, _, _ = run(ctx, user_id)
    real = db.engine.session_scope
    lost: list[int] = []

    @contextmanager
    def lossy(engine):  # type: ignore[no-untyped-def]
        with real(engine) as s:
            yield s
            edits = [o for o in s.identity_map.values() if isinstance(o, GenerationHistory) and o.copy_backend == "owner"]
        if edits and not lost:
            lost.append(int(edits[0].id))
            raise DatabaseError(context="acknowledgement lost (injected)")

    monkeypatch.setattr(db.engine, "session_scope", lossy)
    monkeypatch.setattr("adgen.services.time.sleep", lambda s: None)
    edited = edit_ad_copy(ctx, user_id, result.primary.history_id, parse_ad_copy(OWNER_WORDS))
    assert lost == [edited.primary.history_id]
    assert count(engine, "generation_history", "copy_backend = 'owner'") == 1
    assert count(engine, "chat_history") == 4


def test_an_edit_without_its_bare_image_is_refused_and_nothing_is_drawn_again(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    result, _, _ = run(ctx, user_id)
    storage.path_for(ctx.settings.images_dir, storage.hash_from_url(result.primary.bare_image_url) or "").unlink()
    with pytest.raises(NotFoundError) as exc:
        edit_ad_copy(ctx, user_id, result.primary.history_id, parse_ad_copy(OWNER_WORDS))
    assert exc.value.code == "bare_image_not_found"
    assert count(engine, "generation_history") == 1 and count(engine, "chat_history") == 2


def test_an_edit_of_a_row_outside_any_session_adds_no_chat_turn(ctx: AdGenContext, user_id: int, engine) -> None:  # type: ignore[no-untyped-def]
    result, _, _ = run(ctx, user_id)
    with engine.begin() as conn:  # as a row from before sessions were stored with it
        conn.execute(text("UPDATE generation_history SET session_id = NULL"))
    edited = edit_ad_copy(ctx, user_id, result.primary.history_id, parse_ad_copy(OWNER_WORDS))
    assert edited.session_id is None and edited.primary.image_url != result.primary.image_url
    assert count(engine, "generation_history", "session_id IS NULL") == 2 and count(engine, "chat_history") == 2
    assert get_generation_history(ctx, user_id)[0]["id"] == edited.primary.history_id


@pytest.mark.parametrize("history_id", [0, -5, 2**31, 10**12])
def test_ids_outside_the_column_are_not_found(ctx: AdGenContext, user_id: int, history_id: int) -> None:
    with pytest.raises(NotFoundError) as exc:
        edit_ad_copy(ctx, user_id, history_id, parse_ad_copy(OWNER_WORDS))
    assert exc.value.code == "history_not_found"
