"""The OpenAPI schema is the contract: a snapshot makes every change deliberate.

After an intended change, refresh the snapshot with
`UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest tests/api/test_openapi.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.testclient import TestClient

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")


def test_schema_matches_snapshot(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    schema = response.json()
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    assert schema == json.loads(SNAPSHOT.read_text()), (
        "The API schema changed. If intended, refresh the snapshot (see this file's docstring)."
    )


def test_bodies_documented_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/classify"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/plain"}
    components = schema["components"]["schemas"]
    assert components["ClassifyRequest"]["examples"]
    assert components["BatchRequest"]["examples"]
    assert components["ClassifyResponse"]["examples"]
    assert "Document" in components
    docs = client.get("/docs")
    assert docs.status_code == 200, docs.text
