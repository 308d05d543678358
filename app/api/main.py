"""The FastAPI application: `uvicorn --factory app.api.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api.head import HeadMiddleware
from app.api.lifecycle import lifespan
from app.api.limits import BodyLimitMiddleware
from app.api.observability import ObservabilityMiddleware
from app.api.openapi import openapi_schema
from app.api.pages import add_pages
from app.api.problems import install_problem_handlers
from app.api.routes import TAGS, router
from app.api.security import SecurityHeadersMiddleware
from app.api.state import ServiceState
from app.settings import Settings, get_settings

DESCRIPTION = """
Labels each sentence of news copy, statements and state-media text with the framing
moves it makes: **blame_attribution**, **downplaying** and **official_denial**
(several or none). Sentence offsets count Unicode code points: `text[start:end]` is the
sentence. Errors are RFC 9457 problem documents (`application/problem+json`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Framing analysis",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_tags=TAGS,
    )
    state = ServiceState.create(settings)
    app.state.service = state
    install_problem_handlers(app)
    app.include_router(router)
    add_pages(app)
    app.add_middleware(
        BodyLimitMiddleware,
        limit_for=lambda path: (
            settings.max_batch_body_bytes
            if path in ("/classify/batch", "/feedback/queue")
            else settings.max_body_bytes
        ),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(ObservabilityMiddleware, metrics=state.metrics)
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    return app
