"""Archive runs on a real Dask LocalCluster with two worker processes."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from app.batch.archive import run
from app.batch.local import run_local
from app.core.classifier import classify
from app.core.model import load_models

distributed = pytest.importorskip("dask.distributed")

TEXTS = [
    "The ministry denied any involvement in the strike. Rain is expected in the north tomorrow.",
    "Officials blamed foreign agents for the riots.\n\nOnly a handful of minor injuries were "
    "reported.",
    "The council approved the budget on Monday.",
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c.scheduler_address


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    with (folder / "a.jsonl").open("w") as f:
        for i in range(300):
            f.write(json.dumps({"id": f"a{i}", "text": TEXTS[i % 3]}) + "\n")
        f.write("{broken\n")
    with (folder / "b.csv").open("w") as f:
        f.write("id,text\n")
        for i in range(100):
            f.write(f'b{i},"{TEXTS[(i + 1) % 3]}"\n'.replace("\n\n", " "))
    return folder


def run_both_files(
    cluster: str, inputs: Path, out: Path, model_dir: Path, partition_size: int
) -> dict:
    """The JSONL file by glob and the CSV file by name, on the shared cluster."""
    return run(
        [str(inputs / "*.jsonl"), str(inputs / "b.csv")],
        out,
        model_dir,
        scheduler=cluster,
        partition_size=partition_size,
        progress=False,
    )


def parts(out: Path) -> list[Path]:
    return sorted((out / "sentences").glob("part-*.parquet"))


def read_rows(out: Path) -> list[tuple]:
    table = pq.read_table(out / "sentences")  # the output is one Parquet dataset
    rows = table.to_pylist()
    return sorted(
        (
            r["document_id"],
            r["sentence_index"],
            r["start"],
            r["end"],
            r["text"],
            tuple(r["labels"]),
            r["score_official_denial"],
        )
        for r in rows
    )


def expected_rows(model_dir: Path, inputs: Path) -> list[tuple]:
    models = load_models(model_dir)
    docs = [(f"a{i}", TEXTS[i % 3]) for i in range(300)]
    docs += [(f"b{i}", TEXTS[(i + 1) % 3].replace("\n\n", " ")) for i in range(100)]
    rows = []
    for (doc_id, _), result in zip(docs, classify(models, [t for _, t in docs]), strict=True):
        rows += [
            (doc_id, s.index, s.start, s.end, s.text, tuple(s.labels), s.scores["official_denial"])
            for s in result.sentences
        ]
    return sorted(rows)


def test_output_equals_in_process_classifier(
    cluster: str, inputs: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    summary = run_both_files(cluster, inputs, out, tiny_model_dir, partition_size=50)
    rows = read_rows(out)
    assert rows == expected_rows(tiny_model_dir, inputs)
    assert summary["documents"] == 400
    assert summary["sentences"] == len(rows)
    assert summary["rejects"] == 1
    reject = json.loads((out / "rejects.jsonl").read_text())
    assert reject["line"] == 301 and reject["file"].endswith("a.jsonl")
    assert sum(summary["labels"].values()) == sum(len(r[5]) for r in rows)
    assert json.loads((out / "_summary.json").read_text()) == summary


def test_resume_skips_written_partitions(
    cluster: str, inputs: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = run(
        [str(inputs / "a.jsonl")],
        out,
        tiny_model_dir,
        scheduler=cluster,
        partition_size=50,
        progress=False,
    )
    before = read_rows(out)
    written = parts(out)
    for lost in written[1:3]:  # as if the run had been interrupted before these
        lost.unlink()
    (out / "sentences" / ".part-0000-000004.parquet.123.tmp").write_bytes(b"half-written")
    second = run(
        [str(inputs / "a.jsonl")],
        out,
        tiny_model_dir,
        scheduler=cluster,
        partition_size=50,
        progress=False,
    )
    assert second["partitions_skipped"] == len(written) - 2
    assert read_rows(out) == before
    for key in ("documents", "sentences", "labels", "rejects"):
        assert second[key] == first[key], key


def test_worker_killed_mid_run_changes_nothing(
    cluster: str, inputs: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    client = distributed.Client(cluster)
    pids = list(client.run(os.getpid).values())
    client.close()
    written_at_kill: list[int] = []

    def kill_when_started() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not parts(out):
            time.sleep(0.005)
        os.kill(pids[0], signal.SIGKILL)
        written_at_kill.append(len(parts(out)))

    killer = threading.Thread(target=kill_when_started)
    killer.start()
    summary = run_both_files(cluster, inputs, out, tiny_model_dir, partition_size=10)
    killer.join()
    assert written_at_kill and written_at_kill[0] < 41, "the worker died mid-run"
    assert len(parts(out)) == 41
    assert read_rows(out) == expected_rows(tiny_model_dir, inputs)
    assert summary["documents"] == 400


def test_languages_are_routed_and_unsupported_documents_rejected(
    cluster: str, bilingual_model_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "mixed.jsonl"
    rows = [
        {"id": "en", "text": TEXTS[0]},
        {"id": "ru", "text": "Министерство отвергло все обвинения в причастности к удару."},
        {"id": "de", "text": "Das Ministerium wies alle Vorwürfe über den Angriff zurück."},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    summary = run([str(source)], out, bilingual_model_dir, scheduler=cluster, progress=False)
    assert summary["documents"] == 2 and summary["rejects"] == 1
    assert set(summary["models"]) == {"en", "ru"}
    table = pq.read_table(out / "sentences").to_pylist()
    languages = {(r["document_id"], r["document_language"], r["language"]) for r in table}
    assert languages == {("en", "en", "en"), ("ru", "ru", "ru")}
    [reject] = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert reject["id"] == "de" and reject["line"] == 3 and "German" in reject["reason"]

    forced = run(
        [str(source)],
        tmp_path / "forced",
        bilingual_model_dir,
        scheduler=cluster,
        progress=False,
        language="ru",
    )
    assert forced["documents"] == 3 and forced["rejects"] == 0
    table = pq.read_table(tmp_path / "forced" / "sentences").to_pylist()
    assert {r["language"] for r in table} == {"ru"}
    with pytest.raises(ValueError, match="no model reads 'de'"):
        run([str(source)], tmp_path / "x", bilingual_model_dir, scheduler=cluster, language="de")


def test_local_and_dask_engines_write_the_same_rows(
    cluster: str, inputs: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    """One record reader and one output schema for both engines."""
    source = inputs / "a.jsonl"
    run([str(source)], tmp_path / "dask", tiny_model_dir, scheduler=cluster, progress=False)
    from_dask = pq.read_table(tmp_path / "dask" / "sentences").to_pylist()
    models = load_models(tiny_model_dir)
    local = tmp_path / "local.jsonl"
    run_local(source, local, tmp_path / "local.rejects", models, progress=False)
    from_local = [json.loads(line) for line in local.read_text().splitlines()]
    key = lambda r: (r["document_id"], r["sentence_index"])  # noqa: E731
    assert sorted(from_dask, key=key) == sorted(from_local, key=key)
    dask_rejects = (tmp_path / "dask" / "rejects.jsonl").read_text()
    assert dask_rejects == (tmp_path / "local.rejects").read_text()


def test_source_date_and_url_reach_every_row_in_both_engines(
    cluster: str, tiny_model_dir: Path, tmp_path: Path
) -> None:
    """Optional `source`, `date` and `url` on a record are carried into each of its rows;
    a bad one rejects the record, with its kind."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.dataset as ds

    records = [
        {
            "id": "a",
            "text": TEXTS[0],
            "source": "Wire ",
            "date": "2025-03-04",
            "url": "https://x.test/a",
        },
        {"id": "b", "text": TEXTS[1], "source": "Daily", "date": "2025-03-09T23:30:00+02:00"},
        {"id": "c", "text": TEXTS[2]},
        {"id": "d", "text": TEXTS[2], "date": "04/03/2025"},
        {"id": "e", "text": TEXTS[2], "url": "javascript:alert(1)"},
        {"id": "f", "text": TEXTS[2], "source": 5},
        {"id": "g", "text": TEXTS[2], "date": "2025-02-30"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    summary = run([str(source)], out, tiny_model_dir, scheduler=cluster, progress=False)
    assert summary["documents"] == 3 and summary["rejects"] == 4

    dataset = ds.dataset(out / "sentences", format="parquet")
    assert dataset.schema.field("date").type == pa.date32()
    table = pq.read_table(out / "sentences")
    assert table.num_rows == dataset.to_table().num_rows
    expected = {
        "a": ("Wire", dt.date(2025, 3, 4), "https://x.test/a"),
        "b": ("Daily", dt.date(2025, 3, 9), None),
        "c": (None, None, None),
    }
    for row in table.to_pylist():
        assert (row["source"], row["date"], row["url"]) == expected[row["document_id"]]
    assert {r["document_id"] for r in table.to_pylist()} == set(expected)
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert [(r["id"], r["kind"]) for r in rejects] == [
        ("d", "invalid"),
        ("e", "invalid"),
        ("f", "invalid"),
        ("g", "invalid"),
    ]

    local = tmp_path / "local.jsonl"
    run_local(
        source, local, tmp_path / "local.rejects", load_models(tiny_model_dir), progress=False
    )
    from_local = [json.loads(line) for line in local.read_text().splitlines()]
    iso = {k: (s, d.isoformat() if d else None, u) for k, (s, d, u) in expected.items()}
    for row in from_local:
        assert (row["source"], row["date"], row["url"]) == iso[row["document_id"]]
    assert (tmp_path / "local.rejects").read_text() == (out / "rejects.jsonl").read_text()


def test_parquet_dates_and_timestamps_are_taken_as_dates(
    cluster: str, tiny_model_dir: Path, tmp_path: Path
) -> None:
    import datetime as dt

    import pyarrow as pa

    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["a", "b"],
                "text": [TEXTS[0], TEXTS[2]],
                "source": ["Wire", None],
                "date": pa.array([dt.date(2025, 1, 6), None], pa.date32()),
            }
        ),
        source,
    )
    stamped = tmp_path / "stamped.parquet"
    pq.write_table(
        pa.table(
            {
                "text": [TEXTS[2]],
                "date": pa.array([dt.datetime(2025, 1, 7, 12, 30)], pa.timestamp("ms")),
            }
        ),
        stamped,
    )
    out = tmp_path / "out"
    summary = run(
        [str(source), str(stamped)], out, tiny_model_dir, scheduler=cluster, progress=False
    )
    assert summary["rejects"] == 0
    rows = pq.read_table(out / "sentences").to_pylist()
    dates = {(r["document_id"], r["date"]) for r in rows}
    assert dates == {("a", dt.date(2025, 1, 6)), ("b", None), ("1", dt.date(2025, 1, 7))}


def test_rejects_carry_their_kind(cluster: str, bilingual_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "{broken\n"
        + json.dumps({"id": "x"})
        + "\n"
        + json.dumps(
            {"id": "de", "text": "Das Ministerium wies alle Vorwürfe über den Angriff zurück."}
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run([str(source)], out, bilingual_model_dir, scheduler=cluster, progress=False)
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["kind"], r.get("language")) for r in rejects] == [
        (1, "unreadable", None),
        (2, "invalid", None),
        (3, "unsupported-language", "de"),
    ]
