"""The FastAPI application: `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import anyio
import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.lifecycle import lifespan
from app.limits import BodyLimitMiddleware
from app.observability import Metrics, ObservabilityMiddleware
from app.problems import install_problem_handlers
from app.routes import router
from app.schemas import BatchRequest, ClassifyRequest
from app.security import SecurityHeadersMiddleware
from app.settings import Settings, get_settings

log = logging.getLogger("app")
STATIC = Path(__file__).resolve().parent / "static"

DESCRIPTION = """
Labels each sentence of news copy, statements and state-media text with the framing
moves it makes: **blame_attribution**, **downplaying** and **official_denial**
(several or none). Sentence offsets count Unicode code points: `text[start:end]` is the
sentence. Errors are RFC 9457 problem documents (`application/problem+json`).
"""


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


def _add_pages(app: FastAPI) -> None:
    """The analyst's page at /, and the API docs at /docs, both served with no CDN."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(
        "/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets"
    )

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Framing analysis",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.model = None
    app.state.metrics = Metrics()
    app.state.reload_lock = asyncio.Lock()
    app.state.classify_limiter = anyio.CapacityLimiter(settings.classify_threads)
    app.state.reload_tasks = set()
    install_problem_handlers(app)
    app.include_router(router)
    _add_pages(app)
    app.add_middleware(
        BodyLimitMiddleware,
        limit_for=lambda path: (
            settings.max_batch_body_bytes if path == "/classify/batch" else settings.max_body_bytes
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
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
