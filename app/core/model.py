"""The framing model: scoring sentences, and the set of models served by language.

Scoring needs no scikit-learn: each sentence's score for a label is the intercept plus
the sum, over the sentence's feature occurrences, of idf x weight, divided by the square
root of the sum of idf squared (training/pipeline.py's OccurrenceTfidf), then the logistic
function. That is a gather and a sum per sentence over all the sentences of a request at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core.artifact import Manifest, ModelLoadError, load_artifact, model_folders
from app.core.features import NgramHasher, Occurrences
from app.core.language import LanguageDetector


@dataclass(frozen=True)
class FramingModel:
    """A loaded model: its manifest, featurizer and arrays."""

    manifest: Manifest
    hasher: NgramHasher
    # (n_features, 1 + n_labels) float32, a row per feature: idf squared, then idf x weight
    # for each label. One row is one cache line or less, so scoring gathers each
    # occurrence's numbers with one read where a column per label took one each.
    table: np.ndarray
    intercepts: np.ndarray  # (n_labels,)
    thresholds: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        values = [self.manifest.thresholds[label] for label in self.manifest.labels]
        object.__setattr__(self, "thresholds", np.array(values))

    @property
    def labels(self) -> list[str]:
        return self.manifest.labels

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def language(self) -> str:
        return self.manifest.language

    def _sums(self, found: Occurrences, n_rows: int) -> np.ndarray:
        """(n_rows, 1 + n_labels): each sentence's sum of idf squared, then of idf x weight
        for each label, over its occurrences (in float64).

        The occurrences come in runs of one sentence (each n-gram size's block is in
        sentence order), so a `reduceat` over the runs and an `add.at` of the few run
        totals do the work of a `bincount` per column without their transposed copy.
        """
        sums = np.zeros((n_rows, self.table.shape[1]))
        rows = found.rows
        if not len(rows):
            return sums
        gathered = np.take(self.table, found.columns, axis=0).astype(np.float64)
        starts = np.concatenate(([0], np.flatnonzero(rows[1:] != rows[:-1]) + 1))
        np.add.at(sums, rows[starts], np.add.reduceat(gathered, starts, axis=0))
        return sums

    @staticmethod
    def _norm(squares: np.ndarray) -> np.ndarray:
        norm = np.sqrt(squares)
        norm[norm == 0] = 1.0
        return norm

    def norms(self, found: Occurrences, n_rows: int) -> np.ndarray:
        """Each sentence's norm: the root of the sum of idf squared over its occurrences."""
        squares = np.bincount(found.rows, weights=self.table[found.columns, 0], minlength=n_rows)
        return self._norm(squares)

    def contributions(self, found: Occurrences, n_rows: int) -> np.ndarray:
        """Each occurrence's contribution to each label's log-odds (before the intercept):
        an (occurrences, labels) array, for the evidence."""
        norm = self.norms(found, n_rows)
        return np.take(self.table, found.columns, axis=0)[:, 1:] / norm[found.rows, None]

    def decision(self, found: Occurrences, n_rows: int) -> np.ndarray:
        """Each sentence's log-odds per label (columns in `labels` order)."""
        sums = self._sums(found, n_rows)
        return sums[:, 1:] / self._norm(sums[:, 0])[:, None] + self.intercepts

    def scores(self, sentences: list[str]) -> np.ndarray:
        """Probability of each label (columns in `labels` order) for each sentence."""
        if not sentences:
            return np.zeros((0, len(self.labels)))
        found = self.hasher.occurrences(sentences)
        return 1.0 / (1.0 + np.exp(-self.decision(found, len(sentences))))

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Boolean label matrix: a label is on where its score reaches its threshold."""
        return scores >= self.thresholds


def load_model(model_dir: Path) -> FramingModel:
    """Load and check the model in `model_dir`; raise ModelLoadError with a fix if unusable."""
    manifest, arrays = load_artifact(model_dir)
    params: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in manifest.params.get("featurizer", {}).items()
    }
    try:
        hasher = NgramHasher(**params)
    except TypeError as exc:
        raise ModelLoadError(
            f"The manifest's featurizer parameters are not understood ({exc}). Rebuild it.",
            reason="bad-manifest",
        ) from exc
    if hasher.n_features != len(arrays["idf"]):
        raise ModelLoadError(
            f"The featurizer makes {hasher.n_features} columns but the model has "
            f"{len(arrays['idf'])}. Rebuild the model.",
            reason="unloadable",
        )
    idf = arrays["idf"].astype(np.float32)
    weights = arrays["weights"]
    table = np.empty((len(idf), 1 + weights.shape[1]), dtype=np.float32)
    np.multiply(idf, idf, out=table[:, 0])  # written in place: no temporary to leave behind
    np.multiply(weights, idf[:, None], out=table[:, 1:], casting="same_kind")
    model = FramingModel(
        manifest=manifest,
        hasher=hasher,
        table=table,
        intercepts=arrays["intercepts"].astype(np.float64),
    )
    check_canaries(model)
    return model


def check_canaries(model: FramingModel) -> None:
    """Raise ModelLoadError when the model does not give its canary sentences their labels."""
    canaries = model.manifest.canaries
    if not canaries:
        return
    decided = model.decide(model.scores([c.text for c in canaries]))
    for canary, row in zip(canaries, decided, strict=True):
        got = [label for label, on in zip(model.labels, row, strict=True) if on]
        if sorted(got) != sorted(canary.labels):
            raise ModelLoadError(
                f"The model labels the canary sentence {canary.text[:60]!r} as {got}, "
                f"not {canary.labels}: it does not behave as trained. Rebuild it.",
                reason="canary",
            )


@dataclass(frozen=True)
class ModelSet:
    """The models served, one per language, and the detector that routes text to them."""

    models: dict[str, FramingModel]
    detector: LanguageDetector = field(compare=False)

    @property
    def languages(self) -> list[str]:
        return list(self.models)

    @property
    def default(self) -> FramingModel:
        return next(iter(self.models.values()))

    @property
    def labels(self) -> list[str]:
        """The labels every model gives (the same set in each language, in one order)."""
        return self.default.labels

    @property
    def version(self) -> str:
        """One model's version, or each language's: "en 2026.11.26-1a2b3c4, ru ..."."""
        if len(self.models) == 1:
            return self.default.version
        return ", ".join(f"{lang} {m.version}" for lang, m in self.models.items())

    @property
    def versions(self) -> dict[str, str]:
        return {lang: m.version for lang, m in self.models.items()}

    def __getitem__(self, language: str) -> FramingModel:
        return self.models[language]


def load_models(
    model_dir: Path, previous: ModelSet | None = None, cache_dir: Path | None = None
) -> ModelSet:
    """Load every language's model under `model_dir` (or the one model in it), checked.

    Each language has a folder named by its code (models/en, models/ru); a folder that
    holds model.json itself is one model, read in its manifest's language. The language
    detector of `previous` is kept when it serves the same languages; a new one keeps an
    unpacked copy of its identifier in `cache_dir`, when given (see language.py).
    """
    models: dict[str, FramingModel] = {}
    for folder in model_folders(model_dir):
        model = load_model(folder)
        language = model.language
        if folder != model_dir and folder.name != language:
            raise ModelLoadError(
                f"{folder} holds a model for {language!r}; a language's model must be in a "
                f"folder named by its code ({model_dir / language}). Move it or rebuild it.",
                reason="wrong-language-folder",
            )
        if models:
            first = next(iter(models.values()))
            if model.labels != first.labels:
                raise ModelLoadError(
                    f"The {language} model gives the labels {model.labels} but the "
                    f"{first.language} model gives {first.labels}: every language must "
                    "give the same labels. Retrain one of them on data with the same label set.",
                    reason="label-mismatch",
                )
        models[language] = model
    if previous is not None and previous.detector.served == list(models):
        return ModelSet(models=models, detector=previous.detector)
    return ModelSet(models=models, detector=LanguageDetector(list(models), cache_dir).load())
