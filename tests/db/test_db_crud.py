"""db.crud on real PostgreSQL: normal cases, empty results, constraints, transactions, plans."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DataError, IntegrityError

from db import crud
from db.engine import session_scope
from db.models import GenerationHistory

HASH_A = "a" * 64
HASH_B = "b" * 64


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_user(engine: Engine, login_id: str = "user01") -> int:
    with session_scope(engine) as s:
        user_id = crud.create_user(s, login_id=login_id, hashed_pw="$2b$04$" + "x" * 53).user_id
    assert user_id is not None
    return user_id


def generation(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "user_id": None,
        "input_text": "카페 신메뉴 홍보",
        "content_type": "both",
        "output_url": f"/api/v1/images/{HASH_A}.png",
        "generation_method": "t2i",
        "style": "밝고 따뜻한",
        "industry": "cafe",
        "seed": 42,
        "aspect_ratio": "1:1",
    }
    return values | overrides


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def constraint_of(exc: pytest.ExceptionInfo[IntegrityError]) -> str | None:
    return exc.value.orig.diag.constraint_name  # type: ignore[union-attr]


# --- users -------------------------------------------------------------------------------


def test_create_and_get_user(engine: Engine) -> None:
    before = utcnow()
    with session_scope(engine) as s:
        user = crud.create_user(s, login_id="testuser", hashed_pw="hash")
    assert user.user_id == 1 and user.login_id == "testuser" and user.login_pw == "hash"
    # Server default CURRENT_TIMESTAMP, in UTC (the engine sets timezone=UTC per connection).
    assert user.created_at is not None and before - timedelta(seconds=5) <= user.created_at <= utcnow() + timedelta(seconds=5)
    with session_scope(engine) as s:
        found = crud.get_user_by_login_id(s, "testuser")
        assert found is not None and found.user_id == user.user_id
        assert crud.get_user(s, user.user_id) is not None


def test_get_user_by_login_id_unknown_is_none(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert crud.get_user_by_login_id(s, "nobody") is None
        assert crud.get_user(s, 999) is None


def test_check_duplicate_id(engine: Engine) -> None:
    new_user(engine, "Taken01")
    with session_scope(engine) as s:
        assert crud.check_duplicate_id(s, "Taken01") is True
        assert crud.check_duplicate_id(s, "free01") is False
        assert crud.check_duplicate_id(s, "TAKEN01") is True  # ids are unique in any letter case
        assert crud.check_duplicate_id(s, "taken01") is True


def test_create_user_stores_the_login_key(engine: Engine) -> None:
    new_user(engine, "MiXed01")
    with engine.connect() as conn:
        assert conn.execute(text('SELECT login_id, login_key FROM "user"')).one() == ("MiXed01", "mixed01")


def test_duplicate_login_id_in_another_case_violates_the_key_constraint(engine: Engine) -> None:
    new_user(engine, "Case01")
    with pytest.raises(IntegrityError) as exc, session_scope(engine) as s:
        crud.create_user(s, login_id="CASE01", hashed_pw="h")
    assert constraint_of(exc) == "user_login_key_key"
    assert count(engine, "user") == 1


def test_get_user_for_login_prefers_the_exact_id(engine: Engine) -> None:
    # Two accounts from before ids were case-insensitive: the later one has no key (see db.engine.fill_login_keys).
    first, second = new_user(engine, "Owner01"), new_user(engine, "other01")
    with engine.begin() as conn:
        conn.execute(text("""UPDATE "user" SET login_id = 'owner01', login_key = NULL WHERE user_id = :id"""), {"id": second})
    with session_scope(engine) as s:
        typed = ("Owner01", "owner01", "OWNER01", "nobody")
        found = {login_id: getattr(crud.get_user_for_login(s, login_id), "user_id", None) for login_id in typed}
        assert crud.get_user_by_login_id(s, "OWNER01") is None  # the exact look-up stays exact
    assert found == {"Owner01": first, "owner01": second, "OWNER01": first, "nobody": None}


def test_duplicate_login_id_violates_unique_constraint(engine: Engine) -> None:
    new_user(engine, "twice01")
    with pytest.raises(IntegrityError) as exc, session_scope(engine) as s:
        crud.create_user(s, login_id="twice01", hashed_pw="h")
    assert constraint_of(exc) == "user_login_id_key"
    assert count(engine, "user") == 1


def test_login_id_longer_than_column_is_refused(engine: Engine) -> None:
    with pytest.raises(DataError), session_scope(engine) as s:
        crud.create_user(s, login_id="x" * 51, hashed_pw="h")


def test_delete_user_sets_history_null_and_drops_ownership(engine: Engine) -> None:
    user_id = new_user(engine)
    with session_scope(engine) as s:
        crud.save_generation_history(s, **generation(user_id=user_id))
        crud.save_chat_message(s, user_id=user_id, session_id="sess0001", message_id=1, role="user", content="안녕")
        crud.save_image_matching(s, file_hash=HASH_A, file_directory="images/aa", file_type="generated", user_id=user_id)
    with session_scope(engine) as s:
        assert crud.delete_user(s, user_id) is True
        assert crud.delete_user(s, user_id) is False
    with engine.connect() as conn:
        assert conn.execute(text("SELECT user_id FROM generation_history")).all() == [(None,)]
        assert conn.execute(text("SELECT user_id FROM chat_history")).all() == [(None,)]
    assert count(engine, "image_ownership") == 0
    assert count(engine, "image_matching") == 1  # the file record stays; nobody may see it now


# --- generation history ------------------------------------------------------------------


def test_save_generation_history_stores_every_field(engine: Engine) -> None:
    user_id = new_user(engine)
    ad_copy = {"headline": "딸기라떼 출시!", "body": "상큼한 봄", "cta": "지금 주문", "hashtags": ["#카페"], "tone": "존댓말"}
    with session_scope(engine) as s:
        row = crud.save_generation_history(
            s,
            **generation(user_id=user_id),
            input_image_hash=HASH_B,
            session_id="sess0001",
            bare_image_hash=HASH_A,
            ad_copy=ad_copy,
            copy_backend="local",
            image_backend="template",
        )
    assert row.id == 1 and row.created_at is not None
    with session_scope(engine) as s:
        stored = crud.get_generation(s, 1)
    assert stored is not None
    assert (stored.input_image_hash, stored.session_id, stored.bare_image_hash) == (HASH_B, "sess0001", HASH_A)
    assert stored.ad_copy == ad_copy and (stored.copy_backend, stored.image_backend) == ("local", "template")
    with engine.connect() as conn:  # JSONB, queryable, Korean kept as text
        headline = conn.execute(text("SELECT ad_copy->>'headline' FROM generation_history")).scalar_one()
    assert headline == "딸기라떼 출시!"


def test_seed_shaped_row_without_additions(engine: Engine) -> None:
    with session_scope(engine) as s:
        row = crud.save_generation_history(s, **generation(content_type=None, generation_method=None, aspect_ratio=None, seed=None))
    assert row.session_id is None and row.ad_copy is None


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("content_type", "video", "generation_history_content_type_check"),
        ("generation_method", "img2img", "generation_history_generation_method_check"),
        ("aspect_ratio", "16:9", "generation_history_aspect_ratio_check"),
        ("aspect_ratio", "1:1 ", "generation_history_aspect_ratio_check"),
        ("input_text", None, None),  # NOT NULL
        ("user_id", 999, "generation_history_user_id_fkey"),
    ],
)
def test_save_generation_history_constraints(engine: Engine, field: str, value: object, constraint: str | None) -> None:
    with pytest.raises(IntegrityError) as exc, session_scope(engine) as s:
        crud.save_generation_history(s, **generation(**{field: value}))
    if constraint is not None:
        assert constraint_of(exc) == constraint
    assert count(engine, "generation_history") == 0


def test_get_generation_history_newest_first_with_paging(engine: Engine) -> None:
    me, other = new_user(engine, "me0001"), new_user(engine, "other01")
    for i in range(5):
        with session_scope(engine) as s:  # separate transactions: distinct created_at
            crud.save_generation_history(s, **generation(user_id=me, input_text=f"요청 {i}"))
    with session_scope(engine) as s:
        crud.save_generation_history(s, **generation(user_id=other, input_text="남의 것"))
    with session_scope(engine) as s:
        texts = [r.input_text for r in crud.get_generation_history(s, me)]
        page = [r.input_text for r in crud.get_generation_history(s, me, limit=2, offset=2)]
    assert texts == ["요청 4", "요청 3", "요청 2", "요청 1", "요청 0"]
    assert page == ["요청 2", "요청 1"]


def test_get_generation_history_breaks_timestamp_ties_by_id(engine: Engine) -> None:
    me = new_user(engine)
    with session_scope(engine) as s:  # one transaction: one CURRENT_TIMESTAMP for all three
        ids = [crud.save_generation_history(s, **generation(user_id=me)).id for _ in range(3)]
    with session_scope(engine) as s:
        rows = crud.get_generation_history(s, me)
    assert len({r.created_at for r in rows}) == 1
    assert [r.id for r in rows] == sorted(ids, reverse=True)


def test_get_generation_history_empty(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert crud.get_generation_history(s, 999) == []  # the seed's "unknown user" case


def test_get_generation_history_refuses_bad_paging(engine: Engine) -> None:
    with session_scope(engine) as s, pytest.raises(ValueError, match="limit"):
        crud.get_generation_history(s, 1, limit=0)
    with session_scope(engine) as s, pytest.raises(ValueError, match="offset"):
        crud.get_generation_history(s, 1, offset=-1)


def test_get_generation_missing_is_none(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert crud.get_generation(s, 12345) is None


def test_get_latest_generation_in_session(engine: Engine) -> None:
    me, other = new_user(engine, "me0001"), new_user(engine, "other01")
    for text_ in ("첫 번째", "두 번째"):
        with session_scope(engine) as s:
            crud.save_generation_history(s, **generation(user_id=me, session_id="sess0001", input_text=text_))
    with session_scope(engine) as s:
        crud.save_generation_history(s, **generation(user_id=me, session_id="sess0002", input_text="다른 세션"))
        crud.save_generation_history(s, **generation(user_id=other, session_id="sess0001", input_text="남의 것"))
    with session_scope(engine) as s:
        latest = crud.get_latest_generation_in_session(s, me, "sess0001")
        assert latest is not None and latest.input_text == "두 번째"
        assert crud.get_latest_generation_in_session(s, me, "nosuchsession") is None


def test_history_query_walks_the_composite_index_without_sorting(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO "user" (login_id, login_pw) SELECT 'user' || g, 'h' FROM generate_series(1, 50) AS g"""))
        # 20,000 rows over 50 users, spread over a year; every 7th row ties with its neighbour on created_at.
        conn.execute(
            text(
                """
                INSERT INTO generation_history (user_id, input_text, content_type, aspect_ratio, created_at)
                SELECT 1 + g % 50, '요청 ' || g, 'both', '1:1', TIMESTAMP '2026-01-01' + ((g - g % 7) * INTERVAL '25 minutes')
                FROM generate_series(1, 20000) AS g
                """
            )
        )
        conn.execute(text("ANALYZE generation_history"))
    # First pages (the UI shows 20 at a time). Deep offsets over a scattered user may rightly switch
    # to a bitmap scan plus a sort of that user's rows: cheaper than many random heap reads.
    for offset in (0, 20):
        statement = crud.generation_history_query(7, limit=20, offset=offset)
        sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar_one()
        plan = plan if isinstance(plan, list) else json.loads(plan)
        nodes = list(walk(plan[0]["Plan"]))
        assert not [n["Node Type"] for n in nodes if "Sort" in n["Node Type"]], nodes
        assert any(n.get("Index Name") == "idx_gen_user_created" for n in nodes), nodes
    with session_scope(engine) as s:
        rows = crud.get_generation_history(s, 7, limit=20)
    keys = [(r.created_at, r.id) for r in rows]
    assert len(rows) == 20 and keys == sorted(keys, reverse=True)


def walk(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


# --- chat --------------------------------------------------------------------------------


def test_save_chat_message_and_history_in_message_order(engine: Engine) -> None:
    me = new_user(engine)
    with session_scope(engine) as s:
        for mid, role in ((2, "assistant"), (1, "user"), (3, "user")):
            crud.save_chat_message(s, user_id=me, session_id="sess0001", message_id=mid, role=role, content=f"m{mid}")
        crud.save_chat_message(
            s, user_id=me, session_id="sess0001", message_id=4, role="assistant", content="m4",
            input_image_hash=None, gen_image_url="/api/v1/images/x.png",
        )  # fmt: skip
    with session_scope(engine) as s:
        messages = crud.get_chat_history(s, me, "sess0001")
    assert [m["message_id"] for m in messages] == [1, 2, 3, 4]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert set(messages[0]) == {"role", "content", "gen_image_url", "created_at", "message_id", "input_image_hash"}
    assert messages[3]["gen_image_url"] == "/api/v1/images/x.png"


def test_get_chat_history_empty_and_other_users(engine: Engine) -> None:
    me, other = new_user(engine, "me0001"), new_user(engine, "other01")
    with session_scope(engine) as s:
        crud.save_chat_message(s, user_id=other, session_id="sess0001", message_id=1, role="user", content="비밀")
    with session_scope(engine) as s:
        assert crud.get_chat_history(s, me, "sess0001") == []
        assert crud.get_chat_history(s, me, "nosuchsession") == []


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"role": "system"}, "chat_history_role_check"),
        ({"role": None}, None),
        ({"content": None}, None),
        ({"session_id": None}, None),
        ({"user_id": 999}, "chat_history_user_id_fkey"),
    ],
)
def test_save_chat_message_constraints(engine: Engine, overrides: dict[str, Any], constraint: str | None) -> None:
    values = {"user_id": None, "session_id": "sess0001", "message_id": 1, "role": "user", "content": "안녕"} | overrides
    with pytest.raises(IntegrityError) as exc, session_scope(engine) as s:
        crud.save_chat_message(s, **values)
    if constraint:
        assert constraint_of(exc) == constraint


def test_same_message_id_twice_in_a_session_is_refused(engine: Engine) -> None:
    with session_scope(engine) as s:
        crud.save_chat_message(s, user_id=None, session_id="sess0001", message_id=1, role="user", content="a")
        crud.save_chat_message(s, user_id=None, session_id="sess0002", message_id=1, role="user", content="b")  # other session: fine
    with pytest.raises(IntegrityError) as exc, session_scope(engine) as s:
        crud.save_chat_message(s, user_id=None, session_id="sess0001", message_id=1, role="assistant", content="c")
    assert constraint_of(exc) == "chat_history_session_id_message_id_key"


def set_time(engine: Engine, session_id: str, message_id: int, when: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE chat_history SET created_at = :t WHERE session_id = :s AND message_id = :m"),
            {"t": when, "s": session_id, "m": message_id},
        )


def test_get_chat_sessions_first_message_and_latest_activity_first(engine: Engine) -> None:
    me, other = new_user(engine, "me0001"), new_user(engine, "other01")
    t0 = datetime(2026, 1, 10, 9, 0)
    # (session, message_id, role, content, minutes after t0)
    script = [
        ("sessA", 1, "user", "A 첫 요청", 0),
        ("sessA", 2, "assistant", "A 답", 1),
        ("sessB", 1, "user", "B 첫 요청", 10),
        ("sessB", 2, "assistant", "B 답", 11),
        ("sessC", 1, "user", "C 첫 요청", 20),
        ("sessC", 2, "assistant", "C 답", 21),
        ("sessA", 3, "user", "A 두 번째 요청", 30),  # A started first but is the most recently active
        ("sessA", 4, "assistant", "A 두 번째 답", 31),
    ]
    for sid, mid, role, content, minutes in script:
        with session_scope(engine) as s:
            crud.save_chat_message(s, user_id=me, session_id=sid, message_id=mid, role=role, content=content)
        set_time(engine, sid, mid, t0 + timedelta(minutes=minutes))
    with session_scope(engine) as s:
        crud.save_chat_message(s, user_id=other, session_id="sessZ", message_id=1, role="user", content="남의 세션")
        crud.save_chat_message(s, user_id=me, session_id="sessQ", message_id=1, role="assistant", content="사용자 메시지 없음")
    set_time(engine, "sessQ", 1, t0 + timedelta(minutes=99))

    with session_scope(engine) as s:
        sessions = crud.get_chat_sessions(s, me)
        top2 = crud.get_chat_sessions(s, me, limit=2)
    assert [x["session_id"] for x in sessions] == ["sessA", "sessC", "sessB"]
    assert sessions[0] == {
        "session_id": "sessA",
        "first_message": "A 첫 요청",
        "created_at": t0,
        "last_activity": t0 + timedelta(minutes=31),
    }
    # The limit counts sessions, not messages (sessA alone has four).
    assert [x["session_id"] for x in top2] == ["sessA", "sessC"]


def test_get_chat_sessions_ties_newest_row_first(engine: Engine) -> None:
    me = new_user(engine)
    with session_scope(engine) as s:  # one transaction: equal timestamps
        for sid in ("sess0001", "sess0002", "sess0003"):
            crud.save_chat_message(s, user_id=me, session_id=sid, message_id=1, role="user", content=sid)
    with session_scope(engine) as s:
        assert [x["session_id"] for x in crud.get_chat_sessions(s, me)] == ["sess0003", "sess0002", "sess0001"]


def test_get_chat_sessions_empty(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert crud.get_chat_sessions(s, 999) == []


def test_next_message_id_counts_per_session(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert crud.next_message_id(s, "sess0001") == 1
        crud.save_chat_message(s, user_id=None, session_id="sess0001", message_id=1, role="user", content="a")
        crud.save_chat_message(s, user_id=None, session_id="sess0001", message_id=2, role="assistant", content="b")
    with session_scope(engine) as s:
        assert crud.next_message_id(s, "sess0001") == 3
        assert crud.next_message_id(s, "sess0002") == 1


def test_next_message_id_under_concurrent_writers(engine: Engine) -> None:
    writers, errors, barrier = 8, [], threading.Barrier(8)

    def turn(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            with session_scope(engine) as s:
                mid = crud.next_message_id(s, "busy-session")
                crud.save_chat_message(s, user_id=None, session_id="busy-session", message_id=mid, role="user", content=f"w{n}")
                crud.save_chat_message(s, user_id=None, session_id="busy-session", message_id=mid + 1, role="assistant", content="답")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=turn, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT message_id FROM chat_history ORDER BY message_id"))]
    assert ids == list(range(1, 2 * writers + 1))


def test_get_session_owner(engine: Engine) -> None:
    me = new_user(engine)
    with session_scope(engine) as s:
        assert crud.get_session_owner(s, "sess0001") is None
        crud.save_chat_message(s, user_id=me, session_id="sess0001", message_id=1, role="user", content="a")
    with session_scope(engine) as s:
        assert crud.get_session_owner(s, "sess0001") == me
        crud.delete_user(s, me)
    with session_scope(engine) as s:
        assert crud.get_session_owner(s, "sess0001") == crud.ORPHANED


# --- images ------------------------------------------------------------------------------


def test_save_image_matching_is_idempotent_and_records_owners(engine: Engine) -> None:
    alice, bob = new_user(engine, "alice01"), new_user(engine, "bob0001")
    with session_scope(engine) as s:
        assert crud.save_image_matching(s, file_hash=HASH_A, file_directory="images/aa", file_type="generated", user_id=alice) is True
    with session_scope(engine) as s:  # same bytes again, by alice and then by bob
        assert crud.save_image_matching(s, file_hash=HASH_A, file_directory="images/aa", file_type="generated", user_id=alice) is False
        assert crud.save_image_matching(s, file_hash=HASH_A, file_directory="images/aa", file_type="input", user_id=bob) is False
        crud.save_image_matching(s, file_hash=HASH_B, file_directory="images/bb", file_type="input")
    assert count(engine, "image_matching") == 2
    assert count(engine, "image_ownership") == 2
    with session_scope(engine) as s:
        image = crud.get_image(s, HASH_A)
        assert image is not None and image.file_type == "generated" and image.file_directory == "images/aa"
        assert crud.get_image(s, "c" * 64) is None
        assert crud.user_owns_image(s, user_id=alice, file_hash=HASH_A)
        assert crud.user_owns_image(s, user_id=bob, file_hash=HASH_A)
        assert not crud.user_owns_image(s, user_id=alice, file_hash=HASH_B)  # recorded without an owner
        assert not crud.user_owns_image(s, user_id=999, file_hash=HASH_A)


@pytest.mark.parametrize(("file_type", "file_directory"), [("thumbnail", "images/aa"), (None, "images/aa"), ("input", None)])
def test_save_image_matching_constraints(engine: Engine, file_type: str | None, file_directory: str | None) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        crud.save_image_matching(s, file_hash=HASH_A, file_directory=file_directory, file_type=file_type)  # type: ignore[arg-type]
    assert count(engine, "image_matching") == 0


def test_ownership_of_unknown_user_is_refused(engine: Engine) -> None:
    with pytest.raises(IntegrityError) as exc, session_scope(engine) as s:
        crud.save_image_matching(s, file_hash=HASH_A, file_directory="images/aa", file_type="input", user_id=999)
    assert constraint_of(exc) == "image_ownership_user_id_fkey"
    assert count(engine, "image_matching") == 0  # the whole transaction rolled back


# --- tokens ------------------------------------------------------------------------------


def test_revoke_token_and_purge(engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as s:
        assert crud.is_token_revoked(s, "jti-1") is False
        crud.revoke_token(s, jti="jti-1", user_id=1, expires_at=now + timedelta(days=1))
        crud.revoke_token(s, jti="jti-1", user_id=1, expires_at=now + timedelta(days=1))  # twice: harmless
        crud.revoke_token(s, jti="jti-old", user_id=1, expires_at=now - timedelta(seconds=1))
    with session_scope(engine) as s:
        assert crud.is_token_revoked(s, "jti-1") and crud.is_token_revoked(s, "jti-old")
        assert crud.purge_expired_tokens(s, now=now) == 1
    with session_scope(engine) as s:
        assert crud.is_token_revoked(s, "jti-1") and not crud.is_token_revoked(s, "jti-old")


# --- transactions ------------------------------------------------------------------------


def test_rollback_leaves_nothing_behind(engine: Engine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), session_scope(engine) as s:
        user = crud.create_user(s, login_id="ghost01", hashed_pw="h")
        crud.save_generation_history(s, **generation(user_id=user.user_id))
        crud.save_chat_message(s, user_id=user.user_id, session_id="sess0001", message_id=1, role="user", content="a")
        crud.save_image_matching(s, file_hash=HASH_A, file_directory="images/aa", file_type="generated", user_id=user.user_id)
        raise Boom
    for table in ("user", "generation_history", "chat_history", "image_matching", "image_ownership"):
        assert count(engine, table) == 0, table


def test_constraint_failure_rolls_back_earlier_writes(engine: Engine) -> None:
    user_id = new_user(engine)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        crud.save_generation_history(s, **generation(user_id=user_id))
        crud.save_chat_message(s, user_id=user_id, session_id="sess0001", message_id=1, role="user", content="a")
        crud.save_chat_message(s, user_id=user_id, session_id="sess0001", message_id=2, role="robot", content="b")
    assert count(engine, "generation_history") == 0 and count(engine, "chat_history") == 0


def test_crud_functions_do_not_commit(engine: Engine) -> None:
    from sqlmodel import Session

    with Session(engine) as s:
        crud.create_user(s, login_id="uncommitted", hashed_pw="h")
        crud.save_generation_history(s, **generation())
    # closed without commit
    assert count(engine, "user") == 0 and count(engine, "generation_history") == 0


def test_generation_and_two_chat_messages_commit_together(engine: Engine) -> None:
    user_id = new_user(engine)
    with session_scope(engine) as s:
        row = crud.save_generation_history(s, **generation(user_id=user_id, session_id="sess0001"))
        mid = crud.next_message_id(s, "sess0001")
        crud.save_chat_message(s, user_id=user_id, session_id="sess0001", message_id=mid, role="user", content="요청")
        crud.save_chat_message(s, user_id=user_id, session_id="sess0001", message_id=mid + 1, role="assistant", content="답")
    # expire_on_commit=False: the row is usable after the transaction ended
    assert isinstance(row, GenerationHistory) and row.id == 1 and row.created_at is not None
    with engine.connect() as conn:
        stamps = conn.execute(text("SELECT created_at FROM chat_history UNION SELECT created_at FROM generation_history")).all()
    assert len(stamps) == 1  # one transaction, one CURRENT_TIMESTAMP
