"""Classifying archives on Dask: partitioned input, one Parquet dataset out, resumable.

Each partition is a stretch of one input file: a range of bytes holding whole lines for
JSONL, a range of rows for CSV and Parquet. A task reads its stretch, classifies it and
writes `sentences/part-ID.parquet` atomically (to a hidden temporary name, then renamed),
so a rerun skips what is written and a task that Dask retries after a worker died never
writes a document twice. The model's files travel to each worker once (scattered with
broadcast) and are loaded there once, after their hash is checked.

The output folder holds `sentences/` (the Parquet dataset: read it with pyarrow, pandas
or DuckDB), `rejects.jsonl` (with a part per partition in `rejects/`) and `_summary.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.batch.output import arrow_schema, label_chunk
from app.batch.records import Document, Reject, document_of, input_files
from app.core.artifact import model_files
from app.core.model import ModelSet, load_models
from app.core.records import (
    count_rows,
    csv_rows,
    jsonl_line_starts,
    jsonl_rows,
    parquet_rows,
)

SUMMARY_FILE = "_summary.json"
REJECTS_FILE = "rejects.jsonl"
SENTENCES_DIR = "sentences"
REJECTS_DIR = "rejects"


@dataclass(frozen=True)
class Partition:
    """A stretch of one input file: bytes [start, stop) of JSONL (starting at line
    `first_line`), or rows [start, stop) of CSV and Parquet."""

    id: str
    path: str
    start: int
    stop: int
    first_line: int = 1


def plan(files: list[Path], partition_size: int) -> list[Partition]:
    """Partitions of at most `partition_size` records, named after file and position."""
    parts = []
    for i, path in enumerate(files):
        if path.suffix == ".jsonl":
            starts = jsonl_line_starts(path, partition_size)
            size = path.stat().st_size
            for k, (start, line) in enumerate(starts):
                stop = starts[k + 1][0] if k + 1 < len(starts) else size
                parts.append(Partition(f"{i:04d}-{k:06d}", str(path), start, stop, line))
        else:
            rows = count_rows(path)
            for k, start in enumerate(range(0, rows, partition_size)):
                stop = min(rows, start + partition_size)
                parts.append(Partition(f"{i:04d}-{k:06d}", str(path), start, stop))
    return parts


def read_partition(part: Partition) -> list[Document | Reject]:
    path = Path(part.path)
    if path.suffix == ".jsonl":
        rows = jsonl_rows(path, part.start, part.stop, part.first_line)
    elif path.suffix == ".csv":
        rows = csv_rows(path, part.start, part.stop)
    else:
        rows = parquet_rows(path, part.start, part.stop)
    return [document_of(row, path) for row in rows]


_loaded: dict[str, ModelSet] = {}


def models_from_files(files: dict[str, bytes]) -> ModelSet:
    """The models in these files, loaded once per process and checked like any model."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    key = digest.hexdigest()
    if key not in _loaded:
        with tempfile.TemporaryDirectory(prefix="framing-model-") as tmp:
            for name, data in files.items():
                path = Path(tmp, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            _loaded[key] = load_models(Path(tmp))
    return _loaded[key]


def _write_atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def process(
    part: Partition,
    files: dict[str, bytes],
    out_dir: str,
    explain: bool = False,
    language: str | None = None,
) -> dict[str, Any]:
    """Classify one partition and write its Parquet part; its counts for the summary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    models = models_from_files(files)
    done = label_chunk(models, read_partition(part), explain, language)
    schema = arrow_schema(models.labels, explain)
    table = pa.Table.from_pylist(done.rows, schema=schema)
    out = Path(out_dir)
    if done.rejects:
        text = "".join(json.dumps(r.as_dict(), ensure_ascii=False) + "\n" for r in done.rejects)
        _write_atomic(
            out / REJECTS_DIR / f"part-{part.id}.jsonl",
            lambda p: p.write_text(text, encoding="utf-8"),
        )
    _write_atomic(
        out / SENTENCES_DIR / f"part-{part.id}.parquet", lambda p: pq.write_table(table, p)
    )
    return {
        "partition": part.id,
        "documents": done.documents,
        "sentences": table.num_rows,
        "labels": dict(done.labels),
        "rejects": len(done.rejects),
    }


def part_stats(out_dir: Path, part: Partition) -> dict[str, Any]:
    """Counts of a partition written by an earlier run (for a resumed run's summary)."""
    import pyarrow.parquet as pq

    table = pq.read_table(
        out_dir / SENTENCES_DIR / f"part-{part.id}.parquet", columns=["document_id", "labels"]
    )
    counts: Counter[str] = Counter()
    for labels in table.column("labels").to_pylist():
        counts.update(labels)
    rejects_path = out_dir / REJECTS_DIR / f"part-{part.id}.jsonl"
    rejects = len(rejects_path.read_text().splitlines()) if rejects_path.exists() else 0
    return {
        "partition": part.id,
        "documents": len(set(table.column("document_id").to_pylist())),
        "sentences": table.num_rows,
        "labels": dict(counts),
        "rejects": rejects,
        "skipped": True,
    }


def run(
    inputs: list[str],
    out_dir: Path,
    model_dir: Path,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_size: int = 2_000,
    progress: bool = True,
    language: str | None = None,
    explain: bool = False,
) -> dict[str, Any]:
    """Classify every record of `inputs` into the Parquet dataset `out_dir/sentences/`.

    Each document's language is detected, unless `language` names one for all.
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from tqdm import tqdm

    started = time.perf_counter()
    files = input_files(inputs)
    models = load_models(model_dir)  # refuse a bad model before shipping it anywhere
    if language is not None and language not in models.languages:
        raise ValueError(
            f"no model reads {language!r}; the languages served are {models.languages}"
        )
    for folder in (out_dir / SENTENCES_DIR, out_dir / REJECTS_DIR):
        folder.mkdir(parents=True, exist_ok=True)
    parts = plan(files, partition_size)
    done = [p for p in parts if (out_dir / SENTENCES_DIR / f"part-{p.id}.parquet").exists()]
    todo = [p for p in parts if p not in done]
    stats = [part_stats(out_dir, p) for p in done]
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        if todo:
            shared = client.scatter(model_files(model_dir), broadcast=True)
            futures = [
                client.submit(
                    process,
                    p,
                    shared,
                    str(out_dir),
                    explain,
                    language,
                    key=f"framing-{p.id}",
                    retries=3,
                    pure=False,
                )
                for p in todo
            ]
            with tqdm(
                total=len(todo), unit="part", disable=not progress, desc="classifying"
            ) as bar:
                for future in as_completed(futures):
                    stats.append(future.result())
                    bar.update(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    with (out_dir / REJECTS_FILE).open("w", encoding="utf-8") as f:
        for path in sorted((out_dir / REJECTS_DIR).glob("part-*.jsonl")):
            f.write(path.read_text(encoding="utf-8"))
    labels: Counter[str] = Counter()
    for s in stats:
        labels.update(s["labels"])
    summary = {
        "inputs": [str(f) for f in files],
        "partitions": len(parts),
        "partitions_skipped": len(done),
        "documents": sum(s["documents"] for s in stats),
        "sentences": sum(s["sentences"] for s in stats),
        "labels": dict(sorted(labels.items())),
        "rejects": sum(s["rejects"] for s in stats),
        "seconds": round(time.perf_counter() - started, 2),
        "models": models.versions,
    }
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return summary
