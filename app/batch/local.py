"""Classifying one file of records in this process, with a progress bar."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.batch.output import json_row, label_chunk
from app.batch.records import Document, Reject, document_of
from app.core.model import ModelSet
from app.core.records import read_rows

CHUNK = 64  # documents classified together: one model call per language per chunk


def run_local(
    source: Path,
    out: Path,
    rejects_path: Path,
    models: ModelSet,
    explain: bool = False,
    language: str | None = None,
    progress: bool = True,
    on_reject: Callable[[Reject], None] | None = None,
) -> dict[str, Any]:
    """Classify every record of `source` into sentence rows (JSONL) in `out`.

    Rejected records go to `rejects_path`, one JSON object each. Both files are written
    under temporary names and renamed when complete. Returns the run's summary.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    tmp_out = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp_rejects = rejects_path.with_name(f".{rejects_path.name}.{os.getpid()}.tmp")
    documents = sentences = rejected = 0
    labels: Counter[str] = Counter()
    try:
        with (
            tmp_out.open("w", encoding="utf-8") as rows_file,
            tmp_rejects.open("w", encoding="utf-8") as rejects_file,
            tqdm(
                total=source.stat().st_size,
                unit="B",
                unit_scale=True,
                disable=not progress,
                desc="classifying",
            ) as bar,
        ):
            chunk: list[Document | Reject] = []

            def flush() -> None:
                nonlocal documents, sentences, rejected
                done = label_chunk(models, chunk, explain, language)
                for row in done.rows:
                    rows_file.write(json_row(row))
                for reject in done.rejects:
                    rejects_file.write(json.dumps(reject.as_dict(), ensure_ascii=False) + "\n")
                    if on_reject is not None:
                        on_reject(reject)
                documents += done.documents
                sentences += len(done.rows)
                rejected += len(done.rejects)
                labels.update(done.labels)
                bar.update(sum(len(r.text.encode()) for r in chunk if isinstance(r, Document)))
                chunk.clear()

            for row in read_rows(source):
                chunk.append(document_of(row, source))
                if len(chunk) >= CHUNK:
                    flush()
            if chunk:
                flush()
            bar.update(max(0, bar.total - bar.n))
        tmp_out.replace(out)
        tmp_rejects.replace(rejects_path)
    finally:
        tmp_out.unlink(missing_ok=True)
        tmp_rejects.unlink(missing_ok=True)
    return {
        "inputs": [str(source)],
        "documents": documents,
        "sentences": sentences,
        "labels": dict(sorted(labels.items())),
        "rejects": rejected,
        "seconds": round(time.perf_counter() - started, 2),
        "models": models.versions,
    }
