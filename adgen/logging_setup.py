"""Logging to ``logs/adgen.log`` (rotated) and stderr, configured once per process."""

from __future__ import annotations

import hashlib
import logging
import logging.handlers
from pathlib import Path
from typing import Final

_configured = False
MAX_RECORD_CHARS: Final = 4000  # one line may not push the earlier ones out of the rotated files


def shorten(value: object, limit: int = 64) -> str:
    """A value a user sent, as a log line may show it: ``repr``, cut to ``limit`` characters, with its length."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, str | bytes) else len(text)
    return f"{text[: limit - 1]}…(len {size})"


def fingerprint(value: object) -> str:
    """A short stable digest of a value that must not be logged as such (a login id that may be a mistyped
    password): equal values share it, so an operator can still follow one id across lines."""
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else repr(value).encode()
    return "id#" + hashlib.sha256(b"adgen-log:" + data).hexdigest()[:10]


class CappedFormatter(logging.Formatter):
    """Formats as usual, then cuts the line at ``MAX_RECORD_CHARS`` (tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if len(line) > MAX_RECORD_CHARS:
            line = f"{line[:MAX_RECORD_CHARS]}… [{len(line) - MAX_RECORD_CHARS} more characters cut]"
        return line


def configure_logging(log_dir: Path, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    fmt = CappedFormatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(
        log_dir / "adgen.log", maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(fmt)
    stream = logging.StreamHandler()
    stream.setFormatter(fmt)
    root = logging.getLogger("adgen")
    root.setLevel(level.upper())
    root.addHandler(file_handler)
    root.addHandler(stream)
    for name in ("db", "app"):
        lg = logging.getLogger(name)
        lg.setLevel(level.upper())
        lg.addHandler(file_handler)
        lg.addHandler(stream)
    from adgen.web.server import install_log_filters

    install_log_filters()  # Gradio session hashes never reach uvicorn's access log
    _configured = True
