"""SQLModel table classes: the source of truth for the schema (``db/create_tables.sql`` is generated).

The four tables of the seed (``"user"``, ``generation_history``, ``chat_history``, ``image_matching``)
carry every column, type, length, NOT NULL, default, CHECK, foreign key and index it lists. Every
constraint is named explicitly with the name PostgreSQL would give the seed's own DDL
(``generation_history_content_type_check``, ``user_login_id_key``, ...), so a database created from
the seed's SQL and one created from these classes have the same catalog.

Additions beyond the seed (all documented in docs/schema.md):
- ``idx_gen_user_created (user_id, created_at DESC, id DESC)``: the seed's composite index plus ``id``
  as tie-breaker, so the history query (ORDER BY created_at DESC, id DESC) needs no sort step.
  ``CURRENT_TIMESTAMP`` is the transaction start time, so rows written together tie on created_at.
- ``generation_history``: session_id, bare_image_hash, ad_copy (JSONB), copy_backend, image_backend.
- ``chat_history``: UNIQUE (session_id, message_id), the backstop for concurrent writers.
- ``image_ownership``: who may see a content-addressed image (two users may upload the same bytes).
- ``revoked_token``: logged-out token ids until they would have expired anyway.
- ``"user".login_key`` with ``UNIQUE`` (``user_login_key_key``): login ids are unique case-insensitively.

Timestamps are TIMESTAMP WITHOUT TIME ZONE holding UTC: the engine sets ``timezone=UTC`` on every
connection, so ``CURRENT_TIMESTAMP`` and Python's naive UTC datetimes agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from adgen.validation import ASPECT_RATIOS, CONTENT_TYPES

GENERATION_METHODS: Final = ("t2i", "controlnet")
CHAT_ROLES: Final = ("user", "assistant")
FILE_TYPES: Final = ("input", "generated")
HASH_LENGTH: Final = 64  # SHA-256 hex
SESSION_ID_LENGTH: Final = 64
TASK_ID_LENGTH: Final = 32  # uuid4 hex
BACKEND_NAME_LENGTH: Final = 20
LOGIN_ID_LENGTH: Final = 50


def _one_of(column: str, values: tuple[str, ...], *, name: str) -> CheckConstraint:
    """``CHECK (column IN (...))`` written as in the seed; values come from the one place that defines them."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def _created_at() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=False), server_default=text("CURRENT_TIMESTAMP")))


class User(SQLModel, table=True):
    __tablename__ = "user"  # type: ignore[assignment]
    __table_args__ = (
        PrimaryKeyConstraint("user_id", name="user_pkey"),
        UniqueConstraint("login_id", name="user_login_id_key"),
        # Addition: "Owner01" and "owner01" are one id. The key is a column, not a unique index on
        # lower(login_id), so that a database holding both from before keeps them (see login_key).
        UniqueConstraint("login_key", name="user_login_key_key"),
    )

    user_id: int | None = Field(default=None, sa_column=Column(Integer, autoincrement=True))
    login_id: str = Field(sa_column=Column(String(LOGIN_ID_LENGTH), nullable=False))
    # bcrypt hash, never the password itself (the seed's column name is kept).
    login_pw: str = Field(sa_column=Column(String(255), nullable=False))
    created_at: datetime | None = _created_at()
    # --- addition ---
    # adgen.validation.login_key(login_id), set at sign-up. NULL only for an account that shared its
    # case-folded id with an earlier one when the column was added (db.engine fills the key of the
    # earliest): it keeps logging in by its exact id.
    login_key: str | None = Field(default=None, sa_column=Column(String(LOGIN_ID_LENGTH)))


class GenerationHistory(SQLModel, table=True):
    __tablename__ = "generation_history"  # type: ignore[assignment]
    __table_args__ = (
        PrimaryKeyConstraint("id", name="generation_history_pkey"),
        _one_of("content_type", CONTENT_TYPES, name="generation_history_content_type_check"),
        _one_of("generation_method", GENERATION_METHODS, name="generation_history_generation_method_check"),
        _one_of("aspect_ratio", ASPECT_RATIOS, name="generation_history_aspect_ratio_check"),
        # Addition: a task's rows are written once; the retry of a commit whose acknowledgement was lost finds them.
        UniqueConstraint("task_id", "seed", name="generation_history_task_id_seed_key"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, autoincrement=True))
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.user_id", ondelete="SET NULL", name="generation_history_user_id_fkey")),
    )
    input_text: str = Field(sa_column=Column(Text, nullable=False))
    input_image_hash: str | None = Field(default=None, sa_column=Column(String(HASH_LENGTH)))
    content_type: str | None = Field(default=None, sa_column=Column(String(10)))
    output_url: str | None = Field(default=None, sa_column=Column(Text))
    generation_method: str | None = Field(default=None, sa_column=Column(String(20)))
    style: str | None = Field(default=None, sa_column=Column(Text))
    industry: str | None = Field(default=None, sa_column=Column(String(50)))
    seed: int | None = Field(default=None, sa_column=Column(Integer))
    aspect_ratio: str | None = Field(default=None, sa_column=Column(String(10)))
    created_at: datetime | None = _created_at()
    # --- additions (nullable, so rows shaped like the seed's stay valid) ---
    session_id: str | None = Field(default=None, sa_column=Column(String(SESSION_ID_LENGTH)))
    # The same image without the copy on it, so a later turn can change only the text.
    bare_image_hash: str | None = Field(default=None, sa_column=Column(String(HASH_LENGTH)))
    # {headline, body, cta, hashtags, image_prompt, negative_prompt, tone}
    ad_copy: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    copy_backend: str | None = Field(default=None, sa_column=Column(String(BACKEND_NAME_LENGTH)))
    image_backend: str | None = Field(default=None, sa_column=Column(String(BACKEND_NAME_LENGTH)))
    # The generation task that wrote the row (one row per variant, told apart by seed).
    task_id: str | None = Field(default=None, sa_column=Column(String(TASK_ID_LENGTH)))


class ChatHistory(SQLModel, table=True):
    __tablename__ = "chat_history"  # type: ignore[assignment]
    __table_args__ = (
        PrimaryKeyConstraint("id", name="chat_history_pkey"),
        _one_of("role", CHAT_ROLES, name="chat_history_role_check"),
        # Addition: two writers can never store the same message number twice in a session.
        UniqueConstraint("session_id", "message_id", name="chat_history_session_id_message_id_key"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, autoincrement=True))
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.user_id", ondelete="SET NULL", name="chat_history_user_id_fkey")),
    )
    session_id: str = Field(sa_column=Column(String(SESSION_ID_LENGTH), nullable=False))
    message_id: int = Field(sa_column=Column(Integer, nullable=False))
    role: str = Field(sa_column=Column(String(10), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    input_image_hash: str | None = Field(default=None, sa_column=Column(String(HASH_LENGTH)))
    gen_image_url: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = _created_at()


class ImageMatching(SQLModel, table=True):
    __tablename__ = "image_matching"  # type: ignore[assignment]
    __table_args__ = (
        PrimaryKeyConstraint("id", name="image_matching_pkey"),
        UniqueConstraint("file_hash", name="image_matching_file_hash_key"),
        _one_of("file_type", FILE_TYPES, name="image_matching_file_type_check"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, autoincrement=True))
    file_hash: str = Field(sa_column=Column(String(HASH_LENGTH), nullable=False))
    file_directory: str = Field(sa_column=Column(Text, nullable=False))
    file_type: str = Field(sa_column=Column(String(10), nullable=False))
    created_at: datetime | None = _created_at()


class ImageOwnership(SQLModel, table=True):
    """Addition: files are content-addressed, so one hash may belong to several users."""

    __tablename__ = "image_ownership"  # type: ignore[assignment]
    __table_args__ = (PrimaryKeyConstraint("file_hash", "user_id", name="image_ownership_pkey"),)

    file_hash: str = Field(
        sa_column=Column(
            String(HASH_LENGTH),
            ForeignKey("image_matching.file_hash", ondelete="CASCADE", name="image_ownership_file_hash_fkey"),
            nullable=False,
        )
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.user_id", ondelete="CASCADE", name="image_ownership_user_id_fkey"), nullable=False)
    )


class RevokedToken(SQLModel, table=True):
    """Addition: logged-out session tokens (by ``jti``) until they would have expired anyway."""

    __tablename__ = "revoked_token"  # type: ignore[assignment]
    __table_args__ = (PrimaryKeyConstraint("jti", name="revoked_token_pkey"),)

    jti: str = Field(sa_column=Column(String(64), nullable=False))
    # No foreign key: revocations must outlive nothing but the token, and deleting a user
    # needs no cascade here (the user check in verify_token already refuses their tokens).
    user_id: int | None = Field(default=None, sa_column=Column(Integer))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=False), nullable=False))


# Indexes of the seed, by name, plus the additions. Declared after the classes so that
# DESC orderings can name real columns.
Index("idx_user_login_id", User.__table__.c.login_id)  # type: ignore[attr-defined]
Index("idx_gen_user_id", GenerationHistory.__table__.c.user_id)  # type: ignore[attr-defined]
Index("idx_gen_created_at", GenerationHistory.__table__.c.created_at.desc())  # type: ignore[attr-defined]
Index(
    "idx_gen_user_created",
    GenerationHistory.__table__.c.user_id,  # type: ignore[attr-defined]
    GenerationHistory.__table__.c.created_at.desc(),  # type: ignore[attr-defined]
    GenerationHistory.__table__.c.id.desc(),  # type: ignore[attr-defined]
)
Index("idx_chat_user_session", ChatHistory.__table__.c.user_id, ChatHistory.__table__.c.session_id)  # type: ignore[attr-defined]
Index("idx_chat_session", ChatHistory.__table__.c.session_id)  # type: ignore[attr-defined]
Index("idx_img_file_hash", ImageMatching.__table__.c.file_hash)  # type: ignore[attr-defined]
# Addition: "whose images are these" and ON DELETE CASCADE from "user" without a full scan.
Index("idx_img_owner_user_id", ImageOwnership.__table__.c.user_id)  # type: ignore[attr-defined]

ALL_TABLES: Final = (User, GenerationHistory, ChatHistory, ImageMatching, ImageOwnership, RevokedToken)
