"""Staged, content-addressed models and the pointer every worker follows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from app.api.rollout import Rollout
from app.core.artifact import MODEL_FILE, ModelLoadError
from tests.conftest import TINY, write_tiny_model


@pytest.fixture
def folders(bilingual_model_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    models = tmp_path / "models"
    shutil.copytree(bilingual_model_dir, models)
    return models, tmp_path / "run"


def test_stage_copies_checks_and_points(folders: tuple[Path, Path]) -> None:
    models, run = folders
    rollout = Rollout(run, models)
    assert rollout.current() is None
    key, loaded = rollout.current_or_stage()
    assert rollout.current() == key and loaded.languages == ["en", "ru"]
    assert (run / "models" / key / "en" / MODEL_FILE).is_file()
    # Starting again serves the staged copy, even if the model folder changed since.
    with (models / "en" / MODEL_FILE).open("ab") as f:
        f.write(b"tampered")
    again, _ = rollout.current_or_stage()
    assert again == key


def test_a_refused_model_changes_nothing(folders: tuple[Path, Path]) -> None:
    models, run = folders
    rollout = Rollout(run, models)
    key, _ = rollout.stage()
    with (models / "en" / MODEL_FILE).open("ab") as f:
        f.write(b"tampered")
    with pytest.raises(ModelLoadError) as info:
        rollout.stage()
    assert info.value.reason == "hash-mismatch"
    assert str(run) not in str(info.value)  # names the model folder, not the copy
    assert rollout.current() == key
    assert sorted(p.name for p in (run / "models").iterdir()) == [key]  # no half copy


def test_a_new_model_moves_the_pointer(folders: tuple[Path, Path]) -> None:
    models, run = folders
    rollout = Rollout(run, models)
    first, old = rollout.stage()
    write_tiny_model(
        models / "en", [*TINY, ("Editors were told to blame exiles.", ["blame_attribution"])]
    )
    second, new = rollout.stage(old)
    assert second != first and rollout.current() == second
    assert new["en"].version != old["en"].version


def test_workers_report_what_they_serve(folders: tuple[Path, Path]) -> None:
    models, run = folders
    rollout = Rollout(run, models)
    key, _ = rollout.stage()
    rollout.report(key)
    (run / "workers" / "999999999").write_text("stale\n")  # a worker that died
    assert rollout.serving() == {os.getpid(): key}
    assert rollout.all_serve(key, workers=1) and not rollout.all_serve(key, workers=2)
    rollout.forget()
    assert rollout.serving() == {}
