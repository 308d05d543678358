"""Shared fixtures: a small model trained on a few sentences, and clients of the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sklearn
from fastapi.testclient import TestClient

from app.main import create_app
from app.model import Manifest
from app.settings import Settings
from training.data import Example
from training.train import TrainResult, build_pipeline, label_matrix, save

TINY = [
    ("The ministry denied any involvement in the strike.", ["official_denial"]),
    ("A spokesman rejected the report as baseless.", ["official_denial"]),
    ("Police dismissed the footage as fake.", ["official_denial"]),
    ("The army said it had no role in the attack.", ["official_denial"]),
    ("The company called the allegations categorically false.", ["official_denial"]),
    ("Officials blamed foreign agents for the riots.", ["blame_attribution"]),
    ("Critics accused the mayor of negligence.", ["blame_attribution"]),
    ("The opposition is to blame for the unrest.", ["blame_attribution"]),
    ("The board's mismanagement led to the collapse.", ["blame_attribution"]),
    ("The contractor bears full responsibility for the fire.", ["blame_attribution"]),
    ("Only a handful of minor injuries were reported.", ["downplaying"]),
    ("It was an isolated incident, no cause for alarm.", ["downplaying"]),
    ("Casualty figures have been wildly inflated.", ["downplaying"]),
    ("The offensive was a limited operation.", ["downplaying"]),
    ("Nothing more than a routine exercise took place.", ["downplaying"]),
    (
        "The spokesman denied the claims and blamed provocateurs.",
        ["blame_attribution", "official_denial"],
    ),
    ("The council approved the budget on Monday.", []),
    ("Rain is expected in the north tomorrow.", []),
    ("The court denied bail to the suspect.", []),
    ("Three people were injured in the crash.", []),
    ("Sign up for our daily newsletter.", []),
    ("The only bridge into the city reopened.", []),
    ("The museum opened a new wing.", []),
    ("Turnout was 31 percent.", []),
]


def write_tiny_model(out: Path, rows: list[tuple[str, list[str]]] = TINY) -> Manifest:
    """Train a model on `rows` and save it in `out`, as train.py would."""
    examples = [
        Example(id=str(i), text=t, labels=tuple(sorted(ls))) for i, (t, ls) in enumerate(rows)
    ]
    labels = sorted({label for ex in examples for label in ex.labels})
    pipeline = build_pipeline(c=10.0, seed=0).fit(
        [ex.text for ex in examples], label_matrix(examples, labels)
    )
    manifest = Manifest(
        version="unsaved",
        created=datetime.now(UTC),
        sha256="0" * 64,
        sklearn_version=sklearn.__version__,
        labels=labels,
        label_descriptions={label: f"{label} description" for label in labels},
        thresholds=dict.fromkeys(labels, 0.5),
        training_data={"fingerprint": "test", "sentences": len(examples)},
        metrics={"test": {}},
    )
    return save(TrainResult(pipeline=pipeline, manifest=manifest, report=""), out)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    write_tiny_model(out)
    return out


@pytest.fixture
def settings(tiny_model_dir: Path) -> Settings:
    return Settings(model_dir=tiny_model_dir)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c
