"""POST /feedback and the other feedback routes: tokens, validation, stored records,
duplicates, the export, agreement, the queue, and what reaches the logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.api.main import create_app
from app.feedback.store import open_store
from app.settings import Settings

ANA = "ana-token-0123456789"
BORIS = "boris-token-0123456789"
SENTENCE = "The ministry denied any involvement in the strike."


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": SENTENCE,
        "labels": ["official_denial"],
        "language": "en",
        "source": "wire",
        "document_id": "a1",
        "model_version": "2026.12.07-abc1234",
    }
    out.update(kw)
    return out


def feedback_settings(model_dir: Path, data_dir: Path, **kw: Any) -> Settings:
    tokens = {"ana": SecretStr(ANA), "boris": SecretStr(BORIS)}
    return Settings(model_dir=model_dir, data_dir=data_dir, annotator_tokens=tokens, **kw)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def fb(bilingual_model_dir: Path, data_dir: Path) -> Iterator[TestClient]:
    app = create_app(feedback_settings(bilingual_model_dir, data_dir))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_routes_are_off_without_tokens(client: TestClient) -> None:
    for method, path in [
        ("POST", "/feedback"),
        ("GET", "/feedback/me"),
        ("GET", "/feedback/export"),
        ("GET", "/feedback/agreement"),
        ("POST", "/feedback/queue"),
    ]:
        r = client.request(method, path, json=body(), headers=auth(ANA))
        assert r.status_code == 404, path
        assert r.json()["type"] == "urn:framing:problem:not-found"


def test_a_token_is_needed(fb: TestClient) -> None:
    for headers in [{}, auth("wrong-token-0123456789"), {"Authorization": "Basic YQ=="}]:
        r = fb.post("/feedback", json=body(), headers=headers)
        assert r.status_code == 401
        assert r.json()["type"] == "urn:framing:problem:unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"


def test_a_correction_is_stored_and_answered_201(fb: TestClient, data_dir: Path) -> None:
    r = fb.post(
        "/feedback", json=body(labels=["official_denial", "blame_attribution"]), headers=auth(ANA)
    )
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["annotator"] == "ana" and record["revision"] == 1
    assert record["labels"] == ["blame_attribution", "official_denial"]
    assert {
        k: record[k] for k in ("text", "language", "source", "document_id", "model_version")
    } == {k: body()[k] for k in ("text", "language", "source", "document_id", "model_version")}
    store = open_store(data_dir / "feedback.sqlite3")
    [row] = list(store.corrections())
    assert row.as_json() == record
    store.close()
    assert fb.get("/feedback/me", headers=auth(ANA)).json() == {
        "annotator": "ana",
        "corrections": 1,
    }
    assert fb.get("/feedback/me", headers=auth(BORIS)).json()["corrections"] == 0


def test_one_annotator_replaces_two_are_kept(fb: TestClient) -> None:
    first = fb.post("/feedback", json=body(), headers=auth(ANA)).json()
    again = fb.post("/feedback", json=body(labels=[]), headers=auth(ANA))
    assert again.status_code == 201
    assert again.json()["id"] == first["id"] and again.json()["revision"] == 2
    other = fb.post("/feedback", json=body(labels=["downplaying"]), headers=auth(BORIS)).json()
    lines = fb.get("/feedback/export", headers=auth(ANA)).text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["annotator"], r["labels"]) for r in rows] == [
        ("ana", []),
        ("boris", ["downplaying"]),
    ]
    assert rows[1]["id"] == other["id"]


def test_bad_corrections_are_422_with_typed_errors(fb: TestClient) -> None:
    cases = [
        (body(labels=["propaganda"]), "invalid-request", "unknown_label"),
        (body(labels=["downplaying", "downplaying"]), "invalid-request", "duplicate_label"),
        (body(language="de"), "unsupported-language", "unsupported_language"),
        (body(text="   "), "invalid-request", "value_error"),
        (body(extra=1), "invalid-request", "extra_forbidden"),
        ({k: v for k, v in body().items() if k != "model_version"}, "invalid-request", "missing"),
        (body(text="x" * 5001), "invalid-request", "string_too_long"),
    ]
    for payload, slug, error in cases:
        r = fb.post("/feedback", json=payload, headers=auth(ANA))
        assert r.status_code == 422, payload
        assert r.json()["type"] == f"urn:framing:problem:{slug}"
        assert r.json()["errors"][0]["type"] == error
    r = fb.post(
        "/feedback", content=b"{oops", headers={**auth(ANA), "content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["type"] == "urn:framing:problem:invalid-json"
    r = fb.post("/feedback", content=SENTENCE, headers={**auth(ANA), "content-type": "text/plain"})
    assert r.status_code == 415
    assert fb.get("/feedback/me", headers=auth(ANA)).json()["corrections"] == 0


def test_export_filters_and_streams_jsonl(fb: TestClient) -> None:
    fb.post("/feedback", json=body(), headers=auth(ANA))
    ru = "Министерство отвергло все обвинения в причастности к удару."
    fb.post("/feedback", json=body(text=ru, language="ru"), headers=auth(BORIS))
    r = fb.get("/feedback/export", headers=auth(ANA))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(x)["language"] for x in r.text.splitlines()] == ["en", "ru"]
    only = fb.get("/feedback/export?language=ru", headers=auth(ANA)).text.splitlines()
    assert [json.loads(x)["text"] for x in only] == [ru]
    assert fb.get("/feedback/export?annotator=nobody", headers=auth(ANA)).text == ""


def test_agreement_on_doubly_labelled_sentences(fb: TestClient) -> None:
    sentences = [f"Officials blamed agents for riot number {i}." for i in range(6)]
    for i, text in enumerate(sentences):
        fb.post("/feedback", json=body(text=text, labels=["blame_attribution"]), headers=auth(ANA))
        theirs = ["blame_attribution"] if i < 4 else []
        fb.post("/feedback", json=body(text=text, labels=theirs), headers=auth(BORIS))
    fb.post("/feedback", json=body(text="Only ana saw this one."), headers=auth(ANA))
    found = fb.get("/feedback/agreement", headers=auth(ANA)).json()
    assert found["sentences"] == 7 and found["shared_sentences"] == 6
    assert found["annotators"] == ["ana", "boris"]
    blame = found["labels"]["blame_attribution"]
    assert blame["pairs"] == 6 and blame["agreement"] == pytest.approx(4 / 6, abs=1e-4)
    rate = 10 / 12
    expected = rate**2 + (1 - rate) ** 2
    assert blame["kappa"] == pytest.approx((4 / 6 - expected) / (1 - expected), abs=1e-4)
    # Nobody gave downplaying: agreement is total, kappa undefined.
    assert found["labels"]["downplaying"]["agreement"] == 1.0
    assert found["labels"]["downplaying"]["kappa"] is None
    assert found["pairs"]["ana+boris"]["sentences"] == 6
    assert found["exact_match"] == pytest.approx(4 / 6, abs=1e-4)


def test_the_queue_picks_uncertain_sentences_spread_over_sources(fb: TestClient) -> None:
    texts = [
        {
            "text": "The ministry denied any involvement in the strike. Turnout was 31 percent. "
            "Officials said the report was not entirely accurate.",
            "source": "wire",
            "id": "w1",
        },
        {
            "text": "Critics accused the mayor of negligence. The museum opened a new wing. "
            "Some blamed the weather, others the council.",
            "source": "blog",
            "id": "b1",
        },
    ]
    r = fb.post("/feedback/queue", json={"texts": texts, "size": 4}, headers=auth(ANA))
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["sentences"] == 6
    queue = found["queue"]
    assert [q["rank"] for q in queue] == [1, 2, 3, 4]
    assert {q["source"] for q in queue[:2]} == {"wire", "blog"}
    for q in queue:
        assert q["margin"] == pytest.approx(
            abs(q["scores"][q["nearest"]] - q["threshold"]), abs=1e-3
        )
        assert q["model_version"]
    # A sentence the annotator has corrected is not offered again.
    fb.post("/feedback", json=body(text=queue[0]["text"]), headers=auth(ANA))
    again = fb.post("/feedback/queue", json={"texts": texts, "size": 6}, headers=auth(ANA)).json()
    assert queue[0]["text"] not in [q["text"] for q in again["queue"]]
    assert len(again["queue"]) == 5
    other = fb.post("/feedback/queue", json={"texts": texts, "size": 6}, headers=auth(BORIS)).json()
    assert len(other["queue"]) == 6
    r = fb.post("/feedback/queue", json={"texts": texts, "size": 1000}, headers=auth(ANA))
    assert (
        r.status_code == 422 and r.json()["errors"][0]["setting"] == "FRAMING_MAX_QUEUE_SENTENCES"
    )


def test_corrections_never_reach_the_logs(fb: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    secret = "Zanzibar officials denied the quokka report."
    with caplog.at_level(logging.DEBUG):
        fb.post("/feedback", json=body(text=secret), headers=auth(ANA))
        fb.post("/feedback", json=body(text=secret, labels=["nope"]), headers=auth(ANA))
        fb.get("/feedback/export", headers=auth(ANA))
        fb.post("/feedback/queue", json={"texts": [secret]}, headers=auth(ANA))
    logged = "\n".join(
        f"{r.getMessage()} {json.dumps({k: str(v) for k, v in vars(r).items()})}"
        for r in caplog.records
    )
    assert caplog.records, "the access log wrote nothing"
    assert "Zanzibar" not in logged and "quokka" not in logged
    assert ANA not in logged


def test_settings_refuse_bad_tokens(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError):
        Settings(annotator_tokens={"ana": SecretStr("short")})
    with pytest.raises(ValueError):
        Settings(annotator_tokens={"a b": SecretStr(ANA)})
    with pytest.raises(ValueError):
        Settings(annotator_tokens={"ana": SecretStr(ANA), "boris": SecretStr(ANA)})
    with pytest.raises(ValueError):
        Settings(feedback_database_url=SecretStr("mysql://x"))


def test_tokens_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMING_ANNOTATOR_TOKENS", json.dumps({"ana": ANA, "boris": BORIS}))
    tokens = Settings().annotator_tokens
    assert {name: t.get_secret_value() for name, t in tokens.items()} == {
        "ana": ANA,
        "boris": BORIS,
    }
    assert ANA not in repr(Settings())


def test_the_queue_keeps_the_batch_limits(bilingual_model_dir: Path, data_dir: Path) -> None:
    settings = feedback_settings(
        bilingual_model_dir, data_dir, max_text_chars=25, max_batch_chars=40
    )
    with TestClient(create_app(settings)) as c:
        one_long = {"texts": ["A short one.", "x" * 26], "size": 2}
        r = c.post("/feedback/queue", json=one_long, headers=auth(ANA))
        assert r.status_code == 422, r.text
        assert r.json()["type"].endswith(":text-too-long")
        assert r.json()["errors"][0]["loc"] == ["body", "texts", 1, "text"]
        too_many = {"texts": ["y" * 25, "z" * 25], "size": 2}
        r = c.post("/feedback/queue", json=too_many, headers=auth(ANA))
        assert r.status_code == 413, r.text
        assert r.json()["type"].endswith(":batch-too-large")
        assert r.json()["errors"][0]["loc"] == ["body", "texts"]
