"""Settings come from FRAMING_* variables, once, and can be overridden."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings, get_settings


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FRAMING_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("FRAMING_MAX_TEXT_CHARS", "123")
    monkeypatch.setenv("FRAMING_WORKERS", "2")
    settings = Settings()
    assert settings.model_dir == tmp_path
    assert settings.max_text_chars == 123
    assert settings.workers == 2


def test_defaults() -> None:
    settings = Settings()
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.max_text_chars == 100_000
    assert settings.host == "127.0.0.1" and settings.port == 8000


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMING_MAX_BODY_BYTES", "-1")
    with pytest.raises(ValidationError):
        Settings()


def test_get_settings_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    first = get_settings()
    monkeypatch.setenv("FRAMING_PORT", "9999")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().port == 9999
    get_settings.cache_clear()
