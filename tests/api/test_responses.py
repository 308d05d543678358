"""The hand-encoded response bodies are exactly what the response models describe."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.api.schemas import BatchResponse, ClassifyResponse

TEXT = "The ministry denied any involvement in the strike. Rain is expected in the north."


def test_classify_body_is_a_valid_classify_response(bilingual_client: TestClient) -> None:
    for explain in (False, True):
        response = bilingual_client.post("/classify", json={"text": TEXT, "explain": explain})
        assert response.status_code == 200, response.text
        body = response.json()
        model = ClassifyResponse.model_validate(body)
        assert model.model_dump(mode="json", exclude_none=True) == body
        assert ("evidence" in body["sentences"][0]) == explain


def test_batch_body_is_a_valid_batch_response(bilingual_client: TestClient) -> None:
    docs = [{"id": "a", "text": TEXT}, {"id": "b", "text": "Министерство отвергло обвинения."}]
    response = bilingual_client.post("/classify/batch", json={"documents": docs, "explain": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert BatchResponse.model_validate(body).model_dump(mode="json", exclude_none=True) == body
    assert [d["id"] for d in body["documents"]] == ["a", "b"]
