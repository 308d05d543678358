"""The API contract: shapes, offsets, order, and the label set taken from the model."""

from __future__ import annotations

import itertools
from pathlib import Path

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.settings import Settings
from tests.conftest import TINY, write_tiny_model

ARTICLE = (
    "The ministry denied any involvement in the strike. Officials blamed foreign agents "
    "for the riots.\n\nOnly a handful of minor injuries were reported.  The council approved "
    "the budget on Monday."
)


def test_classify_json_contract(client: TestClient) -> None:
    response = client.post("/classify", json={"text": ARTICLE})
    assert response.status_code == 200, response.text
    body = response.json()
    labels = ["blame_attribution", "downplaying", "official_denial"]
    assert body["labels"] == labels
    [model] = body["models"]
    assert model["name"] == "framing" and model["version"] and model["language"] == "en"
    assert body["language"]["code"] == "en"
    assert body["language"]["source"] in {"detected", "script"}
    sentences = body["sentences"]
    assert [s["index"] for s in sentences] == list(range(4))
    for s in sentences:
        assert ARTICLE[s["start"] : s["end"]] == s["text"]
        assert s["text"] == s["text"].strip()
        assert set(s["scores"]) == set(labels)
        assert all(0.0 <= v <= 1.0 for v in s["scores"].values())
        assert set(s["labels"]) <= set(labels)
        assert all(s["scores"][label] >= 0.5 for label in s["labels"])
    starts = [s["start"] for s in sentences]
    assert starts == sorted(starts)
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(sentences))
    assert sentences[0]["labels"] == ["official_denial"]
    assert sentences[1]["labels"] == ["blame_attribution"]
    assert sentences[2]["labels"] == ["downplaying"]
    assert sentences[3]["labels"] == []
    assert {s["language"] for s in sentences} == {"en"}
    summary = body["summary"]
    assert summary == {
        "sentences": 4,
        "labelled": 3,
        "counts": {"blame_attribution": 1, "downplaying": 1, "official_denial": 1},
        "languages": {"en": 4},
    }


def test_classify_plain_text_matches_json(client: TestClient) -> None:
    plain = client.post(
        "/classify", content=ARTICLE.encode(), headers={"content-type": "text/plain; charset=utf-8"}
    )
    assert plain.status_code == 200, plain.text
    as_json = client.post("/classify", json={"text": ARTICLE})
    assert plain.json() == as_json.json()


def test_offsets_count_code_points(client: TestClient) -> None:
    text = "😀 The ministry denied any involvement. « Ça » was fine.\u00a0Three were hurt."
    response = client.post("/classify", json={"text": text})
    assert response.status_code == 200, response.text
    for s in response.json()["sentences"]:
        assert text[s["start"] : s["end"]] == s["text"]


def test_batch_keeps_order_and_ids(client: TestClient) -> None:
    docs = [
        {"id": "b", "text": "Critics accused the mayor of negligence."},
        {"id": "a", "text": "Rain is expected in the north tomorrow. Turnout was 31 percent."},
    ]
    response = client.post("/classify/batch", json={"documents": docs})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [d["id"] for d in body["documents"]] == ["b", "a"]
    assert body["documents"][0]["sentences"][0]["labels"] == ["blame_attribution"]
    assert body["documents"][1]["summary"]["sentences"] == 2
    single = client.post("/classify", json={"text": docs[1]["text"]}).json()
    assert body["documents"][1]["sentences"] == single["sentences"]


def test_labels_and_model_card(client: TestClient, tiny_model_dir: Path) -> None:
    response = client.get("/labels")
    assert response.status_code == 200, response.text
    names = [item["name"] for item in response.json()["labels"]]
    assert names == ["blame_attribution", "downplaying", "official_denial"]
    assert all(item["description"] for item in response.json()["labels"])
    assert all(item["thresholds"] == {"en": 0.5} for item in response.json()["labels"])
    assert response.json()["languages"] == ["en"]
    card = client.get("/model")
    assert card.status_code == 200, card.text
    assert card.json()["languages"] == ["en"]
    body = card.json()["models"]["en"]
    for key in ("version", "created", "trained_with", "training_data", "thresholds", "metrics"):
        assert key in body
    assert body["language"] == "en"
    assert body["training_data"]["fingerprint"] == "test"


def test_health_and_readiness(client: TestClient, settings: Settings) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert ready.json()["languages"] == ["en"]
    # Without the lifespan having run, no model is loaded.
    cold = TestClient(create_app(settings))
    assert cold.get("/readyz").status_code == 503
    response = cold.post("/classify", json={"text": "Hello there."})
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_extra_label_served_without_code_change(tmp_path: Path) -> None:
    rows = [
        *TINY,
        ("Protesters were called thugs and vandals by the governor.", ["labelling_insult"]),
        ("The minister called the journalists traitors.", ["labelling_insult"]),
        ("State TV branded the strikers hooligans.", ["labelling_insult"]),
    ]
    write_tiny_model(tmp_path, rows)
    with TestClient(create_app(Settings(model_dir=tmp_path))) as c:
        body = c.post("/classify", json={"text": "State TV branded the strikers hooligans."}).json()
        assert "labelling_insult" in body["labels"]
        assert "labelling_insult" in body["sentences"][0]["scores"]
        assert "labelling_insult" in body["summary"]["counts"]
        names = [item["name"] for item in c.get("/labels").json()["labels"]]
        assert "labelling_insult" in names


def test_explain_gives_positive_evidence_inside_the_text(client: TestClient) -> None:
    text = "Rain is expected tomorrow. A spokesman rejected the report as baseless."
    response = client.post("/classify", json={"text": text, "explain": True})
    assert response.status_code == 200, response.text
    first, second = response.json()["sentences"]
    assert first["labels"] == [] and first["evidence"] == {}
    assert second["labels"] == ["official_denial"]
    evidence = second["evidence"]["official_denial"]
    assert evidence, "a labelled sentence has evidence"
    weights = [e["weight"] for e in evidence]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    for e in evidence:
        assert text[e["start"] : e["end"]] == e["text"]
        assert second["start"] <= e["start"] < e["end"] <= second["end"]
    assert {"rejected", "baseless", "spokesman"} & {e["text"] for e in evidence}


def test_evidence_only_when_asked(client: TestClient) -> None:
    text = "A spokesman rejected the report as baseless."
    plain = client.post("/classify", json={"text": text})
    assert "evidence" not in plain.json()["sentences"][0]
    by_query = client.post(
        "/classify?explain=true", content=text.encode(), headers={"content-type": "text/plain"}
    )
    assert by_query.status_code == 200, by_query.text
    assert by_query.json()["sentences"][0]["evidence"]["official_denial"]
    batch = client.post(
        "/classify/batch", json={"documents": [{"id": "x", "text": text}], "explain": True}
    )
    assert batch.json()["documents"][0]["sentences"][0]["evidence"]["official_denial"]
