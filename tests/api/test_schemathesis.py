"""Hostile input generated from the app's own OpenAPI schema: no 5xx, ever."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from app.api.main import create_app
from app.api.state import state_of
from app.core.model import load_models
from app.settings import Settings
from tests.conftest import write_tiny_model


def make_app(model_dir: Path):  # type: ignore[no-untyped-def]
    app = create_app(Settings(model_dir=model_dir, max_text_chars=5_000, admin_token="t"))
    state_of(app).models = load_models(model_dir)  # as the lifespan would
    return app


def schema_app():  # type: ignore[no-untyped-def]
    """An app on a tiny model; built at collection, as schemathesis needs the schema then."""
    folder = Path(tempfile.mkdtemp(prefix="framing-schemathesis-"))
    write_tiny_model(folder)
    return make_app(folder)


# schemathesis.pytest.from_fixture fails under pytest 9, so the schema is loaded here.
schema = schemathesis.openapi.from_asgi("/openapi.json", schema_app())


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json")


@pytest.mark.parametrize("route", ["/classify", "/classify/batch"])
def test_garbage_bodies(route: str, tiny_model_dir: Path) -> None:
    client = TestClient(make_app(tiny_model_dir))
    for body in [
        b"\x00" * 100,
        b"\xff" * 50,
        b'{"text": "\\u0000\\u202e\\ud83d"}',
        b"{" * 10_000,
        b'{"documents": [' + b'{"id":"a","text":"x"},' * 5 + b"]}",
        b"1e999999",
    ]:
        response = client.post(route, content=body, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (body[:40], response.text)
