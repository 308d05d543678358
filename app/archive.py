"""Classifying archives on Dask: partitioned input, Parquet output, resumable runs.

Each partition is a stretch of lines (or rows) of one input file. A task reads its
stretch, classifies it and writes `part-ID.parquet` atomically (to a temporary name,
then renamed), so a rerun skips what is written and a task that Dask retries after a
worker died never writes a document twice. The model's files travel to each worker
once (scattered with broadcast) and are loaded there once, after their hash is checked.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from app.classify import classify_texts, detect_each
from app.language import Detection
from app.model import MANIFEST_FILE, MODEL_FILE, ModelSet, load_models, model_folders

SUMMARY_FILE = "_summary.json"
REJECTS_FILE = "rejects.jsonl"
INPUT_SUFFIXES = (".jsonl", ".csv", ".parquet")


@dataclass(frozen=True)
class Partition:
    """Rows [start, stop) of one input file (lines for JSONL and CSV, rows for Parquet)."""

    id: str
    path: str
    start: int
    stop: int


def input_files(patterns: list[str]) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) or ([pattern] if Path(pattern).is_file() else [])
        if not matched:
            raise FileNotFoundError(f"no input file matches {pattern!r}")
        files.extend(Path(p) for p in matched)
    bad = [str(f) for f in files if f.suffix not in INPUT_SUFFIXES]
    if bad:
        raise ValueError(f"inputs must be .jsonl, .csv or .parquet files: {bad}")
    return files


def _row_count(path: Path) -> int:
    if path.suffix == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as f:
        lines = sum(1 for _ in f)
    return lines - 1 if path.suffix == ".csv" else lines  # a CSV's header is no document


def plan(files: list[Path], partition_size: int) -> list[Partition]:
    """Partitions of at most `partition_size` documents, named after file and position."""
    parts = []
    for i, path in enumerate(files):
        rows = _row_count(path)
        for k, start in enumerate(range(0, rows, partition_size)):
            parts.append(
                Partition(f"{i:04d}-{k:06d}", str(path), start, min(rows, start + partition_size))
            )
    return parts


def _documents(part: Partition) -> tuple[list[tuple[int, str, str]], list[dict[str, Any]]]:
    """Good (line, id, text) rows of a partition and its rejects (file, line, reason)."""
    path = Path(part.path)
    good: list[tuple[int, str, str]] = []
    rejects: list[dict[str, Any]] = []
    rows: list[tuple[int, Any]] = []
    if path.suffix == ".parquet":
        table = pq.read_table(path).slice(part.start, part.stop - part.start).to_pylist()
        rows = [(part.start + k + 1, row) for k, row in enumerate(table)]
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            reader = csv.DictReader(f)
            for k, row in enumerate(reader):
                if part.start <= k < part.stop:
                    rows.append((reader.line_num, row))
                elif k >= part.stop:
                    break
    else:
        with path.open(encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f):
                if n >= part.stop:
                    break
                if n >= part.start:
                    try:
                        rows.append((n + 1, json.loads(line) if line.strip() else None))
                    except json.JSONDecodeError as exc:
                        rows.append((n + 1, f"not valid JSON: {exc.msg}"))
    for line_no, row in rows:
        reason = None
        if row is None:
            continue
        if isinstance(row, str):
            reason = row
        elif not isinstance(row, dict):
            reason = "not an object"
        elif not isinstance(row.get("text"), str) or not row["text"].strip():
            reason = "'text' must be a non-empty string"
        elif row.get("id") in (None, ""):
            reason = "'id' is missing"
        if reason:
            rejects.append({"file": part.path, "line": line_no, "reason": reason})
        else:
            good.append((line_no, str(row["id"]), row["text"]))
    return good, rejects


_loaded: dict[str, ModelSet] = {}


def model_from_blob(blob: dict[str, bytes]) -> ModelSet:
    """The models in these files, loaded once per process and checked like any model."""
    digest = hashlib.sha256()
    for name in sorted(blob):
        digest.update(name.encode() + b"\0" + hashlib.sha256(blob[name]).digest())
    key = digest.hexdigest()
    if key not in _loaded:
        with tempfile.TemporaryDirectory(prefix="framing-model-") as tmp:
            for name, data in blob.items():
                path = Path(tmp, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            _loaded[key] = load_models(Path(tmp))
    return _loaded[key]


def model_blob(model_dir: Path) -> dict[str, bytes]:
    """The files of every language's model, by their path under `model_dir`."""
    load_models(model_dir)  # refuse a bad model before shipping it anywhere
    return {
        str((folder / name).relative_to(model_dir)): (folder / name).read_bytes()
        for folder in model_folders(model_dir)
        for name in (MODEL_FILE, MANIFEST_FILE)
    }


def _write_atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    tmp.replace(path)


def process(
    part: Partition, blob: dict[str, bytes], out_dir: str, language: str | None = None
) -> dict[str, Any]:
    """Classify one partition and write its Parquet part; its counts for the summary."""
    models = model_from_blob(blob)
    read, rejects = _documents(part)
    docs: list[tuple[str, str]] = []
    detections: list[Detection] = []
    found_all = detect_each(models, [t for _, _, t in read], language)
    for (line_no, doc_id, text), found in zip(read, found_all, strict=True):
        if isinstance(found, Detection):
            docs.append((doc_id, text))
            detections.append(found)
        else:
            rejects.append({"file": part.path, "line": line_no, "id": doc_id, "reason": str(found)})
    results = classify_texts(models, [t for _, t in docs], languages=detections) if docs else []
    columns: dict[str, list[Any]] = {
        "document_id": [],
        "document_language": [],
        "sentence_index": [],
        "language": [],
        "start": [],
        "end": [],
        "text": [],
        "labels": [],
        **{f"score_{label}": [] for label in models.labels},
    }
    counts: Counter[str] = Counter()
    for (doc_id, _), (sentences, summary, info) in zip(docs, results, strict=True):
        counts.update({k: v for k, v in summary.counts.items() if v})
        for s in sentences:
            columns["document_id"].append(doc_id)
            columns["document_language"].append(info.code)
            columns["sentence_index"].append(s.index)
            columns["language"].append(s.language)
            columns["start"].append(s.start)
            columns["end"].append(s.end)
            columns["text"].append(s.text)
            columns["labels"].append(s.labels)
            for label in models.labels:
                columns[f"score_{label}"].append(s.scores[label])
    schema = pa.schema(
        [
            ("document_id", pa.string()),
            ("document_language", pa.string()),
            ("sentence_index", pa.int32()),
            ("language", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("labels", pa.list_(pa.string())),
            *[(f"score_{label}", pa.float64()) for label in models.labels],
        ]
    )
    table = pa.table(columns, schema=schema)
    out = Path(out_dir)
    if rejects:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects)
        _write_atomic(
            out / f"rejects-{part.id}.jsonl", lambda p: p.write_text(text, encoding="utf-8")
        )
    _write_atomic(out / f"part-{part.id}.parquet", lambda p: pq.write_table(table, p))
    return {
        "partition": part.id,
        "documents": len(docs),
        "sentences": table.num_rows,
        "labels": dict(counts),
        "rejects": len(rejects),
        "model": models.version,
    }


def part_stats(out_dir: Path, part: Partition) -> dict[str, Any]:
    """Counts of a partition written by an earlier run (for a resumed run's summary)."""
    table = pq.read_table(out_dir / f"part-{part.id}.parquet", columns=["document_id", "labels"])
    counts: Counter[str] = Counter()
    for labels in table.column("labels").to_pylist():
        counts.update(labels)
    rejects_path = out_dir / f"rejects-{part.id}.jsonl"
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
) -> dict[str, Any]:
    """Classify every document of `inputs` into Parquet parts under `out_dir`.

    Each document's language is detected, unless `language` names one for all.
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from tqdm import tqdm

    started = time.perf_counter()
    files = input_files(inputs)
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = plan(files, partition_size)
    done = [p for p in parts if (out_dir / f"part-{p.id}.parquet").exists()]
    todo = [p for p in parts if p not in done]
    blob = model_blob(model_dir)
    manifests = [json.loads(d) for n, d in sorted(blob.items()) if n.endswith(MANIFEST_FILE)]
    served = [m.get("language", "en") for m in manifests]
    if language is not None and language not in served:
        raise ValueError(f"no model reads {language!r}; the languages served are {served}")
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
            shared = client.scatter(blob, broadcast=True)
            futures = [
                client.submit(
                    process,
                    p,
                    shared,
                    str(out_dir),
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
    rejects = sorted(out_dir.glob("rejects-*.jsonl"))
    with (out_dir / REJECTS_FILE).open("w", encoding="utf-8") as f:
        for path in rejects:
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
        "model": ", ".join(f"{m.get('language', 'en')} {m['version']}" for m in manifests),
        "models": {m.get("language", "en"): m["version"] for m in manifests},
    }
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return summary
