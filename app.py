"""AdGen server: FastAPI with the Gradio UI at "/" and the REST API at "/api/v1".

Wiring only. `python app.py` (what `make run` and Hugging Face Spaces do) serves on
GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (127.0.0.1:7860 by default); `--share` adds a public link.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from adgen.api import create_api
from adgen.errors import AdGenError
from adgen.runtime import Runtime
from adgen.settings import Settings, get_settings
from adgen.ui import build_ui, mount_ui, ui_options
from adgen.web.guard import guarded
from adgen.web.server import uvicorn_options

log = logging.getLogger("app")


def create_app(runtime: Runtime) -> tuple[FastAPI, gr.Blocks]:
    app = FastAPI(title="AdGen", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/api/v1", create_api(runtime))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        state = getattr(runtime.ctx.image_generator, "state", None)  # a model loading in the background
        return JSONResponse(
            {
                "status": "ok",
                "copy_backend": getattr(runtime.ctx.copywriter, "name", "?"),
                "image_backend": getattr(runtime.ctx.image_generator, "name", "?"),
                "image_backend_state": state.phase if state is not None else "ready",
            }
        )

    ui = build_ui(runtime)
    # Gradio 6 takes the theme and CSS at mount/launch time, not in Blocks(); mount_ui also puts the HTTP guard
    # (adgen.web.guard: upload policy, body limits, security headers) in front of the whole app.
    app = mount_ui(app, ui, show_error=False)
    assert ui.demo is not None
    return app, ui.demo


def launch_on_gradio_server(app: FastAPI, demo: gr.Blocks, settings: Settings, *, host: str, port: int, share: bool) -> str:
    """Serve through Gradio's own launch (needed for a share link), with the REST API mounted onto it.

    Returns the local URL. Gradio builds its server app inside ``launch``; ``app``'s own routes (the
    ``/api/v1`` mount, ``/healthz``, the UI's ``/fonts``) are put in front of Gradio's so its catch-all never shadows them.
    """
    demo.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=True, show_error=False, **ui_options(settings)
    )
    own = [r for r in app.router.routes if getattr(r, "path", None) not in ("", "/")]  # all but the UI mount
    server = demo.server_app
    server.router.routes[:0] = own
    # The same guard as on our own server (uploads, limits, headers), in front of Gradio's built app.
    server.middleware_stack = guarded(server.build_middleware_stack(), settings=settings, browsers=app.state.browsers)
    return demo.local_url


def _warm_up(runtime: Runtime) -> None:
    """Load/compile the image model off the request path; the UI is usable meanwhile."""
    warmup = getattr(runtime.ctx.image_generator, "warmup", None)
    if warmup is None or not runtime.settings.sdxl_warmup:
        return

    def run() -> None:
        try:
            warmup()
            log.info("image model warm")
        except Exception:
            log.exception("warm-up failed; the first request will load the model")

    threading.Thread(target=run, name="adgen-warmup", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve AdGen (UI at /, REST API at /api/v1).")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--share", action="store_true", help="also create a public Gradio share link (demos)")
    args = parser.parse_args(argv)

    settings = get_settings()
    try:
        runtime = Runtime.create(settings)
    except AdGenError as exc:
        print(f"AdGen could not start: {exc.message} ({exc.code}) {exc.context or ''}", file=sys.stderr)
        return 2
    _warm_up(runtime)
    app, demo = create_app(runtime)
    log.info(
        "serving on http://%s:%d (copy: %s, image: %s)",
        args.host, args.port, runtime.ctx.copywriter.name, runtime.ctx.image_generator.name,
    )
    # SIGTERM (how a host stops a container) must end in the `finally` below like Ctrl-C does. uvicorn catches it,
    # stops serving, puts the previous handler back and raises the signal again: with the default handler the
    # process would die right there, the running generation and the embedded database cut off.
    signal.signal(signal.SIGTERM, _stop)
    try:
        if args.share:
            launch_on_gradio_server(app, demo, runtime.settings, host=args.host, port=args.port, share=True)
            demo.block_thread()
        else:
            uvicorn.run(
                app, host=args.host, port=args.port, log_level=settings.log_level.lower(), timeout_graceful_shutdown=5,
                **uvicorn_options(settings.request_header_timeout_s),
            )
    except Stopped:
        pass
    finally:
        from db.engine import shutdown_db

        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM stops at once
        # The server has stopped taking requests: let the running REST generation finish (SHUTDOWN_GRACE_S) and
        # fail what is still queued, before the database goes.
        log.info("stopping: finishing the running generation (up to %.0f s)", runtime.settings.shutdown_grace_s)
        runtime.shutdown()
        shutdown_db()
        log.info("stopped")
    return 0


class Stopped(Exception):
    """SIGTERM arrived."""


def _stop(signum: int, frame: object) -> None:
    raise Stopped()


if __name__ == "__main__":
    sys.exit(main())
