"""Rewrite the settings table in README.md from adgen.settings."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from settings_table import settings_table  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
text = README.read_text(encoding="utf-8")
text = re.sub(
    r"<!-- settings:start -->.*<!-- settings:end -->",
    lambda _: f"<!-- settings:start -->\n{settings_table()}\n<!-- settings:end -->",
    text,
    flags=re.S,
)
README.write_text(text, encoding="utf-8")
