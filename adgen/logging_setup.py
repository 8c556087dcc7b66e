"""Logging to ``logs/adgen.log`` (rotated) and stderr, configured once per process."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_configured = False


def configure_logging(log_dir: Path, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
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
    _configured = True
