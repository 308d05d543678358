"""The model artifact: loading refuses tampered, missing, edited or outdated files, with a
reason; saving is atomic."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import joblib
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.artifact import (
    MANIFEST_FILE,
    MODEL_FILE,
    ModelLoadError,
    file_sha256,
    read_manifest,
    save_model,
    version_of,
)
from app.core.model import load_model
from app.settings import Settings


@pytest.fixture
def model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "model"
    shutil.copytree(tiny_model_dir, out)
    return out


def edit_manifest(folder: Path, **changes: object) -> None:
    path = folder / MANIFEST_FILE
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_loads_valid_model(model_copy: Path) -> None:
    model = load_model(model_copy)
    assert model.labels == ["blame_attribution", "downplaying", "official_denial"]
    scores = model.scores(["The ministry denied any involvement in the strike."])
    assert scores.shape == (1, 3)


def reason(folder: Path) -> str:
    with pytest.raises(ModelLoadError) as info:
        load_model(folder)
    return info.value.reason


def test_tampered_file_is_refused(model_copy: Path) -> None:
    with (model_copy / MODEL_FILE).open("ab") as f:
        f.write(b"\0")
    assert reason(model_copy) == "hash-mismatch"


def test_missing_files_are_refused(model_copy: Path, tmp_path: Path) -> None:
    assert reason(tmp_path) == "missing-manifest"
    (model_copy / MODEL_FILE).unlink()
    assert reason(model_copy) == "missing-file"


def test_broken_manifest_is_refused(model_copy: Path) -> None:
    (model_copy / MANIFEST_FILE).write_text("{not json")
    assert reason(model_copy) == "bad-manifest"


def test_other_sklearn_version_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, sklearn_version="0.24.2")
    assert reason(model_copy) == "sklearn-version"


@pytest.mark.parametrize(
    "changes",
    [
        {"thresholds": {"blame_attribution": 0.01, "downplaying": 0.5, "official_denial": 0.5}},
        {"labels": ["a", "b", "c"]},
        {"metrics": {"test": {"macro": {"f1": 0.99}}}},
    ],
)
def test_edited_manifest_is_refused(model_copy: Path, changes: dict[str, object]) -> None:
    """The manifest is covered by the integrity check, not only the pickle."""
    edit_manifest(model_copy, **changes)
    assert reason(model_copy) == "edited-manifest"


def test_edited_version_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, version="2099.01.01-abcdef0")
    assert reason(model_copy) == "edited-version"


def test_old_format_is_refused(model_copy: Path) -> None:
    """A pickle of a bare pipeline (the layout before the manifest copy) is rebuilt."""
    pipeline = joblib.load(model_copy / MODEL_FILE)["pipeline"]
    joblib.dump(pipeline, model_copy / MODEL_FILE)
    edit_manifest(model_copy, sha256=file_sha256(model_copy / MODEL_FILE))
    data = json.loads((model_copy / MANIFEST_FILE).read_text())
    created = datetime.fromisoformat(data["created"])
    edit_manifest(model_copy, version=version_of(created, data["sha256"]))
    assert reason(model_copy) == "old-format"


def test_label_count_mismatch_is_refused(model_copy: Path, tmp_path: Path) -> None:
    manifest = read_manifest(model_copy)
    pipeline = joblib.load(model_copy / MODEL_FILE)["pipeline"]
    fewer = manifest.model_copy(update={"labels": ["a", "b"], "thresholds": {"a": 0.5, "b": 0.5}})
    save_model(pipeline, fewer, tmp_path / "fewer")
    assert reason(tmp_path / "fewer") == "label-count"


def test_save_is_atomic_and_leaves_no_temporary_files(model_copy: Path, tmp_path: Path) -> None:
    manifest = read_manifest(model_copy)
    pipeline = joblib.load(model_copy / MODEL_FILE)["pipeline"]
    saved = save_model(pipeline, manifest, tmp_path / "again")
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [MODEL_FILE, MANIFEST_FILE]
    assert saved.version == version_of(saved.created, saved.sha256)
    assert load_model(tmp_path / "again").version == saved.version


def test_app_start_fails_on_bad_model(model_copy: Path) -> None:
    edit_manifest(model_copy, sha256="0" * 64)
    app = create_app(Settings(model_dir=model_copy))
    with pytest.raises(ModelLoadError), TestClient(app):
        pass


def test_fast_scorer_equals_the_pipeline(tiny_model_dir: Path) -> None:
    model = load_model(tiny_model_dir)
    texts = [
        "The ministry denied any involvement.",
        "",
        "!!!",
        "😀 Only minor damage, officials said.",
        "Critics blamed the mayor. " * 30,
    ]
    fast = model.scores(texts)
    slow = model.pipeline.predict_proba(texts)
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)
