"""Model reload: checked, atomic, refused on a bad model while the old one keeps serving."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.artifact import MODEL_FILE, Manifest, ModelLoadError, load_artifact, save_model
from app.core.model import load_model
from app.settings import Settings
from tests.conftest import TINY, write_tiny_model

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def folder(tiny_model_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "model"
    shutil.copytree(tiny_model_dir, out)
    return out


@pytest.fixture
def admin(folder: Path):  # type: ignore[no-untyped-def]
    with TestClient(create_app(Settings(model_dir=folder, admin_token=TOKEN))) as c:
        yield c


def version(client: TestClient) -> str:
    response = client.post("/classify", json={"text": "The ministry denied it."})
    assert response.status_code == 200, response.text
    return str(response.json()["models"][0]["version"])


def test_reload_is_off_without_token(client: TestClient) -> None:
    response = client.post("/admin/reload", headers=AUTH)
    assert response.status_code == 404, response.text


def test_reload_needs_the_token(admin: TestClient) -> None:
    assert admin.post("/admin/reload").status_code == 401
    wrong = admin.post("/admin/reload", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_reload_swaps_in_a_new_model(admin: TestClient, folder: Path) -> None:
    before = version(admin)
    new = write_tiny_model(
        folder, [*TINY, ("Editors were told to blame exiles.", ["blame_attribution"])]
    )
    response = admin.post("/admin/reload", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"previous": before, "current": new.version, "workers": 1}
    assert version(admin) == new.version
    assert admin.get("/model").json()["models"]["en"]["version"] == new.version
    assert f'version="{new.version}"' in admin.get("/metrics").text


def test_tampered_model_is_refused_and_old_keeps_serving(admin: TestClient, folder: Path) -> None:
    before = version(admin)
    with (folder / MODEL_FILE).open("ab") as f:
        f.write(b"tampered")
    response = admin.post("/admin/reload", headers=AUTH)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith(":model-rejected")
    assert problem["errors"][0]["type"] == "hash-mismatch"
    assert before in problem["detail"]
    assert version(admin) == before
    assert 'outcome="refused"' in admin.get("/metrics").text


def with_canaries(folder: Path, canaries: list[dict[str, object]]) -> None:
    """Save the model in `folder` again with these canary sentences in its manifest."""
    manifest, arrays = load_artifact(folder)
    changed = Manifest.model_validate({**manifest.model_dump(), "canaries": canaries})
    save_model(arrays, changed, folder)


def test_model_failing_its_canaries_is_refused(admin: TestClient, folder: Path) -> None:
    before = version(admin)
    wrong = {"text": "Rain is expected in the north tomorrow.", "labels": ["official_denial"]}
    with_canaries(folder, [wrong])
    response = admin.post("/admin/reload", headers=AUTH)
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["type"] == "canary"
    assert version(admin) == before


def test_canaries_pass_on_a_good_model(folder: Path) -> None:
    with_canaries(folder, [{"text": TINY[0][0], "labels": TINY[0][1]}])
    assert load_model(folder).manifest.canaries[0].labels == ["official_denial"]
    with_canaries(folder, [{"text": TINY[0][0], "labels": []}])
    with pytest.raises(ModelLoadError) as info:
        load_model(folder)
    assert info.value.reason == "canary"


def test_a_worker_switches_threads_often_while_it_serves(tiny_model_dir: Path) -> None:
    # The event loop must not keep the GIL from the classification thread for Python's
    # default 5 ms at a time; the process gets its own interval back on shutdown.
    before = sys.getswitchinterval()
    settings = Settings(model_dir=tiny_model_dir, switch_interval_ms=0.25)
    with TestClient(create_app(settings)):
        assert sys.getswitchinterval() == pytest.approx(0.00025)
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize("run_dir", [False, True], ids=["model folder", "run folder"])
def test_a_starting_app_reads_the_identifier_through_its_cache_folder(
    folder: Path, tmp_path: Path, run_dir: bool
) -> None:
    cache = tmp_path / "cache"
    settings = Settings(
        model_dir=folder, cache_dir=cache, run_dir=tmp_path / "run" if run_dir else None
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
    copies = list(cache.glob("py3langid-*.npz"))
    assert len(copies) == 1
    for copy in copies:
        copy.unlink()  # 68 MB
