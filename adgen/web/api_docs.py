"""Swagger UI (``/docs``) and ReDoc (``/redoc``) for the REST API, served by the app itself.

FastAPI's own pages load their JavaScript and CSS from cdn.jsdelivr.net (and a favicon from
fastapi.tiangolo.com, ReDoc's fonts from Google): offline, on a closed network or under a strict
Content-Security-Policy they stay blank. The files come from the ``fastapi-offline`` package
(Swagger UI 5 and ReDoc 2 builds, pinned in requirements.txt) and are served under ``/static``
next to the pages, so the pages ask no other host for anything: Swagger UI's online validator is
off too (it would send the spec's URL to validator.swagger.io).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from adgen.errors import ConfigurationError

# swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png
STATIC_DIR: Final = Path(str(files("fastapi_offline") / "static"))
STATIC_PATH: Final = "/static"
DOCS_PATH: Final = "/docs"
REDOC_PATH: Final = "/redoc"


def add_api_docs(api: FastAPI) -> None:
    """Serve Swagger UI at ``DOCS_PATH`` and ReDoc at ``REDOC_PATH`` of ``api`` (created with ``docs_url=None,
    redoc_url=None``), their files at ``STATIC_PATH``. URLs carry the mount's root path (``/api/v1``)."""
    if not (STATIC_DIR / "swagger-ui-bundle.js").is_file():  # a broken install: say so at start-up, not as a blank page
        raise ConfigurationError(reason=f"Swagger UI files missing in {STATIC_DIR}; reinstall requirements.txt (fastapi-offline)")
    assert api.openapi_url is not None
    openapi_url = api.openapi_url
    api.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="api-docs-static")

    @api.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{api.title} - Swagger UI",
            swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @api.get(REDOC_PATH, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{api.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
            with_google_fonts=False,
        )


def _root(request: Request) -> str:
    # Where the API is mounted ("/api/v1"), as FastAPI's own docs pages find it.
    return str(request.scope.get("root_path", "")).rstrip("/")
