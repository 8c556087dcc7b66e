"""The seed's CRUD functions (its ``db_processor.py``), plus what sessions, images and logout need.

Every function takes an open ``Session`` first and never commits: the caller's
``db.engine.session_scope`` does, so a service can store a generation and its two chat messages
in one transaction. Constraint violations surface as ``sqlalchemy.exc.IntegrityError`` (the caller
decides what a duplicate means); an unreachable database surfaces as ``adgen.errors.DatabaseError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, Literal, ParamSpec, TypeVar

from sqlalchemy import delete, exists, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from adgen.validation import login_key
from db.engine import translate_db_errors
from db.models import ChatHistory, GenerationHistory, ImageMatching, ImageOwnership, RevokedToken, User

ORPHANED: Final = "orphaned"
SessionOwner = int | None | Literal["orphaned"]

# First key of the two-key advisory locks taken per chat session (the schema lock uses the
# one-key form, a separate space). Arbitrary, fixed.
_CHAT_SESSION_LOCK_NAMESPACE: Final = 0x0AD6

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _db_call(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Connection failures become DatabaseError even when the caller manages its own Session."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with translate_db_errors():
            return fn(*args, **kwargs)

    return wrapper


def _check_page(limit: int, offset: int = 0) -> None:
    # The API validates these at the edge; here a bad value is a programming error, not user input.
    if limit < 1 or offset < 0:
        raise ValueError(f"limit must be >= 1 and offset >= 0, got limit={limit} offset={offset}")


# --- users -------------------------------------------------------------------------------


@_db_call
def create_user(session: Session, *, login_id: str, hashed_pw: str) -> User:
    """Insert a user with an already-hashed password; IntegrityError when the login id is taken in any
    letter case (``user_login_id_key`` or ``user_login_key_key``)."""
    user = User(login_id=login_id, login_key=login_key(login_id), login_pw=hashed_pw)
    session.add(user)
    session.flush()  # assigns user_id and created_at (RETURNING), raises on a duplicate now
    return user


@_db_call
def get_user_by_login_id(session: Session, login_id: str) -> User | None:
    """The user with exactly this login id (letter case included)."""
    return session.exec(select(User).where(col(User.login_id) == login_id)).first()


@_db_call
def get_user_for_login(session: Session, login_id: str) -> User | None:
    """The account a login with this id means: the exact id first, else the one whose key matches in any letter case.

    Exact first, so the later of two accounts that differed only in case before ids became
    case-insensitive (its ``login_key`` is NULL, see db.models.User) still logs in by its own id
    instead of being matched to the earlier one's key.
    """
    exact = col(User.login_id) == login_id
    query = select(User).where(exact | (col(User.login_key) == login_key(login_id))).order_by(exact.desc()).limit(1)
    return session.exec(query).first()


@_db_call
def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


@_db_call
def check_duplicate_id(session: Session, login_id: str) -> bool:
    """Whether the id is taken in any letter case (also by an older account without a key)."""
    taken = (col(User.login_key) == login_key(login_id)) | (col(User.login_id) == login_id)
    return bool(session.scalar(select(exists().where(taken))))


@_db_call
def delete_user(session: Session, user_id: int) -> bool:
    """Delete an account. History rows keep existing with user_id NULL (ON DELETE SET NULL);
    image ownership goes with the account (ON DELETE CASCADE). True when a row was deleted."""
    result = session.execute(delete(User).where(col(User.user_id) == user_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- generations -------------------------------------------------------------------------


@_db_call
def save_generation_history(
    session: Session,
    *,
    user_id: int | None,
    input_text: str,
    content_type: str | None,
    output_url: str | None,
    generation_method: str | None,
    style: str | None,
    industry: str | None,
    seed: int | None,
    aspect_ratio: str | None,
    input_image_hash: str | None = None,
    session_id: str | None = None,
    bare_image_hash: str | None = None,
    ad_copy: dict[str, Any] | None = None,
    copy_backend: str | None = None,
    image_backend: str | None = None,
    task_id: str | None = None,
) -> GenerationHistory:
    row = GenerationHistory(
        user_id=user_id,
        input_text=input_text,
        content_type=content_type,
        output_url=output_url,
        generation_method=generation_method,
        style=style,
        industry=industry,
        seed=seed,
        aspect_ratio=aspect_ratio,
        input_image_hash=input_image_hash,
        session_id=session_id,
        bare_image_hash=bare_image_hash,
        ad_copy=ad_copy,
        copy_backend=copy_backend,
        image_backend=image_backend,
        task_id=task_id,
    )
    session.add(row)
    session.flush()
    return row


@_db_call
def generations_of_task(session: Session, task_id: str) -> list[GenerationHistory]:
    """The rows one generation task wrote (one per variant), by seed."""
    return list(session.exec(select(GenerationHistory).where(GenerationHistory.task_id == task_id).order_by(col(GenerationHistory.seed))))


def generation_history_query(user_id: int, limit: int = 20, offset: int = 0) -> Select[Any]:
    """The history query; walks idx_gen_user_created (user_id, created_at DESC, id DESC) in order,
    so PostgreSQL needs no sort step. ``id`` breaks ties between rows of one transaction."""
    _check_page(limit, offset)
    return (
        select(GenerationHistory)
        .where(col(GenerationHistory.user_id) == user_id)
        .order_by(col(GenerationHistory.created_at).desc(), col(GenerationHistory.id).desc())
        .limit(limit)
        .offset(offset)
    )


@_db_call
def get_generation_history(session: Session, user_id: int, limit: int = 20, offset: int = 0) -> list[GenerationHistory]:
    """A user's generations, newest first; [] for a user without any (or one that does not exist)."""
    return list(session.exec(generation_history_query(user_id, limit, offset)).all())  # type: ignore[call-overload]


@_db_call
def get_generation(session: Session, history_id: int) -> GenerationHistory | None:
    return session.get(GenerationHistory, history_id)


@_db_call
def get_user_generation(session: Session, *, user_id: int, history_id: int) -> GenerationHistory | None:
    """One generation of this user; None when it does not exist or is another user's (one query, one answer for both)."""
    statement = select(GenerationHistory).where(col(GenerationHistory.id) == history_id, col(GenerationHistory.user_id) == user_id)
    return session.exec(statement).first()


@_db_call
def get_latest_generation_in_session(session: Session, user_id: int, session_id: str) -> GenerationHistory | None:
    """The newest generation of this user in this chat session: what a follow-up turn refines."""
    statement = (
        select(GenerationHistory)
        .where(col(GenerationHistory.user_id) == user_id, col(GenerationHistory.session_id) == session_id)
        .order_by(col(GenerationHistory.created_at).desc(), col(GenerationHistory.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


# --- chat --------------------------------------------------------------------------------


@_db_call
def save_chat_message(
    session: Session,
    *,
    user_id: int | None,
    session_id: str,
    message_id: int,
    role: str,
    content: str,
    input_image_hash: str | None = None,
    gen_image_url: str | None = None,
) -> ChatHistory:
    row = ChatHistory(
        user_id=user_id,
        session_id=session_id,
        message_id=message_id,
        role=role,
        content=content,
        input_image_hash=input_image_hash,
        gen_image_url=gen_image_url,
    )
    session.add(row)
    session.flush()
    return row


@_db_call
def next_message_id(session: Session, session_id: str) -> int:
    """The next message number in a chat session, reserved until the caller's transaction ends.

    The advisory lock makes concurrent writers to one session take turns between reading max+1 and
    inserting; the caller must insert in the same transaction. UNIQUE (session_id, message_id) is
    the backstop should anyone write without taking the lock.
    """
    session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:session_id))"),
        {"namespace": _CHAT_SESSION_LOCK_NAMESPACE, "session_id": session_id},
    )
    # A separate statement, so under READ COMMITTED it sees rows committed while we waited.
    next_id = session.execute(
        text("SELECT coalesce(max(message_id), 0) + 1 FROM chat_history WHERE session_id = :session_id"),
        {"session_id": session_id},
    ).scalar_one()
    return int(next_id)


@_db_call
def get_session_owner(session: Session, session_id: str) -> SessionOwner:
    """Who owns a chat session: their user id; ``None`` when the session has no messages (it is new);
    ``"orphaned"`` when its messages lost their user (account deleted), so nobody may continue it."""
    row = session.execute(
        select(ChatHistory.user_id).where(col(ChatHistory.session_id) == session_id).order_by(col(ChatHistory.message_id)).limit(1)
    ).first()
    if row is None:
        return None
    return ORPHANED if row.user_id is None else int(row.user_id)


_CHAT_SESSIONS_SQL = text(
    """
    WITH sessions AS (
        SELECT session_id, max(created_at) AS last_activity, max(id) AS last_row
        FROM chat_history
        WHERE user_id = :user_id
        GROUP BY session_id
        HAVING bool_or(role = 'user')
        ORDER BY last_activity DESC NULLS LAST, last_row DESC
        LIMIT :limit
    )
    SELECT s.session_id, f.content AS first_message, f.created_at, s.last_activity
    FROM sessions AS s
    CROSS JOIN LATERAL (
        SELECT c.content, c.created_at
        FROM chat_history AS c
        WHERE c.session_id = s.session_id AND c.user_id = :user_id AND c.role = 'user'
        ORDER BY c.message_id
        LIMIT 1
    ) AS f
    ORDER BY s.last_activity DESC NULLS LAST, s.last_row DESC
    """
)


@_db_call
def get_chat_sessions(session: Session, user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """A user's chat sessions, most recently active first, each with its FIRST user message.

    Unlike the seed's DISTINCT ON query (ordered by session_id, limit applied to messages), the
    limit applies to sessions and the order is the one a person expects: latest activity first.
    ``last_row`` (the newest row id) breaks ties between sessions active in the same instant.
    """
    _check_page(limit)
    rows = session.execute(_CHAT_SESSIONS_SQL, {"user_id": user_id, "limit": limit}).mappings().all()
    return [dict(row) for row in rows]


@_db_call
def get_chat_history(session: Session, user_id: int, session_id: str) -> list[dict[str, Any]]:
    """One session's messages in order; [] when it does not exist or belongs to someone else."""
    statement = (
        select(
            ChatHistory.role,
            ChatHistory.content,
            ChatHistory.gen_image_url,
            ChatHistory.created_at,
            ChatHistory.message_id,
            ChatHistory.input_image_hash,
        )
        .where(col(ChatHistory.user_id) == user_id, col(ChatHistory.session_id) == session_id)
        .order_by(col(ChatHistory.message_id))
    )
    return [dict(row) for row in session.execute(statement).mappings().all()]


# --- images ------------------------------------------------------------------------------


@_db_call
def save_image_matching(
    session: Session, *, file_hash: str, file_directory: str, file_type: str, user_id: int | None = None
) -> bool:
    """Record a content-addressed file (idempotent on file_hash) and, with ``user_id``, that the
    user owns it (idempotent too). True when the file row is new."""
    inserted = session.execute(
        pg_insert(ImageMatching)
        .values(file_hash=file_hash, file_directory=file_directory, file_type=file_type)
        .on_conflict_do_nothing(index_elements=["file_hash"])
        .returning(ImageMatching.id)
    ).first()
    if user_id is not None:
        session.execute(
            pg_insert(ImageOwnership).values(file_hash=file_hash, user_id=user_id).on_conflict_do_nothing()
        )
    return inserted is not None


@_db_call
def get_image(session: Session, file_hash: str) -> ImageMatching | None:
    return session.exec(select(ImageMatching).where(col(ImageMatching.file_hash) == file_hash)).first()


@_db_call
def user_owns_image(session: Session, *, user_id: int, file_hash: str) -> bool:
    statement = select(
        exists().where(col(ImageOwnership.user_id) == user_id, col(ImageOwnership.file_hash) == file_hash)
    )
    return bool(session.scalar(statement))


# --- session tokens ----------------------------------------------------------------------


@_db_call
def revoke_token(session: Session, *, jti: str, user_id: int | None, expires_at: datetime) -> None:
    """Remember a logged-out token id (naive UTC ``expires_at``); revoking twice is harmless."""
    session.execute(
        pg_insert(RevokedToken).values(jti=jti, user_id=user_id, expires_at=expires_at).on_conflict_do_nothing()
    )


@_db_call
def is_token_revoked(session: Session, jti: str) -> bool:
    return bool(session.scalar(select(exists().where(col(RevokedToken.jti) == jti))))


@_db_call
def purge_expired_tokens(session: Session, *, now: datetime) -> int:
    """Forget revocations of tokens that have expired anyway; returns how many were removed."""
    result = session.execute(delete(RevokedToken).where(col(RevokedToken.expires_at) < now))
    return int(result.rowcount)  # type: ignore[attr-defined]
