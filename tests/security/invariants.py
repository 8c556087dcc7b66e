"""What "nothing partial was stored" means, as assertions: every table row and every file compared.

Shared by the hostile-input, login-abuse and fault-injection tests.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

HANGUL = re.compile(r"[가-힣]")
# Longest message a refusal may carry: a refused 1 MB value must never be echoed back whole.
MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, list[tuple[Any, ...]]]  # table -> every row, in primary-key order
    files: dict[str, str]  # path under data_dir -> sha256 of the content

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.rows.items()}


def snapshot(engine: Engine, data_dir: Path) -> Snapshot:
    """Every row of every table and every file under ``data_dir`` (logs aside)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows[table.name] = [tuple(r) for r in conn.execute(table.select().order_by(*table.primary_key.columns))]
    files = {}
    if data_dir.exists():
        for path in sorted(data_dir.rglob("*")):
            rel = path.relative_to(data_dir)
            if path.is_file() and rel.parts[0] != "logs":
                files[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return Snapshot(rows, files)


def assert_unchanged(before: Snapshot, engine: Engine, data_dir: Path) -> None:
    after = snapshot(engine, data_dir)
    assert after.counts() == before.counts(), f"row counts changed: {before.counts()} -> {after.counts()}"
    for table, rows in before.rows.items():
        assert after.rows[table] == rows, f"rows of {table} changed"
    assert after.files == before.files, f"files changed: {set(after.files) ^ set(before.files)}"


def assert_refused(r: httpx.Response, status: int, code: str | set[str]) -> str:
    """A clear refusal: the status, the stable code, a short Korean message and nothing else."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    codes = {code} if isinstance(code, str) else code
    assert body["error"]["code"] in codes, body
    message = body["error"]["message"]
    assert HANGUL.search(message) and len(message) <= MAX_MESSAGE_CHARS, message
    return message


def orphan_files(engine: Engine, images_dir: Path) -> set[str]:
    """PNG files under images_dir that no image_matching row records (there must be none)."""
    on_disk = {p.stem for p in images_dir.rglob("*.png")} if images_dir.exists() else set()
    with engine.connect() as conn:
        recorded = {r[0] for r in conn.execute(text("SELECT file_hash FROM image_matching"))}
    return on_disk - recorded


def misnamed_files(images_dir: Path) -> list[str]:
    """Files under images_dir not stored as ``<hh>/<sha256 of the bytes>.png`` (temp files included)."""
    bad = []
    if images_dir.exists():
        for path in images_dir.rglob("*"):
            if path.is_dir():
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if path.name != f"{digest}.png" or path.parent != images_dir / digest[:2]:
                bad.append(str(path.relative_to(images_dir)))
    return bad


def half_written(engine: Engine) -> list[str]:
    """Generations whose two chat messages are missing, or chat turns without their generation.

    Every stored turn is one transaction: N generation rows (variants) of one session turn, a user
    message and an assistant message whose ``gen_image_url`` is the primary variant's ``output_url``.
    """
    problems = []
    with engine.connect() as conn:
        turns = conn.execute(
            text(
                """
                SELECT g.id, g.session_id, g.output_url, g.created_at,
                       (SELECT count(*) FROM chat_history c
                         WHERE c.session_id = g.session_id AND c.created_at = g.created_at) AS messages
                FROM generation_history g
                """
            )
        ).all()
        for row in turns:
            if row.messages != 2:
                problems.append(f"generation {row.id} has {row.messages} chat messages in its transaction")
        orphans = conn.execute(
            text(
                """
                SELECT c.id FROM chat_history c
                WHERE NOT EXISTS (SELECT 1 FROM generation_history g
                                  WHERE g.session_id = c.session_id AND g.created_at = c.created_at)
                """
            )
        ).all()
        problems += [f"chat message {r.id} has no generation in its transaction" for r in orphans]
        users = conn.execute(text("SELECT session_id, count(*) FROM chat_history WHERE role = 'user' GROUP BY session_id")).all()
        for session_id, n_user in users:
            n_assistant = conn.execute(
                text("SELECT count(*) FROM chat_history WHERE role = 'assistant' AND session_id = :s"), {"s": session_id}
            ).scalar_one()
            if n_assistant != n_user:
                problems.append(f"session {session_id}: {n_user} user messages, {n_assistant} assistant messages")
    return problems
