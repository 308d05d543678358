"""GET /healthz, /readyz and /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.deps import StateDep
from app.api.schemas import Status

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Status)
async def healthz() -> Status:
    """The process is alive."""
    return Status(status="ok")


@router.get("/readyz", response_model=Status, responses={503: {"model": Status}})
async def readyz(state: StateDep) -> Any:
    """A model is loaded and requests can be classified."""
    models = state.models
    if models is None:
        return JSONResponse(Status(status="loading").model_dump(), status_code=503)
    return Status(status="ready", model_version=models.version, languages=models.languages)


@router.get("/metrics", include_in_schema=False)
async def metrics(state: StateDep) -> Response:
    """Prometheus metrics of the whole service (every worker under `framing serve`)."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
