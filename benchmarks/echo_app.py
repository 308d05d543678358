"""A bare FastAPI app that parses the same JSON body as /classify and answers a little
JSON: the framework's ceiling on this machine, measured beside the service."""

from __future__ import annotations

from fastapi import FastAPI

from app.api.schemas import ClassifyRequest


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/classify")
    async def parse(body: ClassifyRequest) -> dict[str, int]:
        return {"characters": len(body.text)}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
