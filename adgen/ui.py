"""The Gradio UI: 로그인, 광고 생성, 채팅 기록.

``build_ui(runtime)`` returns the UI with its Blocks built; ``app.py`` mounts it with ``mount_ui`` (or, for a share link, passes
``ui_options(settings)`` to ``launch``): Gradio 6 takes the theme and the
CSS at mount/launch time, not in ``gr.Blocks``.

Who the user is comes from one place: the session token kept in a ``gr.BrowserState`` (browser
localStorage; Gradio obfuscates it with a key it also sends to the page, so it is *not* secret from
scripts on the page), verified server-side by ``adgen.auth.verify_token`` in every handler and revoked by logout.
No handler accepts a user id from the browser. An empty token is a guest (when
``settings.allow_guest``): guests generate, nothing is stored.

Generation runs in Gradio's worker thread in one queue (``concurrency_id="gpu"``); account and
history handlers run outside the queue (``queue=False``), so they never wait behind a generation
nor get refused when the queue is full.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import fastapi
import gradio as gr
from PIL import Image

from adgen import auth, services, storage, validation
from adgen.admission import JobCaps
from adgen.copywriter import STYLES
from adgen.errors import AdGenError, InvalidTokenError, InvalidUploadError, NotFoundError, QueueFullError, ValidationError
from adgen.logging_setup import fingerprint, shorten
from adgen.runtime import Runtime
from adgen.settings import Settings
from adgen.web.browsers import COOKIE_NAME, BrowserRegistry
from adgen.web.guard import guard_app, upload_body_limit

log = logging.getLogger(__name__)

PRODUCT_NAME: Final = "AdGen 광고 스튜디오"
VALUE_PROPOSITION: Final = "한 문장이면 충분해요. 문구와 이미지가 어우러진 광고를 바로 만들어 드려요."
GALLERY_PAGE_SIZE: Final = 12
SESSION_LIST_LIMIT: Final = 30
KST: Final = timezone(timedelta(hours=9), "KST")  # Korea has no daylight saving time

STYLE_LABELS: Final[dict[str, str]] = {
    "modern": "모던",
    "warm": "따뜻한",
    "vivid": "비비드",
    "minimal": "미니멀",
    "premium": "프리미엄",
    "natural": "내추럴",
    "bright": "화사한",
}
INDUSTRY_LABELS: Final[dict[str, str]] = {
    "cafe": "카페",
    "bakery": "베이커리",
    "restaurant": "음식점",
    "beauty": "뷰티",
    "fitness": "피트니스",
    "fashion": "패션",
    "academy": "학원",
    "flower": "꽃집",
    "pet": "반려동물",
    "realestate": "부동산",
    "general": "일반",
}
COPY_BACKEND_LABELS: Final[dict[str, str]] = {"local": "로컬 카피라이터", "openai": "OpenAI", services.OWNER_COPY_BACKEND: "직접 수정"}
IMAGE_BACKEND_LABELS: Final[dict[str, str]] = {"template": "템플릿 렌더러", "tiny": "Tiny SDXL", "sdxl": "SDXL"}
CONTENT_CHOICES: Final = [("이미지+문구", "both"), ("이미지만", "image"), ("문구만", "text")]
TONE_CHOICES: Final = [("자동", "auto"), ("존댓말", "존댓말"), ("반말", "반말")]
AUTO: Final = "auto"
PROMPT_EXAMPLES: Final = (
    "카페 신메뉴 딸기라떼 홍보, 20% 할인",
    "동네 빵집 주말 한정 소금빵 출시",
    "필라테스 스튜디오 신규 회원 첫 달 50% 할인",
    "꽃집 어버이날 카네이션 예약 받아요",
)
# Not given to the upload as ``file_types``: Gradio refuses other files itself, in English ("Invalid file
# type..."); every file reaches ``check_photo`` instead, which answers in Korean.
UPLOAD_TYPES: Final = [".png", ".jpg", ".jpeg", ".webp"]
PREVIEW_SIZE: Final = (512, 512)  # product photo thumbnails in the chat and the preview
# BrowserState never writes a falsy value to localStorage (Gradio 6 skips it), so None cannot clear a
# stored token or session: this marker does, and the handlers read it as "none".
CLEARED: Final = "-"

HOW_IT_WORKS: Final = (
    ("한 문장으로 요청", "\"카페 신메뉴 딸기라떼 홍보, 20% 할인\"처럼 적고, 있으면 상품 사진도 올려 주세요."),
    ("문구와 이미지를 한 번에", "업종과 분위기에 맞는 한국어 광고 문구를 쓰고, 이미지 위에 보기 좋게 배치해요."),
    ("대화로 다듬기", "\"더 밝게\", \"문구를 짧게\"라고 말하면 바로 고쳐 드려요. 1:1, 4:3, 3:4 모두 지원해요."),
)
STEPS_HTML: Final = (
    '<div class="adgen-steps">'
    + "".join(
        f'<div class="adgen-step"><i>{i}</i><b>{html.escape(title)}</b><span>{html.escape(text)}</span></div>'
        for i, (title, text) in enumerate(HOW_IT_WORKS, start=1)
    )
    + "</div>"
)

# --- look --------------------------------------------------------------------------------

BRAND = gr.themes.Color(
    name="adgen",
    c50="#f3f1ff",
    c100="#e9e5ff",
    c200="#d5ceff",
    c300="#b5a6ff",
    c400="#9175ff",
    c500="#7246f5",
    c600="#6231e8",
    c700="#5423cc",
    c800="#461fa6",
    c900="#3b1d85",
    c950="#22105a",
)
# The Korean fonts a visitor's system has come first; "AdGen Nanum" is the app's own copy of NanumSquare, served by
# this server (``/fonts/...``, see ``add_font_routes``) for a browser with none of them - the app must read right
# offline and on a bare Linux desktop, where Hangul would otherwise be empty boxes. The browser fetches it only for
# characters in its unicode-range that no earlier font in the stack has.
WEB_FONT: Final = "AdGen Nanum"
WEB_FONT_FILES: Final = {"NanumSquareR.ttf": "100 500", "NanumSquareB.ttf": "600 900"}  # file -> CSS weight range
FONT_STACK: Final = ("Pretendard", "Apple SD Gothic Neo", "Malgun Gothic", "NanumSquare", "NanumBarunGothic", "NanumGothic",
                     "Noto Sans KR", WEB_FONT, "system-ui", "sans-serif")  # fmt: skip
MONO_STACK: Final = ("D2Coding", "NanumGothicCoding", "ui-monospace", WEB_FONT, "monospace")
# Hangul Jamo, CJK symbols and punctuation, compatibility Jamo, Jamo extended A/B, syllables, full-width forms.
HANGUL_RANGE: Final = "U+1100-11FF, U+3000-303F, U+3130-318F, U+A960-A97F, U+AC00-D7AF, U+D7B0-D7FF, U+FF00-FFEF"


def build_theme() -> gr.themes.Base:
    return gr.themes.Soft(
        primary_hue=BRAND,
        secondary_hue=BRAND,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_lg,
        font=list(FONT_STACK),
        font_mono=list(MONO_STACK),
    ).set(
        body_background_fill="#f6f5fb",
        block_border_width="1px",
        block_border_color="#ebe8f5",
        block_shadow="0 1px 2px rgb(35 20 90 / 0.04)",
        button_primary_background_fill="linear-gradient(135deg, *primary_500, *primary_700)",
        button_primary_background_fill_hover="linear-gradient(135deg, *primary_600, *primary_800)",
        button_primary_text_color="white",
        button_large_radius="12px",
        input_background_fill="white",
    )


FONT_FACES: Final = "".join(
    f'@font-face {{ font-family: "{WEB_FONT}"; src: url("fonts/{name}") format("truetype"); font-weight: {weights}; '
    f"font-style: normal; font-display: swap; unicode-range: {HANGUL_RANGE}; }}\n"
    for name, weights in WEB_FONT_FILES.items()
)

CSS: Final = FONT_FACES + """
.gradio-container { max-width: 1240px !important; width: 100% !important; margin: 0 auto !important; }
footer { display: none !important; }
#adgen-header { margin-bottom: 4px; }
.adgen-hero { display: flex; align-items: center; justify-content: space-between; gap: 16px; flex-wrap: wrap;
  padding: 22px 26px; border-radius: 20px; color: #fff;
  background: radial-gradient(circle at 85% 20%, rgb(255 255 255 / 0.18), transparent 40%),
              linear-gradient(120deg, #3b1d85 0%, #6231e8 55%, #a855f7 100%);
  box-shadow: 0 10px 30px rgb(98 49 232 / 0.25); }
.adgen-hero h1 { margin: 0; font-size: 26px; font-weight: 800; letter-spacing: -0.5px; color: #fff; }
.adgen-hero p { margin: 6px 0 0; font-size: 15px; opacity: 0.92; color: #fff; }
.adgen-logo { color: #fff !important; display: inline-grid; place-items: center; width: 38px; height: 38px; margin-right: 10px;
  border-radius: 11px; background: rgb(255 255 255 / 0.18); font-size: 20px; vertical-align: middle; }
.adgen-badge { display: inline-flex; align-items: center; gap: 8px; padding: 8px 14px; border-radius: 999px;
  background: rgb(255 255 255 / 0.16); border: 1px solid rgb(255 255 255 / 0.3); font-size: 14px; font-weight: 600; }
.adgen-badge .dot { width: 8px; height: 8px; border-radius: 50%; background: #4ade80; box-shadow: 0 0 0 3px rgb(74 222 128 / 0.25); }
.adgen-badge.guest .dot { background: #fbbf24; box-shadow: 0 0 0 3px rgb(251 191 36 / 0.25); }
.adgen-card { background: #fff; border: 1px solid #ebe8f5; border-radius: 18px; padding: 18px !important; }
.adgen-hint { background: #fff8e6; border: 1px solid #fde3a7; border-radius: 12px; padding: 10px 14px !important; }
.adgen-hint p { margin: 0; color: #7a5200; }
.adgen-note p { color: #6b6880; font-size: 13px; margin: 0; }
.adgen-status p { margin: 0; font-size: 14px; }
.adgen-error p { color: #b42318; }
.adgen-meta p { font-size: 13px; color: #5b5870; margin: 2px 0; }
.adgen-section-title h3, .adgen-section-title h4 { margin: 0 0 4px; }
#adgen-send { min-width: 96px; }
#adgen-prompt textarea { font-size: 15px; }
#adgen-sessions .wrap { flex-direction: column; flex-wrap: nowrap; gap: 6px; max-height: 520px; overflow-y: auto; }
#adgen-sessions label { width: 100%; justify-content: flex-start; border-radius: 12px; padding: 10px 12px; }
#adgen-sessions label span { white-space: normal; line-height: 1.4; }
.adgen-pill { display: inline-block; padding: 2px 9px; margin-right: 4px; border-radius: 999px; font-size: 12px;
  font-weight: 700; line-height: 1.6; vertical-align: 1px; }
.adgen-pill.busy { background: #ede9fe; color: #5423cc; }
.adgen-pill.done { background: #dcfce7; color: #166534; }
.adgen-pill.info { background: #e0f2fe; color: #075985; }
.adgen-pill.warn { background: #fee4e2; color: #b42318; }
.adgen-steps { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; }
.adgen-step { background: #fff; border: 1px solid #ebe8f5; border-radius: 16px; padding: 16px 18px; }
.adgen-step b { display: block; margin-bottom: 4px; font-size: 15px; color: #22105a; }
.adgen-step span { font-size: 13px; color: #5b5870; line-height: 1.5; }
.adgen-step i { display: inline-grid; place-items: center; width: 26px; height: 26px; margin-bottom: 8px; border-radius: 8px;
  background: #ede9fe; color: #5423cc; font-style: normal; font-weight: 800; font-size: 13px; }
@media (max-width: 720px) { .adgen-steps { grid-template-columns: 1fr; } }
#adgen-gallery .grid-wrap.fixed-height { min-height: 0; height: auto; max-height: none; }
#adgen-gallery .gallery-container, #adgen-gallery .wrap { height: auto !important; }
.adgen-pager { align-items: center; }
/* Toast titles come untranslated from Gradio ("Error"): say it in Korean. */
.toast-title.error, .toast-title.warning, .toast-title.info, .toast-title.success { font-size: 0 !important; }
.toast-title.error::before { content: "확인해 주세요"; font-size: 14px; }
.toast-title.warning::before { content: "알림"; font-size: 14px; }
.toast-title.info::before, .toast-title.success::before { content: "안내"; font-size: 14px; }
.adgen-pager p { text-align: center; margin: 0; }
/* Korean breaks between words, not inside them ("#꽃스타그램" split as "#꽃/스타그램"); overlong words still wrap. */
#adgen-copy textarea, #adgen-chat .message, #history-chat .message { word-break: keep-all; overflow-wrap: anywhere; }
/* The chat's share button only works on Hugging Face Spaces; elsewhere it is an English error. */
#adgen-chat button[aria-label="공유"], #adgen-chat button[aria-label="Share"],
#history-chat button[aria-label="공유"], #history-chat button[aria-label="Share"] { display: none !important; }
@media (max-width: 720px) {
  #adgen-gallery .grid-container { grid-template-columns: repeat(2, minmax(0, 1fr)) !important; }
  .adgen-hero { padding: 16px 18px; border-radius: 16px; }
  .adgen-hero h1 { font-size: 21px; }
  .adgen-hero p { font-size: 13px; }
  .adgen-card { padding: 12px !important; }
  #adgen-input-row { flex-wrap: wrap; }
  #adgen-input-row > * { min-width: 100% !important; }
}
"""


def ui_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``gr.mount_gradio_app`` and ``Blocks.launch`` (same names in both)."""
    return {
        "theme": build_theme(),
        "css": CSS,
        "footer_links": [],
        # Run history would keep every call's inputs (the session token among them) in the browser.
        "run_history": False,
        # Gradio's /monitoring/summary (queue analytics) is public while this is None (its default).
        "enable_monitoring": False,
        # Gradio's own limit (checked in the browser too, in English) is the guard's: up to it, an oversized photo
        # reaches check_upload, which says in Korean how big it may be.
        "max_file_size": upload_body_limit(settings),
    }


def add_font_routes(app: fastapi.FastAPI) -> None:
    """``GET /fonts/{name}``: the bundled web font (``WEB_FONT_FILES`` only), cacheable for a week."""
    from fastapi.responses import FileResponse

    from adgen.compositor.fonts import FONTS_DIR

    @app.get("/fonts/{name}", include_in_schema=False)
    def font(name: str) -> FileResponse:
        if name not in WEB_FONT_FILES:  # a fixed list: no path from the request reaches the file system
            raise fastapi.HTTPException(status_code=404)
        return FileResponse(FONTS_DIR / name, media_type="font/ttf", headers={"Cache-Control": "public, max-age=604800"})


def mount_ui(app: fastapi.FastAPI, ui: AdGenUI, **launch_options: Any) -> fastapi.FastAPI:
    """Mount the UI on ``app`` at "/" with the theme, CSS and options it needs, the font its CSS loads, and the
    HTTP guard (``adgen.web.guard``) in front of the whole app.

    ``gr.mount_gradio_app`` never sets ``Blocks.has_launched``, and Gradio skips every file-path check on incoming
    and outgoing ``FileData`` until it is set (``processing_utils._check_allowed``): mounted, a client could name
    any server file as an input and have it served (docs/reliability.md, C1). It is set here, as ``launch()``
    does, and the data and log folders are blocked outright. The handlers then accept a file input only when it
    is one of this browser's own uploads (``BrowserRegistry.owns``).
    """
    settings = ui.settings
    demo = ui.demo if getattr(ui, "demo", None) is not None else ui.build()
    add_font_routes(app)
    blocked = [str(Path(p).resolve()) for p in (settings.data_dir, settings.log_dir)]
    mounted = gr.mount_gradio_app(app, demo, path="/", blocked_paths=blocked, **ui_options(settings), **launch_options)
    demo.has_launched = True
    _drop_deep_link_route(mounted)
    guard_app(app, settings=settings, browsers=ui.browsers)
    return mounted


def _drop_deep_link_route(app: fastapi.FastAPI) -> None:
    """Gradio's ``/gradio_api/deep_link`` saves any session's state (its token included) for whoever names its
    session hash; the app has no use for it. The guard refuses the path as well."""
    for route in list(app.router.routes):
        mount_app = getattr(route, "app", None)
        for r in list(getattr(mount_app, "routes", []) or []):
            if getattr(r, "path", "") == "/gradio_api/deep_link":
                mount_app.routes.remove(r)  # type: ignore[union-attr]


# --- helpers without Gradio state (unit-tested directly) ----------------------------------


def browser_state_secret(settings: Settings) -> str:
    """Key that encrypts the browser's copy of the token; stable across restarts so a reload stays logged in."""
    return hashlib.sha256(("adgen-ui-browser-state:" + settings.signing_key()).encode()).hexdigest()[:32]


def format_kst(moment: datetime | None, fmt: str = "%Y.%m.%d %H:%M") -> str:
    """A stored timestamp (naive UTC) as Korean local time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(KST).strftime(fmt)


def session_label(item: dict[str, Any]) -> str:
    first = " ".join(str(item.get("first_message") or "").split())
    if len(first) > 30:
        first = first[:29] + "…"
    when = format_kst(item.get("last_activity") or item.get("created_at"), "%m.%d %H:%M")
    return f"{first} · {when}" if when else first


def copy_markdown(text: str) -> str:
    """Ad copy as stored (headline, body, CTA, hashtags, one per line) as a chat message: headline in bold."""
    lines = [chat_text(line.strip()) for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    return "\n\n".join([f"**{lines[0]}**", *lines[1:]])


def result_meta_markdown(public: dict[str, Any]) -> str:
    """Seed, backends and time of one result, in words a shop owner can read."""
    copy_backend = COPY_BACKEND_LABELS.get(public.get("copy_backend") or "", public.get("copy_backend") or "-")
    if public.get("copy_fallback_used"):
        copy_backend += " (OpenAI 응답 실패로 대체)"
    image_backend = public.get("image_backend")
    image_label = IMAGE_BACKEND_LABELS.get(image_backend or "", image_backend or "") or "없음 (문구만)"
    if public.get("reused_image"):
        image_label += " · 기존 이미지 재사용"
    industry = INDUSTRY_LABELS.get(public.get("industry") or "", public.get("industry") or "-")
    style = STYLE_LABELS.get(public.get("style") or "", public.get("style") or "-")
    return (
        f"**업종** {industry} · **스타일** {style} · **말투** {public.get('tone') or '-'} · **비율** {public.get('aspect_ratio')}  \n"
        f"**문구** {copy_backend} · **이미지** {image_label}  \n"
        f"**시드** `{public.get('seed')}` · **소요 시간** {float(public.get('elapsed_s') or 0):.1f}초"
    )


def hashtags_from_text(text: str | None) -> list[str]:
    """The editor's hashtag field ("#카페 #딸기라떼") as tags: split at spaces, each kept as typed (a tag without '#'
    is refused by ``services.parse_ad_copy``, not silently given one)."""
    return (text or "").split()


def pill(kind: str, label: str) -> str:
    """A small coloured status label (CSS, not emoji: it must render with any font)."""
    return f'<span class="adgen-pill {kind}">{html.escape(label)}</span>'


def _choice(value: str | None) -> str | None:
    return None if value in (None, "", AUTO) else value


# --- files Gradio may serve --------------------------------------------------------------

_UI_FILES_DIR = Path(tempfile.gettempdir()) / "adgen-ui"
_ui_files_max_age_s = 3600.0  # set from UI_FILE_MAX_AGE_S by AdGenUI
_prune_lock = threading.Lock()
_last_prune = 0.0


def _prune_ui_files() -> None:
    global _last_prune
    now = time.time()
    with _prune_lock:
        if now - _last_prune < min(600.0, _ui_files_max_age_s / 2):
            return
        _last_prune = now
    for entry in _UI_FILES_DIR.glob("*"):
        try:
            if now - entry.stat().st_mtime > _ui_files_max_age_s:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def ui_file(source: Path | Image.Image, name: str) -> str:
    """A copy of an image under the temp folder, named for download, for Gradio to serve.

    Gradio only serves files from its cache; it copies anything under the working or temp folder
    there. Stored images may live anywhere (DATA_DIR), and guests' images only in memory, so every
    image shown goes through here. Content-addressed like the store: one copy per picture.
    """
    if isinstance(source, Image.Image):
        data = storage.png_bytes(source)
        digest = hashlib.sha256(data).hexdigest()
    else:
        digest = source.stem if storage.HASH_RE.fullmatch(source.stem) else hashlib.sha256(source.read_bytes()).hexdigest()
        data = None
    target = _UI_FILES_DIR / digest[:32] / name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".png")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data if data is not None else Path(source).read_bytes())  # type: ignore[arg-type]
        os.replace(tmp, target)
        _prune_ui_files()
    return str(target)


# --- the UI ------------------------------------------------------------------------------


@dataclass
class AdView:
    """What the result panel shows for one ad."""

    image: str | None
    bare_image: str | None
    copy_text: str
    meta: str
    variants: list[tuple[str, str | None, int | None]]  # (image, bare image, history id) per variant
    history_id: int | None = None  # the viewer's stored ad the editor changes; None: nothing to edit (a guest's ad)
    ad_copy: dict[str, Any] | None = None  # its words (AdCopy fields), for the editor


def _shows_errors_in(target: str) -> Callable[[Callable[..., dict[Any, Any]]], Callable[..., dict[Any, Any]]]:
    """Show a handler's ``gr.Error`` in the Markdown ``target`` instead of raising it.

    For the handlers that run outside the queue (``queue=False``): Gradio shows no toast for their
    errors, so the Korean message would never reach the user.
    """

    def decorate(method: Callable[..., dict[Any, Any]]) -> Callable[..., dict[Any, Any]]:
        @functools.wraps(method)
        def handler(self: AdGenUI, *args: Any, **kwargs: Any) -> dict[Any, Any]:
            try:
                return method(self, *args, **kwargs)
            except gr.Error as exc:
                return {getattr(self, target): gr.Markdown(value=pill("warn", "확인 필요") + " " + html.escape(str(exc.message)),
                                                           visible=True)}  # fmt: skip

        return handler

    return decorate


class AdGenUI:
    """Components and handlers of the Blocks. One instance per mounted app."""

    def __init__(self, runtime: Runtime) -> None:
        global _ui_files_max_age_s
        self.runtime = runtime
        self.settings = runtime.settings
        self.ctx = runtime.ctx
        self.browsers = BrowserRegistry(self.settings.signing_key(), upload_ttl_s=self.settings.ui_file_max_age_s)
        _ui_files_max_age_s = float(self.settings.ui_file_max_age_s)
        self.demo: gr.Blocks | None = None

    # --- identity ---------------------------------------------------------------------------

    def _verify(self, token: str | None) -> int:
        if not _kept(token):
            raise InvalidTokenError()
        return auth.verify_token(token, engine=self.ctx.engine, settings=self.settings)

    def _viewer(self, token: str | None) -> int | None:
        """The user behind ``token``; None for a guest (when guests are allowed)."""
        if not _kept(token):
            if self.settings.allow_guest:
                return None
            raise InvalidTokenError()
        return self._verify(token)

    def _login_id(self, user_id: int) -> str:
        from db import crud
        from db.engine import session_scope

        with session_scope(self.ctx.engine) as s:
            user = crud.get_user(s, user_id)
            return user.login_id if user is not None else ""

    @contextmanager
    def _user_errors(self, action: str, **context: Any) -> Iterator[None]:
        """Domain errors become a Korean ``gr.Error``; anything else is logged and shown as a generic message."""
        try:
            yield
        except gr.Error:
            raise
        except AdGenError as exc:
            log.info("ui %s refused [%s]: %s %s", action, exc.code, shorten(exc.message, 200), _loggable(context))
            raise gr.Error(exc.message, title="확인해 주세요", print_exception=False) from None
        except Exception:
            log.exception("ui %s failed unexpectedly %s", action, _loggable(context))
            raise gr.Error(AdGenError.default_message, title="오류", print_exception=False) from None

    # --- layout -----------------------------------------------------------------------------

    def build(self) -> gr.Blocks:
        settings = self.settings
        secret = browser_state_secret(settings)
        # Cached files (uploads and every image shown) are URLs anyone holding them can fetch: they expire with
        # UI_FILE_MAX_AGE_S, not a day later.
        max_age = settings.ui_file_max_age_s
        with gr.Blocks(title=PRODUCT_NAME, analytics_enabled=False, fill_width=True, delete_cache=(min(600, max_age), max_age)) as demo:
            self.token = gr.BrowserState(None, storage_key="adgen-token", secret=secret)
            self.session = gr.BrowserState(None, storage_key="adgen-session", secret=secret)
            self.variants_state = gr.State([])
            # The history id of the ad in the result panel: held by the server (a State never comes from the browser),
            # set only from what the server stored or loaded for the verified user, and checked against the owner
            # again by services.edit_ad_copy.
            self.ad_state = gr.State(None)
            self.page = gr.State(0)
            self.header = gr.HTML(self._header_html(None), elem_id="adgen-header", padding=False)

            with gr.Tabs(selected="login") as self.tabs:
                with gr.Tab("로그인", id="login"):
                    self._build_login_tab()
                with gr.Tab("광고 생성", id="generate"):
                    self._build_generate_tab()
                with gr.Tab("채팅 기록", id="history") as self.history_tab:
                    self._build_history_tab()
            self._wire(demo)
        demo.queue(max_size=settings.queue_max_size, default_concurrency_limit=4)
        _guard_queue(demo, self.runtime.caps, self._queue_limits)
        self.demo = demo
        return demo

    def _build_login_tab(self) -> None:
        self.auth_msg = gr.Markdown("", elem_classes="adgen-status", elem_id="auth-msg")
        with gr.Column(visible=True) as self.signed_out:
            with gr.Row(equal_height=False):
                with gr.Column(elem_classes="adgen-card", min_width=300):
                    gr.Markdown("### 로그인\n만든 광고와 대화가 계정에 저장돼요.", elem_classes="adgen-section-title")
                    self.login_id = gr.Textbox(label="아이디", placeholder="영문/숫자 3-20자", max_length=50, elem_id="login-id")
                    self.login_pw = gr.Textbox(
                        label="비밀번호", type="password", placeholder="비밀번호", max_length=200, elem_id="login-pw"
                    )
                    self.login_btn = gr.Button("로그인", variant="primary", elem_id="login-btn")
                with gr.Column(elem_classes="adgen-card", min_width=300):
                    gr.Markdown("### 회원가입\n처음이신가요? 10초면 가입할 수 있어요.", elem_classes="adgen-section-title")
                    self.signup_id = gr.Textbox(label="아이디", placeholder="영문/숫자 3-20자", max_length=50, elem_id="signup-id")
                    self.signup_pw = gr.Textbox(
                        label="비밀번호", type="password", placeholder="8-30자", max_length=200, elem_id="signup-pw"
                    )
                    self.signup_pw2 = gr.Textbox(
                        label="비밀번호 확인", type="password", placeholder="비밀번호를 한 번 더 입력", max_length=200, elem_id="signup-pw2"
                    )
                    self.signup_btn = gr.Button("가입하고 시작하기", variant="secondary", elem_id="signup-btn")
            with gr.Row(visible=self.settings.allow_guest, elem_classes="adgen-card"):
                gr.Markdown(
                    "**로그인 없이 먼저 써 보세요.** 게스트로도 광고를 만들 수 있어요. "
                    "다만 기록이 저장되지 않고, 대화로 광고를 다듬으려면 로그인이 필요해요."
                )
                self.guest_btn = gr.Button("게스트로 시작하기", size="md", scale=0, min_width=180)
            gr.HTML(STEPS_HTML, padding=False)
        with gr.Column(visible=False, elem_classes="adgen-card") as self.signed_in:
            self.account_md = gr.Markdown("")
            with gr.Row():
                self.go_generate_btn = gr.Button("광고 만들러 가기", variant="primary", scale=2)
                self.logout_btn = gr.Button("로그아웃", variant="secondary", scale=1, elem_id="logout-btn")

    def _build_generate_tab(self) -> None:
        self.guest_hint = gr.Markdown(
            "지금은 **게스트**로 이용 중이에요. 로그인하면 만든 광고가 기록에 남고, "
            "\"더 밝게\", \"문구를 짧게\"처럼 대화로 광고를 계속 다듬을 수 있어요.",
            visible=self.settings.allow_guest,
            elem_classes="adgen-hint",
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=7, min_width=340):
                self.chatbot = gr.Chatbot(
                    label="광고 대화",
                    elem_id="adgen-chat",
                    height=540,
                    layout="bubble",
                    placeholder="## 어떤 광고를 만들까요?\n가게와 홍보하고 싶은 내용을 한 문장으로 적어 주세요.",
                    examples=[{"text": t, "display_text": t} for t in PROMPT_EXAMPLES],
                    feedback_options=None,
                    buttons=["copy"],
                    avatar_images=None,
                )
                with gr.Row(equal_height=True, elem_id="adgen-input-row"):
                    self.prompt = gr.Textbox(
                        show_label=False,
                        placeholder="예: 카페 신메뉴 딸기라떼 홍보, 20% 할인",
                        lines=1,
                        max_lines=4,
                        scale=8,  # no max_length: the browser would cut a long paste silently; the check explains
                        elem_id="adgen-prompt",
                        autofocus=True,
                    )
                    self.send_btn = gr.Button("보내기", variant="primary", scale=1, min_width=96, elem_id="adgen-send")
                with gr.Row():
                    self.ratio = gr.Radio(["1:1", "4:3", "3:4"], value="1:1", label="화면 비율", min_width=220, scale=2)
                    self.content_type = gr.Radio(CONTENT_CHOICES, value="both", label="결과", min_width=300, scale=3)
                with gr.Accordion("세부 옵션 · 상품 사진", open=False):
                    with gr.Row():
                        self.style = gr.Dropdown(
                            [("자동", AUTO)] + [(STYLE_LABELS.get(s, s), s) for s in STYLES], value=AUTO, label="스타일"
                        )
                        self.tone = gr.Radio(TONE_CHOICES, value=AUTO, label="말투", min_width=250)
                        self.variants = gr.Slider(1, self.settings.max_variants, value=1, step=1, label="시안 개수")
                    with gr.Row():
                        self.photo = gr.File(
                            label="상품 사진 (PNG·JPEG·WEBP)", type="filepath", height=140
                        )
                        self.photo_preview = gr.Image(
                            label="사진 미리보기", interactive=False, height=140, visible=False, buttons=[]
                        )
                    self.photo_msg = gr.Markdown("", elem_classes="adgen-status")
                with gr.Row(equal_height=True):
                    self.status = gr.Markdown("", elem_classes="adgen-status", elem_id="adgen-status")
                    self.new_chat_btn = gr.Button("＋ 새 대화", size="sm", scale=0, min_width=110, elem_id="new-chat-btn")
            with gr.Column(scale=5, min_width=320, elem_classes="adgen-card"):
                gr.Markdown("### 완성된 광고", elem_classes="adgen-section-title")
                self.result_image = gr.Image(
                    label="광고 이미지", interactive=False, type="filepath", height=420, buttons=["fullscreen"], elem_id="adgen-result",
                    placeholder="완성된 광고가 여기에 나타나요",
                )  # fmt: skip
                self.variants_gallery = gr.Gallery(
                    # No label: Gradio draws it over the first thumbnail. The chat tells how to pick one.
                    label="시안", show_label=False, columns=4, height=110, visible=False, allow_preview=False, object_fit="contain",
                )
                self.copy_box = gr.Textbox(label="광고 문구", lines=5, interactive=False, buttons=["copy"], elem_id="adgen-copy")
                with gr.Row():
                    self.dl_ad = gr.DownloadButton("PNG 다운로드 (문구 포함)", variant="primary", visible=False, size="md")
                    self.dl_bare = gr.DownloadButton("배경 이미지만", variant="secondary", visible=False, size="md")
                self.meta_md = gr.Markdown("", elem_classes="adgen-meta")
                self._build_copy_editor()

    def _build_copy_editor(self) -> None:
        """Every word of the ad, editable; 적용 lays them on the same background (no new picture)."""
        with gr.Accordion("문구 직접 수정", open=True, visible=False, elem_id="adgen-edit") as self.edit_box:
            gr.Markdown("글자 하나하나 직접 고칠 수 있어요. **적용**을 누르면 배경은 그대로 두고 고친 문구로 광고를 다시 만들어요.",
                        elem_classes="adgen-note")  # fmt: skip
            self.edit_headline = gr.Textbox(label="헤드라인", max_lines=1, elem_id="edit-headline")
            self.edit_body = gr.Textbox(label="본문", lines=3, max_lines=6, elem_id="edit-body")
            with gr.Row():
                self.edit_cta = gr.Textbox(label="버튼 문구 (CTA)", max_lines=1, elem_id="edit-cta", min_width=140)
                self.edit_details = gr.Textbox(
                    label="연락처 줄", max_lines=1, placeholder="예: 02-123-4567 · @sweet_cafe", elem_id="edit-details", min_width=200
                )
            self.edit_hashtags = gr.Textbox(
                label="해시태그 (띄어쓰기로 구분)", max_lines=1, placeholder="#카페 #딸기라떼", elem_id="edit-hashtags"
            )
            self.edit_btn = gr.Button("적용", variant="primary", elem_id="edit-apply")
            self.edit_msg = gr.Markdown("", elem_classes="adgen-status", elem_id="edit-msg")

    def _build_history_tab(self) -> None:
        self.history_hint = gr.Markdown(
            "로그인하면 지금까지 만든 광고와 대화를 여기서 다시 볼 수 있어요.", elem_classes="adgen-hint", visible=True
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=280, elem_classes="adgen-card"):
                with gr.Row(equal_height=True):
                    gr.Markdown("### 대화 목록", elem_classes="adgen-section-title")
                    self.refresh_btn = gr.Button("새로고침", size="sm", scale=0, min_width=90)
                self.sessions = gr.Radio([], label="최근 대화", show_label=False, elem_id="adgen-sessions")
                self.sessions_empty = gr.Markdown("", elem_classes="adgen-note")
            with gr.Column(scale=8, min_width=320, elem_classes="adgen-card"):
                self.history_chat = gr.Chatbot(
                    label="대화 내용",
                    elem_id="history-chat",
                    autoscroll=False,  # a stored conversation reads from its beginning
                    height=460,
                    layout="bubble",
                    placeholder="왼쪽에서 대화를 고르면 내용이 여기에 보여요.",
                    feedback_options=None,
                    buttons=["copy"],
                )
                self.continue_btn = gr.Button("이 대화 이어가기", variant="primary", interactive=False, elem_id="continue-btn")
        with gr.Column(elem_classes="adgen-card"):
            gr.Markdown("### 내가 만든 광고", elem_classes="adgen-section-title")
            self.ads_gallery = gr.Gallery(
                label="내가 만든 광고", show_label=False, columns=4, fit_columns=False, height=None, object_fit="contain",
                buttons=["download", "fullscreen"], elem_id="adgen-gallery",
            )  # fmt: skip
            with gr.Row(elem_classes="adgen-pager", equal_height=True):
                self.prev_btn = gr.Button("◀ 이전", size="sm", interactive=False, scale=0, min_width=90)
                self.page_md = gr.Markdown("", elem_classes="adgen-note")
                self.next_btn = gr.Button("다음 ▶", size="sm", interactive=False, scale=0, min_width=90)

    # --- wiring -----------------------------------------------------------------------------

    def _wire(self, demo: gr.Blocks) -> None:
        account_outputs = self._account_outputs()
        gpu = {"concurrency_id": "gpu", "concurrency_limit": self.settings.gpu_concurrency}
        # Never behind the GPU queue, never refused by a full queue; fast, so no loading overlay.
        quick: dict[str, Any] = {"queue": False, "show_progress": "hidden"}

        # On every page load: verify the token kept in the browser and restore the signed-in view.
        demo.load(self.restore, [self.token, self.session], account_outputs, api_name="restore_session", **quick)
        self.login_btn.click(self.login, [self.login_id, self.login_pw], account_outputs, api_name="login", **quick)
        self.login_pw.submit(self.login, [self.login_id, self.login_pw], account_outputs, api_visibility="private", **quick)
        self.signup_btn.click(
            self.signup, [self.signup_id, self.signup_pw, self.signup_pw2], account_outputs, api_name="signup", **quick
        )
        self.logout_btn.click(self.logout, [self.token], account_outputs, api_name="logout", **quick)
        self.guest_btn.click(lambda: gr.Tabs(selected="generate"), None, self.tabs, api_visibility="private", **quick)
        self.go_generate_btn.click(lambda: gr.Tabs(selected="generate"), None, self.tabs, api_visibility="private", **quick)

        gen_inputs = [
            self.token, self.prompt, self.session, self.variants_state, self.ratio, self.content_type,
            self.style, self.tone, self.variants, self.photo,
        ]  # fmt: skip  (no chatbot: the chat shown is rebuilt on the server, never echoed from the client)
        gen_outputs = [self.chatbot, self.prompt, self.session, self.status, self.send_btn, *self._result_outputs()]
        for trigger, name in ((self.send_btn.click, "generate"), (self.prompt.submit, None)):
            # Queued (so its gr.Error is a toast) but never behind the GPU, and with no outputs to mark.
            trigger(
                self.precheck, [self.token, self.prompt, self.photo, self.session], None, api_visibility="private", show_progress="hidden",
                concurrency_limit=None,
            ).success(
                self.generate,
                gen_inputs,
                gen_outputs,
                api_name=name,
                api_visibility="public" if name else "private",
                show_progress="full",
                show_progress_on=[self.result_image],
                **gpu,
            )
        self.chatbot.example_select(self.pick_example, None, self.prompt, api_visibility="private", **quick)
        new_chat_outputs = [self.chatbot, self.session, self.status, self.photo, self.photo_preview, self.photo_msg,
                            *self._result_outputs()]  # fmt: skip
        self.new_chat_btn.click(self.new_chat, None, new_chat_outputs, api_name="new_chat", **quick)
        # The chat's own trash button: a cleared chat must not go on refining the hidden session.
        self.chatbot.clear(self.new_chat, None, new_chat_outputs, api_visibility="private", **quick)
        self.photo.upload(self.check_photo, [self.photo], [self.photo, self.photo_preview, self.photo_msg],
                          api_visibility="private", **quick)  # fmt: skip
        self.photo.clear(lambda: (gr.Image(value=None, visible=False), ""), None, [self.photo_preview, self.photo_msg],
                         api_visibility="private", **quick)  # fmt: skip
        self.variants_gallery.select(
            self.pick_variant, [self.variants_state], [self.result_image, self.dl_ad, self.dl_bare, self.ad_state],
            api_visibility="private", **quick,
        )  # fmt: skip

        history_outputs = [self.history_hint, self.sessions, self.sessions_empty, self.history_chat, self.continue_btn,
                           *self._gallery_outputs()]  # fmt: skip
        # Queued (a few hundred ms of composing and a PNG write), but not behind the GPU: no image is generated. The
        # row edited is the one in ad_state, never one the browser names. The history tab shows the new ad after.
        self.edit_btn.click(
            self.apply_edit,
            [self.token, self.ad_state, self.edit_headline, self.edit_body, self.edit_cta, self.edit_hashtags, self.edit_details],
            [self.chatbot, self.session, self.status, *self._result_outputs()],
            api_name="edit_copy",
            show_progress="minimal",
            show_progress_on=[self.result_image],
        ).then(self.refresh_history, [self.token], history_outputs, api_visibility="private", **quick)
        self.history_tab.select(self.refresh_history, [self.token], history_outputs, api_visibility="private", **quick)
        self.refresh_btn.click(self.refresh_history, [self.token], history_outputs, api_name="history", **quick)
        self.sessions.change(
            self.open_session, [self.token, self.sessions], [self.history_hint, self.history_chat, self.continue_btn],
            api_name="open_session", **quick,
        )  # fmt: skip
        self.continue_btn.click(
            self.continue_session,
            [self.token, self.sessions],
            [self.history_hint, self.tabs, self.chatbot, self.session, self.status, self.ratio, self.content_type,
             *self._result_outputs()],
            api_name="continue_session",
            **quick,
        )
        pages = [self.history_hint, *self._gallery_outputs()]
        self.prev_btn.click(self.previous_page, [self.token, self.page], pages, api_name="previous_page", **quick)
        self.next_btn.click(self.next_page, [self.token, self.page], pages, api_name="next_page", **quick)

    def _account_outputs(self) -> list[Any]:
        return [
            self.token, self.session, self.header, self.signed_out, self.signed_in, self.account_md, self.auth_msg,
            self.guest_hint, self.tabs, self.chatbot, self.status, self.login_pw, self.signup_pw, self.signup_pw2,
            self.ratio, self.content_type, *self._result_outputs(),
        ]  # fmt: skip

    def _result_outputs(self) -> list[Any]:
        return [self.result_image, self.variants_gallery, self.copy_box, self.dl_ad, self.dl_bare, self.meta_md, self.variants_state,
                *self._editor_outputs()]  # fmt: skip

    def _editor_outputs(self) -> list[Any]:
        return [self.edit_box, self.edit_headline, self.edit_body, self.edit_cta, self.edit_hashtags, self.edit_details, self.edit_msg,
                self.ad_state]  # fmt: skip

    def _gallery_outputs(self) -> list[Any]:
        return [self.ads_gallery, self.page, self.page_md, self.prev_btn, self.next_btn]

    # --- views ------------------------------------------------------------------------------

    def _header_html(self, login_id: str | None) -> str:
        if login_id:
            badge = f'<div class="adgen-badge"><span class="dot"></span>{html.escape(login_id)}님 로그인됨</div>'
        elif self.settings.allow_guest:
            badge = '<div class="adgen-badge guest"><span class="dot"></span>게스트 모드</div>'
        else:
            badge = '<div class="adgen-badge guest"><span class="dot"></span>로그인이 필요해요</div>'
        return (
            '<div class="adgen-hero"><div>'
            f'<h1><span class="adgen-logo">✦</span>{PRODUCT_NAME}</h1><p>{VALUE_PROPOSITION}</p>'
            f"</div>{badge}</div>"
        )

    def _result_updates(self, view: AdView | None) -> dict[Any, Any]:
        if view is None:
            return {
                self.result_image: None,
                self.variants_gallery: gr.Gallery(value=[], visible=False),
                self.copy_box: "",
                self.dl_ad: gr.DownloadButton(value=None, visible=False),
                self.dl_bare: gr.DownloadButton(value=None, visible=False),
                self.meta_md: "",
                self.variants_state: [],
                **self._editor_updates(None, None),
            }
        return {
            self.result_image: view.image,
            self.variants_gallery: gr.Gallery(
                value=[(image, f"시안 {i + 1}") for i, (image, _, _) in enumerate(view.variants)], visible=len(view.variants) > 1
            ),
            self.copy_box: view.copy_text,
            self.dl_ad: gr.DownloadButton(
                "PNG 다운로드 (문구 포함)" if view.bare_image not in (None, view.image) else "PNG 다운로드",
                value=view.image,
                visible=view.image is not None,
            ),
            self.dl_bare: gr.DownloadButton(value=view.bare_image, visible=view.bare_image not in (None, view.image)),
            self.meta_md: view.meta,
            self.variants_state: [list(v) for v in view.variants],
            **self._editor_updates(view.history_id, view.ad_copy),
        }

    def _editor_updates(self, history_id: int | None, ad_copy: dict[str, Any] | None) -> dict[Any, Any]:
        """The editor filled with the words of the ad shown (hidden when there is no stored ad of the viewer's)."""
        words = ad_copy or {}
        return {
            self.edit_box: gr.Accordion(visible=history_id is not None and ad_copy is not None),
            self.edit_headline: words.get("headline", ""),
            self.edit_body: words.get("body", ""),
            self.edit_cta: words.get("cta", ""),
            self.edit_hashtags: " ".join(words.get("hashtags") or []),
            self.edit_details: words.get("details", ""),
            self.edit_msg: "",
            self.ad_state: history_id if ad_copy is not None else None,
        }

    def _signed_in_view(self, token: str, login_id: str, *, message: str, chat: list[dict[str, Any]] | None = None,
                        session_id: str | None = None, ad: AdView | None = None, status: str = "") -> dict[Any, Any]:  # fmt: skip
        return {
            self.token: token,
            self.session: session_id,
            self.header: self._header_html(login_id),
            self.signed_out: gr.Column(visible=False),
            self.signed_in: gr.Column(visible=True),
            self.account_md: f"### {html.escape(login_id)}님, 환영해요!\n만든 광고와 대화는 **채팅 기록** 탭에 저장돼요.",
            self.auth_msg: message,
            self.guest_hint: gr.Markdown(visible=False),
            self.tabs: gr.Tabs(selected="generate"),
            self.chatbot: chat or [],
            self.status: status,
            self.login_pw: "",
            self.signup_pw: "",
            self.signup_pw2: "",
            **self._result_updates(ad),
        }

    def _signed_out_view(self, message: str = "") -> dict[Any, Any]:
        return {
            self.token: CLEARED,
            self.session: CLEARED,
            self.header: self._header_html(None),
            self.signed_out: gr.Column(visible=True),
            self.signed_in: gr.Column(visible=False),
            self.account_md: "",
            self.auth_msg: message,
            self.guest_hint: gr.Markdown(visible=self.settings.allow_guest),
            self.tabs: gr.Tabs(selected="login"),
            self.chatbot: [],
            self.status: "",
            self.login_pw: "",
            self.signup_pw: "",
            self.signup_pw2: "",
            **self._result_updates(None),
        }

    def _session_form(self, user_id: int, session_id: str, ad: AdView | None) -> tuple[dict[Any, Any], AdView | None]:
        """The ratio and result type of a session's latest ad, set in the form (its next turn keeps them), and ``ad``
        (the session's last ad as its chat shows it) with that row's id and words, for the editor."""
        latest = services.get_latest_ad(self.ctx, user_id, session_id)
        if latest is None:
            return {}, ad
        if ad is not None:
            ad = dataclasses.replace(ad, history_id=latest["history_id"], ad_copy=latest["ad_copy"])
        return {self.ratio: latest["aspect_ratio"], self.content_type: latest["content_type"]}, ad

    def _stored_path(self, user_id: int, url: str | None) -> Path | None:
        """The file behind one of our image URLs, when ``user_id`` owns it."""
        file_hash = storage.hash_from_url(url)
        if file_hash is None:
            return None
        try:
            return Path(services.open_owned_image(self.ctx, user_id, file_hash))
        except AdGenError:
            log.warning("ui: user %s image %s not available", user_id, file_hash)
            return None

    def _ad_view(self, result: services.AdResult, user_id: int | None) -> AdView:
        variants: list[tuple[str, str | None, int | None]] = []
        for i, v in enumerate(result.variants):
            image_src: Path | Image.Image | None = v.image
            bare_src: Path | Image.Image | None = v.bare_image
            if user_id is not None:  # stored: serve the stored file, not a re-encoding
                image_src = self._stored_path(user_id, v.image_url) or v.image
                bare_src = self._stored_path(user_id, v.bare_image_url) or v.bare_image
            image = ui_file(image_src, f"adgen-ad-{i + 1}.png") if image_src is not None else None
            bare = ui_file(bare_src, f"adgen-background-{i + 1}.png") if bare_src is not None else None
            if image is not None:
                variants.append((image, bare, v.history_id))
        primary = variants[0] if variants else (None, None, None)
        return AdView(
            image=primary[0],
            bare_image=primary[1],
            copy_text=result.copy.ad_copy.as_text(),
            meta=result_meta_markdown(result.public()),
            variants=variants,
            history_id=result.primary.history_id if user_id is not None else None,
            ad_copy=result.copy.ad_copy.model_dump(),
        )

    def _chat_from_history(self, user_id: int, messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], AdView | None]:
        """A stored conversation as Chatbot messages, and its latest ad for the result panel."""
        chat: list[dict[str, Any]] = []
        last: AdView | None = None
        for m in messages:
            if m["role"] == "user":
                chat.append({"role": "user", "content": chat_text(m["content"])})
                photo = self._stored_path(user_id, storage.image_url(m["input_image_hash"])) if m.get("input_image_hash") else None
                if photo is not None:
                    chat.append({"role": "user", "content": {"path": ui_file(photo, "product.png"), "alt_text": "상품 사진"}})
                continue
            path = self._stored_path(user_id, m.get("gen_image_url"))
            image = ui_file(path, "adgen-ad.png") if path is not None else None
            if image is not None:
                chat.append({"role": "assistant", "content": {"path": image, "alt_text": "광고 이미지"}})
            chat.append({"role": "assistant", "content": copy_markdown(m["content"])})
            when = format_kst(m.get("created_at"))
            last = AdView(
                image=image, bare_image=None, copy_text=m["content"].split("\n\n※ ")[0], meta=f"이전 대화에서 불러온 광고예요 · {when}",
                variants=[(image, None, None)] if image else [],
            )  # fmt: skip
        return chat, last

    # --- account handlers -------------------------------------------------------------------

    def restore(self, token: str | None, session_id: str | None, request: gr.Request) -> dict[Any, Any]:
        """Page load: a valid stored token restores the signed-in view (and the open conversation)."""
        token, session_id = _kept(token), _kept(session_id)
        browser = _browser_of(self.browsers, request)
        if not token:
            self.browsers.unbind(browser)
            return self._signed_out_view()
        try:
            user_id = self._verify(token)
        except AdGenError as exc:
            log.info("ui restore: stored token refused [%s]", exc.code)
            self.browsers.unbind(browser)
            return self._signed_out_view(exc.message)
        with self._user_errors("restore", user_id=user_id):
            login_id = self._login_id(user_id)
            chat: list[dict[str, Any]] = []
            ad: AdView | None = None
            form: dict[Any, Any] = {}
            if session_id:
                try:
                    chat, ad = self._chat_from_history(user_id, services.get_chat_history(self.ctx, user_id, session_id))
                    form, ad = self._session_form(user_id, session_id, ad)
                except AdGenError:
                    session_id = None  # another user's, deleted or malformed: start afresh
        self.browsers.bind(browser, user_id, login_id)  # a valid token: this browser is a known device for the id
        return self._signed_in_view(token, login_id, message="", chat=chat, session_id=session_id or None, ad=ad) | form

    @_shows_errors_in("auth_msg")
    def login(self, login_id: str, login_pw: str, request: gr.Request) -> dict[Any, Any]:
        browser = _browser_of(self.browsers, request)
        with self._user_errors("login", login_id=fingerprint(login_id)):
            result = auth.authenticate_user(
                login_id, login_pw, engine=self.ctx.engine, settings=self.settings, client=_client_of(request),
                device=browser, known_device=self.browsers.knows(browser, login_id),
            )
            name = self._login_id(result["user_id"])
        self.browsers.bind(browser, result["user_id"], name)
        log.info("ui login: user %s", result["user_id"])
        return self._signed_in_view(result["session_token"], name, message=pill("done", "로그인") + f" {html.escape(name)}님, 반가워요!")

    @_shows_errors_in("auth_msg")
    def signup(self, login_id: str, login_pw: str, login_pw_confirm: str, request: gr.Request) -> dict[Any, Any]:
        with self._user_errors("signup", login_id=fingerprint(login_id)):
            validation.validate_login_id(login_id)
            validation.validate_password(login_pw, login_id=login_id)
            if login_pw != login_pw_confirm:
                raise ValidationError("비밀번호가 일치하지 않습니다.", code="password_mismatch")
            user_id = auth.register_user(login_id, login_pw, engine=self.ctx.engine, settings=self.settings, client=_client_of(request))
            result = auth.authenticate_user(
                login_id, login_pw, engine=self.ctx.engine, settings=self.settings, client=_client_of(request)
            )
        self.browsers.bind(_browser_of(self.browsers, request), user_id, login_id)
        log.info("ui signup: user %s", user_id)
        welcome = pill("done", "가입 완료") + f" {html.escape(login_id)}님, 환영해요! 바로 첫 광고를 만들어 보세요."
        # Signing up moves the user to 광고 생성: the welcome goes where they land, too.
        return self._signed_in_view(result["session_token"], login_id, message=welcome, status=welcome)

    def logout(self, token: str | None, request: gr.Request) -> dict[Any, Any]:
        self.browsers.unbind(_browser_of(self.browsers, request))
        token = _kept(token)
        if token:
            try:
                auth.logout(token, engine=self.ctx.engine, settings=self.settings)
            except AdGenError as exc:  # an invalid token is as logged out as it gets
                log.info("ui logout: token refused [%s]", exc.code)
            except Exception:
                log.exception("ui logout failed; clearing the browser's token anyway")
        return self._signed_out_view("로그아웃되었어요. 다음에 또 만나요!")

    # --- generation -------------------------------------------------------------------------

    def _photo_bytes(self, path: str | None, request: gr.Request | None) -> bytes | None:
        """The bytes of a product photo the client names, when it is one of this browser's own uploads.

        A file input is a path sent by the client: it is read only when the guard recorded it as an upload of
        the browser that sends it (``BrowserRegistry.owns``); a server file, another browser's upload or a stored
        image is refused before anything is opened.
        """
        if not path:
            return None
        if not self.browsers.owns(_browser_of(self.browsers, request), path):
            log.warning("ui: refused a file input that is not this browser's upload (%s)", shorten(path, 80))
            raise InvalidUploadError("올린 사진을 찾을 수 없습니다. 사진을 다시 올려 주세요.", code="upload_not_found")
        return Path(path).read_bytes()

    def check_photo(self, path: str | None, request: gr.Request) -> tuple[Any, Any, str]:
        """Check a product photo as soon as it is uploaded, so a bad file is refused before any generation."""
        try:
            data = self._photo_bytes(path, request)
            image = self.runtime.decoder.decode(data) if data is not None else None
        except AdGenError as exc:
            return None, gr.Image(value=None, visible=False), pill("warn", "확인 필요") + f" {html.escape(exc.message)}"
        except Exception:
            log.exception("ui: reading an uploaded photo failed")
            return None, gr.Image(value=None, visible=False), pill("warn", "확인 필요") + f" {AdGenError.default_message}"
        if image is None:
            return None, gr.Image(value=None, visible=False), ""
        image.thumbnail(PREVIEW_SIZE)
        preview = gr.Image(value=ui_file(image, "product.png"), visible=True)
        return gr.skip(), preview, pill("done", "사진 확인") + " 광고에 이 상품을 담을게요."

    def generate(
        self,
        token: str | None,
        text: str,
        session_id: str | None,
        shown: list[list[str | None]] | None,
        aspect_ratio: str,
        content_type: str,
        style: str | None,
        tone: str | None,
        variants: float,
        photo: str | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 -- Gradio's documented injection pattern
    ) -> Iterator[dict[Any, Any]]:
        """Generate (or refine, within a session) one ad; the chat shows the request at once, progress streams live.

        The chat shown is rebuilt from what the server holds (the stored session, this request, its result),
        never taken from the client. A failure during generation is told in the chat, the status line and a
        toast, and the previous ad stays in the result panel (a raised error would put Gradio's error mark over it).
        """
        task_id = uuid.uuid4().hex
        session_id = _kept(session_id)
        yield from self._generate(task_id, token, text, session_id, shown, aspect_ratio, content_type, style, tone,
                                  variants, photo, request, progress)  # fmt: skip

    def _generate(self, task_id: str, token: str | None, text: str, session_id: str | None, shown: list[list[str | None]] | None,
                  aspect_ratio: str, content_type: str, style: str | None, tone: str | None, variants: float, photo: str | None,
                  request: gr.Request, progress: gr.Progress) -> Iterator[dict[Any, Any]]:  # fmt: skip
        user_id, data = self._checked_request(token, text, photo, session_id, request, task_id=task_id)
        with self._user_errors("generate", task_id=task_id, user_id=user_id):
            image = self.runtime.decoder.decode(data) if data is not None else None
        chat: list[dict[str, Any]] = []
        fresh = ""
        if user_id is None:
            session_id = None  # guests have no stored conversation to continue
            if shown:  # ...so what they type next is a new ad: say so rather than look like a refinement
                fresh = " 게스트 모드에서는 이전 광고를 이어서 다듬을 수 없어 새 광고로 만들었어요. 로그인하면 대화로 다듬을 수 있어요."
        elif session_id is not None:
            with self._user_errors("generate", task_id=task_id, user_id=user_id, session_id=session_id):
                chat, _ = self._chat_from_history(user_id, services.get_chat_history(self.ctx, user_id, session_id))
        chat.append({"role": "user", "content": chat_text(text)})
        if image is not None:
            thumb = image.copy()
            thumb.thumbnail(PREVIEW_SIZE)
            chat.append({"role": "user", "content": {"path": ui_file(thumb, "product.png"), "alt_text": "상품 사진"}})
        pending = {
            "role": "assistant",
            "content": "문구와 이미지를 준비하고 있어요…",
            "metadata": {"title": "광고를 만드는 중", "status": "pending"},
        }
        yield {
            self.chatbot: [*chat, pending],
            self.prompt: "",
            self.status: pill("busy", "생성 중") + " 광고를 만들고 있어요. 보통 몇 초면 끝나요.",
            self.send_btn: gr.Button(interactive=False),
        }

        def report(fraction: float, message: str) -> None:
            progress(fraction, desc=message)

        progress(0.0, desc="요청을 접수했어요")
        try:
            with self._user_errors("generate", task_id=task_id, user_id=user_id, session_id=session_id), self.runtime.running(task_id):
                result = services.create_advertisement(
                    task_id,
                    user_id,
                    text,
                    aspect_ratio,
                    {},  # the UI streams progress itself; nobody polls this task
                    session_id=session_id,
                    image=image,
                    content_type=content_type,
                    style=_choice(style),
                    tone=_choice(tone),
                    variants=int(variants),
                    progress=report,
                    ctx=self.ctx,
                )
                view = self._ad_view(result, user_id)
        except gr.Error as exc:
            failed = {"role": "assistant", "content": f"광고를 만들지 못했어요. {exc.message}"}
            gr.Warning(str(exc.message), title="광고를 만들지 못했어요")
            yield {
                self.chatbot: [*chat, failed],
                self.status: pill("warn", "실패") + " " + html.escape(str(exc.message)),
                self.send_btn: gr.Button(interactive=True),
                self.prompt: text,
            }
            return
        if view.image is not None:
            chat.append({"role": "assistant", "content": {"path": view.image, "alt_text": result.copy.ad_copy.headline}})
        n = len(view.variants)
        note = f"\n\n_시안 {n}개를 만들었어요. 완성된 광고 아래의 시안을 눌러 골라 보세요._" if n > 1 else ""
        if result.copy.notice:  # what we could not do as asked ("가격이 없어 강조하지 않았어요")
            note = f"\n\n_※ {chat_text(result.copy.notice)}_" + note
        chat.append({"role": "assistant", "content": copy_markdown(view.copy_text) + note})
        follow_up = " 이어서 \"더 밝게\", \"문구를 짧게\"처럼 말해 보세요." if result.session_id else ""
        yield {
            self.chatbot: chat,
            self.session: result.session_id,
            self.status: pill("done", "완성") + f" 광고가 완성되었어요 ({result.elapsed_s:.1f}초).{fresh or follow_up}",
            self.send_btn: gr.Button(interactive=True),
            **self._result_updates(view),
        }

    def _checked_request(
        self, token: str | None, text: str, photo: str | None, session_id: str | None, request: gr.Request | None, **context: Any
    ) -> tuple[int | None, bytes | None]:
        """The viewer and the photo's bytes (header checked, not decoded), or a Korean ``gr.Error`` (login, request
        text, photo, session)."""
        with self._user_errors("generate", **context):
            user_id = self._viewer(token)
            validation.validate_input_text(text)
            if user_id is not None and session_id is not None:
                services.check_session_access(self.ctx, user_id, session_id)
            data = self._photo_bytes(photo, request)
            if data is not None:
                self.runtime.decoder.check(data)
            return user_id, data

    def precheck(self, token: str | None, text: str, photo: str | None, session_id: str | None, request: gr.Request) -> None:
        """Before a generation is queued: a refused request (also one over the job caps) gets its toast here, so the
        result panel keeps its ad. The ticket itself is taken when the generation is queued (``_guard_queue``)."""
        user_id, _ = self._checked_request(token, text, photo, _kept(session_id), request)
        with self._user_errors("generate", user_id=user_id):
            browser = _browser_of(self.browsers, request)
            address = _client_of(request) if user_id is None else None
            self.runtime.caps.check(self.runtime.caps.limits(user_id=user_id, browser=browser or _session_of(request), address=address))

    def _queue_limits(self, body: Any, request: fastapi.Request | None) -> list[tuple[str, int]]:
        """The job caps a ``generate`` being queued counts against. Runs on the event loop, so it reads the token's
        signature only (no database); ``generate`` verifies the token fully before anything is made."""
        data = list(getattr(body, "data", None) or [])
        token = _kept(data[0]) if data and isinstance(data[0], str) else None
        user_id: int | None = None
        if token:
            try:
                user_id = int(auth.decode_token(token, settings=self.settings)["user_id"])
            except AdGenError:
                user_id = None  # refused by generate itself; counted as a guest meanwhile
        cookies = request.cookies if request is not None else {}
        browser = self.browsers.browser_of(cookies.get(COOKIE_NAME))
        address = request.client.host if request is not None and request.client else None
        session = str(getattr(body, "session_hash", "") or "")
        return self.runtime.caps.limits(user_id=user_id, browser=browser or session, address=None if user_id else address)

    def new_chat(self) -> dict[Any, Any]:
        """A fresh conversation: no chat, no session to refine, no ad to edit, and no product photo (it belongs to the
        ad before; a new ad gets one only when it is uploaded for it)."""
        status = pill("info", "새 대화") + " 무엇을 홍보할지 한 문장으로 적어 주세요."
        return {
            self.chatbot: [],
            self.session: CLEARED,
            self.status: status,
            self.photo: None,
            self.photo_preview: gr.Image(value=None, visible=False),
            self.photo_msg: "",
            **self._result_updates(None),
        }

    def pick_example(self, evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    def pick_variant(self, variants: list[list[Any]], evt: gr.SelectData) -> tuple[Any, Any, Any, Any]:
        """Show the variant picked; the editor then changes that variant (its own row, its own background)."""
        index = evt.index if isinstance(evt.index, int) else 0
        if not variants or not 0 <= index < len(variants):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        image, bare, history_id = variants[index]
        return (image, gr.DownloadButton(value=image, visible=True), gr.DownloadButton(value=bare, visible=bare is not None),
                history_id if history_id is not None else gr.skip())  # fmt: skip

    def apply_edit(self, token: str | None, history_id: int | None, headline: str, body: str, cta: str, hashtags: str,
                   details: str) -> dict[Any, Any]:  # fmt: skip
        """적용: the editor's words laid on the ad shown, as a new ad of the user's (``services.edit_ad_copy``).

        The row edited is ``history_id`` from ``ad_state``, which only the server sets; the service checks it is the
        verified user's own. The chat is rebuilt from the stored session, the new turn included. A refusal is told
        under the editor and in a toast, and the ad shown stays (a raised error would put Gradio's error mark on it).
        """
        try:
            with self._user_errors("edit_copy", history_id=history_id):
                user_id = self._verify(token)
                if history_id is None:
                    raise NotFoundError("고칠 광고가 없어요. 먼저 광고를 만들어 주세요.", code="history_not_found")
                words = {"headline": headline, "body": body, "cta": cta, "hashtags": hashtags_from_text(hashtags), "details": details}
                result = services.edit_ad_copy(self.ctx, user_id, int(history_id), services.parse_ad_copy(words))
                view = self._ad_view(result, user_id)
                chat: Any = gr.skip()
                if result.session_id is not None:
                    chat, _ = self._chat_from_history(user_id, services.get_chat_history(self.ctx, user_id, result.session_id))
        except gr.Error as exc:
            gr.Warning(str(exc.message), title="문구를 고치지 못했어요")
            return {self.edit_msg: pill("warn", "확인 필요") + " " + html.escape(str(exc.message))}
        done = pill("done", "적용 완료") + f" 고친 문구로 광고를 다시 만들었어요 ({result.elapsed_s:.1f}초). 배경 이미지는 그대로예요."
        return {
            self.chatbot: chat,
            self.session: result.session_id if result.session_id is not None else gr.skip(),
            self.status: done,
            **self._result_updates(view),
            self.edit_msg: done,
        }

    # --- history ----------------------------------------------------------------------------

    def refresh_history(self, token: str | None) -> dict[Any, Any]:
        """The 채팅 기록 tab: the user's sessions (latest first) and the first page of their ads."""
        empty_gallery = {self.ads_gallery: [], self.page: 0, self.page_md: "", self.prev_btn: gr.Button(interactive=False),
                         self.next_btn: gr.Button(interactive=False)}  # fmt: skip
        signed_out = {
            self.sessions: gr.Radio(choices=[], value=None),
            self.sessions_empty: "",
            self.history_chat: [],
            self.continue_btn: gr.Button(interactive=False),
            **empty_gallery,
        }
        if not token:
            return {self.history_hint: gr.Markdown(visible=True), **signed_out}
        try:
            user_id = self._verify(token)
        except AdGenError as exc:
            return {self.history_hint: gr.Markdown(value=exc.message, visible=True), **signed_out}
        with self._user_errors("history", user_id=user_id):
            sessions = services.get_chat_sessions(self.ctx, user_id, limit=SESSION_LIST_LIMIT)
            gallery = self._gallery(user_id, 0)
        return {
            self.history_hint: gr.Markdown(visible=False),
            self.sessions: gr.Radio(choices=[(session_label(s), s["session_id"]) for s in sessions], value=None),
            self.sessions_empty: "" if sessions else "아직 대화가 없어요. **광고 생성** 탭에서 첫 광고를 만들어 보세요.",
            self.history_chat: [],
            self.continue_btn: gr.Button(interactive=False),
            **gallery,
        }

    @_shows_errors_in("history_hint")
    def open_session(self, token: str | None, session_id: str | None) -> dict[Any, Any]:
        if not session_id:
            return {self.history_chat: [], self.continue_btn: gr.Button(interactive=False)}
        with self._user_errors("open_session", session_id=session_id):
            user_id = self._verify(token)
            chat, _ = self._chat_from_history(user_id, services.get_chat_history(self.ctx, user_id, session_id))
        return {self.history_hint: gr.Markdown(visible=False), self.history_chat: chat, self.continue_btn: gr.Button(interactive=True)}

    @_shows_errors_in("history_hint")
    def continue_session(self, token: str | None, session_id: str | None) -> dict[Any, Any]:
        """Load a stored conversation into 광고 생성; the next message refines its latest ad."""
        if not session_id:
            raise gr.Error("이어갈 대화를 먼저 골라 주세요.", title="확인해 주세요", print_exception=False)
        with self._user_errors("continue_session", session_id=session_id):
            user_id = self._verify(token)
            chat, ad = self._chat_from_history(user_id, services.get_chat_history(self.ctx, user_id, session_id))
            form, ad = self._session_form(user_id, session_id, ad)
        return {
            self.history_hint: gr.Markdown(visible=False),
            self.tabs: gr.Tabs(selected="generate"),
            self.chatbot: chat,
            self.session: session_id,
            **form,
            self.status: pill("info", "이어서 대화") + " 이전 대화를 이어가요. 바꾸고 싶은 점을 말씀해 주세요. (예: 더 밝게, 문구를 짧게)",
            **self._result_updates(ad),
        }

    def previous_page(self, token: str | None, page: int) -> dict[Any, Any]:
        return self._page(token, int(page or 0) - 1)

    def next_page(self, token: str | None, page: int) -> dict[Any, Any]:
        return self._page(token, int(page or 0) + 1)

    @_shows_errors_in("history_hint")
    def _page(self, token: str | None, page: int) -> dict[Any, Any]:
        with self._user_errors("gallery", page=page):
            user_id = self._verify(token)
            return {self.history_hint: gr.Markdown(visible=False), **self._gallery(user_id, max(0, page))}

    def _gallery(self, user_id: int, page: int) -> dict[Any, Any]:
        # One row more than a page tells whether there is a next page.
        rows = services.get_generation_history(self.ctx, user_id, limit=GALLERY_PAGE_SIZE + 1, offset=page * GALLERY_PAGE_SIZE)
        has_next = len(rows) > GALLERY_PAGE_SIZE
        items: list[tuple[str, str]] = []
        for row in rows[:GALLERY_PAGE_SIZE]:
            path = self._stored_path(user_id, row.get("output_url"))
            if path is None:
                continue  # text-only ads have no picture to show
            # The ad's headline names it (a refinement's request, "반말로", would not), and comes first: on a
            # phone the caption shows ~8 characters.
            headline = (row.get("ad_copy") or {}).get("headline") or row["input_text"]
            caption = f"{' '.join(str(headline).split())[:24]} · {format_kst(row['created_at'], '%m.%d %H:%M')}"
            items.append((ui_file(path, f"adgen-ad-{row['id']}.png"), caption))
        if not rows and page == 0:
            label = "아직 만든 광고가 없어요."
        else:
            label = f"{page + 1} 페이지"
        return {
            self.ads_gallery: items,
            self.page: page,
            self.page_md: label,
            self.prev_btn: gr.Button(interactive=page > 0),
            self.next_btn: gr.Button(interactive=has_next),
        }


def _guard_queue(demo: gr.Blocks, caps: JobCaps, limits_of: Callable[[Any, Any], list[tuple[str, int]]]) -> None:
    """Two things Gradio's queue has no setting for, done by wrapping its ``push`` and ``process_events``:

    - a GPU event (``generate``) is queued only with a ticket under the job caps (``adgen.admission``), taken at
      queueing time for whoever queues it (the pre-check or a client calling the event directly) and given back
      when Gradio has processed the event, whether it succeeded, failed or was refused on its inputs;
    - a full queue is answered in Korean (the same words as the REST API's 503 ``busy``), not Gradio's English.
    """
    queue = getattr(demo, "_queue", None)
    push = getattr(queue, "push", None)
    process_events = getattr(queue, "process_events", None)
    send_message = getattr(queue, "send_message", None)
    if queue is None or push is None or process_events is None or send_message is None:
        raise RuntimeError("this Gradio's queue cannot be guarded; check the pinned version")

    async def guarded_push(body: Any, *args: Any, **kwargs: Any) -> Any:
        fn = demo.fns.get(body.fn_index) if getattr(body, "fn_index", None) is not None else None
        ticket = None
        if fn is not None and fn.concurrency_id == "gpu":
            try:
                ticket = caps.take(limits_of(body, args[0] if args else kwargs.get("request")))
            except AdGenError as exc:
                return False, exc.message, "error"
        ok, message, kind = await push(body, *args, **kwargs)
        if ticket is not None:
            if ok:
                caps.bind(str(message), ticket)  # message: the event id
            else:
                caps.give_back(ticket)
        if kind == "queue_full":
            message = QueueFullError.default_message
        return ok, message, kind

    def send_after_giving_back(event: Any, message: Any) -> None:
        # Given back before the browser hears "completed": its next request (sent at once) finds the place free.
        if getattr(message, "msg", None) == "process_completed":
            caps.release_event(event._id)
        send_message(event, message)

    async def process_and_give_back(events: list[Any], *args: Any, **kwargs: Any) -> None:
        try:
            await process_events(events, *args, **kwargs)
        finally:  # also when no completion was sent (the browser left)
            for event in events:
                caps.release_event(event._id)

    queue.push = guarded_push
    queue.send_message = send_after_giving_back
    queue.process_events = process_and_give_back


def _loggable(context: dict[str, Any]) -> dict[str, str]:
    """Handler context as a log line shows it: every value cut short (a user may send megabytes)."""
    return {key: shorten(value) for key, value in context.items()}


def _browser_of(browsers: BrowserRegistry, request: gr.Request | None) -> str | None:
    """The browser id from the request's signed cookie (None without one)."""
    cookies = getattr(request, "cookies", None) if request is not None else None
    try:
        value = cookies.get(COOKIE_NAME) if cookies is not None else None
    except Exception:
        value = None
    return browsers.browser_of(value if isinstance(value, str) else None)


def _session_of(request: gr.Request | None) -> str:
    return str(getattr(request, "session_hash", None) or "")


def chat_text(text: str) -> str:
    """The owner's words as a chat message: shown as typed, never as markup.

    The chat renders Markdown and lets some HTML through its sanitiser (``<style>``, ``<form>``, ``<details>``,
    external images): no tag can start (``<`` as an entity) and no link or image can form (brackets escaped).
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("[", "\\[").replace("]", "\\]")


def _kept(value: str | None) -> str | None:
    """A BrowserState value, with the ``CLEARED`` marker read as nothing stored."""
    return None if not value or value == CLEARED else value


def _client_of(request: gr.Request | None) -> str | None:
    """The remote address, for login throttling per client."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None)


def build_ui(runtime: Runtime) -> AdGenUI:
    """The AdGen UI for ``runtime``, its Blocks built (``.demo``; not launched: mount it with ``mount_ui``)."""
    ui = AdGenUI(runtime)
    ui.build()
    return ui
