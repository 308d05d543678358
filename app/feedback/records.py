"""A correction: one annotator's labels for one sentence."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

_SPACE = re.compile(r"\s+")
ANNOTATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def normalise(text: str) -> str:
    """The text a sentence is known by: NFC, white space collapsed, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def sentence_key(text: str) -> str:
    """The SHA-256 of a sentence's normalised text: two corrections of the same sentence
    by one annotator share it, and the second replaces the first."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class NewCorrection:
    """What an annotator sends: the sentence, its right labels and where it came from."""

    annotator: str
    text: str
    labels: tuple[str, ...]
    language: str
    model_version: str
    source: str | None = None
    document_id: str | None = None

    def __post_init__(self) -> None:
        if not ANNOTATOR_NAME.match(self.annotator):
            raise ValueError(
                f"annotator names are letters, digits, '.', '_' and '-': {self.annotator!r}"
            )
        if not normalise(self.text):
            raise ValueError("a correction needs a sentence")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("a label is repeated")
        object.__setattr__(self, "labels", tuple(sorted(self.labels)))


def checksum(fields: dict[str, Any]) -> str:
    """SHA-256 of a record's content (not its id, creation time or revision), written with
    it, so that a row changed or torn outside the store is found (`FeedbackStore.check`)."""
    content = [
        fields["sentence_key"],
        fields["annotator"],
        fields["text"],
        list(fields["labels"]),
        fields["language"],
        fields["source"],
        fields["document_id"],
        fields["model_version"],
        fields["updated"],
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Correction:
    """A stored correction. `revision` counts how often its annotator has replaced it."""

    id: int
    annotator: str
    text: str
    labels: tuple[str, ...]
    language: str
    model_version: str
    source: str | None
    document_id: str | None
    sentence_key: str
    created: str
    updated: str
    revision: int
    checksum: str

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["labels"] = list(self.labels)
        return out

    def intact(self) -> bool:
        return checksum(asdict(self)) == self.checksum and self.sentence_key == sentence_key(
            self.text
        )
