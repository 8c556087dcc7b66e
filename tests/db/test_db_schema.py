"""The models, db/create_tables.sql and the seed's schema, compared through PostgreSQL's catalog."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import create_engine, text

from adgen import auth
from adgen.errors import AuthenticationError, ConfigurationError, DuplicateLoginIdError
from adgen.settings import Settings
from db.admin import url_as_dsn
from db.engine import dispose_engines, init_db
from db.schema import Catalog, read_catalog, render

ROOT = Path(__file__).resolve().parents[2]
SQL_FILE = ROOT / "db" / "create_tables.sql"

# The seed's DDL, verbatim (backend-checklist.ko.md, week 1 and the week-4 composite index).
SEED_DDL = """
CREATE TABLE "user" (
    user_id SERIAL PRIMARY KEY,
    login_id VARCHAR(50) UNIQUE NOT NULL,
    login_pw VARCHAR(255) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_user_login_id ON "user"(login_id);
CREATE TABLE generation_history (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES "user"(user_id) ON DELETE SET NULL,
    input_text TEXT NOT NULL,
    input_image_hash VARCHAR(64),
    content_type VARCHAR(10) CHECK (content_type IN ('image', 'text', 'both')),
    output_url TEXT,
    generation_method VARCHAR(20) CHECK (generation_method IN ('t2i', 'controlnet')),
    style TEXT,
    industry VARCHAR(50),
    seed INTEGER,
    aspect_ratio VARCHAR(10) CHECK (aspect_ratio IN ('1:1', '4:3', '3:4')),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_gen_user_id ON generation_history(user_id);
CREATE INDEX idx_gen_created_at ON generation_history(created_at DESC);
CREATE TABLE chat_history (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES "user"(user_id) ON DELETE SET NULL,
    session_id VARCHAR(64) NOT NULL,
    message_id INTEGER NOT NULL,
    role VARCHAR(10) CHECK (role IN ('user', 'assistant')) NOT NULL,
    content TEXT NOT NULL,
    input_image_hash VARCHAR(64),
    gen_image_url TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_chat_user_session ON chat_history(user_id, session_id);
CREATE INDEX idx_chat_session ON chat_history(session_id);
CREATE TABLE image_matching (
    id SERIAL PRIMARY KEY,
    file_hash VARCHAR(64) UNIQUE NOT NULL,
    file_directory TEXT NOT NULL,
    file_type VARCHAR(10) CHECK (file_type IN ('input', 'generated')) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_img_file_hash ON image_matching(file_hash);
CREATE INDEX idx_gen_user_created ON generation_history(user_id, created_at DESC);
"""

EXPECTED_CONSTRAINTS = {
    "user_pkey", "user_login_id_key", "user_login_key_key",
    "generation_history_pkey", "generation_history_user_id_fkey", "generation_history_content_type_check",
    "generation_history_generation_method_check", "generation_history_aspect_ratio_check",
    "generation_history_task_id_seed_key",
    "chat_history_pkey", "chat_history_user_id_fkey", "chat_history_role_check", "chat_history_session_id_message_id_key",
    "image_matching_pkey", "image_matching_file_hash_key", "image_matching_file_type_check",
    "image_ownership_pkey", "image_ownership_file_hash_fkey", "image_ownership_user_id_fkey",
    "revoked_token_pkey",
}  # fmt: skip
EXPECTED_INDEXES = {
    "user_pkey", "user_login_id_key", "idx_user_login_id", "user_login_key_key",
    "generation_history_pkey", "idx_gen_user_id", "idx_gen_created_at", "idx_gen_user_created", "generation_history_task_id_seed_key",
    "chat_history_pkey", "chat_history_session_id_message_id_key", "idx_chat_user_session", "idx_chat_session",
    "image_matching_pkey", "image_matching_file_hash_key", "idx_img_file_hash",
    "image_ownership_pkey", "idx_img_owner_user_id",
    "revoked_token_pkey",
}  # fmt: skip
ALL_TABLES = {"user", "generation_history", "chat_history", "image_matching", "image_ownership", "revoked_token"}


def run_sql(url: str, sql: str) -> None:
    conn = psycopg2.connect(**url_as_dsn(url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def catalog_of(url: str) -> Catalog:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return read_catalog(conn)
    finally:
        engine.dispose()


def build_with_init_db(url: str, tmp_path: Path) -> None:
    """The application's own path: init_db creates the schema from the models."""
    init_db(Settings(_env_file=None, database_url=url, data_dir=tmp_path, db_connect_retries=0))  # type: ignore[call-arg]
    dispose_engines(url)


def test_sql_file_and_models_give_the_same_catalog(make_database: Callable[[], str], tmp_path: Path) -> None:
    from_models, from_file = make_database(), make_database()
    build_with_init_db(from_models, tmp_path)
    run_sql(from_file, SQL_FILE.read_text())
    a, b = catalog_of(from_models), catalog_of(from_file)

    assert {row[0] for row in a.columns} == ALL_TABLES
    assert a.columns == b.columns
    assert a.constraints == b.constraints
    assert a.indexes == b.indexes
    # Not vacuous: six tables with all their keys, checks and indexes. (PostgreSQL 18 also lists
    # NOT NULL constraints, contype 'n', in pg_constraint; 15 does not.)
    assert len(a.columns) == 42
    assert {row[1] for row in a.constraints if row[2] != "n"} == EXPECTED_CONSTRAINTS
    assert {row[1] for row in a.indexes} == EXPECTED_INDEXES


def test_models_contain_the_seed_schema_unchanged(make_database: Callable[[], str], tmp_path: Path) -> None:
    """Every seed column, constraint (same name) and index is in the models' catalog as the seed defines it."""
    from_models, from_seed = make_database(), make_database()
    build_with_init_db(from_models, tmp_path)
    run_sql(from_seed, SEED_DDL)
    ours, seed = catalog_of(from_models), catalog_of(from_seed)

    # Positions may differ (additions are appended), everything else must be equal.
    ours_columns = {(t, name): rest for (t, _pos, name, *rest) in ours.columns}
    for table, _pos, name, *rest in seed.columns:
        assert ours_columns.get((table, name)) == rest, f"{table}.{name}"

    ours_constraints = {(t, name): rest for (t, name, *rest) in ours.constraints}
    for table, name, *rest in seed.constraints:
        assert ours_constraints.get((table, name)) == rest, f"{table} {name}"

    ours_indexes = {name: definition for (_t, name, definition) in ours.indexes}
    for _table, name, definition in seed.indexes:
        if name == "idx_gen_user_created":
            # Documented change: id DESC breaks ties, so the history query needs no sort step.
            assert ours_indexes[name] == definition.replace("created_at DESC)", "created_at DESC, id DESC)")
        else:
            assert ours_indexes.get(name) == definition, name


def test_additions_are_nullable(make_database: Callable[[], str], tmp_path: Path) -> None:
    """Rows written the seed's way (without the added columns) stay valid."""
    url = make_database()
    build_with_init_db(url, tmp_path)
    added = {"session_id", "bare_image_hash", "ad_copy", "copy_backend", "image_backend", "task_id"}
    columns = {row[2]: row for row in catalog_of(url).columns if row[0] == "generation_history"}
    assert added <= columns.keys()
    assert all(columns[name][5] == "YES" for name in added)
    assert columns["ad_copy"][3] == "jsonb"


def test_sql_file_is_the_current_output_of_db_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "db.schema"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out == render()
    assert SQL_FILE.read_text() == out, "db/create_tables.sql is stale: run `make schema`"
    assert 'CREATE TABLE "user"' in out and "CREATE INDEX idx_gen_user_created" in out


def test_init_db_upgrades_a_database_made_by_an_earlier_version(make_database: Callable[[], str], tmp_path: Path) -> None:
    """A database from before an addition (column, unique constraint, index) gets it at start-up; rows stay."""
    url, reference = make_database(), make_database()
    run_sql(reference, SQL_FILE.read_text())
    build_with_init_db(url, tmp_path)
    # What an earlier version built: no task_id (its unique constraint goes with it), no owner index.
    run_sql(url, "ALTER TABLE generation_history DROP COLUMN task_id; DROP INDEX idx_img_owner_user_id;"
                 "ALTER TABLE chat_history DROP CONSTRAINT chat_history_session_id_message_id_key;"
                 "INSERT INTO generation_history (input_text, seed) VALUES ('카페 홍보', 7);")  # fmt: skip
    assert catalog_of(url) != catalog_of(reference)

    build_with_init_db(url, tmp_path)
    upgraded, wanted = catalog_of(url), catalog_of(reference)
    # Columns are compared by name (an added column is appended, so its position differs from a fresh table's).
    assert {(t, name): rest for (t, _pos, name, *rest) in upgraded.columns} == {
        (t, name): rest for (t, _pos, name, *rest) in wanted.columns
    }
    assert upgraded.constraints == wanted.constraints
    assert upgraded.indexes == wanted.indexes
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT input_text, seed, task_id FROM generation_history")).all() == [("카페 홍보", 7, None)]
    finally:
        engine.dispose()
    build_with_init_db(url, tmp_path)  # nothing left to do: a second start changes nothing
    assert catalog_of(url) == upgraded


def of_user_table(catalog: Catalog) -> tuple[set[tuple[object, ...]], ...]:
    """Columns (by name), constraints and indexes of "user". Only that table: the seed's
    idx_gen_user_created differs from ours by design, and upgrades never change an index."""
    columns = {(name, *rest) for (table, _pos, name, *rest) in catalog.columns if table == "user"}
    constraints = {row for row in catalog.constraints if row[0] == '"user"' and row[2] != "n"}
    indexes = {row for row in catalog.indexes if row[0] == "user"}
    return columns, constraints, indexes


# Accounts of a database made before ids were case-insensitive: (user_id, login_id, password).
CASE_TWINS = [
    (1, "Owner01", "first-Latte-01"),
    (2, "owner01", "second-Latte-02"),
    (3, "other01", "third-Latte-03"),
    (4, "OWNER01", "fourth-Latte-04"),
    (5, "Solo01", "fifth-Latte-05"),
]


@pytest.mark.parametrize("insert_order", [[1, 2, 3, 4, 5], [4, 2, 5, 3, 1]], ids=["by-id", "shuffled"])
def test_init_db_upgrades_case_twins_without_locking_anyone_out(
    make_database: Callable[[], str], tmp_path: Path, caplog: pytest.LogCaptureFixture, insert_order: list[int]
) -> None:
    """A seed-schema database holding "Owner01", "owner01" and "OWNER01" still starts; the earliest
    keeps the key (logs in in any case), the later ones log in by their exact id; nothing is lost."""
    url, reference = make_database(), make_database()
    run_sql(reference, SQL_FILE.read_text())
    run_sql(url, SEED_DDL)
    by_id = {user_id: (login_id, pw) for user_id, login_id, pw in CASE_TWINS}
    rows = []
    for user_id in insert_order:  # the physical order must not matter: the outcome follows user_id
        login_id, pw = by_id[user_id]
        hashed = auth.hash_password(pw, rounds=4)
        rows.append(
            f"INSERT INTO \"user\" (user_id, login_id, login_pw) VALUES ({user_id}, '{login_id}', '{hashed}');"
            f"INSERT INTO generation_history (user_id, input_text) VALUES ({user_id}, '광고 {user_id}');"
            "INSERT INTO chat_history (user_id, session_id, message_id, role, content)"
            f" VALUES ({user_id}, 's{user_id}', 1, 'user', '안녕');"
        )
    run_sql(url, "".join(rows) + "SELECT setval('user_user_id_seq', 5);")

    settings = Settings(_env_file=None, database_url=url, data_dir=tmp_path, db_connect_retries=0, bcrypt_rounds=4)  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING, logger="db.engine"):
        engine = init_db(settings)
    try:
        logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("schema upgraded: ")]
        assert "schema upgraded: user.login_key added" in logged
        assert "schema upgraded: user.login_key filled for 3 account(s)" in logged
        assert "schema upgraded: user constraint user_login_key_key added" in logged
        keyless = [line for line in logged if "has no login_key" in line]
        assert len(keyless) == 2
        assert keyless[0].startswith("schema upgraded: user 2 ('owner01') has no login_key") and "user 1 ('Owner01')" in keyless[0]
        assert keyless[1].startswith("schema upgraded: user 4 ('OWNER01') has no login_key") and "user 1 ('Owner01')" in keyless[1]

        with engine.connect() as conn:
            keys = dict(conn.execute(text('SELECT user_id, login_key FROM "user"')).all())
            kept = conn.execute(text("SELECT user_id, count(*) FROM generation_history GROUP BY user_id")).all()
            chats = conn.execute(text("SELECT count(*) FROM chat_history WHERE user_id IS NOT NULL")).scalar_one()
        assert keys == {1: "owner01", 2: None, 3: "other01", 4: None, 5: "solo01"}
        assert sorted(kept) == [(n, 1) for n in range(1, 6)] and chats == 5  # nobody lost their data
        upgraded, wanted = catalog_of(url), catalog_of(reference)
        assert of_user_table(upgraded) == of_user_table(wanted)
        columns, constraints, indexes = of_user_table(wanted)  # not vacuous:
        assert (len(columns), len(constraints), len(indexes)) == (5, 3, 4)

        def user_of(login_id: str, pw: str) -> int:
            return auth.authenticate_user(login_id, pw, engine=engine, settings=settings)["user_id"]

        for user_id, login_id, pw in CASE_TWINS:  # everyone logs in by the id they always used
            assert user_of(login_id, pw) == user_id
        assert user_of("oWnEr01", "first-Latte-01") == 1  # the key holder, in any case
        assert user_of("SOLO01", "fifth-Latte-05") == 5
        with pytest.raises(AuthenticationError):
            user_of("oWnEr01", "second-Latte-02")  # a keyless twin only by its exact id
        for taken in ("owner01", "OWNER01", "OwNeR01", "SOLO01"):
            with pytest.raises(DuplicateLoginIdError):
                auth.register_user(taken, "New-Latte-2026!", engine=engine, settings=settings)
        assert auth.register_user("owner02", "New-Latte-2026!", engine=engine, settings=settings) == 6

        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="db.engine"):
            init_db(settings)  # the next start: nothing to do, nothing logged
        assert not [r for r in caplog.records if "schema upgraded" in r.getMessage()]
        assert catalog_of(url) == upgraded
    finally:
        auth.login_throttle.clear()
        dispose_engines(url)


def test_fill_login_keys_gives_keys_to_rows_an_older_process_wrote(make_database: Callable[[], str], tmp_path: Path) -> None:
    """During a rolling upgrade an older process may still insert without a key: the next start fills it."""
    url = make_database()
    build_with_init_db(url, tmp_path)
    run_sql(url, """INSERT INTO "user" (login_id, login_pw) VALUES ('Late01', 'h'), ('LATE01', 'h'), ('fresh01', 'h');"""
                 """UPDATE "user" SET login_key = 'fresh01' WHERE login_id = 'fresh01';"""
                 """INSERT INTO "user" (login_id, login_pw) VALUES ('FRESH01', 'h');""")  # fmt: skip
    build_with_init_db(url, tmp_path)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            keys = dict(conn.execute(text('SELECT login_id, login_key FROM "user"')).all())
    finally:
        engine.dispose()
    assert keys == {"Late01": "late01", "LATE01": None, "fresh01": "fresh01", "FRESH01": None}


def test_init_db_refuses_a_database_lacking_a_required_column(make_database: Callable[[], str], tmp_path: Path) -> None:
    url = make_database()
    build_with_init_db(url, tmp_path)
    run_sql(url, "ALTER TABLE chat_history DROP COLUMN role")
    with pytest.raises(ConfigurationError) as err:
        build_with_init_db(url, tmp_path)
    assert err.value.context == {"table": "chat_history", "column": "role"}
    dispose_engines(url)
    assert "role" not in {name for (t, _pos, name, *_rest) in catalog_of(url).columns if t == "chat_history"}
