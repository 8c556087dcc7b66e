"""db.url: DATABASE_URL as providers hand it out (postgres://, postgresql://) reaches psycopg2; other schemes are refused.

The table tests the rewriting; the rest builds engines from those URLs against the test PostgreSQL.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from adgen.errors import ConfigurationError, DatabaseError
from db import engine as db_engine
from db.engine import get_engine, init_db, shutdown_db
from db.url import DRIVER_SCHEME, normalize_database_url
from tests.conftest import make_settings
from tests.live_server import free_port

SECRET = "S3cr3t-pw"


def provider_form(url: str, scheme: str) -> str:
    """The test database's URL as a provider would write it, with ``scheme``."""
    assert url.startswith(DRIVER_SCHEME + "://"), url
    return scheme + url.removeprefix(DRIVER_SCHEME)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://shop@db.example.com/adgen", "postgresql+psycopg2://shop@db.example.com/adgen"),
        ("postgres://shop:pw@db.example.com:5432/adgen", "postgresql+psycopg2://shop:pw@db.example.com:5432/adgen"),
        ("postgresql+psycopg2://shop:pw@db.example.com/adgen", "postgresql+psycopg2://shop:pw@db.example.com/adgen"),
        ("POSTGRES://shop@db.example.com/adgen", "postgresql+psycopg2://shop@db.example.com/adgen"),  # schemes ignore case
        # Supabase's pooler: a dotted user name and port 6543; Render/Neon: sslmode in the query.
        (
            "postgres://postgres.abcdefgh:p%40ss%2Fw%3Ard%23%25@aws-0-ap-northeast-2.pooler.supabase.com:6543/postgres?sslmode=require",
            "postgresql+psycopg2://postgres.abcdefgh:p%40ss%2Fw%3Ard%23%25@aws-0-ap-northeast-2.pooler.supabase.com:6543/postgres"
            "?sslmode=require",
        ),
        (
            "postgresql://u:pw@host/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fca.pem&options=-c%20search_path%3Dadgen",
            "postgresql+psycopg2://u:pw@host/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fca.pem&options=-c%20search_path%3Dadgen",
        ),
        ("postgresql:///adgen?host=/var/run/postgresql", "postgresql+psycopg2:///adgen?host=/var/run/postgresql"),  # Unix socket
        ("postgres://u@[::1]:5433/adgen", "postgresql+psycopg2://u@[::1]:5433/adgen"),
        ("  postgresql://u@host/db\n", "postgresql+psycopg2://u@host/db"),  # pasted into a secret with a newline
    ],
)
def test_provider_urls_become_psycopg2_urls(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize(
    ("given", "host", "port", "user", "password", "database", "query"),
    [
        ("postgres://a%40b:p%40ss%2Fw%3Ard@h:6543/db", "h", 6543, "a@b", "p@ss/w:rd", "db", {}),
        ("postgresql://u:%C3%A9%20%2B%26@h/db?sslmode=require", "h", None, "u", "é +&", "db", {"sslmode": "require"}),
        ("postgresql:///adgen?host=/run/postgresql&port=5433", None, None, None, None, "adgen",
         {"host": "/run/postgresql", "port": "5433"}),
        ("postgres://u:pw@[2001:db8::1]:5432/db", "2001:db8::1", 5432, "u", "pw", "db", {}),
    ],
)
def test_every_part_of_the_url_reaches_the_driver_unchanged(
    given: str, host: str | None, port: int | None, user: str | None, password: str | None, database: str, query: dict[str, str]
) -> None:
    url = make_url(normalize_database_url(given))
    assert url.drivername == "postgresql+psycopg2"
    assert (url.host, url.port, url.username, url.password, url.database) == (host, port, user, password, database)
    assert dict(url.query) == query


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (f"mysql://shop:{SECRET}@db.example.com/adgen", "mysql://"),
        (f"postgresql+psycopg://shop:{SECRET}@db.example.com/adgen", "postgresql+psycopg://"),  # psycopg 3: not installed
        (f"postgresql+asyncpg://shop:{SECRET}@db.example.com/adgen", "postgresql+asyncpg://"),
        (f"postgresql+pg8000://shop:{SECRET}@db.example.com/adgen", "postgresql+pg8000://"),
        ("sqlite:///data/adgen.db", "sqlite://"),
        (f"https://shop:{SECRET}@db.example.com/adgen", "https://"),
    ],
)
def test_other_schemes_are_refused_by_name_without_the_password(given: str, named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        normalize_database_url(given)
    exc = caught.value
    assert exc.code == "configuration_error"
    assert named in exc.message and named in str(exc.context["reason"])
    assert SECRET not in f"{exc} {exc.message} {exc.context}"


@pytest.mark.parametrize(
    "given",
    [
        f"shop:{SECRET}@db.example.com/adgen",  # no scheme at all
        f"shop:{SECRET}@db.example.com://adgen",  # what stands before :// is no scheme: never echoed
        f"postgres//shop:{SECRET}@db.example.com/adgen",
        f"postgres://shop:{SECRET}@db.example.com:54x2/adgen",  # a port that is not a number
        "",
    ],
)
def test_malformed_urls_are_refused_without_echoing_them(given: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        normalize_database_url(given)
    exc = caught.value
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)  # no chained error quoting the URL
    assert SECRET not in f"{exc} {exc.message} {exc.context}"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg2"])
def test_each_provider_form_connects_to_the_same_pool(
    scheme: str, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """The three spellings are one database: the same URL, so the same engine (one pool per process)."""
    settings = make_settings(provider_form(database_url, scheme), tmp_path / "data")
    assert db_engine.database_url(settings) == database_url
    assert get_engine(settings) is engine
    with get_engine(settings).connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_query_parameters_reach_the_server(database_url: str, tmp_path: Path) -> None:
    """A libpq parameter in the query string takes effect on the connection (here client_encoding)."""
    sep = "&" if "?" in database_url else "?"
    settings = make_settings(provider_form(database_url, "postgres") + f"{sep}client_encoding=LATIN1", tmp_path / "data")
    try:
        with init_db(settings).connect() as conn:
            assert conn.execute(text("SHOW client_encoding")).scalar_one() == "LATIN1"
    finally:
        shutdown_db(settings)  # disposes the engine of the normalised URL


def test_no_password_in_errors_or_logs_when_the_server_is_unreachable(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(f"postgres://adgen:{SECRET}@127.0.0.1:{free_port()}/none", tmp_path / "data", db_connect_retries=0)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DatabaseError) as caught:
        init_db(settings)
    exc = caught.value
    assert str(exc.context["url"]).startswith("postgresql+psycopg2://adgen:***@127.0.0.1:")
    assert SECRET not in f"{exc} {exc.message} {exc.context} {caplog.text}"
    shutdown_db(settings)


def test_a_refused_url_fails_at_start_up_and_shuts_down_quietly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(f"mysql://adgen:{SECRET}@127.0.0.1/none", tmp_path / "data")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigurationError, match="mysql://"):
        init_db(settings)
    shutdown_db(settings)  # what a `finally` does after the failed start: no second error
    assert SECRET not in caplog.text
