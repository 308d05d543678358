"""Labelled sentences from JSONL and CSV files, every bad row reported.

A row has `text` and `labels` (a list in JSONL; `;`-separated in CSV), and optionally
`id`, `domain`, `register`, `kind`, and `doc` (the document a sentence belongs to: the
sentences of one document, in file order, are its text from top to bottom).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.core.records import Row, csv_header, csv_rows, jsonl_rows

LABEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DATA_SUFFIXES = (".jsonl", ".csv")


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    labels: tuple[str, ...]
    domain: str = "unknown"
    register: str = "unknown"
    kind: str = ""
    doc: str = ""
    source: str = field(default="", compare=False)


class DataError(ValueError):
    """Malformed training rows; `problems` lists each as 'file:line: reason'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} bad rows in the training data:\n{shown}{more}")


def data_files(paths: Iterable[Path]) -> list[Path]:
    """The data files named, with folders expanded to their .jsonl and .csv files."""
    paths = list(paths)
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in DATA_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise DataError([f"{path}: no such file or folder"])
    if not files:
        raise DataError([f"no .jsonl or .csv files in {', '.join(map(str, paths))}"])
    return files


def _labels(value: object, csv: bool) -> object:
    if csv and isinstance(value, str):
        return [x.strip() for x in value.split(";") if x.strip()]
    return value


def _check(where: str, text: object, labels: object) -> tuple[str, tuple[str, ...]] | str:
    if not isinstance(text, str) or not text.strip():
        return f"{where}: 'text' must be a non-empty string"
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return f"{where}: 'labels' must be a list of label names"
    bad = [x for x in labels if not LABEL_NAME.match(x)]
    if bad:
        return f"{where}: label names must be lower_snake_case, got {bad}"
    if len(set(labels)) != len(labels):
        return f"{where}: a label is repeated in {labels}"
    return text, tuple(sorted(labels))


def _rows(path: Path) -> Iterable[Row]:
    if path.suffix == ".csv":
        if not {"text", "labels"} <= set(csv_header(path)):
            return [Row(1, problem="a CSV file needs a header with 'text' and 'labels' columns")]
        return csv_rows(path)
    return jsonl_rows(path)


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """All examples in `paths`; raise DataError listing every malformed row."""
    examples: list[Example] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in data_files(paths):
        for row in _rows(path):
            where = f"{path}:{row.line}"
            if row.fields is None:
                problems.append(f"{where}: {row.problem}")
                continue
            fields = row.fields
            checked = _check(
                where, fields.get("text"), _labels(fields.get("labels"), path.suffix == ".csv")
            )
            if isinstance(checked, str):
                problems.append(checked)
                continue
            text, labels = checked
            ex_id = str(fields.get("id") or f"{path.name}:{row.line}")
            if ex_id in seen:
                problems.append(f"{where}: id {ex_id!r} already used at {seen[ex_id]}")
                continue
            seen[ex_id] = where
            examples.append(
                Example(
                    id=ex_id,
                    text=text,
                    labels=labels,
                    domain=str(fields.get("domain") or "unknown"),
                    register=str(fields.get("register") or "unknown"),
                    kind=str(fields.get("kind") or ""),
                    doc=str(fields.get("doc") or ""),
                    source=where,
                )
            )
    if problems:
        raise DataError(problems)
    return examples


def fingerprint(examples: Iterable[Example]) -> str:
    """SHA-256 of the examples' ids, texts and labels, independent of file order."""
    digest = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: e.id):
        digest.update(json.dumps([ex.id, ex.text, list(ex.labels)], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()
