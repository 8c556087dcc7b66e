"""A fake Hugging Face Hub on loopback: serves model repos from local folders over real HTTP.

Only what ``huggingface_hub`` needs to download a snapshot: the repo's info with its files and sizes
(``/api/models/{repo}[/revision/{rev}]``) and each file's metadata and bytes (``HEAD``/``GET
/{repo}/resolve/{rev}/{path}``, with the commit and ETag headers the client checks). Point the client at it
with ``huggingface_hub.constants.ENDPOINT`` (and a fresh ``HF_HUB_CACHE``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fake_hub(repos: dict[str, Path]) -> FastAPI:
    """An app serving ``repos`` (``"org/name"`` -> folder); every request is recorded in ``app.state.requests``."""
    app = FastAPI()
    app.state.requests = []

    def files_of(repo: str) -> dict[str, Path]:
        if repo not in repos:
            raise HTTPException(404, "Repository not found")
        root = repos[repo]
        return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}

    def etag(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    @app.middleware("http")
    async def record(request: Request, call_next):  # type: ignore[no-untyped-def]
        app.state.requests.append((request.method, request.url.path))
        return await call_next(request)

    @app.get("/api/models/{org}/{name}")
    @app.get("/api/models/{org}/{name}/revision/{revision}")
    def model_info(org: str, name: str, revision: str = "main") -> JSONResponse:
        repo = f"{org}/{name}"
        siblings = [{"rfilename": rel, "size": p.stat().st_size, "blobId": etag(p)[:40]} for rel, p in files_of(repo).items()]
        return JSONResponse({"id": repo, "modelId": repo, "sha": COMMIT, "siblings": siblings, "private": False})

    @app.get("/api/models/{org}/{name}/tree/{revision}")
    def tree(org: str, name: str, revision: str) -> JSONResponse:
        files = files_of(f"{org}/{name}")
        entries = [{"type": "file", "path": rel, "size": p.stat().st_size, "oid": etag(p)[:40]} for rel, p in files.items()]
        return JSONResponse(entries)

    @app.api_route("/{org}/{name}/resolve/{revision}/{path:path}", methods=["GET", "HEAD"])
    def resolve(org: str, name: str, revision: str, path: str, request: Request) -> Response:
        file = files_of(f"{org}/{name}").get(path)
        if file is None:
            raise HTTPException(404, "Entry not found", headers={"X-Error-Code": "EntryNotFound"})
        headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{etag(file)}"', "Content-Length": str(file.stat().st_size)}
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers)
        return FileResponse(file, headers={"X-Repo-Commit": COMMIT, "ETag": f'"{etag(file)}"'})

    return app
