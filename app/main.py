"""The FastAPI application: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.limits import BodyLimitMiddleware
from app.model import load_model
from app.problems import install_problem_handlers
from app.routes import router
from app.schemas import BatchRequest, ClassifyRequest
from app.settings import Settings, get_settings

log = logging.getLogger("app")

DESCRIPTION = """
Labels each sentence of news copy, statements and state-media text with the framing
moves it makes: **blame_attribution**, **downplaying** and **official_denial**
(several or none). Sentence offsets count Unicode code points: `text[start:end]` is the
sentence. Errors are RFC 9457 problem documents (`application/problem+json`).
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    model = load_model(settings.model_dir)
    log.info("loaded model %s from %s", model.version, settings.model_dir)
    app.state.model = model
    yield
    app.state.model = None


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus the body models that routes read themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ClassifyRequest, BatchRequest):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components[model.__name__] = body
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Framing analysis",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.model = None
    install_problem_handlers(app)
    app.include_router(router)
    app.add_middleware(
        BodyLimitMiddleware,
        limit_for=lambda path: (
            settings.max_batch_body_bytes if path == "/classify/batch" else settings.max_body_bytes
        ),
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
