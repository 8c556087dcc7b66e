"""Fixtures for fault injection: the live REST API (tests/api/conftest.py), an API factory for other
backends, and an admin connection that can kill the application's database connections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from adgen.api import create_api
from adgen.runtime import Runtime, TaskStore
from adgen.services import AdGenContext
from adgen.settings import Settings
from tests.api import conftest as api_conftest
from tests.live_server import serve

runtime = api_conftest.runtime
api = api_conftest.api


class Killer:
    """``pg_terminate_backend`` from a separate connection (not one of the app's pool)."""

    def __init__(self, database_url: str) -> None:
        self._engine = create_engine(database_url, poolclass=NullPool, connect_args={"application_name": "adgen-fault-injector"})

    def kill_app_connections(self) -> int:
        """Terminate every connection of the app (application_name 'adgen') to this database."""
        with self._engine.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND application_name = 'adgen' AND pid <> pg_backend_pid()"
                    )
                ).all()
            )

    def kill(self, pid: int) -> None:
        with self._engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()

    def dispose(self) -> None:
        self._engine.dispose()


@pytest.fixture
def killer(database_url: str) -> Iterator[Killer]:
    k = Killer(database_url)
    yield k
    k.dispose()


@pytest.fixture
def start_api(settings_factory: Callable[..., Settings], engine: Engine) -> Iterator[Callable[..., tuple[str, Runtime]]]:
    """``start_api(**settings)``: the REST API with those settings on a live server; (base URL, runtime)."""
    servers: list[Any] = []
    runtimes: list[Runtime] = []

    def start(**overrides: Any) -> tuple[str, Runtime]:
        s = settings_factory(**({"copywriter_backend": "local", "image_backend": "template"} | overrides))
        rt = Runtime(settings=s, ctx=AdGenContext.from_settings(s, engine), tasks=TaskStore(s.data_dir / "tasks"))
        cm = serve(create_api(rt))
        base = cm.__enter__()
        servers.append(cm)
        runtimes.append(rt)
        return base, rt

    yield start
    for rt in runtimes:
        rt.wait_idle()
    for cm in reversed(servers):
        cm.__exit__(None, None, None)
