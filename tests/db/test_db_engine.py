"""db.engine: the pooled engine, transactions, error translation, start-up and schema creation."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from adgen.errors import DatabaseError
from adgen.settings import Settings
from db import crud
from db.engine import get_engine, init_db, session_scope, shutdown_db, translate_db_errors

ROOT = Path(__file__).resolve().parents[2]


def test_one_engine_per_database_and_pool_settings(settings: Settings, engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    assert get_engine(settings) is engine  # the app and the tests share the process's pool
    assert get_engine(settings.model_copy()) is engine
    other = get_engine(settings_factory(db_statement_timeout_ms=5000))
    assert other is not engine  # different limits never silently share an engine
    assert engine.pool.size() == settings.db_pool_size  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == settings.db_max_overflow  # type: ignore[attr-defined]
    assert engine.pool._timeout == settings.db_pool_timeout_s  # type: ignore[attr-defined]
    assert engine.pool._pre_ping is True


def test_every_connection_has_timeout_and_utc(engine: Engine, settings: Settings) -> None:
    with engine.connect() as conn:
        timeout = conn.execute(text("SELECT current_setting('statement_timeout')")).scalar_one()
        zone = conn.execute(text("SELECT current_setting('TimeZone')")).scalar_one()
        app = conn.execute(text("SELECT current_setting('application_name')")).scalar_one()
    assert timeout == f"{settings.db_statement_timeout_ms // 1000}s"
    assert zone == "UTC" and app == "adgen"


def test_session_scope_commits_and_keeps_objects_usable(engine: Engine) -> None:
    with session_scope(engine) as s:
        user = crud.create_user(s, login_id="kept01", hashed_pw="h")
    assert user.login_id == "kept01" and user.created_at is not None  # expire_on_commit=False
    with session_scope(engine) as s:
        assert crud.check_duplicate_id(s, "kept01")


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(KeyError), session_scope(engine) as s:
        crud.create_user(s, login_id="gone01", hashed_pw="h")
        raise KeyError("boom")
    with session_scope(engine) as s:
        assert not crud.check_duplicate_id(s, "gone01")


def test_integrity_errors_pass_through_untranslated(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        crud.save_chat_message(s, user_id=None, session_id="sess0001", message_id=1, role="bot", content="x")


def test_statement_timeout_becomes_database_error(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    slow = get_engine(settings_factory(db_statement_timeout_ms=100))
    with pytest.raises(DatabaseError) as exc, session_scope(slow) as s:
        s.execute(text("SELECT pg_sleep(3)"))
    assert exc.value.code == "database_error" and "statement timeout" in str(exc.value.context["reason"])
    assert exc.value.http_status == 503


def test_exhausted_pool_becomes_database_error(engine: Engine, settings_factory: Callable[..., Settings]) -> None:
    tiny = get_engine(settings_factory(db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=0.2))
    with tiny.connect():  # the only connection
        with pytest.raises(DatabaseError), session_scope(tiny) as s:
            s.execute(text("SELECT 1"))


def test_translate_db_errors_leaves_other_errors_alone() -> None:
    with pytest.raises(ValueError), translate_db_errors():
        raise ValueError("not a database problem")


def test_init_db_retries_then_gives_a_clear_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    closed_port = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url="postgresql+psycopg2://postgres@127.0.0.1:9/adgen",
        data_dir=tmp_path,
        db_connect_retries=2,
        db_connect_retry_delay_s=0.01,
    )
    with caplog.at_level(logging.WARNING, logger="db.engine"), pytest.raises(DatabaseError) as exc:
        init_db(closed_port)
    assert exc.value.message == "데이터베이스에 연결할 수 없습니다. 데이터베이스 서버 상태를 확인해 주세요."
    assert exc.value.context["attempts"] == 3
    assert len([r for r in caplog.records if "not reachable" in r.getMessage()]) == 3
    shutdown_db(closed_port)


def test_init_db_is_idempotent(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as s:
        crud.create_user(s, login_id="survivor", hashed_pw="h")
    assert init_db(settings) is engine
    with session_scope(engine) as s:
        assert crud.check_duplicate_id(s, "survivor")  # nothing was recreated


def test_two_processes_creating_the_schema_together(make_database: Callable[[], str], tmp_path: Path) -> None:
    url = make_database()
    script = textwrap.dedent(
        f"""
        from adgen.settings import Settings
        from db.engine import init_db
        init_db(Settings(_env_file=None, database_url={url!r}, data_dir={str(tmp_path)!r}, db_connect_retries=0))
        print("ok")
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
    from sqlalchemy import create_engine

    check = create_engine(url)
    with check.connect() as conn:
        tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one()
    check.dispose()
    assert tables == 6
