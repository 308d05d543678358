"""Request ids, metrics, and logs that never hold submitted text."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.api.observability import JsonFormatter


def test_request_id_is_taken_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


def test_metrics_count_requests_sentences_and_labels(client: TestClient) -> None:
    text = "The ministry denied any involvement in the strike. Rain is expected tomorrow."
    assert client.post("/classify", json={"text": text}).status_code == 200
    client.post("/classify", content=b"{", headers={"content-type": "application/json"})
    body = client.get("/metrics").text
    assert 'framing_http_requests_total{method="POST",route="/classify",status="200"} 1.0' in body
    assert 'framing_http_requests_total{method="POST",route="/classify",status="400"} 1.0' in body
    assert "framing_sentences_classified_total 2.0" in body
    assert 'framing_labels_emitted_total{label="official_denial"} 1.0' in body
    assert "framing_model_info{" in body
    assert "framing_http_request_duration_seconds_bucket" in body


def test_logs_hold_length_and_hash_not_text(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Confidential source Zebulon-77 says the ministry denied everything."
    with caplog.at_level(logging.DEBUG):
        body = json.dumps({"text": secret}).encode()
        response = client.post(
            "/classify", content=body, headers={"content-type": "application/json"}
        )
        client.post("/classify", json={"text": 5, "note": secret})
    assert response.status_code == 200, response.text
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert lines, "requests are logged"
    assert not any("Zebulon" in line for line in lines)
    access = [json.loads(line) for line in lines if '"msg": "request"' in line]
    assert access[0]["route"] == "/classify" and access[0]["status"] == 200
    assert access[0]["body_bytes"] == len(body)
    assert len(access[0]["body_sha256"]) == 16
    assert access[0]["request_id"] == response.headers["x-request-id"]


def test_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200, page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert (
        "access-control-allow-origin"
        not in client.options(
            "/classify",
            headers={
                "Origin": "https://elsewhere.example",
                "Access-Control-Request-Method": "POST",
            },
        ).headers
    )
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
