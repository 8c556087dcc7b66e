"""README and docs stay true to the code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from settings_table import settings_table  # noqa: E402

from adgen import errors  # noqa: E402


def test_readme_settings_table_matches_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings:start -->\n(.*)\n<!-- settings:end -->", readme, re.S)
    assert block, "README lost its settings markers"
    assert block.group(1) == settings_table(), "run: python scripts/update_readme_settings.py"


def test_every_error_code_is_documented() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    codes = {cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.AdGenError)}
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "adgen").rglob("*.py"))
    codes |= set(re.findall(r'code="([a-z_]+)"', source))
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"codes missing from docs/errors.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block
