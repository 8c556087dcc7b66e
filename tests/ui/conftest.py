"""The Gradio UI served the way app.py serves it (FastAPI + gr.mount_gradio_app, uvicorn on loopback).

``driver`` calls the UI's named events through ``gradio_client`` and hands back each output by
component (``res[ui.chatbot]``), so tests do not depend on the order of an event's outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from gradio_client import Client
from sqlalchemy import Engine, text

from adgen.runtime import Runtime, TaskStore
from adgen.services import AdGenContext
from adgen.settings import Settings
from adgen.ui import AdGenUI, mount_ui
from adgen.web.browsers import COOKIE_NAME
from tests.live_server import serve

PASSWORD = "Cafe-Latte-2026!"


def make_runtime(settings: Settings, engine: Engine) -> Runtime:
    return Runtime(settings=settings, ctx=AdGenContext.from_settings(settings, engine), tasks=TaskStore(settings.data_dir / "tasks"))


def ui_app(ui: AdGenUI, settings: Settings) -> FastAPI:
    """What app.py does: a FastAPI app with the UI (and the HTTP guard) mounted at "/"."""
    return mount_ui(FastAPI(), ui)


def browser_cookie(base_url: str) -> dict[str, str]:
    """The signed browser cookie a page load sets, as a browser would keep it."""
    response = httpx.get(f"{base_url}/", timeout=30)
    response.raise_for_status()
    return {COOKIE_NAME: response.cookies[COOKIE_NAME]}


def make_client(base_url: str, downloads: Path, *, cookies: dict[str, str] | None = None) -> Client:
    """A gradio_client session that keeps the page's browser cookie (pass ``cookies={}`` for a client without one)."""
    jar = browser_cookie(base_url) if cookies is None else cookies
    return Client(f"{base_url}/", verbose=False, download_files=str(downloads), httpx_kwargs={"cookies": jar})


class Outputs(dict):  # type: ignore[type-arg]
    """An event's outputs by component."""

    def __getitem__(self, component: Any) -> Any:
        return super().__getitem__(component._id)


class Driver:
    def __init__(self, client: Client, ui: AdGenUI) -> None:
        self.client = client
        self.ui = ui

    def call(self, api_name: str, *args: Any) -> Outputs:
        fn = next(f for f in self.ui.demo.fns.values() if f.api_name == api_name)
        outputs = [o for o in fn.outputs if not o.skip_api]
        result = self.client.predict(*args, api_name=f"/{api_name}")
        if len(outputs) == 1:
            result = (result,)
        assert len(result) == len(outputs)
        return Outputs((o._id, v) for o, v in zip(outputs, result, strict=True))

    def signup(self, login_id: str, pw: str = PASSWORD) -> str:
        token = self.call("signup", login_id, pw, pw)[self.ui.token]
        assert isinstance(token, str) and token
        return token

    def generate(self, token: str | None, text_: str, *, session_id: str | None = None, ratio: str = "1:1",
                 content_type: str = "both", style: str = "auto", tone: str = "auto", variants: int = 1,
                 photo: Any = None) -> Outputs:  # fmt: skip
        return self.call("generate", token, text_, session_id, ratio, content_type, style, tone, variants, photo)


def count(engine: Engine, table: str, where: str = "TRUE", **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one())


@pytest.fixture
def ui_settings(request: pytest.FixtureRequest, settings_factory: Callable[..., Settings]) -> Settings:
    """The test settings, with overrides from ``@pytest.mark.parametrize("ui_settings", [{...}], indirect=True)``."""
    return settings_factory(**getattr(request, "param", {}))


@pytest.fixture
def runtime(ui_settings: Settings, engine: Engine) -> Runtime:
    return make_runtime(ui_settings, engine)


@pytest.fixture
def ui(runtime: Runtime) -> AdGenUI:
    return AdGenUI(runtime)


@pytest.fixture
def base_url(ui: AdGenUI, ui_settings: Settings) -> Iterator[str]:
    with serve(ui_app(ui, ui_settings)) as base:
        yield base


@pytest.fixture
def driver(base_url: str, ui: AdGenUI, tmp_path: Path) -> Driver:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    return Driver(make_client(base_url, downloads), ui)


@pytest.fixture
def make_driver(base_url: str, ui: AdGenUI, tmp_path: Path) -> Callable[[], Driver]:
    """A second browser: its own gradio_client session."""

    def make() -> Driver:
        return Driver(make_client(base_url, tmp_path), ui)

    return make
