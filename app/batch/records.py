"""Input records of a batch run: the fields a document needs, one rule for every engine.

A record has `text` (a non-empty string) and optionally `id` (a string or a whole
number; the line number when absent), `language` (an ISO 639-1 code that skips
detection for that document), and three fields carried into every sentence row of the
document: `source` (the outlet, a string), `date` (an ISO date, `2025-03-01`, or a date
and time whose date is taken as written) and `url` (an http or https address). Anything
else on the record is ignored.

The input files themselves are checked before a run starts (`input_files`): a file
that is missing, empty, a folder or of another type is refused, one line each.
"""

from __future__ import annotations

import datetime as dt
import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.records import SUFFIXES, Row, has_records

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$")
MAX_SOURCE_CHARS = 200
MAX_URL_CHARS = 2_048


@dataclass(frozen=True, slots=True)
class Document:
    file: str
    line: int
    id: str
    text: str
    language: str | None = None
    source: str | None = None
    date: dt.date | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not classified, and why.

    `kind` is `unreadable` (not JSON, not UTF-8, not an object), `invalid` (a field
    breaks the rules above) or `unsupported-language` (then `language` names the
    language found).
    """

    file: str
    line: int
    reason: str
    id: str | None = None
    kind: str = "invalid"
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "line": self.line}
        if self.id is not None:
            out["id"] = self.id
        out["kind"] = self.kind
        if self.language is not None:
            out["language"] = self.language
        out["reason"] = self.reason
        return out

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def document_of(row: Row, file: Path | str) -> Document | Reject:
    """The document a row holds, or why it holds none."""
    name = str(file)
    if row.fields is None:
        return Reject(name, row.line, row.problem or "unreadable", kind="unreadable")
    fields = row.fields
    doc_id = fields.get("id")
    if doc_id is None or doc_id == "":
        doc_id = str(row.line)
    elif isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
        return Reject(name, row.line, "'id' must be a string or a whole number")
    text = fields.get("text")
    if not isinstance(text, str) or not text.strip():
        return Reject(name, row.line, "'text' must be a non-empty string", str(doc_id))
    language = fields.get("language")
    if language in (None, ""):
        language = None
    elif not isinstance(language, str) or not _LANGUAGE.match(language):
        return Reject(name, row.line, "'language' must be a code such as en or ru", str(doc_id))
    source = fields.get("source")
    if isinstance(source, str):
        source = source.strip() or None
    if source is not None and (not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS):
        return Reject(
            name,
            row.line,
            f"'source' must be a string of at most {MAX_SOURCE_CHARS} characters",
            str(doc_id),
        )
    date = _date(fields.get("date"))
    if isinstance(date, str):
        return Reject(name, row.line, date, str(doc_id))
    url = fields.get("url")
    if isinstance(url, str):
        url = url.strip() or None
    if url is not None and (
        not isinstance(url, str)
        or not url.lower().startswith(("http://", "https://"))
        or len(url) > MAX_URL_CHARS
        or any(c.isspace() for c in url)
    ):
        return Reject(name, row.line, "'url' must be an http:// or https:// address", str(doc_id))
    return Document(name, row.line, str(doc_id), text, language, source, date, url)


def _date(value: Any) -> dt.date | str | None:
    """The calendar date of a record's `date`, None when absent, or why it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):  # Parquet timestamps: the date as written
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    return "'date' must be an ISO date such as 2025-03-01"


class InputError(ValueError):
    """Input files a run cannot read, each with its reason (`path: reason`)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def input_problem(path: Path) -> str | None:
    """Why a batch input file cannot be read, or None when it can."""
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "is a folder; give its files, e.g. 'folder/*.jsonl'"
    if path.suffix not in SUFFIXES:
        return f"read .jsonl, .csv or .parquet files, not {path.suffix or 'a file with no suffix'}"
    try:
        if not has_records(path):
            return "holds no records"
    except OSError as exc:
        return exc.strerror or str(exc)
    except Exception as exc:  # pyarrow's errors for a file that is not Parquet
        return f"not a readable {path.suffix[1:]} file ({type(exc).__name__})"
    return None


def input_files(patterns: list[str]) -> list[Path]:
    """The files that file names and glob patterns name, every one checked.

    InputError lists every pattern that matches nothing and every file that is missing,
    empty, a folder or of another type.
    """
    files: list[Path] = []
    problems: list[str] = []
    for pattern in patterns:
        matched = [pattern]
        if any(c in pattern for c in "*?["):
            matched = sorted(glob.glob(pattern)) or ([pattern] if Path(pattern).exists() else [])
        if not matched:
            problems.append(f"{pattern}: no input file matches")
        files.extend(Path(p) for p in matched)
    for path in files:
        problem = input_problem(path)
        if problem is not None:
            problems.append(f"{path}: {problem}")
    if problems:
        raise InputError(problems)
    return files
