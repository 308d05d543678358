"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

EXAMPLE_TEXT = (
    "The ministry rejected the report as a fabrication. "
    "It said only a handful of people were slightly hurt. "
    "Officials blamed foreign agitators for the unrest."
)


def _language_field() -> Any:
    return Field(
        None,
        pattern=r"^[a-z]{2,3}$",
        description='ISO 639-1 code of the text\'s language ("en", "ru"), when you know it: '
        "every sentence is then read by that language's model. Left out, the language is "
        "detected. GET /labels lists the languages served.",
        examples=["ru"],
    )


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("text must contain something other than white space")
    return value


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": EXAMPLE_TEXT}]}
    )

    text: str = Field(
        min_length=1,
        description="The document to classify. Its length limit is a setting "
        "(FRAMING_MAX_TEXT_CHARS, 100,000 code points by default).",
    )
    explain: bool = Field(
        False, description="Add, for each label a sentence carries, the words that raised it."
    )
    language: str | None = _language_field()
    _check_text = field_validator("text")(_not_blank)


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="Your identifier, echoed back.")
    text: str = Field(min_length=1)
    language: str | None = _language_field()
    _check_text = field_validator("text")(_not_blank)


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "documents": [
                        {"id": "a1", "text": EXAMPLE_TEXT},
                        {"id": "a2", "text": "The council approved the budget on Monday."},
                    ]
                }
            ]
        },
    )

    documents: list[Document] = Field(
        min_length=1,
        description="Documents to classify, at most FRAMING_MAX_BATCH_DOCUMENTS (100 by default) "
        "and FRAMING_MAX_BATCH_CHARS code points in all.",
    )
    explain: bool = Field(False, description="Add evidence spans, as in /classify.")


class ModelRef(BaseModel):
    name: str
    version: str
    language: str = Field(description="The language the model reads.")


class LanguageInfo(BaseModel):
    code: str = Field(description="ISO 639-1 code of the language the document was read in.")
    source: Literal["request", "detected", "script", "default"] = Field(
        description="How it was decided: given in the request; detected by language "
        "identification; from the writing system, when identification was unsure (short "
        "texts, names); or the default, for text with no letters."
    )
    confidence: float | None = Field(
        None, description="Probability the language identifier gave, when it decided."
    )


class Evidence(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    start: int = Field(description="Offset in the document's text, in code points.")
    end: int
    text: str = Field(description="text[start:end]: a word or a pair of words.")
    weight: float = Field(description="How much it raised the label's score (log-odds).")


class Sentence(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    index: int = Field(description="Position of the sentence in the document, from 0.")
    start: int = Field(description="Offset of the first code point of the sentence in the text.")
    end: int = Field(description="Offset just past its last code point: text[start:end].")
    text: str
    language: str = Field(
        description="The language whose model read the sentence: the document's, unless the "
        "sentence is written in another served language's script (a quote in Russian in an "
        "English article)."
    )
    labels: list[str] = Field(description="Labels whose score reached the label's threshold.")
    scores: dict[str, float] = Field(description="Probability of each label, 0 to 1.")
    evidence: dict[str, list[Evidence]] | None = Field(
        None,
        description="Only with explain=true: for each label the sentence carries, the words "
        "that pushed it there, strongest first.",
    )


class Summary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sentences: int
    labelled: int = Field(description="Sentences carrying at least one label.")
    counts: dict[str, int] = Field(description="Sentences carrying each label.")
    languages: dict[str, int] = Field(description="Sentences read by each language's model.")


EXAMPLE_RESPONSE: dict[str, Any] = {
    "models": [{"name": "framing", "version": "2026.11.26-3f2a9c1", "language": "en"}],
    "labels": ["blame_attribution", "downplaying", "official_denial"],
    "language": {"code": "en", "source": "detected", "confidence": 0.9993},
    "sentences": [
        {
            "index": 0,
            "start": 0,
            "end": 50,
            "text": "The ministry rejected the report as a fabrication.",
            "language": "en",
            "labels": ["official_denial"],
            "scores": {"blame_attribution": 0.08, "downplaying": 0.04, "official_denial": 0.97},
        }
    ],
    "summary": {
        "sentences": 1,
        "labelled": 1,
        "counts": {"blame_attribution": 0, "downplaying": 0, "official_denial": 1},
        "languages": {"en": 1},
    },
}


class ClassifyResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RESPONSE]})

    models: list[ModelRef] = Field(description="The models that read the sentences.")
    labels: list[str] = Field(description="All labels the models can give, in score order.")
    language: LanguageInfo
    sentences: list[Sentence]
    summary: Summary


class DocumentResult(BaseModel):
    id: str
    language: LanguageInfo
    sentences: list[Sentence]
    summary: Summary


class BatchResponse(BaseModel):
    models: list[ModelRef] = Field(description="The models that read the sentences.")
    labels: list[str]
    documents: list[DocumentResult] = Field(description="Results in the order of the request.")


class LabelInfo(BaseModel):
    name: str
    description: str
    thresholds: dict[str, float] = Field(
        description="Each language's threshold: the score at which the label is given."
    )


class LabelsResponse(BaseModel):
    languages: list[str] = Field(description="Languages served, as ISO 639-1 codes.")
    models: list[ModelRef]
    labels: list[LabelInfo]


class ModelCard(BaseModel):
    name: str
    version: str
    language: str
    created: datetime
    trained_with: dict[str, str] = Field(description="Library versions that trained it.")
    sha256: str
    labels: list[str]
    label_descriptions: dict[str, str]
    thresholds: dict[str, float]
    training_data: dict[str, Any]
    params: dict[str, Any]
    metrics: dict[str, Any]


class ModelCards(BaseModel):
    languages: list[str] = Field(description="Languages served, as ISO 639-1 codes.")
    models: dict[str, ModelCard] = Field(description="Each language's model card.")


class Status(BaseModel):
    status: str
    model_version: str | None = None
    languages: list[str] | None = None


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class ReloadResponse(BaseModel):
    previous: str | None = Field(description="Version served before the reload.")
    current: str = Field(description="Version served now.")
    workers: int = Field(description="Worker processes serving it when the answer was sent.")


# ---------------------------------------------------------------- corrections


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "The ministry rejected the report as a fabrication.",
                    "labels": ["official_denial"],
                    "language": "en",
                    "source": "wire",
                    "document_id": "a1",
                    "model_version": "2026.12.07-12c9d64",
                }
            ]
        },
    )

    text: str = Field(min_length=1, max_length=5_000, description="The sentence, as shown.")
    labels: list[str] = Field(
        max_length=20,
        description="Its right labels (GET /labels lists them); [] for none. What the model "
        "gave, when the analyst confirms it.",
    )
    language: str = Field(
        pattern=r"^[a-z]{2,3}$", description="The language whose model read it (a served one)."
    )
    source: str | None = Field(None, max_length=200, description="Where the text came from.")
    document_id: str | None = Field(None, max_length=200, description="Its document, if known.")
    model_version: str = Field(
        min_length=1,
        max_length=100,
        description="The version of the model whose labels it corrects.",
    )
    _check_text = field_validator("text")(_not_blank)


class CorrectionRecord(BaseModel):
    id: int
    annotator: str = Field(description="The name the token belongs to.")
    text: str
    labels: list[str]
    language: str
    model_version: str
    source: str | None
    document_id: str | None
    sentence_key: str = Field(description="SHA-256 of the normalised sentence.")
    created: str = Field(description="When this annotator first corrected it (UTC, ISO 8601).")
    updated: str = Field(description="When it was last changed.")
    revision: int = Field(description="1, plus one each time the annotator replaced it.")
    checksum: str = Field(description="SHA-256 of the record's content, written with it.")


class Annotator(BaseModel):
    annotator: str
    corrections: int = Field(description="Corrections stored under this name.")


class QueueDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    id: str | None = Field(None, max_length=200)
    source: str | None = Field(None, max_length=200)
    language: str | None = _language_field()
    _check_text = field_validator("text")(_not_blank)


class QueueRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "texts": [
                        EXAMPLE_TEXT,
                        {"text": "The council approved the budget.", "source": "gazette"},
                    ],
                    "size": 20,
                }
            ]
        },
    )

    texts: list[str | QueueDocument] = Field(
        min_length=1,
        description="Texts to choose from: strings, or objects with text, id, source and "
        "language. At most FRAMING_MAX_BATCH_DOCUMENTS.",
    )
    size: int = Field(20, gt=0, description="How many sentences to pick.")
    include_corrected: bool = Field(
        False, description="Also offer sentences this annotator has corrected already."
    )


class QueueEntry(BaseModel):
    rank: int
    text: str
    language: str
    scores: dict[str, float]
    labels: list[str] = Field(description="The labels the model gives.")
    source: str | None
    document_id: str | None
    sentence_index: int | None
    model_version: str | None
    nearest: str = Field(description="The label whose score is nearest its threshold.")
    threshold: float
    margin: float = Field(description="|score - threshold| for that label.")


class QueueResponse(BaseModel):
    sentences: int = Field(description="Sentences the texts cut into.")
    queue: list[QueueEntry]
