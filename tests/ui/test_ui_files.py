"""The UI never reads or serves a file the client names (issue 14, C1 and H1), over real HTTP.

Every event of the Blocks is called the way a browser calls it (``/gradio_api/queue/join`` + the event stream,
or ``/gradio_api/run/predict`` for unqueued events), with a foreign ``FileData`` in each file-like input in
turn, as a guest and as a signed-in user: a file outside the upload folder (in the temp folder, which Gradio
itself would serve), another user's stored image, ``/proc/self/environ``, the signing key, and another
browser's upload. Afterwards no file Gradio (or the UI) wrote holds any of those bytes, no output names them,
and ``/gradio_api/file=`` serves none of them.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio.utils import get_upload_folder
from PIL import Image
from sqlalchemy import Engine

from adgen import auth, services, storage
from adgen.settings import Settings
from adgen.ui import AdGenUI
from adgen.web.browsers import COOKIE_NAME
from tests.ui.conftest import PASSWORD, browser_cookie

FILE_COMPONENTS = (gr.File, gr.Image, gr.Gallery, gr.Chatbot, gr.DownloadButton, gr.Video, gr.Audio, gr.Model3D,
                   gr.UploadButton, gr.ImageEditor, gr.AnnotatedImage, gr.MultimodalTextbox, gr.Dataframe)  # fmt: skip


REFUSALS = ("it was not uploaded by a user", "located in one of the blocked_paths", "올린 사진을 찾을 수 없습니다")


def file_data(path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "orig_name": "photo.png", "meta": {"_type": "gradio.FileData"}}


def call_event(base: str, fn_index: int, queued: bool, data: list[Any], cookies: dict[str, str]) -> list[dict[str, Any]]:
    """Call one event as the browser does; returns the messages (or one ``refused`` message)."""
    session = uuid.uuid4().hex[:11]
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        if not queued:
            r = client.post("/gradio_api/run/predict", json=body)
            return [{"msg": "direct", "status": r.status_code, "body": r.text}]
        r = client.post("/gradio_api/queue/join", json=body)
        if r.status_code != 200:
            return [{"msg": "refused", "status": r.status_code, "body": r.text}]
        messages: list[dict[str, Any]] = []
        with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                messages.append(message)
                if message.get("msg") in ("process_completed", "close_stream", "unexpected_error"):
                    break
        return messages


def plausible(component: Any, token: str | None) -> Any:
    """A value the event accepts for a non-file input, so the handler gets as far as the file."""
    if isinstance(component, gr.BrowserState):
        return token if getattr(component, "storage_key", "") == "adgen-token" else None
    if isinstance(component, gr.Textbox):
        return "카페 신메뉴 딸기라떼 홍보"
    if isinstance(component, gr.Radio | gr.Dropdown):
        choices = getattr(component, "choices", None) or []
        return choices[0][1] if choices else None
    if isinstance(component, gr.Slider):
        return component.value
    return None


def written_since(start: float) -> Iterator[Path]:
    """Every file Gradio's cache or the UI's image folder got since ``start``."""
    for root in (Path(get_upload_folder()), Path(os.environ.get("TMPDIR", "/tmp")) / "adgen-ui"):
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime >= start:
                    yield path
            except OSError:
                continue


def paths_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key in ("path", "url"):
            if isinstance(value.get(key), str):
                yield value[key]
        for v in value.values():
            yield from paths_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from paths_in(v)


@pytest.fixture
def foreign_files(ui: AdGenUI, ui_settings: Settings, engine: Engine, tmp_path: Path, base_url: str) -> dict[str, tuple[str, bytes]]:
    """name -> (path, secret bytes) of files nobody may read through the UI."""
    canary = tmp_path / "canary.png"  # under the temp folder: Gradio serves such paths from outputs
    canary_bytes = b"CANARY-" + secrets.token_hex(16).encode()
    canary.write_bytes(canary_bytes)
    # Another user's stored image, made without the UI (so it never entered Gradio's cache legitimately).
    victim = auth.register_user("victim77", PASSWORD, engine=engine, settings=ui_settings)
    result = services.create_advertisement(uuid.uuid4().hex, victim, "수제 케이크 전문점 오픈", "1:1", {}, ctx=ui.ctx)
    stored = services.open_owned_image(ui.ctx, victim, storage.hash_from_url(result.variants[0].image_url) or "")
    environ = Path("/proc/self/environ")
    signing_key = ui_settings.data_dir / "secret_key"
    ui_settings.signing_key()  # written on first use in development
    # Another browser's upload: a real upload through the guard, with that browser's own cookie.
    other_png = tmp_path / "other-browser.png"
    Image.new("RGB", (40, 40), (1, 2, 3)).save(other_png)
    other_bytes = other_png.read_bytes()
    with httpx.Client(base_url=base_url, cookies=browser_cookie(base_url), timeout=30) as other:
        r = other.post("/gradio_api/upload", files={"files": ("other.png", other_bytes, "image/png")})
        assert r.status_code == 200, r.text
        other_upload = r.json()[0]
    files = {
        "outside-uploads": (str(canary), canary_bytes),
        "stored-image-of-another-user": (str(stored), Path(stored).read_bytes()),
        "proc-environ": (str(environ), environ.read_bytes()[:48]),
        "signing-key": (str(signing_key), signing_key.read_bytes()),
        "etc-hostname": ("/etc/hostname", Path("/etc/hostname").read_bytes().strip() or b"\x00never"),
    }
    return files | {"another-browser-upload": (other_upload, other_bytes)}


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "user"])
def test_no_event_reads_or_serves_a_foreign_file(signed_in: bool, ui: AdGenUI, base_url: str, foreign_files: dict[str, tuple[str, bytes]],
                                                 engine: Engine, ui_settings: Settings) -> None:  # fmt: skip
    demo = ui.demo
    assert demo is not None
    token = None
    if signed_in:
        auth.register_user("attacker7", PASSWORD, engine=engine, settings=ui_settings)
        token = auth.authenticate_user("attacker7", PASSWORD, engine=engine, settings=ui_settings)["session_token"]
    cookies = browser_cookie(base_url)
    start = time.time() - 1
    tried = 0
    for fn_index, fn in demo.fns.items():
        file_inputs = [i for i, c in enumerate(fn.inputs) if isinstance(c, FILE_COMPONENTS)]
        for position in file_inputs:
            for name, (path, _) in foreign_files.items():
                data = [plausible(c, token) for c in fn.inputs]
                data[position] = file_data(path)
                messages = call_event(base_url, fn_index, fn.queue is not False, data, cookies)
                tried += 1
                text = json.dumps(messages, ensure_ascii=False)
                # Refused: by Gradio's own path check (now on, data folder blocked) or by the handler (not this
                # browser's upload); never a job-cap refusal, which would mean the check was never reached.
                assert any(m in text for m in REFUSALS), f"{fn.name}[{position}] {name}: not refused: {text[:300]}"
                shown = [p for m in messages for p in paths_in(m.get("output", m))]
                for shown_path in shown:
                    assert Path(path).name not in shown_path or name == "another-browser-upload" and shown_path != path, (
                        f"{fn.name}[{position}] {name}: an output names the file: {shown_path}"
                    )
    assert tried >= len(foreign_files), "no file-like input found: the test would prove nothing"
    for written in written_since(start):
        content = written.read_bytes()
        for name, (_, secret) in foreign_files.items():
            if name == "another-browser-upload" or len(secret) < 8:
                continue  # in the cache legitimately (its own browser uploaded it) / too short to tell from chance
            assert secret not in content, f"{name} was copied to {written}"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for name, (path, secret) in foreign_files.items():
            r = client.get(f"/gradio_api/file={path}")
            if name == "another-browser-upload":
                continue  # Gradio serves its own cache by unguessable content-hash URL; reading it needs the URL
            assert r.status_code in (403, 404) and secret not in r.content, (name, r.status_code)


def test_an_upload_serves_only_the_browser_that_made_it(ui: AdGenUI, base_url: str, tmp_path: Path) -> None:
    """check_photo (unqueued) with the same uploaded path: previewed for its own browser, refused for another."""
    demo = ui.demo
    assert demo is not None
    fn_index = next(i for i, f in demo.fns.items() if getattr(f.fn, "__name__", "") == "check_photo")
    photo = tmp_path / "mine.png"
    Image.new("RGB", (48, 48), (9, 80, 160)).save(photo)
    owner = browser_cookie(base_url)
    with httpx.Client(base_url=base_url, cookies=owner, timeout=30) as client:
        path = client.post("/gradio_api/upload", files={"files": ("mine.png", photo.read_bytes(), "image/png")}).json()[0]

    def check(cookies: dict[str, str]) -> dict[str, Any]:
        return json.loads(call_event(base_url, fn_index, False, [file_data(path)], cookies)[0]["body"])

    mine = check(owner)
    assert "사진 확인" in json.dumps(mine, ensure_ascii=False) and list(paths_in(mine.get("data"))), mine
    theirs = check(browser_cookie(base_url))
    assert "올린 사진을 찾을 수 없습니다" in json.dumps(theirs, ensure_ascii=False)
    assert not list(paths_in(theirs.get("data"))), "a refused photo must not be previewed"


def test_the_reported_chat_echo_reads_nothing(ui: AdGenUI, base_url: str, tmp_path: Path) -> None:
    """The reproduction of the report: a chat message carrying /etc/hostname posted to the generate event."""
    demo = ui.demo
    assert demo is not None
    assert not any(isinstance(c, gr.Chatbot) for f in demo.fns.values() for c in f.inputs), "no event takes the chat from the client"
    secret = Path("/etc/hostname").read_bytes().strip()
    fn_index = next(i for i, f in demo.fns.items() if f.api_name == "generate")
    start = time.time() - 1
    chat = [{"role": "user", "content": [{"type": "file", "file": {"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}}}]}]
    # The old layout (token, text, chat, ...) and the new one with the chat where the session id goes.
    for data in ([None, "카페 홍보", chat, None, "1:1", "both", "auto", "auto", 1, None],
                 [None, "카페 홍보", chat, "1:1", "both", "auto", "auto", 1, None]):  # fmt: skip
        messages = call_event(base_url, fn_index, True, data, browser_cookie(base_url))
        assert not any("/etc/hostname" in p for m in messages for p in paths_in(m.get("output", {})))
    assert not any(secret and secret in p.read_bytes() for p in written_since(start))


def test_deep_links_are_off(ui: AdGenUI, base_url: str, driver: Any) -> None:
    token = driver.signup("deeplink1")
    session_hash = driver.client.session_hash
    with httpx.Client(base_url=base_url, timeout=30) as client:
        r = client.get("/gradio_api/deep_link", params={"session_hash": session_hash})
        assert r.status_code == 404 and token not in r.text
        config = client.get("/config", params={"deep_link": "abc123"})
        assert config.status_code == 200 and token not in config.text
        assert config.json().get("deep_link_state") in (None, "none", "invalid")


def test_uploads_need_the_browser_cookie_and_are_limited(ui_settings: Settings, base_url: str) -> None:
    png = Path(__file__)  # any bytes: the guard refuses before Gradio parses anything
    with httpx.Client(base_url=base_url, timeout=30) as client:
        r = client.post("/gradio_api/upload", files={"files": ("a.png", b"x" * 10, "image/png")})
        assert r.status_code == 403 and "새로 고친 뒤" in r.text and r.headers["x-adgen-error"] == "upload_refused"
    cookies = browser_cookie(base_url)
    with httpx.Client(base_url=base_url, cookies=cookies, timeout=30) as client:
        pair = [("files", ("a.png", b"a" * 10, "image/png")), ("files", ("b.png", b"b" * 10, "image/png"))]
        two = client.post("/gradio_api/upload", files=pair)
        assert two.status_code == 400 and "한 장만" in two.text
        big = b"x" * (int(ui_settings.max_upload_mb * 1024 * 1024) * 2 + 2 * 1024 * 1024)
        r = client.post("/gradio_api/upload", files={"files": ("big.png", big, "image/png")})
        assert r.status_code == 413 and "MB 이하" in r.text
        forged = dict(cookies)
        forged[COOKIE_NAME] = "forged." + cookies[COOKIE_NAME].split(".")[1]
    with httpx.Client(base_url=base_url, cookies=forged, timeout=30) as client:
        assert client.post("/gradio_api/upload", files={"files": ("a.png", png.read_bytes()[:10], "image/png")}).status_code == 403


@pytest.mark.parametrize("ui_settings", [{"uploads_per_client": 3}], indirect=True)
def test_uploads_are_rate_limited_per_browser(base_url: str) -> None:
    with httpx.Client(base_url=base_url, cookies=browser_cookie(base_url), timeout=30) as client:
        codes = [client.post("/gradio_api/upload", files={"files": (f"{i}.png", bytes([i]) * 20, "image/png")}).status_code
                 for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.parametrize("ui_settings", [{"allow_guest": False}], indirect=True)
def test_without_guests_only_a_signed_in_browser_uploads(driver: Any, base_url: str) -> None:
    files = {"files": ("a.png", b"a" * 20, "image/png")}
    cookies = driver.client.cookies
    with httpx.Client(base_url=base_url, cookies=cookies, timeout=30) as client:
        assert client.post("/gradio_api/upload", files=files).status_code == 401
        driver.signup("uploader1")  # this browser now holds a login
        assert client.post("/gradio_api/upload", files=files).status_code == 200
        driver.call("logout", driver.signup("uploader2"))
        assert client.post("/gradio_api/upload", files=files).status_code == 401
