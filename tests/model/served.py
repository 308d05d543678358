"""The served models for the behaviour tests: each loaded once, skipped outside CI when absent."""

from __future__ import annotations

import os
from functools import cache

import pytest

from app.core.artifact import ModelLoadError
from app.core.model import FramingModel, load_model
from app.settings import Settings


@cache
def served_model(language: str) -> FramingModel:
    """The model `make model` built for `language` (models/<language>)."""
    try:
        return load_model(Settings().model_dir / language)
    except ModelLoadError as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no trained {language} model ({exc}); run `make model`")


def labels_of(language: str, text: str) -> set[str]:
    m = served_model(language)
    row = m.decide(m.scores([text]))[0]
    return {label for label, on in zip(m.labels, row, strict=True) if on}


def score(language: str, text: str, label: str) -> float:
    m = served_model(language)
    return float(m.scores([text])[0, m.labels.index(label)])
