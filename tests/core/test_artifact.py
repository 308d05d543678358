"""The model artifact: loading refuses tampered, missing, edited or outdated files, with a
reason; saving is atomic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.artifact import (
    MANIFEST_FILE,
    MODEL_FILE,
    ModelLoadError,
    load_artifact,
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


def test_another_format_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, format=2)
    assert reason(model_copy) in ("edited-version", "old-format", "edited-manifest")


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


def test_an_old_pickled_model_is_refused_without_unpickling(model_copy: Path) -> None:
    """A model.joblib of an earlier version is never loaded: rebuild with `make model`."""
    (model_copy / MODEL_FILE).rename(model_copy / "model.joblib")
    assert reason(model_copy) == "old-format"


def test_the_model_file_holds_no_pickle(model_copy: Path) -> None:
    with np.load(model_copy / MODEL_FILE, allow_pickle=False) as data:
        assert sorted(data.files) == ["idf", "intercepts", "manifest", "weights"]


def test_label_count_mismatch_is_refused(model_copy: Path, tmp_path: Path) -> None:
    manifest, arrays = load_artifact(model_copy)
    fewer = manifest.model_copy(update={"labels": ["a", "b"], "thresholds": {"a": 0.5, "b": 0.5}})
    save_model(arrays, fewer, tmp_path / "fewer")
    assert reason(tmp_path / "fewer") == "label-count"


def test_save_is_atomic_and_leaves_no_temporary_files(model_copy: Path, tmp_path: Path) -> None:
    manifest, arrays = load_artifact(model_copy)
    saved = save_model(arrays, manifest, tmp_path / "again")
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [MANIFEST_FILE, MODEL_FILE]
    assert saved.version == version_of(saved.created, saved.sha256)
    assert load_model(tmp_path / "again").version == saved.version


def test_app_start_fails_on_bad_model(model_copy: Path) -> None:
    edit_manifest(model_copy, sha256="0" * 64)
    app = create_app(Settings(model_dir=model_copy))
    with pytest.raises(ModelLoadError), TestClient(app):
        pass


def test_scores_of_one_sentence_equal_those_in_a_batch(tiny_model_dir: Path) -> None:
    model = load_model(tiny_model_dir)
    texts = [
        "The ministry denied any involvement.",
        "",
        "!!!",
        "😀 Only minor damage, officials said.",
        "Critics blamed the mayor. " * 30,
    ]
    together = model.scores(texts)
    alone = np.vstack([model.scores([t]) for t in texts])
    np.testing.assert_allclose(together, alone, rtol=1e-9, atol=1e-12)
