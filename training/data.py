"""Reading labelled sentences from JSONL and CSV files, reporting every bad row."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, object] | str]]:
    with path.open(encoding="utf-8", errors="strict") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, f"not valid JSON ({exc.msg})"
                continue
            yield n, row if isinstance(row, dict) else "not a JSON object"


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, object] | str]]:
    with path.open(encoding="utf-8", errors="strict", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"text", "labels"} <= set(reader.fieldnames):
            yield 1, "a CSV file needs a header with 'text' and 'labels' columns"
            return
        for row in reader:
            raw = row.get("labels") or ""
            labels = [x.strip() for x in raw.split(";") if x.strip()]
            yield reader.line_num, {**row, "labels": labels}


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """All examples in `paths`; raise DataError listing every malformed row."""
    examples: list[Example] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in data_files(paths):
        rows = _csv_rows(path) if path.suffix == ".csv" else _jsonl_rows(path)
        try:
            for n, row in rows:
                where = f"{path}:{n}"
                if isinstance(row, str):
                    problems.append(f"{where}: {row}")
                    continue
                checked = _check(where, row.get("text"), row.get("labels"))
                if isinstance(checked, str):
                    problems.append(checked)
                    continue
                text, labels = checked
                ex_id = str(row.get("id") or f"{path.name}:{n}")
                if ex_id in seen:
                    problems.append(f"{where}: id {ex_id!r} already used at {seen[ex_id]}")
                    continue
                seen[ex_id] = where
                examples.append(
                    Example(
                        id=ex_id,
                        text=text,
                        labels=labels,
                        domain=str(row.get("domain") or "unknown"),
                        register=str(row.get("register") or "unknown"),
                        kind=str(row.get("kind") or ""),
                        source=where,
                    )
                )
        except UnicodeDecodeError as exc:
            problems.append(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})")
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
