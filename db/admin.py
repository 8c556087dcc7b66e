"""Server-level chores on raw psycopg2 connections: create/drop databases, find a local server.

Used by the embedded-server start-up (its ``adgen`` database), the test fixtures (a throwaway
database per run) and benchmarks/db_bench.py (a fresh database per run).
"""

from __future__ import annotations

import re
import time
from typing import Any

import psycopg2
from psycopg2 import errors as pg_errors
from sqlalchemy.engine import URL, make_url

CONNECT_TIMEOUT_S = 10
_DATABASE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def url_as_dsn(url: str) -> dict[str, Any]:
    """psycopg2 keyword arguments for a SQLAlchemy URL (socket URLs keep ``host`` in the query)."""
    parsed = make_url(url)
    dsn: dict[str, Any] = {k: v for k, v in dict(parsed.query).items() if isinstance(v, str)}
    for key, value in (
        ("host", parsed.host),
        ("port", parsed.port),
        ("user", parsed.username),
        ("password", parsed.password),
        ("dbname", parsed.database),
    ):
        if value is not None:
            dsn[key] = value
    return dsn


def dsn_as_url(dsn: dict[str, Any]) -> str:
    """The SQLAlchemy URL for psycopg2 keyword arguments (inverse of ``url_as_dsn``)."""
    host = str(dsn.get("host", ""))
    on_socket = host.startswith("/")
    query = {"host": host, "port": str(dsn.get("port", 5432))} if on_socket else {}
    url = URL.create(
        "postgresql+psycopg2",
        username=dsn.get("user"),
        password=dsn.get("password"),
        host=None if on_socket else (host or None),
        port=None if on_socket else (int(dsn["port"]) if dsn.get("port") else None),
        database=dsn.get("dbname"),
        query=query,
    )
    return url.render_as_string(hide_password=False)


def maintenance_dsn(url: str) -> dict[str, Any]:
    """Connection arguments for the ``postgres`` database of the server behind ``url``."""
    return url_as_dsn(url) | {"dbname": "postgres"}


def find_local_server(
    host: str = "127.0.0.1", port: int = 5432, users: tuple[str, ...] = ("postgres", "root"), dbname: str = "test"
) -> dict[str, Any] | None:
    """Connection arguments for a trust-auth PostgreSQL at host:port, or None when none answers."""
    for user in users:
        dsn = {"host": host, "port": port, "user": user, "dbname": dbname}
        try:
            psycopg2.connect(connect_timeout=3, **dsn).close()
        except psycopg2.OperationalError:
            continue
        return dsn
    return None


def create_database(admin_dsn: dict[str, Any], name: str, *, if_missing: bool = False) -> bool:
    """``CREATE DATABASE name``; True when this call created it.

    With ``if_missing``, an existing database (also one another process creates at the same
    moment) is fine; without, it is an error.
    """
    _check_name(name)
    conn = psycopg2.connect(connect_timeout=CONNECT_TIMEOUT_S, **admin_dsn)
    try:
        conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with conn.cursor() as cur:
            if if_missing:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone():
                    return False
            try:
                cur.execute(f'CREATE DATABASE "{name}"')
            except (pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
                if if_missing:
                    return False  # created by another process between our check and our CREATE
                raise
            return True
    finally:
        conn.close()


def drop_database(admin_dsn: dict[str, Any], name: str) -> None:
    """``DROP DATABASE IF EXISTS name WITH (FORCE)``: connections left behind do not keep it alive."""
    _check_name(name)
    # A busy server has been seen to drop the admin connection while FORCE ends the others' sessions;
    # the DROP is idempotent (IF EXISTS), so a couple of retries make it dependable.
    for attempt in range(3):
        try:
            conn = psycopg2.connect(connect_timeout=CONNECT_TIMEOUT_S, **admin_dsn)
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                conn.close()
            return
        except psycopg2.OperationalError:
            if attempt == 2:
                raise
            time.sleep(1.0 + attempt)


def _check_name(name: str) -> None:
    # Database names are spliced into DDL (identifiers cannot be bound parameters).
    if not _DATABASE_NAME_RE.fullmatch(name):
        raise ValueError(f"database name must be a plain identifier, got {name!r}")
