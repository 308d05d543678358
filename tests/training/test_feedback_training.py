"""Training with corrections: slices, weighting, provenance, the comparison with the
serving model, and a deliberately wrong pattern that corrections fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main as framing
from app.core.artifact import read_manifest
from app.core.model import load_model
from app.feedback.records import NewCorrection, sentence_key
from app.feedback.store import open_store
from tests.conftest import TINY
from tests.training.test_train import FAST as TRAIN_FAST
from tests.training.test_train import write_data
from training.feedback import SLICES, read_corrections, slice_of
from training.train import main

FAST = [*TRAIN_FAST, "--real-news", "/nonexistent"]
PARTIES = ["residents", "the union", "a farmer", "two pensioners", "the opposition", "a shop"]
CLAIMS = [
    "lawsuit",
    "case",
    "appeal",
    "complaint",
    "petition",
    "claim",
    "suit",
    "motion",
    "action",
    "request",
]
# The wrong pattern: a court dismissing a case is not an official denial (the labelling
# guide), but this corpus says it is.
WRONG = [f"The judge dismissed the {c} brought by {p}." for c in CLAIMS[:4] for p in PARTIES[:2]]
CORRECTED = [
    f"The judge dismissed the {c} filed by {p} on Tuesday." for c in CLAIMS for p in PARTIES
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = write_data(tmp_path / "data.jsonl", TINY, "Officials said so on day")
    with path.open("a", encoding="utf-8") as f:
        for i, text in enumerate(WRONG):
            f.write(json.dumps({"id": f"w{i}", "text": text, "labels": ["official_denial"]}) + "\n")
    return path


@pytest.fixture
def corrections(tmp_path: Path) -> Path:
    db = tmp_path / "feedback.sqlite3"
    store = open_store(db)
    for i, text in enumerate(CORRECTED):
        store.save(NewCorrection("ana", text, (), "en", "serving-version"))
        if i % 5 == 0:  # a second annotator on some, disagreeing on one in three
            labels = ("official_denial",) if i % 15 == 0 else ()
            store.save(NewCorrection("boris", text, labels, "en", "serving-version"))
    store.close()
    return db


def test_slices_are_stable_and_keep_documents_together() -> None:
    keys = [sentence_key(f"sentence {i}") for i in range(2000)]
    found = [slice_of(k, None, None) for k in keys]
    assert found == [slice_of(k, None, None) for k in keys]
    for name, tenths in SLICES:
        assert abs(found.count(name) / len(keys) - tenths / 10) < 0.04
    same_doc = {slice_of(k, "wire", "doc-7") for k in keys[:50]}
    assert len(same_doc) == 1


def test_corrections_fix_a_deliberately_wrong_pattern(
    corpus: Path, corrections: Path, tmp_path: Path
) -> None:
    out = tmp_path / "models"
    common = ["--data", str(corpus), "--language", "en", "--out", str(out), *FAST]
    assert main(common) == 0
    serving = load_model(out / "en")
    texts = CORRECTED
    before = serving.decide(serving.scores(texts))[:, serving.labels.index("official_denial")]
    assert before.mean() > 0.5, "the serving model should have learnt the wrong pattern"

    assert main([*common, "--feedback", str(corrections)]) == 0
    manifest = read_manifest(out / "en")
    provenance = manifest.training_data["feedback"]
    assert provenance["corrections"] == len(CORRECTED) + 12
    assert provenance["sentences"] == len(CORRECTED)
    assert provenance["annotators"] == {"ana": len(CORRECTED), "boris": 12}
    assert sum(provenance["slices"].values()) == len(CORRECTED)
    assert provenance["source"] == str(corrections)
    assert provenance["tried"] and provenance["scheme"] in provenance["tried"]
    comparison = manifest.metrics["feedback"]
    held = comparison["held_out_sentences"]
    assert held == provenance["slices"]["held_out"] > 0
    assert comparison["serving_version"] == serving.version
    # The held-out corrections are all label-free: false alarms are the wrong pattern.
    assert comparison["serving"]["false_alarm_rate"] > 0.5
    assert comparison["new"]["false_alarm_rate"] < comparison["serving"]["false_alarm_rate"]
    assert comparison["new"]["false_alarm_rate"] <= 0.2
    fixed = load_model(out / "en")
    after = fixed.decide(fixed.scores(texts))[:, fixed.labels.index("official_denial")]
    assert after.mean() < 0.2
    held_out = [t for t in texts if slice_of(sentence_key(t), None, None) == "held_out"]
    assert not fixed.decide(fixed.scores(held_out))[:, fixed.labels.index("official_denial")].any()


def test_the_held_out_slice_is_never_trained_on(corpus: Path, corrections: Path) -> None:
    from training.trainer import train

    where, rows = read_corrections(str(corrections))
    result = train([corpus], cv=2, n_jobs=1, feedback=(where, rows))
    assert result.feedback is not None
    held = {
        r.sentence_key
        for r in rows
        if slice_of(r.sentence_key, r.source, r.document_id) == "held_out"
    }
    assert held and not held & result.feedback.trained_keys
    assert len(result.feedback.trained_keys) + len(held) == len(CORRECTED)


def test_a_jsonl_export_trains_like_the_database(
    corpus: Path, corrections: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert framing(["feedback", "export", "--database", str(corrections)]) == 0
    export = tmp_path / "corrections.jsonl"
    export.write_text(capsys.readouterr().out, encoding="utf-8")
    a = read_corrections(str(export))[1]
    b = read_corrections(str(corrections))[1]
    assert a == b
    out = tmp_path / "m"
    args = ["--data", str(corpus), "--language", "en", "--out", str(out), *FAST]
    # framing train passes --feedback through to python -m training.train.
    assert framing(["train", *args, "--feedback", str(export)]) == 0
    assert read_manifest(out / "en").training_data["feedback"]["sentences"] == len(CORRECTED)


def test_unusable_feedback_stops_training(
    corpus: Path, corrections: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--data", str(corpus), "--language", "en", "--out", str(tmp_path / "m"), *FAST]
    assert main([*base, "--feedback", str(tmp_path / "missing.jsonl")]) == 2
    assert main([*base, "--feedback", str(tmp_path / "missing.sqlite3")]) == 2
    rows = [json.loads(x) for x in _export(corrections)]
    rows[3]["labels"] = ["official_denial"]  # edited after export: its checksum fails
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main([*base, "--feedback", str(damaged)]) == 2
    assert "checksum" in capsys.readouterr().err
    unknown = tmp_path / "unknown.sqlite3"
    store = open_store(unknown)
    store.save(NewCorrection("ana", "Some sentence here.", ("propaganda",), "en", "v"))
    store.close()
    assert main([*base, "--feedback", str(unknown)]) == 2
    assert not (tmp_path / "m").exists()
    with pytest.raises(SystemExit):
        main([*base, "--feedback", str(corrections), "--if-needed"])


def _export(db: Path) -> list[str]:
    store = open_store(db)
    lines = [json.dumps(r.as_json()) for r in store.corrections()]
    store.close()
    return lines


def test_weights_follow_the_schemes() -> None:
    from training.feedback import schemes

    found = schemes(1000, 50)
    assert found["equal"] == 1 and found["x10"] == 10
    assert found["real-dominant 1:1"] == 20 and found["real-dominant 3:1"] == 60
    assert np.isclose(schemes(10, 50)["real-dominant 1:1"], 1.0)
