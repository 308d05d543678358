"""The feedback routes when storage fails: a damaged file, a full disk, a database that
cannot be reached or is newer, and the service killed mid-write. Each is a problem
document with its own type; classification goes on; nothing acknowledged is lost."""

from __future__ import annotations

import json
import shutil
import signal
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.api.main import create_app
from app.feedback import store as store_module
from app.feedback.records import NewCorrection
from app.feedback.store import MIGRATIONS, Migration, open_store
from tests.api.test_feedback import ANA, auth, body, feedback_settings
from tests.feedback.service import service, start_service

PROBLEM = "urn:framing:problem:"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def client_for(model_dir: Path, data_dir: Path, **kw: object) -> TestClient:
    return TestClient(
        create_app(feedback_settings(model_dir, data_dir, **kw)), raise_server_exceptions=False
    )


def test_a_damaged_database_is_503_and_classifying_goes_on(
    tiny_model_dir: Path, data_dir: Path
) -> None:
    data_dir.mkdir()
    db = data_dir / "feedback.sqlite3"
    db.write_bytes(b"this is not a database, but it holds something" * 100)
    before = db.read_bytes()
    with client_for(tiny_model_dir, data_dir) as c:
        assert c.get("/readyz").status_code == 200
        assert c.post("/classify", json={"text": "The ministry denied it."}).status_code == 200
        for method, path in [
            ("POST", "/feedback"),
            ("GET", "/feedback/export"),
            ("GET", "/feedback/me"),
        ]:
            r = c.request(method, path, json=body(), headers=auth(ANA))
            assert r.status_code == 503, path
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["type"] == PROBLEM + "feedback-storage-corrupt"
            assert r.json()["errors"][0]["type"] == "storage_corrupt"
    assert db.read_bytes() == before, "a damaged file is never written over"


def test_a_restored_file_is_picked_up_without_a_restart(
    tiny_model_dir: Path, data_dir: Path
) -> None:
    backup = data_dir.parent / "backup.sqlite3"
    store = open_store(backup)
    store.save(NewCorrection("ana", "Saved before the damage.", (), "en", "v"))
    store.close()
    data_dir.mkdir()
    db = data_dir / "feedback.sqlite3"
    db.write_bytes(b"\0" * 8192)
    with client_for(tiny_model_dir, data_dir) as c:
        r = c.post("/feedback", json=body(), headers=auth(ANA))
        assert r.json()["type"] == PROBLEM + "feedback-storage-corrupt"
        shutil.copyfile(backup, db)  # the operator restores the backup
        assert c.post("/feedback", json=body(), headers=auth(ANA)).status_code == 201
        texts = [
            json.loads(x)["text"]
            for x in c.get("/feedback/export", headers=auth(ANA)).text.splitlines()
        ]
        assert texts == ["Saved before the damage.", body()["text"]]


def test_an_unreachable_postgres_is_503_with_retry_after(
    tiny_model_dir: Path, data_dir: Path
) -> None:
    url = SecretStr("postgresql://framing:secret-password@127.0.0.1:1/nothing")
    with client_for(tiny_model_dir, data_dir, feedback_database_url=url) as c:
        assert c.get("/readyz").status_code == 200
        r = c.post("/feedback", json=body(), headers=auth(ANA))
        assert r.status_code == 503
        assert r.json()["type"] == PROBLEM + "feedback-storage-unavailable"
        assert r.headers["retry-after"] == "10"
        assert "secret-password" not in r.text


def test_a_newer_database_is_503(
    tiny_model_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = Migration(MIGRATIONS[-1].version + 1, "future", ("SELECT 1",), ("SELECT 1",))
    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, newer])
    open_store(data_dir / "feedback.sqlite3").close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with client_for(tiny_model_dir, data_dir) as c:
        r = c.post("/feedback", json=body(), headers=auth(ANA))
        assert r.status_code == 503 and r.json()["type"] == PROBLEM + "feedback-storage-schema"


def env_for(model_dir: Path, data_dir: Path) -> dict[str, str]:
    return {
        "FRAMING_MODEL_DIR": str(model_dir),
        "FRAMING_DATA_DIR": str(data_dir),
        "FRAMING_ANNOTATOR_TOKENS": json.dumps({"ana": ANA}),
    }


def exported(url: str) -> list[dict]:  # type: ignore[type-arg]
    r = httpx.get(f"{url}/feedback/export", headers=auth(ANA), timeout=30)
    assert r.status_code == 200
    return [json.loads(line) for line in r.text.splitlines()]


def test_a_full_disk_is_507_and_nothing_half_written(tiny_model_dir: Path, data_dir: Path) -> None:
    data_dir.mkdir()
    open_store(data_dir / "feedback.sqlite3").close()
    stored = []
    with (
        service(env_for(tiny_model_dir, data_dir), fsize=1024 * 1024) as (_, url),
        httpx.Client(base_url=url, headers=auth(ANA), timeout=30) as http,
    ):
        for i in range(2000):
            text = f"Sentence {i} of a long report. " + "The ministry denied it all. " * 150
            r = http.post("/feedback", json=body(text=text[:5000]))
            if r.status_code != 201:
                break
            stored.append(r.json())
        assert r.status_code == 507, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == PROBLEM + "feedback-storage-full"
        assert r.json()["errors"][0]["type"] == "storage_full"
        assert http.post("/classify", json={"text": "The ministry denied it."}).status_code == 200
        assert exported(url) == stored
    assert 10 < len(stored) < 2000


def test_the_service_killed_mid_write_loses_nothing_acknowledged(
    tiny_model_dir: Path, data_dir: Path
) -> None:
    env = env_for(tiny_model_dir, data_dir)
    proc, url = start_service(env)
    acknowledged: list[dict] = []  # type: ignore[type-arg]
    stop = threading.Event()

    def post(n: int) -> None:
        with httpx.Client(base_url=url, headers=auth(ANA), timeout=10) as http:
            i = 0
            while not stop.is_set():
                try:
                    r = http.post("/feedback", json=body(text=f"Writer {n} sentence {i}."))
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    acknowledged.append(r.json())
                i += 1

    threads = [threading.Thread(target=post, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        while len(acknowledged) < 80:
            threads[0].join(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    with service(env) as (_, again):
        rows = {r["id"]: r for r in exported(again)}
    for record in acknowledged:
        assert rows[record["id"]] == record
    assert len(acknowledged) <= len(rows) <= len(acknowledged) + 4
    store = open_store(data_dir / "feedback.sqlite3")
    assert store.check() == []
    store.close()
