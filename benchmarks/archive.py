"""Archive throughput: the Dask back end with 1 and 2 workers against a plain loop.

The plain loop is what a user would write without Dask: read the JSONL file, classify
documents in chunks in one process, write one Parquet file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from app.batch.archive import run
from app.core.classifier import classify
from app.core.model import load_models


def make_documents(texts: list[str], count: int, path: Path) -> int:
    """`count` documents, cycling through the benchmark's short documents."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            f.write(json.dumps({"id": f"d{i}", "text": texts[i % len(texts)]}) + "\n")
    return count


def plain_loop(source: Path, model_dir: Path, out: Path, chunk: int = 2_000) -> float:
    started = time.perf_counter()
    models = load_models(model_dir)
    ids: list[str] = []
    sentences: list[str] = []
    labels: list[list[str]] = []
    with source.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    for i in range(0, len(rows), chunk):
        part = rows[i : i + chunk]
        for row, result in zip(part, classify(models, [r["text"] for r in part]), strict=True):
            for s in result.sentences:
                ids.append(row["id"])
                sentences.append(s.text)
                labels.append(s.labels)
    pq.write_table(pa.table({"document_id": ids, "text": sentences, "labels": labels}), out)
    return time.perf_counter() - started


def bench(
    texts: list[str],
    model_dir: Path,
    documents: int = 100_000,
    workers: tuple[int, ...] = (1, 2),
    partition_size: int = 5_000,
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="framing-archive-bench-"))
    try:
        source = tmp / "docs.jsonl"
        make_documents(texts, documents, source)
        rows: list[dict[str, Any]] = []
        seconds = plain_loop(source, model_dir, tmp / "plain.parquet")
        rows.append({"engine": "plain loop, one process", "workers": 1, "seconds": seconds})
        for n in workers:
            out = tmp / f"dask-{n}"
            started = time.perf_counter()
            summary = run(
                [str(source)],
                out,
                model_dir,
                workers=n,
                partition_size=partition_size,
                progress=False,
            )
            rows.append(
                {
                    "engine": "dask LocalCluster",
                    "workers": n,
                    "seconds": time.perf_counter() - started,
                    "sentences": summary["sentences"],
                }
            )
        for r in rows:
            r["documents_per_s"] = documents / r["seconds"]
        return {"documents": documents, "partition_size": partition_size, "rows": rows}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
