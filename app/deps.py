"""FastAPI dependencies and their named aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.model import ModelSet
from app.problems import ProblemError
from app.settings import Settings


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_models(request: Request) -> ModelSet:
    model: ModelSet | None = getattr(request.app.state, "model", None)
    if model is None:
        raise ProblemError(
            503,
            "model-not-loaded",
            "No model is loaded yet; retry shortly.",
            headers={"Retry-After": "5"},
        )
    return model


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ModelsDep = Annotated[ModelSet, Depends(get_models)]
