"""Model loading refuses tampered, missing or mismatched artifacts with a clear message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.model import MANIFEST_FILE, MODEL_FILE, ModelLoadError, load_model
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


def test_tampered_file_is_refused(model_copy: Path) -> None:
    with (model_copy / MODEL_FILE).open("ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_model(model_copy)


def test_missing_file_is_refused(model_copy: Path) -> None:
    (model_copy / MODEL_FILE).unlink()
    with pytest.raises(ModelLoadError, match="No model file"):
        load_model(model_copy)


def test_missing_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="make model"):
        load_model(tmp_path)


def test_broken_manifest_is_refused(model_copy: Path) -> None:
    (model_copy / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid"):
        load_model(model_copy)


def test_other_sklearn_version_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, sklearn_version="0.24.2")
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.24\.2"):
        load_model(model_copy)


def test_label_count_mismatch_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, labels=["a", "b"], thresholds={"a": 0.5, "b": 0.5})
    with pytest.raises(ModelLoadError, match="predicts 3 labels"):
        load_model(model_copy)


def test_app_start_fails_on_bad_model(model_copy: Path) -> None:
    edit_manifest(model_copy, sha256="0" * 64)
    app = create_app(Settings(model_dir=model_copy))
    with pytest.raises(ModelLoadError), TestClient(app):
        pass


def test_fast_scorer_equals_the_pipeline(tiny_model_dir: Path) -> None:
    model = load_model(tiny_model_dir)
    assert model.scorer is not None
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
