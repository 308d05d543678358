"""Reading rows from JSONL, CSV and Parquet files, with one set of rules for every reader.

Each row comes with the line it starts on (the row number for Parquet), so a bad one can
be reported as `file:line: reason`. Bytes that are not UTF-8 make that row bad, never
the file: nothing is silently replaced. Blank JSONL lines are skipped. Batch runs and
training read their files through here and then check the fields they need.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIXES = (".jsonl", ".csv", ".parquet")


@dataclass(frozen=True, slots=True)
class Row:
    """One record: its fields, or the reason it could not be read."""

    line: int
    fields: dict[str, Any] | None = None
    problem: str | None = None


def _utf8(raw: bytes) -> str | int:
    """The text of `raw`, or the position of its first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start


def jsonl_rows(
    path: Path, byte_start: int = 0, byte_end: int | None = None, first_line: int = 1
) -> Iterator[Row]:
    """The rows of the JSONL lines that start in [byte_start, byte_end).

    `byte_start` must be 0 or the start of a line, and `first_line` that line's number.
    """
    with path.open("rb") as f:
        f.seek(byte_start)
        position, line_no = byte_start, first_line
        while byte_end is None or position < byte_end:
            raw = f.readline()
            if not raw:
                break
            position += len(raw)
            n, line_no = line_no, line_no + 1
            if not raw.strip():
                continue
            text = _utf8(raw)
            if isinstance(text, int):
                yield Row(n, problem=f"not valid UTF-8 (byte {text} of the line)")
                continue
            if n == 1:
                text = text.removeprefix("\ufeff")
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Row(n, problem=f"not valid JSON ({exc.msg})")
                continue
            if not isinstance(value, dict):
                yield Row(n, problem="not a JSON object")
                continue
            yield Row(n, fields=value)


def jsonl_line_starts(path: Path, every: int) -> list[tuple[int, int]]:
    """(byte offset, line number) of line 1 and of every `every`-th line after it."""
    starts = [(0, 1)]
    with path.open("rb") as f:
        position = 0
        for n, raw in enumerate(f, 1):
            position += len(raw)
            if n % every == 0:
                starts.append((position, n + 1))
        if starts[-1][0] >= position and len(starts) > 1:
            starts.pop()  # nothing after the last full stretch
    return starts


def csv_rows(path: Path, start: int = 0, stop: int | None = None) -> Iterator[Row]:
    """Rows `start` to `stop` (counted from 0 after the header) of a CSV file with a header."""
    with path.open("rb") as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.DictReader(stream)
        line_no = 2
        for k, row in enumerate(reader):
            n, line_no = line_no, reader.line_num + 1
            if stop is not None and k >= stop:
                break
            if k < start:
                continue
            fields: dict[str, Any] = {key: value for key, value in row.items() if key is not None}
            try:
                for value in fields.values():
                    if isinstance(value, str):
                        value.encode("utf-8")
            except UnicodeEncodeError:
                yield Row(n, problem="not valid UTF-8")
                continue
            yield Row(n, fields=fields)


def csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as f:
        return next(csv.reader(f), [])


def parquet_rows(path: Path, start: int = 0, stop: int | None = None) -> Iterator[Row]:
    """Rows `start` to `stop` of a Parquet file (needs the `batch` extra: pyarrow)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    end = table.num_rows if stop is None else min(stop, table.num_rows)
    for k, fields in enumerate(table.slice(start, max(0, end - start)).to_pylist()):
        yield Row(start + k + 1, fields=fields)


def count_rows(path: Path) -> int:
    """Records in a file: lines of JSONL, rows after a CSV's header, rows of Parquet."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if path.suffix == ".csv":
        return sum(1 for _ in csv_rows(path))
    with path.open("rb") as f:
        return sum(1 for _ in f)


def has_records(path: Path) -> bool:
    """Whether a .jsonl, .csv or .parquet file holds at least one record (good or bad),
    reading no more of it than that takes."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows) > 0
    if path.suffix == ".csv":
        return next(iter(csv_rows(path)), None) is not None
    with path.open("rb") as f:
        return any(raw.strip() for raw in f)


def read_rows(path: Path) -> Iterator[Row]:
    """Every row of a .jsonl, .csv or .parquet file."""
    if path.suffix == ".csv":
        return csv_rows(path)
    if path.suffix == ".parquet":
        return parquet_rows(path)
    if path.suffix == ".jsonl":
        return jsonl_rows(path)
    raise ValueError(f"{path}: read .jsonl, .csv or .parquet files, not {path.suffix or 'this'}")
