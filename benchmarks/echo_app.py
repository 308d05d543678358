"""A minimal FastAPI app that echoes a JSON body: the framework's ceiling on this machine."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/classify")
    async def echo(request: Request) -> Any:
        return Response(await request.body(), media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
