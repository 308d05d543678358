"""The rows a batch run writes: one per sentence, the same in JSONL and in Parquet.

Every row carries its document's `source`, `date` and `url` (null when the record had
none), so each part of a dataset has the same columns. `date` is a Parquet date
(`date32`) and an ISO string (`2025-03-01`) in JSONL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from app.batch.records import Document, Reject
from app.core.classifier import DocumentResult, classify_each
from app.core.language import UnsupportedLanguage
from app.core.model import ModelSet


def column_types(labels: list[str], explain: bool = False) -> dict[str, str]:
    """Each output column and its type: string, int, date, strings (a list) or float."""
    columns = {
        "document_id": "string",
        "source": "string",
        "date": "date",
        "url": "string",
        "document_language": "string",
        "sentence_index": "int",
        "language": "string",
        "start": "int",
        "end": "int",
        "text": "string",
        "labels": "strings",
        **{f"score_{label}": "float" for label in labels},
    }
    if explain:
        columns["evidence"] = "string"  # JSON: {label: [{start, end, text, weight}]}
    return columns


def arrow_schema(labels: list[str], explain: bool = False) -> Any:
    """The Parquet schema of the output rows (needs the `batch` extra: pyarrow)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int": pa.int64(),
        "date": pa.date32(),
        "strings": pa.list_(pa.string()),
        "float": pa.float64(),
    }
    return pa.schema([(n, types[t]) for n, t in column_types(labels, explain).items()])


def json_row(row: dict[str, Any]) -> str:
    """A sentence row as one line of JSON (dates as ISO strings)."""
    return json.dumps(row, ensure_ascii=False, default=_iso) + "\n"


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def sentence_rows(doc: Document, result: DocumentResult) -> list[dict[str, Any]]:
    rows = []
    for s in result.sentences:
        row: dict[str, Any] = {
            "document_id": doc.id,
            "source": doc.source,
            "date": doc.date,
            "url": doc.url,
            "document_language": result.language.language,
            "sentence_index": s.index,
            "language": s.language,
            "start": s.start,
            "end": s.end,
            "text": s.text,
            "labels": s.labels,
            **{f"score_{label}": score for label, score in s.scores.items()},
        }
        if s.evidence is not None:
            evidence = {label: [asdict(e) for e in found] for label, found in s.evidence.items()}
            row["evidence"] = json.dumps(evidence, ensure_ascii=False)
        rows.append(row)
    return rows


@dataclass
class Labelled:
    """What one chunk of records gave: sentence rows, rejects and counts."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    documents: int = 0
    labels: Counter[str] = field(default_factory=Counter)


def label_chunk(
    models: ModelSet,
    records: list[Document | Reject],
    explain: bool = False,
    language: str | None = None,
) -> Labelled:
    """Classify the documents among `records`; a document no model reads is a reject."""
    out = Labelled()
    docs = [r for r in records if isinstance(r, Document)]
    # Documents that name their own language are classified apart, as that language.
    groups: dict[str | None, list[int]] = {}
    for i, doc in enumerate(docs):
        groups.setdefault(doc.language or language, []).append(i)
    results: dict[int, DocumentResult | UnsupportedLanguage] = {}
    for requested, members in groups.items():
        found = classify_each(models, [docs[i].text for i in members], explain, requested)
        results.update(zip(members, found, strict=True))
    for record in records:
        if isinstance(record, Reject):
            out.rejects.append(record)
    for i, doc in enumerate(docs):
        result = results[i]
        if isinstance(result, DocumentResult):
            out.rows.extend(sentence_rows(doc, result))
            out.documents += 1
            out.labels.update({k: v for k, v in result.summary.counts.items() if v})
        else:
            out.rejects.append(
                Reject(
                    doc.file,
                    doc.line,
                    str(result),
                    doc.id,
                    kind="unsupported-language",
                    language=result.language,
                )
            )
    out.rejects.sort(key=lambda r: (r.file, r.line))
    return out
