"""Input records of a batch run: the fields a document needs, one rule for every engine.

A record has `text` (a non-empty string) and optionally `id` (a string or a whole
number; the line number when absent) and `language` (an ISO 639-1 code that skips
detection for that document). Anything else on the record is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.records import Row

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True, slots=True)
class Document:
    file: str
    line: int
    id: str
    text: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not classified, and why."""

    file: str
    line: int
    reason: str
    id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "line": self.line}
        if self.id is not None:
            out["id"] = self.id
        out["reason"] = self.reason
        return out

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def document_of(row: Row, file: Path | str) -> Document | Reject:
    """The document a row holds, or why it holds none."""
    name = str(file)
    if row.fields is None:
        return Reject(name, row.line, row.problem or "unreadable")
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
    return Document(name, row.line, str(doc_id), text, language)
