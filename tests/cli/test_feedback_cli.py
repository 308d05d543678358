"""`framing queue OUT` on an archive run's output, and `framing feedback`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.batch.output import arrow_schema, sentence_rows
from app.batch.records import Document
from app.cli import main
from app.core.classifier import classify
from app.core.model import load_models
from app.feedback.records import NewCorrection
from app.feedback.store import open_store
from tests.conftest import TINY


def archive(out: Path, model_dir: Path) -> list[str]:
    """An archive run's output folder: documents from three sources."""
    models = load_models(model_dir)
    docs = [
        Document(
            id=f"d{i}",
            text=" ".join(t for t, _ in TINY[i::6]),
            file="in.jsonl",
            line=i + 1,
            source=["wire", "blog", "tv"][i % 3],
        )
        for i in range(6)
    ]
    results = classify(models, [d.text for d in docs])
    rows = [
        row for doc, result in zip(docs, results, strict=True) for row in sentence_rows(doc, result)
    ]
    (out / "sentences").mkdir(parents=True)
    half = len(rows) // 2  # two parts, as a run of two partitions writes
    for k, part in enumerate([rows[:half], rows[half:]]):
        table = pa.Table.from_pylist(part, schema=arrow_schema(models.labels))
        pq.write_table(table, out / "sentences" / f"part-0000-00000{k}.parquet")
    (out / "_summary.json").write_text(json.dumps({"models": models.versions}))
    return [r["text"] for r in rows]


def read(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_queue_from_an_archive_run(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    texts = archive(out, tiny_model_dir)
    code = main(["--model-dir", str(tiny_model_dir), "queue", str(out), "--size", "9"])
    assert code == 0, capsys.readouterr().err
    queue = read(out / "queue.jsonl")
    assert [q["rank"] for q in queue] == list(range(1, 10))
    assert {q["source"] for q in queue[:3]} == {"wire", "blog", "tv"}
    assert all(q["text"] in texts and q["model_version"] for q in queue)
    assert len({q["text"] for q in queue}) == 9
    margins = [q["margin"] for q in queue]
    # The least sure sentence of the whole run comes first.
    assert margins[0] == min(margins)


def test_queue_leaves_out_what_the_annotator_corrected(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    archive(out, tiny_model_dir)
    base = ["--model-dir", str(tiny_model_dir), "queue", str(out), "--size", "3"]
    assert main(base) == 0
    first = read(out / "queue.jsonl")[0]
    db = tmp_path / "feedback.sqlite3"
    store = open_store(db)
    store.save(NewCorrection("ana", first["text"], (), "en", "v"))
    store.close()
    assert main([*base, "--annotator", "ana", "--database", str(db)]) == 0
    assert first["text"] not in [q["text"] for q in read(out / "queue.jsonl")]
    assert main([*base, "--annotator", "boris", "--database", str(db)]) == 0
    assert read(out / "queue.jsonl")[0]["text"] == first["text"]


def test_queue_refuses_what_is_not_a_run(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for target in [tmp_path / "missing", tmp_path]:
        code = main(["--model-dir", str(tiny_model_dir), "queue", str(target)])
        err = capsys.readouterr().err
        assert code == 2
        assert len(err.strip().splitlines()) == 1 and err.startswith("framing: ")
        assert "Traceback" not in err


def test_feedback_export_agreement_and_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "feedback.sqlite3"
    code = main(["feedback", "export", "--database", str(db)])
    assert code == 2 and "no corrections database" in capsys.readouterr().err
    store = open_store(db)
    store.save(NewCorrection("ana", "Critics blamed the mayor.", ("blame_attribution",), "en", "v"))
    store.save(NewCorrection("boris", "Critics blamed the mayor.", (), "en", "v"))
    store.close()
    assert main(["feedback", "export", "--database", str(db)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["annotator"] for r in rows] == ["ana", "boris"]
    assert main(["feedback", "agreement", "--database", str(db)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["shared_sentences"] == 1
    assert found["labels"]["blame_attribution"]["agreement"] == 0.0
    assert main(["feedback", "check", "--database", str(db)]) == 0
