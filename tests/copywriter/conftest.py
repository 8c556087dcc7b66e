"""Fixtures for the copywriter tests: the fake OpenAI endpoint and settings that point at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from adgen.settings import Settings
from tests.fakes.fake_openai import FAKE_API_KEY, FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started fake OpenAI-compatible server on 127.0.0.1 (see tests/fakes/fake_openai.py)."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def make_openai_settings(fake_openai: FakeOpenAI) -> Callable[..., Settings]:
    """Settings for the OpenAI backend against ``fake_openai``; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "copywriter_backend": "openai",
            "openai_api_key": SecretStr(FAKE_API_KEY),
            "openai_base_url": fake_openai.base_url,
            "openai_model": "fake-model",
            "openai_timeout_s": 2.0,
            "openai_max_retries": 2,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make
